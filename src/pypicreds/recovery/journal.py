"""The intent journal: written before a change's first step, deleted after its last.

`journal.json` in pypicreds' directory, 0600, written atomically, never a token (the same
facts the index keeps, plus SHA-256 digests of .pypirc). The protocol is in __init__.py.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from .. import fsutil, paths
from ..errors import PypicredsError

JOURNAL_VERSION = 1
_HOME_FILES = ("index.json", "vault.json", "vault.key", "journal.json")


def journal_path() -> Path:
    return paths.journal_path()


def digest(path: str | os.PathLike | None) -> str | None:
    """SHA-256 of a file's bytes (following symlinks); None when it does not exist."""
    if path is None:
        return None
    try:
        return fsutil.sha256(Path(os.path.realpath(path)).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None
    except OSError:
        return "unreadable"


class Journal:
    """The intent record of one add, rotate, remove or import in progress."""

    def __init__(self, data: dict) -> None:
        self.data = data
        self.path = journal_path()

    def save(self) -> None:
        fsutil.ensure_private_dir(self.path.parent)
        fsutil.atomic_write(self.path, (json.dumps(self.data, indent=2, sort_keys=True) + "\n").encode())

    def update(self, **changes) -> None:
        self.data.update(changes)
        self.save()

    def finish(self) -> None:
        """The change is complete (or fully undone): nothing left to repair."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


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


def load(path: Path) -> dict | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise PypicredsError(f"cannot read the journal {path}: {e.strerror}") from e
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("version") != JOURNAL_VERSION or "entry" not in data:
            raise ValueError("not a journal")
    except ValueError as e:
        raise damaged(path) from e
    return data


def damaged(path: Path) -> PypicredsError:
    return PypicredsError(
        f"the journal {path} of an interrupted change is damaged",
        hint="delete it, then check `pypicreds list` against your .pypirc",
    )


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

