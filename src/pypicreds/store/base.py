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


# flit (3.10+) asks the keyring for (upload URL, "pypi_token:project:<normalized name>") before
# anything else, and then sends the token as __token__: per-project API tokens live there.
FLIT_PROJECT_PREFIX = "pypi_token:project:"
TOKEN_USERNAME = "__token__"


BACKEND_SWITCH_ENV = "PYPICREDS_KEYRING_BACKEND"  # "off" (0/no/false): the vault's keyring backend is not viable


def backend_switched_off() -> bool:
    import os

    return os.environ.get(BACKEND_SWITCH_ENV, "").strip().lower() in ("off", "0", "no", "false")


def keyring_entry(key: TokenKey) -> tuple[str, str]:
    """(service, username) under which other programs ask a keyring for `key`'s token.

    A repository's own token: (its URL, its username): what twine, hatch, pdm and flit ask for.
    A per-project API token (username __token__): flit's own name for it, so `flit publish`
    picks it by itself. A per-project password of another user keeps "<user>:project:<name>":
    flit would send flit's names with the username __token__, which that index would refuse."""
    if key.project is None:
        return key.url, key.username
    if key.username == TOKEN_USERNAME:
        return key.url, FLIT_PROJECT_PREFIX + key.project
    return key.url, legacy_username(key)


def legacy_username(key: TokenKey) -> str:
    """The username pypicreds used for a per-project keyring entry before flit's names."""
    return f"{key.username}:project:{key.project}"


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
