"""pypicreds' encrypted vault as a keyring backend: how twine, hatch, pdm, flit and `keyring get`
(which `uv publish --keyring-provider subprocess` runs) find a token kept in the file store.

Registered under keyring's `keyring.backends` entry point. keyring imports every registered
backend in every program that uses it, so this module imports nothing at module level but
keyring's own base class (already loaded by then), and deciding whether it is viable costs a
stat. The rules it keeps:

- Not viable without a pypicreds vault, or with PYPICREDS_KEYRING_BACKEND=off (`priority`
  raises, as keyring expects): keyring's choice and every answer are then exactly as if
  pypicreds were not installed.
- Priority 0.25: below every OS keyring (Secret Service, macOS Keychain, Windows, KWallet) and
  below keyrings.alt. Beside any of them keyring's chainer asks them first and sends every write
  to them. Alone, it is keyring's default backend in that environment (as the failing backend
  was before).
- Read-only: `set_password` and `delete_password` raise an error that is both keyring's
  PasswordSetError/PasswordDeleteError (a KeyringError, which callers catch) and
  NotImplementedError (which makes the chainer pass the write on to the next backend). No other
  program's secret is ever written into the vault.
- It answers only (URL, username) pairs pypicreds keeps in the vault, under the names of
  store/base.py `keyring_entry` (the repository's URL and username; flit's
  `pypi_token:project:NAME` for per-project tokens). A URL the vault does not mention answers
  None after one read of the vault's bytes, with nothing parsed or decrypted.
- It answers only for entries pypicreds' index lists in the file store: a damaged index, or a
  removal under way, answers None.
- It never prompts, never hangs on a terminal and never raises into the caller: a passphrase
  vault without PYPICREDS_PASSPHRASE, a missing key file, a damaged or tampered vault or index
  all answer None, and say why once in keyring's log (a program that shows keyring's log shows it).
- pypicreds' own KeyringStore never asks it (store/keyring.py leaves it out).
"""

from __future__ import annotations

import os

from keyring.backend import KeyringBackend
from keyring.compat.properties import classproperty

PRIORITY = 0.25
VAULT_FILE = "vault.json"
_said: set[str] = set()  # reasons already logged in this process


def unavailable() -> str | None:
    """Why the backend is not viable here and now (None when it is): the off switch, or no vault."""
    from .base import BACKEND_SWITCH_ENV, backend_switched_off

    if backend_switched_off():  # as if not installed
        return f"switched off by {BACKEND_SWITCH_ENV}"
    try:
        from .. import paths

        vault = paths.home_file(VAULT_FILE)
    except Exception as e:  # no HOME, say: not viable, quietly
        return f"cannot find pypicreds' directory: {e}"
    if not os.path.isfile(vault):
        return f"no pypicreds vault at {vault}"
    return None


class VaultKeyring(KeyringBackend):
    """Tokens in pypicreds' encrypted vault, read-only, for the programs that ask keyring."""

    @classproperty
    def priority(cls) -> float:
        reason = unavailable()
        if reason is not None:
            raise RuntimeError(reason)
        return PRIORITY

    @classproperty
    def name(cls) -> str:
        return "pypicreds vault"

    def get_password(self, service: str, username: str) -> str | None:
        found = _guarded(lambda: lookup(service, username))
        return found[1] if found else None

    def get_credential(self, service: str, username: str | None):
        found = _guarded(lambda: lookup(service, username))
        if not found:
            return None
        from keyring.credentials import SimpleCredential

        return SimpleCredential(*found)

    def set_password(self, service: str, username: str, password: str) -> None:
        raise _read_only("PasswordSetError", "store PyPI tokens with `pypicreds add`")

    def delete_password(self, service: str, username: str) -> None:
        raise _read_only("PasswordDeleteError", "remove it with `pypicreds remove`")


def _read_only(kind: str, hint: str) -> Exception:
    from keyring import errors

    error_type = type(f"ReadOnly{kind}", (getattr(errors, kind), NotImplementedError), {})
    return error_type(f"no writable keyring backend here (pypicreds' vault backend is read-only); {hint}")


def _guarded(action):
    """Run a lookup; any failure is logged once and answers "not found"."""
    try:
        return action()
    except Exception as e:  # never into twine: a damaged vault is "not found"
        say(f"cannot read pypicreds' files: {getattr(e, 'message', None) or type(e).__name__}")
        return None


def say(reason: str) -> None:
    """Log `reason` once per process, to keyring's log (a program that configured logging shows
    it; otherwise nothing is printed: the NullHandler keeps Python's last-resort printer away)."""
    if reason in _said:
        return
    _said.add(reason)
    import logging

    log = logging.getLogger("keyring.backends.pypicreds")
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    log.warning("pypicreds: %s", reason)


def _mentions(data: bytes, service: str) -> bool:
    """Whether the vault's bytes may hold an entry for `service` (no parsing: the common answer,
    for every URL pypicreds does not keep, is a cheap no)."""
    if service.isascii() and '"' not in service and "\\" not in service:
        return service.encode("ascii") in data
    return True  # JSON may have escaped it: let the parser decide


def lookup(service: str, username: str | None) -> tuple[str, str] | None:
    """(username, token) the vault keeps for `service` and `username`, or None.

    With `username` None: the one repository token kept under `service` (a per-project token
    needs its name); None when there is no such token or more than one."""
    if not isinstance(service, str) or (username is not None and not isinstance(username, str)):
        return None
    if unavailable() is not None:  # switched off since keyring chose its backend
        return None
    from .. import fsutil, paths

    path = paths.home_file(VAULT_FILE)
    # a regular file of the user's, read without blocking (fsutil): anything else is "not found"
    data = fsutil.read_file(path, "the vault", foreign_ok=False)
    if data is None or not _mentions(data, service):
        return None
    from .base import keyring_entry
    from .vault import PASSPHRASE, PASSPHRASE_ENV, parse_vault

    vault = parse_vault(data, path)
    if username is None:
        keys = [k for k in vault.entries if k.project is None and k.url == service]
    else:
        keys = [k for k in vault.entries if keyring_entry(k) == (service, username)]
    if len(keys) != 1:
        return None
    from .index import Index

    # the index must list it in the file store: a damaged index (PypicredsError, caught by the
    # caller) or an entry it no longer lists (a removal under way) answers "not found"
    if not any(e.store == "file" and e.key == keys[0] for e in Index.load().entries):
        return None
    if vault.protection == PASSPHRASE and not os.environ.get(PASSPHRASE_ENV):
        say(f"the vault {path} is protected by a passphrase and {PASSPHRASE_ENV} is not set; "
            "its tokens are not found")
        return None
    from .file import FileStore

    key = keys[0]
    token = FileStore().get(key)  # the passphrase comes from the environment: no prompt
    return (keyring_entry(key)[1], token) if token is not None else None
