"""The token store interface. Every store passes the one contract suite in tests/test_store_contract.py.

Error contract (every method):
- `StoreUnavailable` when the store cannot be used at all on this machine now (no keyring
  backend, a locked or hung keyring, no passphrase available); its message says why.
- `StoreError` (or `VaultError`) when the store is usable but the operation failed.
- Neither message ever contains a token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol


@dataclass(frozen=True)
class TokenKey:
    """Which token: a repository (name, URL, username) and, optionally, one project under it."""

    repository: str
    url: str
    username: str
    project: str | None = None

    @property
    def label(self) -> str:
        return self.repository if self.project is None else f"{self.repository} (project {self.project})"


class TokenStore(Protocol):
    name: ClassVar[str]  # "keyring" or "file": what the index records

    def get(self, key: TokenKey) -> str | None:
        """The token stored under `key`, or None when there is none."""

    def set(self, key: TokenKey, token: str) -> None:
        """Store `token` under `key`, replacing any previous one."""

    def delete(self, key: TokenKey) -> bool:
        """Remove the token under `key`; False when there was none."""

    def describe(self) -> str:
        """How this store protects tokens, in a few plain words (for `show` and `add`)."""
