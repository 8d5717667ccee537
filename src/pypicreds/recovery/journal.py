"""The intent journal: written before a change's first step, deleted after its last.

`journal.json` in pypicreds' directory, 0600, written atomically, never a token (the same
facts the index keeps, plus SHA-256 digests of .pypirc). The protocol is in __init__.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path

from .. import fsutil, paths, system
from ..errors import PypicredsError
from . import notes

JOURNAL_VERSION = 1
_HOME_FILES = ("index.json", "vault.json", "vault.key", "journal.json")


def journal_path() -> Path:
    return paths.journal_path()


def digest(path: str | os.PathLike | None) -> str | None:
    """SHA-256 of a file's bytes (following symlinks); None when it does not exist."""
    if path is None:
        return None
    try:
        data = fsutil.read_file(path, "")
    except PypicredsError:
        return "unreadable"
    return None if data is None else fsutil.sha256(data).hexdigest()


class Journal:
    """The intent record of one add, rotate, remove or import in progress."""

    def __init__(self, data: dict) -> None:
        self.data = data
        self.path = journal_path()

    def save(self) -> None:
        fsutil.ensure_private_dir(self.path.parent)
        fsutil.atomic_write(self.path, (json.dumps(self.data, indent=2, sort_keys=True) + "\n").encode(),
                            "the journal")

    def update(self, **changes) -> None:
        self.data.update(changes)
        self.save()

    def finish(self) -> None:
        """The change is complete (or fully undone): nothing left to repair."""
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        except OSError as e:  # the change is done; the next command finds nothing left to repair
            raise fsutil.os_error("delete", "the journal", self.path, e) from None


def begin(op: str, entry, *, old=None, pypirc: Path | None = None, **extra) -> Journal:
    """Record the intent to run `op` on `entry` (an index Entry). Call under the lock."""
    journal = Journal(
        {
            "version": JOURNAL_VERSION,
            "op": op,
            "pid": os.getpid(),
            "phase": "store",
            "entry": entry.to_dict(),
            "old": old.to_dict() if old is not None else None,
            "pypirc": str(pypirc) if pypirc else None,
            "pypirc_before": digest(pypirc),
            **extra,
        }
    )
    journal.save()
    return journal


# --- repairing ------------------------------------------------------------------------------


def load(path: Path, ops) -> dict | None:
    """The journal, or None when there is none. A damaged one (not JSON, wrong types, an
    unknown change, not a regular file) is set aside as journal.json.damaged-N, kept for a
    look, and reported once (a note): commands go on without it. One another user owns is
    refused (planted: it could make us "repair" tokens away)."""
    from ..store.schema import journal_problem

    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise fsutil.os_error("read", "the journal", path, e) from None
    if info.st_uid != system.uid():
        fsutil.check_owner(info, "the journal", path)
    problem = None
    try:
        data = json.loads(fsutil.read_file(path, "the journal") or b"null")
        if type(data) is not dict or data.get("version") != JOURNAL_VERSION:
            problem = "not a pypicreds journal"
        else:
            problem = journal_problem(data, ops)
    except (ValueError, RecursionError):
        problem = "not JSON"
    except PypicredsError as e:
        if os.path.lexists(path) and stat.S_ISREG(info.st_mode):
            raise  # a regular file we cannot read: not damage, a reason to stop
        problem = e.message
    if problem is None:
        return data
    aside = _set_aside(path)
    notes.add(f"warning: the journal of an interrupted change, {paths.shown(path)}, was damaged ({problem}); "
              f"it is kept as {paths.shown(aside)}: check `pypicreds list` against your .pypirc")
    return None


def _set_aside(path: Path) -> Path:
    for number in range(1, 1000):
        aside = path.with_name(f"{path.name}.damaged-{number}")
        if not os.path.lexists(aside):
            try:
                os.rename(path, aside)
            except OSError as e:
                raise fsutil.os_error("set aside", "the damaged journal", path, e,
                                      hint=f"move {paths.shown(path)} away by hand") from None
            return aside
    raise PypicredsError(f"cannot set aside the damaged journal {paths.shown(path)}",
                         hint="move it and the journal.json.damaged-* files away by hand")


def label(data: dict) -> str:
    entry = data.get("entry") or {}
    name, project = entry.get("name", "?"), entry.get("project")
    return name if project is None else f"{name} (project {project})"


def remove_stale_temps(home: Path, pypirc_files: list) -> None:
    names_by_dir: dict[Path, set[str]] = {home: set(_HOME_FILES)}
    with contextlib.suppress(PypicredsError):
        pypirc_files.append(paths.pypirc_path())
    for pypirc in {str(p) for p in pypirc_files if p}:
        target = Path(os.path.realpath(pypirc))
        names_by_dir.setdefault(target.parent, set()).add(target.name)
    for directory, names in names_by_dir.items():  # one listing per directory
        fsutil.remove_stale_temps(directory, names)

