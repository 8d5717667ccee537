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
- migrate (one journal per keyring entry): a per-project token that an older pypicreds kept
  under "__token__:project:NAME" moves to flit's "pypi_token:project:NAME" (new entry written,
  then the old one deleted); the repair finishes the move. Write commands start the migration
  (migrate.py), once, after any repair.

Each repair is reported on stderr (notes.py). Temporary files that a killed atomic write
left behind (`.NAME.pypicreds-tmp-PID`) are deleted by every mutating command.

The package: this module is the one entry point (`repair_if_needed`); journal.py writes and
reads journals; repairs.py holds one repair per kind of change; notes.py keeps the messages.
"""

from __future__ import annotations

from .. import paths
from ..errors import PypicredsError
from . import notes
from .notes import take_notes

__all__ = ["repair_if_needed", "take_notes"]


def repair_if_needed(*, locked: bool = False) -> bool:
    """Finish or undo what a killed pypicreds left half done; True when something was repaired.

    Readers call it as it is: one stat when there is nothing to do; the lock is taken only if no
    one holds it (a live pypicreds' journal is not stale), and a repair that fails becomes a
    warning note (a read must still work). Writers call it with `locked=True` while they hold
    the lock: a repair that fails raises, so no change starts on top of a half-done one, and
    temporary files that killed writes left are removed as well.
    """
    if locked:
        repaired = bool(_recover())
        from .migrate import migrate_keyring_entries

        migrate_keyring_entries()
        return repaired
    if not paths.interrupted():
        return False
    from ..lock import try_locked

    with try_locked(paths.lock_path()) as got:
        if not got:
            return False  # a live pypicreds is at work: its journal is not stale
        try:
            return bool(_recover())
        except PypicredsError as e:
            notes.add(f"warning: {e.message}")
            return False


def _recover() -> list[str]:
    """Repair what the journal describes (under the lock). Returns the repair messages (also
    kept as notes). Raises PypicredsError when a repair cannot be done now; the journal then
    stays for the next try."""
    from .journal import Journal, journal_path, label, load, remove_stale_temps
    from .repairs import REPAIRS

    messages: list[str] = []
    path = journal_path()
    data = load(path, REPAIRS)
    pypirc_files = []
    if data is not None:
        pypirc_files.append(data.get("pypirc"))
        repair = REPAIRS[data["op"]]
        try:
            messages = [f"repaired: {message}" for message in repair(data)]
        except PypicredsError as e:
            raise PypicredsError(
                f"cannot finish an interrupted `pypicreds {data['op']}` of {label(data)}: {e.message}",
                hint=e.hint or "fix that, then run any pypicreds command again",
            ) from e
        Journal(data).finish()
    remove_stale_temps(path.parent, pypirc_files)
    for message in messages:
        notes.add(message)
    return messages
