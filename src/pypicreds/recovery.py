"""Finishing or undoing a change that a killed pypicreds left half done.

add, rotate, remove and import change up to three files one after another (the store,
.pypirc, the index). Before the first change they write an intent journal, `journal.json` in
PYPICREDS_HOME (0600, written atomically, never a token: the same facts the index keeps, plus
SHA-256 digests of .pypirc), and delete it after the last. Journals are written and deleted
only under pypicreds' lock, so whoever holds the lock and still finds one is looking at the
work of a process that died. The next command then repairs, under the lock:

- add: if the store holds the new token (same fingerprint), it finishes the add (.pypirc
  section, index entry); otherwise nothing had changed yet and there is nothing to do.
- rotate: if the store holds the new token, it finishes (.pypirc password with --plaintext,
  index); otherwise nothing had changed. The store write is the point of no return: the old
  token cannot be written back, because it is never kept anywhere else.
- remove: it finishes the removal (.pypirc, store, index); each step is harmless when done.
- import (one journal per password moved): if the store holds the token, it finishes (the
  `password =` line leaves .pypirc, index entry); if the import was undoing itself, the line
  goes back where it was and the token leaves the store.

Each repair is reported on stderr (`take_notes`). Temporary files that a killed atomic write
left behind (`.NAME.pypicreds-tmp-PID`) are deleted by every mutating command.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from . import fsutil, paths
from .errors import PypicredsError

JOURNAL_VERSION = 1
_HOME_FILES = ("index.json", "vault.json", "vault.key", "journal.json")

_notes: list[str] = []  # repairs not yet shown to the user


def journal_path() -> Path:
    return paths.journal_path()


def _note(text: str) -> None:
    """Keep a note for take_notes, once: a command may try a failing repair more than once
    (a read repairs, then the store read repairs again), and the second says nothing new."""
    if text not in _notes:
        _notes.append(text)


def take_notes() -> list[str]:
    """The repair messages since the last call (the CLI prints them on stderr)."""
    notes = list(_notes)
    _notes.clear()
    return notes


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


def recover() -> list[str]:
    """Repair what a killed pypicreds left (see the module docstring). Call under the lock.

    Returns the repair messages (also kept for `take_notes`). Raises PypicredsError when a
    repair cannot be done now; the journal then stays for the next try."""
    notes: list[str] = []
    path = journal_path()
    data = _load(path)
    pypirc_files = []
    if data is not None:
        pypirc_files.append(data.get("pypirc"))
        repair = _REPAIRS.get(data.get("op"))
        if repair is None:
            raise _damaged(path)
        try:
            notes = [f"repaired: {note}" for note in repair(data)]
        except PypicredsError as e:
            label = _label(data)
            raise PypicredsError(
                f"cannot finish an interrupted `pypicreds {data['op']}` of {label}: {e.message}",
                hint=e.hint or "fix that, then run any pypicreds command again",
            ) from e
        Journal(data).finish()
    _remove_stale_temps(path.parent, pypirc_files)
    for note in notes:
        _note(note)
    return notes


def recover_if_needed() -> bool:
    """For commands that only read: repair when a journal is there and no one holds the lock.

    Costs one stat when there is nothing to do. A repair that fails becomes a warning note
    (a read must still work). Returns whether anything was repaired."""
    if not paths.interrupted():
        return False
    with fsutil.try_locked(paths.lock_path()) as got:
        if not got:
            return False  # a live pypicreds is at work: its journal is not stale
        try:
            return bool(recover())
        except PypicredsError as e:
            _note(f"warning: {e.message}")
            return False


def _load(path: Path) -> dict | None:
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
        raise _damaged(path) from e
    return data


def _damaged(path: Path) -> PypicredsError:
    return PypicredsError(
        f"the journal {path} of an interrupted change is damaged",
        hint="delete it, then check `pypicreds list` against your .pypirc",
    )


def _label(data: dict) -> str:
    entry = data.get("entry") or {}
    name, project = entry.get("name", "?"), entry.get("project")
    return name if project is None else f"{name} (project {project})"


def _remove_stale_temps(home: Path, pypirc_files: list) -> None:
    names_by_dir: dict[Path, set[str]] = {home: set(_HOME_FILES)}
    with contextlib.suppress(PypicredsError):
        pypirc_files.append(paths.pypirc_path())
    for pypirc in {str(p) for p in pypirc_files if p}:
        target = Path(os.path.realpath(pypirc))
        names_by_dir.setdefault(target.parent, set()).add(target.name)
    for directory, names in names_by_dir.items():  # one listing per directory
        fsutil.remove_stale_temps(directory, names)


def _entry(data: dict):
    from .index import Entry

    return Entry(**data["entry"])


def _repair_add(data: dict) -> list[str]:
    from . import pypirc as pypirc_edit
    from .errors import PypircError
    from .index import Index
    from .store import open_store

    entry = _entry(data)
    index = Index.load()
    if index.find(entry.name, entry.project) is not None:
        return []  # the index was written: the add completed (or another entry owns the key)
    store = open_store(entry.store)
    token = store.get(entry.key)
    from .tokens import fingerprint

    stored_new = token is not None and fingerprint(token) == entry.fingerprint
    target = Path(data["pypirc"]) if data.get("pypirc") else None
    record = data.get("record")
    pypirc_done = target is not None and record is not None and digest(target) == data.get("pypirc_after")
    if stored_new and data.get("phase") != "rollback":
        if target is not None and not pypirc_done:
            if digest(target) == data.get("pypirc_before"):
                try:
                    record = pypirc_edit.add_repository(
                        target,
                        name=entry.name,
                        username=entry.username,
                        url=data.get("pypirc_url"),
                        password=token if entry.plaintext else None,
                    )
                except PypircError as e:
                    store.delete(entry.key)
                    return [f"undid an interrupted `pypicreds add` of {entry.label}: {e.message}"]
            else:
                record = None  # .pypirc was written but the record of the edit was lost
        entry.pypirc_record = record
        index.add(entry)
        index.save()
        return [f"finished adding {entry.label}, which an interrupted `pypicreds add` had left half done"]
    undone = False
    if pypirc_done:
        pypirc_edit.remove_repository(target, entry.name, record)
        undone = True
    if stored_new:
        store.delete(entry.key)
        undone = True
    return [f"undid an interrupted `pypicreds add` of {entry.label}"] if undone else []


def _repair_rotate(data: dict) -> list[str]:
    from . import pypirc as pypirc_edit
    from .errors import PypircError
    from .index import Index
    from .store import open_store

    new = _entry(data)
    index = Index.load()
    current = index.find(new.name, new.project)
    if current is None or current.fingerprint == new.fingerprint:
        return []
    store = open_store(current.store)
    token = store.get(current.key)
    from .tokens import fingerprint

    if token is None or fingerprint(token) != new.fingerprint:
        return []  # killed before the store write: nothing had changed
    notes = [
        f"finished rotating the token for {current.label}, which an interrupted `pypicreds rotate` "
        "had left half done (the store already held the new token); revoke the old one"
    ]
    if current.plaintext and current.pypirc:
        try:
            pypirc_edit.set_password(Path(current.pypirc), current.name, token)
        except PypircError as e:
            notes.append(f"warning: could not put the new token into {current.pypirc}: {e.message}")
    for field in current.TOKEN_FIELDS:
        setattr(current, field, getattr(new, field))
    index.save()
    return notes


def _repair_remove(data: dict) -> list[str]:
    from . import pypirc as pypirc_edit
    from .index import Index
    from .store import open_store

    entry = _entry(data)
    changed = False
    if data.get("pypirc"):
        changed |= pypirc_edit.remove_repository(Path(data["pypirc"]), entry.name, entry.pypirc_record)
    changed |= open_store(entry.store).delete(entry.key)
    index = Index.load()
    current = index.find(entry.name, entry.project)
    if current is not None:
        index.remove(current)
        index.save()
        changed = True
    if not changed:
        return []
    return [f"finished removing {entry.label}, which an interrupted `pypicreds remove` had left half done"]


def put_line_back(path: Path, name: str, token: str, where: dict | None, before_sha256: str | None) -> None:
    """Undo import's `take_password_line`: exactly where the line was when the rest of the file
    is as the import left it, else as a `password =` line at the end of the section."""
    from . import pypirc as pypirc_edit

    if where is None or before_sha256 is None or not pypirc_edit.put_password_line_back(
        path, name, token, where, before_sha256
    ):
        pypirc_edit.set_password(path, name, token)


def _repair_import(data: dict) -> list[str]:
    """import moves a plaintext password: store write (unless the token was stored already),
    then the `password =` line leaves .pypirc, then the index entry. Forward once the store
    holds the token, unless the import was already undoing itself (phase "rollback": the line
    goes back where it was, the token out of the store)."""
    from . import pypirc as pypirc_edit
    from .index import Index
    from .store import open_store
    from .tokens import fingerprint

    entry = _entry(data)
    index = Index.load()
    current = index.find(entry.name, entry.project)
    already_stored = data.get("already_stored", False)
    if current is not None and (not already_stored or not current.plaintext):
        return []  # the index was written: the import completed
    if already_stored and (current is None or current.fingerprint != entry.fingerprint):
        return []
    store = open_store(entry.store)
    token = store.get(entry.key)
    if token is None or fingerprint(token) != entry.fingerprint:
        return []  # killed before the store write: nothing had changed
    target = Path(data["pypirc"])
    in_file = pypirc_edit.read_password(target, entry.name)
    label = f"an interrupted `pypicreds import` of {entry.label}"
    if data.get("phase") == "rollback":
        if in_file is None:
            put_line_back(target, entry.name, token, data.get("password_line"), data.get("pypirc_before"))
        if not already_stored:
            store.delete(entry.key)
        return [f"undid {label}: its password is back in {target}"]
    if in_file is not None and fingerprint(in_file) == entry.fingerprint:
        pypirc_edit.set_password(target, entry.name, None)
    if current is not None:
        index.remove(current)
    index.add(entry)
    index.save()
    return [f"finished {label}, which had been left half done"]


_REPAIRS = {"add": _repair_add, "rotate": _repair_rotate, "remove": _repair_remove, "import": _repair_import}
