"""The token store interface. Every store passes the one contract suite in tests/helpers/store_contract.py
(StoreContract, run per store by tests/test_store_file.py and tests/test_store_keyring.py).

Error contract (every method):
- `StoreUnavailable` when the store cannot be used at all on this machine now (no keyring
  backend, a locked or hung keyring, no passphrase available); its message says why.
- `StoreError` (or `VaultError`) when the store is usable but the operation failed.
- Neither message ever contains a token.
"""

from __future__ import annotations

from collections import namedtuple

# (No dataclasses or typing here: this module is on the path of `pypicreds env`, and those two
# imports alone would cost more than the rest of its start-up.)


class TokenKey(namedtuple("TokenKey", "repository url username project", defaults=(None,))):
    """Which token: a repository (name, URL, username) and, optionally, one project under it."""

    __slots__ = ()

    @property
    def label(self) -> str:
        return self.repository if self.project is None else f"{self.repository} (project {self.project})"


class TokenStore:
    """The interface every store provides (documentation: stores need not subclass it)."""

    name = ""  # "keyring" or "file": what the index records

    def get(self, key: TokenKey) -> str | None:
        """The token stored under `key`, or None when there is none."""

    def set(self, key: TokenKey, token: str) -> None:
        """Store `token` under `key`, replacing any previous one."""

    def delete(self, key: TokenKey) -> bool:
        """Remove the token under `key`; False when there was none."""

    def describe(self) -> str:
        """How this store protects tokens, in a few plain words (for `show` and `add`)."""
