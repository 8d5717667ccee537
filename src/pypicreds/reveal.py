"""Reading a stored token back: its index entry, then its store.

On the path of `pypicreds env`, which runs in every shell: nothing here imports more than the
index and the store it reads."""

from __future__ import annotations

from . import redact
from .errors import PypicredsError
from .recovery import notes, repair_if_needed
from .store import open_store
from .store.index import Entry, Index


def reveal(name: str, project: str | None = None) -> str:
    """The token stored for `name`."""
    repair_if_needed()
    index = Index.load()
    return reveal_entry(index.get(name, project), index)


def reveal_entry(entry: Entry, index: Index | None = None) -> str:
    """The token an index entry (of `index`, if given) describes, from its store. A vault
    older than the index expects gives a warning note. (On `pypicreds env`'s path.)"""
    if repair_if_needed():  # the repair may have changed this entry
        index = Index.load()
        entry = index.get(entry.name, entry.project)
    store = open_store(entry.store)
    token = store.get(entry.key)
    if entry.store == "file" and index is not None:
        warning = store.older_than(index.vault_generation)
        if warning:
            notes.add(warning)
    if token is None:
        option = f" --project {entry.project}" if entry.project else ""
        raise PypicredsError(
            f"the {entry.store} store has no token for {entry.label}, though the index lists it",
            hint=f"store it again with `pypicreds rotate {entry.name}{option}`",
        )
    return redact.remember(token)
