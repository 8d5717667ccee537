"""Reading a stored token for an index entry: the one step `env`, `exec`, `upload` and `show
--reveal` share. Kept apart from credentials.py so the hot path imports only what it needs."""

from __future__ import annotations

from . import paths, redact
from .errors import PypicredsError
from .index import Entry, Index
from .store import open_store


def repair_if_needed() -> bool:
    """Finish what a killed pypicreds left half done, if anything (costs one stat otherwise)."""
    if not paths.interrupted():
        return False
    from .recovery import recover_if_needed

    return recover_if_needed()


def reveal_entry(entry: Entry) -> str:
    if repair_if_needed():  # the repair may have changed this entry
        entry = Index.load().get(entry.name, entry.project)
    token = open_store(entry.store).get(entry.key)
    if token is None:
        option = f" --project {entry.project}" if entry.project else ""
        raise PypicredsError(
            f"the {entry.store} store has no token for {entry.label}, though the index lists it",
            hint=f"store it again with `pypicreds rotate {entry.name}{option}`",
        )
    return redact.remember(token)
