"""`pypicreds audit --fix`: repair what is safe to repair, and say what changed.

Safe means: no token is ever deleted, and no byte of .pypirc changes that the repair does not
mean to change (every .pypirc edit goes through pypirc.py, which splices lines, re-parses the
result and writes atomically at 0600). Each remedy is idempotent, so a second run finds
nothing left to fix. Plaintext tokens move through `import` itself (plaintext_import.py), journaled, so
a killed --fix is finished or undone by the next command like a killed import.
"""

from __future__ import annotations

from pathlib import Path

from .. import fsutil, paths, pypirc
from ..errors import PypicredsError
from ..lock import locked
from ..paths import shown
from ..recovery import repair_if_needed
from .findings import Finding

# chmod first (a file is private before anything else touches it), then move tokens out of
# .pypirc, then drop empty password lines (pypirc.add_repository refuses sections with
# either), then write sections and listings.
ORDER = ("chmod", "import", "drop-empty-password", "write-section")


def apply(findings: list[Finding], *, pypirc: Path | None = None, store: str | None = None,
          include_plaintext: bool = False) -> list[str]:
    """Run every finding's remedy; mark each finding fixed or not. Returns the changes made.
    A plaintext token the user chose (`add --plaintext`) moves only with `include_plaintext`."""
    path = paths.pypirc_path(pypirc)
    changes: list[str] = []
    done: dict[tuple, str | None] = {}  # one remedy can answer several findings
    failed: dict[tuple, str] = {}  # ... and its failure too
    todo = sorted((f for f in findings if f.fixable and (include_plaintext or not f.chosen)),
                  key=lambda f: ORDER.index(f.remedy[0]))
    with locked(paths.lock_path()):
        repair_if_needed(locked=True)  # finish or undo what a killed pypicreds left half done, first
        for finding in todo:
            kind, args = finding.remedy
            key = (kind, tuple(sorted(args.items())))
            if key not in done and key not in failed:
                try:
                    done[key] = _REMEDIES[kind](path, store=store, **args)
                    if done[key]:
                        changes.append(done[key])
                except PypicredsError as e:
                    failed[key] = f"not fixed: {e.message}"
            if key in failed:
                finding.fixed, finding.change = False, failed[key]
                continue
            finding.fixed = True
            finding.change = done[key] or "already fixed"
    for finding in findings:  # the JSON marks every finding; these --fix did not touch
        if finding.fixed is None:
            finding.fixed, finding.change = False, None
    return changes


def _chmod(_pypirc_file: Path, *, path: str, mode: int, store=None) -> str | None:
    # through a symlink (the target holds the secrets); only a regular file (or pypicreds'
    # directory) of the user's: never a device, a FIFO, or another user's file
    current = fsutil.narrow_mode(path, mode, "")
    if current is None:
        return None
    return f"chmod {mode:o} {shown(path)} (was {current:04o})"


def _import(pypirc_file: Path, *, name: str, line: int | None = None, store=None) -> str | None:
    """`line`: where audit found the password, which an earlier move may since have shifted."""
    from .. import plaintext_import

    report = plaintext_import.import_tokens(pypirc=pypirc_file, store=store, names={name})
    if report.kept:
        raise PypicredsError(f"the password in [{name}] stays: {report.kept[0].reason}")
    if not report.moved:
        return None
    moved = report.moved[0]
    return f"moved the password of [{name}] (line {line or moved.line}) {moved.note}, fingerprint {moved.fingerprint}"


def _drop_empty_password(pypirc_file: Path, *, name: str, store=None) -> str | None:
    config = pypirc.read_repositories(pypirc_file)
    entry = config.get(name)
    where = entry.keys.get("password") if entry else None
    if entry is None or not entry.password_empty or where is None or where.section != name:
        return None
    written = pypirc.key_text(pypirc_file, where.line) or "password ="
    pypirc.set_password(pypirc_file, name, None)
    return f"removed the empty `{written}` line {where.line} from [{name}] in {shown(pypirc_file)}"


def _write_section(pypirc_file: Path, *, name: str, url: str, username: str, store=None) -> str | None:
    before = pypirc.read_repositories(pypirc_file).get(name)
    pypirc.add_repository(pypirc_file, name=name, username=username, url=url)
    after = pypirc.read_repositories(pypirc_file).get(name)
    what = []
    if before is None or before.section_line is None:
        what.append(f"wrote [{name}] with repository = {url}")
    elif before.url != after.url:
        what.append(f"set repository = {url} in [{name}]")
    if before is not None and before.username != after.username:
        what.append(f"set username = {username} in [{name}]")
    if before is None or not before.listed:
        what.append(f"listed {name} in index-servers")
    return f"{'; '.join(what)} ({shown(pypirc_file)})" if what else None


_REMEDIES = {
    "chmod": _chmod,
    "import": _import,
    "drop-empty-password": _drop_empty_password,
    "write-section": _write_section,
}
