"""Which store a new token goes to: `--store`, else PYPICREDS_STORE, else the keyring when it
can be used now, else the encrypted file."""

from __future__ import annotations

import os

from . import TokenStore, check_store_name, open_store


def choose_store(explicit: str | None) -> tuple[TokenStore, str | None]:
    """`--store`, else PYPICREDS_STORE, else keyring when usable, else file. Returns the store
    and a note when the keyring was passed over."""
    name = explicit or os.environ.get("PYPICREDS_STORE") or None
    if name is not None:
        return open_store(check_store_name(name)), None
    from .keyring import probe

    reason = probe()
    if reason is None:
        return open_store("keyring"), None
    return open_store("file"), f"keyring unavailable: {reason}; using the encrypted file store"
