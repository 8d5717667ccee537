"""Token stores. Each backend module is imported only when it is used (keyring and
cryptography are slow to import)."""

from __future__ import annotations

from ..errors import UsageError
from .base import TokenKey, TokenStore

STORE_NAMES = ("keyring", "file")

__all__ = ["STORE_NAMES", "TokenKey", "TokenStore", "check_store_name", "open_store"]


def check_store_name(name: str) -> str:
    """`name` if it is a store's name, else a UsageError that suggests the nearest one."""
    if name not in STORE_NAMES:
        from ..suggest import did_you_mean

        near = did_you_mean(name, STORE_NAMES)
        raise UsageError(f"unknown store {name[:40]!r}",
                         hint=f"{near} use --store keyring or --store file" if near else
                         "use --store keyring or --store file")
    return name


def open_store(name: str) -> TokenStore:
    if name == "keyring":
        from .keyring import KeyringStore

        return KeyringStore()
    if name == "file":
        from .file import FileStore

        return FileStore()
    check_store_name(name)
    raise AssertionError("unreachable")  # pragma: no cover
