"""Reading a stored token for an index entry: the one step `env`, `exec`, `upload` and `show
--reveal` share. Kept apart from credentials.py so the hot path imports only what it needs."""

from __future__ import annotations

from . import redact
from .errors import PypicredsError
from .index import Entry
from .store import open_store


def reveal_entry(entry: Entry) -> str:
    token = open_store(entry.store).get(entry.key)
    if token is None:
        option = f" --project {entry.project}" if entry.project else ""
        raise PypicredsError(
            f"the {entry.store} store has no token for {entry.label}, though the index lists it",
            hint=f"store it again with `pypicreds rotate {entry.name}{option}`",
        )
    return redact.remember(token)
