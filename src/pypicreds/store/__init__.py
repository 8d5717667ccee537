"""Token stores. Each backend module is imported only when it is used (keyring and
cryptography are slow to import)."""

from __future__ import annotations

from ..errors import UsageError
from .base import TokenKey, TokenStore

STORE_NAMES = ("keyring", "file")

__all__ = ["STORE_NAMES", "TokenKey", "TokenStore", "open_store"]


def open_store(name: str) -> TokenStore:
    if name == "keyring":
        from .keyring import KeyringStore

        return KeyringStore()
    if name == "file":
        from .file import FileStore

        return FileStore()
    raise UsageError(f"unknown store {name!r}", hint="use --store keyring or --store file")
