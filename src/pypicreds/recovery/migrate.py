"""Per-project tokens in the keyring move to flit's names, once, on the first write command.

pypicreds used to keep a per-project API token under (URL, "__token__:project:NAME"); it now
keeps it where flit looks first, (URL, "pypi_token:project:NAME") (store/base.py
keyring_entry), so `flit publish` picks the project's own token by itself. Entries written
before that move on the next write command (add, rotate, remove, import, audit --fix), under
the lock, after the repair of any interrupted change:

- each entry moves under an intent journal (op "migrate"): the new entry is written, then the
  old one deleted; a kill in between leaves the token under both names, and the next command
  (a read too) finishes the move (repairs.py);
- reads find a token under either name meanwhile (KeyringStore.get);
- when every entry has moved, the index records it ("keyring_project_names": "flit"), and a note
  says so, once. A keyring that cannot be used now (locked, say) delays the move to a later
  write command, with a warning: the command itself goes on (it may not even use the keyring).

The encrypted vault needs no move: it keeps entries by repository and project, and its keyring
backend (store/backend.py) answers flit's names.
"""

from __future__ import annotations

from ..errors import PypicredsError
from ..store.base import TOKEN_USERNAME
from ..store.index import Entry, Index
from . import notes

MARK = "keyring_project_names"
DONE = "flit"


def pending(index: Index) -> list[Entry]:
    """The keyring's per-project API tokens that may still sit under the old name."""
    if index.extra.get(MARK) == DONE:
        return []
    return [e for e in index.entries if e.store == "keyring" and e.project is not None
            and e.username == TOKEN_USERNAME]


def move_one(entry: Entry) -> bool:
    """Move one entry (idempotent); True when a token moved."""
    from ..store.keyring import KeyringStore

    return KeyringStore().move_legacy(entry.key)


def migrate_keyring_entries() -> None:
    """Move every pending entry, journaled; mark the index when all have moved. Call under the lock."""
    index = Index.load()
    entries = pending(index)
    if not entries:
        return
    from .journal import begin

    moved = 0
    for entry in entries:
        journal = begin("migrate", entry)
        try:
            moved += move_one(entry)
        except PypicredsError as e:
            journal.finish()  # the token is under one name or both: safe; a later command retries
            notes.add(f"warning: could not move the keyring entry of {entry.label} to flit's name yet: {e.message}")
            return
        journal.finish()
    index.extra[MARK] = DONE
    index.save()
    if moved:
        notes.add(
            f"moved {moved} per-project token(s) in the keyring to the names flit looks up "
            "(pypi_token:project:NAME), so `flit publish` finds them by itself; this happens once"
        )
