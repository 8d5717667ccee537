"""Reading a stored token back: its index entry, then its store.

On the path of `pypicreds env`, which runs in every shell: nothing here imports more than the
index and the store it reads."""

from __future__ import annotations

from . import redact
from .errors import PypicredsError
from .recovery import repair_if_needed
from .store import open_store
from .store.index import Entry, Index


def reveal(name: str, project: str | None = None) -> str:
    """The token stored for `name`."""
    repair_if_needed()
    return reveal_entry(Index.load().get(name, project))


def reveal_entry(entry: Entry) -> str:
    """The token an index entry describes, from its store. (On `pypicreds env`'s path.)"""
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
