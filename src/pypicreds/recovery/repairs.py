"""One repair per kind of change, run by `repair_if_needed` on a journal a killed pypicreds left.

Each returns what it did (for the user), or nothing when nothing had changed yet.
"""

from __future__ import annotations

from pathlib import Path

from .. import pypirc
from ..errors import PypicredsError, PypircError
from ..store import open_store
from ..store.index import Entry, Index
from ..tokens import fingerprint
from .journal import digest


def _entry(data: dict) -> Entry:
    # the fields this version knows (checked by journal_problem); another version's extra keys are no damage
    return Entry.from_json(data["entry"])


def _repair_add(data: dict) -> list[str]:
    entry = _entry(data)
    index = Index.load()
    if index.find(entry.name, entry.project) is not None:
        return []  # the index was written: the add completed (or another entry owns the key)
    store = open_store(entry.store)
    token = store.get(entry.key)
    stored_new = token is not None and fingerprint(token) == entry.fingerprint
    target = Path(data["pypirc"]) if data.get("pypirc") else None
    record = data.get("record")
    pypirc_done = target is not None and record is not None and digest(target) == data.get("pypirc_after")
    if stored_new and data.get("phase") != "rollback":
        if target is not None and not pypirc_done:
            if digest(target) == data.get("pypirc_before"):
                try:
                    record = pypirc.add_repository(
                        target,
                        name=entry.name,
                        username=entry.username,
                        url=data.get("pypirc_url"),
                        url_line=data.get("pypirc_url") is not None,  # (journals of older versions: None)
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
        pypirc.remove_repository(target, entry.name, record)
        undone = True
    if stored_new:
        store.delete(entry.key)
        undone = True
    return [f"undid an interrupted `pypicreds add` of {entry.label}"] if undone else []


def _repair_rotate(data: dict) -> list[str]:
    new = _entry(data)
    index = Index.load()
    current = index.find(new.name, new.project)
    if current is None or current.fingerprint == new.fingerprint:
        return []
    store = open_store(current.store)
    token = store.get(current.key)
    if token is None or fingerprint(token) != new.fingerprint:
        return []  # killed before the store write: nothing had changed
    notes = [
        f"finished rotating the token for {current.label}, which an interrupted `pypicreds rotate` "
        "had left half done (the store already held the new token); revoke the old one"
    ]
    if current.plaintext and current.pypirc:
        try:
            pypirc.set_password(Path(current.pypirc), current.name, token)
        except PypircError as e:
            notes.append(f"warning: could not put the new token into {current.pypirc}: {e.message}")
    for field in current.TOKEN_FIELDS:
        setattr(current, field, getattr(new, field))
    index.save()
    return notes


def _repair_remove(data: dict) -> list[str]:
    entry = _entry(data)
    changed = False
    if data.get("pypirc"):
        changed |= pypirc.remove_repository(Path(data["pypirc"]), entry.name, entry.pypirc_record, keep_empty=True)
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
    if where is None or before_sha256 is None or not pypirc.put_password_line_back(
        path, name, token, where, before_sha256
    ):
        pypirc.set_password(path, name, token)


def _repair_import(data: dict) -> list[str]:
    """import moves a plaintext password: store write (unless the token was stored already),
    then the `password =` line leaves .pypirc, then the index entry. Forward once the store
    holds the token, unless the import was already undoing itself (phase "rollback": the line
    goes back where it was, the token out of the store)."""
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
    in_file = pypirc.read_password(target, entry.name)
    label = f"an interrupted `pypicreds import` of {entry.label}"
    if data.get("phase") == "rollback":
        if in_file is None:
            put_line_back(target, entry.name, token, data.get("password_line"), data.get("pypirc_before"))
        if not already_stored:
            store.delete(entry.key)
        return [f"undid {label}: its password is back in {target}"]
    if in_file is not None and fingerprint(in_file) == entry.fingerprint:
        pypirc.set_password(target, entry.name, None)
    if current is not None:
        index.remove(current)
    index.add(entry)
    index.save()
    return [f"finished {label}, which had been left half done"]


def _repair_migrate(data: dict) -> list[str]:
    """Finish moving one per-project keyring entry to flit's name (see migrate.py)."""
    from .migrate import move_one

    entry = _entry(data)
    try:
        if not move_one(entry):
            return []
    except PypicredsError as e:  # the token is under one name or both: safe; a later write retries
        from . import notes

        notes.add(f"warning: could not finish moving the keyring entry of {entry.label}: {e.message}")
        return []
    return [f"finished moving the keyring entry of {entry.label} to flit's name, which an interrupted "
            "pypicreds had left half done"]


REPAIRS = {"add": _repair_add, "rotate": _repair_rotate, "remove": _repair_remove, "import": _repair_import,
           "migrate": _repair_migrate}
