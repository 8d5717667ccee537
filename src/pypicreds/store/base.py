"""The token store interface. Every store passes the one contract suite in tests/helpers/store_contract.py
(StoreContract, run per store by tests/test_store_file.py and tests/test_store_keyring.py).

Error contract (every method):
- `StoreUnavailable` when the store cannot be used at all on this machine now (no keyring
  backend, a locked or hung keyring, no passphrase available); its message says why.
- `StoreError` (or `VaultError`) when the store is usable but the operation failed.
- Neither message ever contains a token.
"""

from __future__ import annotations

# (No dataclasses, typing or namedtuple here: this module is on the path of `pypicreds env`,
# and importing `collections` alone would cost more than the rest of its work.)


class TokenKey:
    """Which token: a repository (name, URL, username) and, optionally, one project under it.
    A value: equal and hashable by its four fields."""

    __slots__ = ("repository", "url", "username", "project")

    def __init__(self, repository: str, url: str, username: str, project: str | None = None) -> None:
        self.repository, self.url, self.username, self.project = repository, url, username, project

    def _fields(self) -> tuple:
        return self.repository, self.url, self.username, self.project

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TokenKey) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return "TokenKey(repository={!r}, url={!r}, username={!r}, project={!r})".format(*self._fields())

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
