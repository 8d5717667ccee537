"""Tokens in the OS keyring, through python-keyring (imported only when a call is made).

Entries:
- a repository's default token: service = the repository URL, username = its username. That
  is exactly the entry twine asks for (`keyring.get_password(url, username)`), so a plain
  `twine upload -r NAME` finds it.
- a per-project API token: service = the URL, username = "pypi_token:project:<project>",
  where flit looks first (store/base.py keyring_entry). Entries that older versions kept under
  "__token__:project:<project>" are still read, and move on the next write command (the
  "migrate" repair in the recovery package).

pypicreds never asks its own keyring backend (store/backend.py, the vault as other programs
see it): it is left out of keyring's choice here, and refused when configured by name.

Every keyring call runs in a daemon thread and is abandoned after PYPICREDS_KEYRING_TIMEOUT
seconds (default 10): a stuck D-Bus Secret Service otherwise hangs forever (pypa/twine#1276).
A daemon thread does not keep the process alive, so pypicreds still exits promptly.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from .. import redact
from ..errors import PypicredsError, StoreError, StoreUnavailable, UsageError
from .base import FLIT_PROJECT_PREFIX, TokenKey, keyring_entry, legacy_username

T = TypeVar("T")

TIMEOUT_ENV = "PYPICREDS_KEYRING_TIMEOUT"
DEFAULT_TIMEOUT = 10.0
HINT = "use --store file to keep tokens in the encrypted file instead"

# Variables keyring's backend choice depends on: when one changes (tests, or a caller that
# edits os.environ), the backend is chosen again instead of reusing keyring's cached one.
_BACKEND_ENV = (
    "PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR",
    "XDG_CONFIG_HOME", "XDG_DATA_HOME", "HOME",
)
_resolved_for: tuple[str | None, ...] | None = None
_resolve_lock = threading.Lock()

# Backends that accept calls but keep nothing (or fail on every call).
_NO_BACKEND = {"keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"}
_PLAINTEXT = {"keyrings.alt.file.PlaintextKeyring"}
OWN_BACKEND_MODULE = "pypicreds.store.backend"  # the vault for other programs, never for pypicreds


def _not_ours(backend) -> bool:
    return type(backend).__module__ != OWN_BACKEND_MODULE


def keyring_timeout() -> float:
    """Seconds to wait for one keyring call: PYPICREDS_KEYRING_TIMEOUT, else 10."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise UsageError(
            f"{TIMEOUT_ENV} must be a positive number of seconds, not {raw!r}",
            hint=f"unset {TIMEOUT_ENV} to wait the default {DEFAULT_TIMEOUT:g}s",
        )
    return value


def class_path(obj: object) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _current_backend():
    """keyring's own choice of backend (honours PYTHON_KEYRING_BACKEND and keyringrc.cfg)."""
    global _resolved_for
    import keyring.core

    fingerprint = tuple(os.environ.get(name) for name in _BACKEND_ENV)
    with _resolve_lock:
        if fingerprint != _resolved_for:
            keyring.core.init_backend(_not_ours)  # the chainer honours the limit too
            _resolved_for = fingerprint
        return keyring.core.get_keyring()


def _writable_backends(backend) -> list:
    """The backend itself, or for keyring's chainer the backends it chains (first gets writes)."""
    from keyring.backends.chainer import ChainerBackend

    return list(backend.backends) if isinstance(backend, ChainerBackend) else [backend]


def _unusable_reason(backend) -> str | None:
    if not _not_ours(backend):  # named by PYTHON_KEYRING_BACKEND or keyringrc.cfg
        return "the configured keyring backend is pypicreds' own vault backend, which holds no keyring"
    chained = _writable_backends(backend)
    if not chained or all(class_path(b) in _NO_BACKEND for b in chained):
        if class_path(backend) == "keyring.backends.null.Keyring":
            return "the keyring is disabled (keyring.backends.null.Keyring is configured)"
        return "no keyring backend is available"
    return None


def _legacy(key: TokenKey) -> tuple[str, str] | None:
    """Where an older pypicreds kept this per-project token, when that is not where it goes now."""
    service, username = keyring_entry(key)
    return (service, legacy_username(key)) if username.startswith(FLIT_PROJECT_PREFIX) else None


class KeyringStore:
    """Tokens in the OS keyring (or whatever backend python-keyring is configured to use)."""

    name: ClassVar[str] = "keyring"

    def __init__(self) -> None:
        self.timeout = keyring_timeout()
        self._stuck: str | None = None  # set once a call was abandoned: do not queue more

    # --- TokenStore ---------------------------------------------------------------------------

    def get(self, key: TokenKey) -> str | None:
        entry, legacy = keyring_entry(key), _legacy(key)

        def get(backend) -> str | None:
            token = backend.get_password(*entry)
            if token is None and legacy is not None:  # not moved yet (see move_legacy)
                token = backend.get_password(*legacy)
            return token

        return self._call(get)

    def set(self, key: TokenKey, token: str) -> None:
        service, username = keyring_entry(key)
        self._call(lambda b: b.set_password(service, username, token), secret=token)

    def delete(self, key: TokenKey) -> bool:
        places = [keyring_entry(key), _legacy(key)]

        def delete(backend) -> bool:
            found = False
            for place in filter(None, places):
                # Backends disagree on how they report a missing entry: look first.
                if backend.get_password(*place) is not None:
                    backend.delete_password(*place)
                    found = True
            return found

        return self._call(delete)

    def move_legacy(self, key: TokenKey) -> bool:
        """Move a per-project token from an older pypicreds' username to flit's; True when one
        moved. Idempotent, and the token is under one name or the other at every moment (write
        the new entry, then delete the old one), so a kill in between loses nothing."""
        legacy = _legacy(key)
        if legacy is None:
            return False
        entry = keyring_entry(key)

        def move(backend) -> bool:
            token = backend.get_password(*legacy)
            if token is None:
                return False
            redact.remember(token)  # scrubbed from any error the backend raises below
            if backend.get_password(*entry) != token:
                backend.set_password(*entry, token)
            backend.delete_password(*legacy)
            return True

        return self._call(move)

    def describe(self) -> str:
        try:
            backend = self._call(lambda b: b, check_usable=False)
        except StoreUnavailable as e:
            return f"OS keyring (unavailable: {e.message})"
        return _describe(backend)

    # --- what audit and `show` want to know ----------------------------------------------------

    @property
    def backend_name(self) -> str:
        """The keyring backend's class path, e.g. keyring.backends.SecretService.Keyring."""
        return class_path(self._call(lambda b: b, check_usable=False))

    @property
    def is_plaintext(self) -> bool:
        """True when tokens would be written unencrypted (keyrings.alt PlaintextKeyring)."""
        backend = self._call(lambda b: b, check_usable=False)
        writable = _writable_backends(backend)
        return bool(writable) and class_path(writable[0]) in _PLAINTEXT

    def credential_username(self, url: str) -> str | None:
        """The username keyring offers for `url` when none is given: twine's own question when
        neither -u nor .pypirc names a user (`keyring.get_credential(url, None)`)."""

        def ask(backend) -> str | None:
            credential = backend.get_credential(url, None)
            return credential.username if credential else None

        return self._call(ask)

    def check(self) -> None:
        """Raise StoreUnavailable unless the keyring can be read now (a real, harmless read)."""
        self._call(lambda b: b.get_password("pypicreds", "availability-probe"))

    # --- the bounded call ----------------------------------------------------------------------

    def _call(self, action: Callable[[Any], T], *, secret: str | None = None, check_usable=True) -> T:
        """Run `action(backend)` in a daemon thread; give up after `self.timeout` seconds."""
        if self._stuck:
            raise StoreUnavailable(self._stuck, hint=HINT)
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                backend = _current_backend()
            except Exception as e:  # keyring could not set up the configured backend
                outcome["setup_error"] = e
                return
            try:
                reason = _unusable_reason(backend) if check_usable else None
                outcome["reason"] = reason
                outcome["value"] = None if reason else action(backend)
            except BaseException as e:  # handed to the calling thread below
                outcome["error"] = e

        worker = threading.Thread(target=run, name="pypicreds-keyring", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            self._stuck = (
                f"the keyring did not answer within {self.timeout:g}s (a stuck D-Bus Secret Service?)"
            )
            raise StoreUnavailable(self._stuck, hint=HINT)
        if "setup_error" in outcome:
            error = outcome["setup_error"]
            detail = _detail(error, secret)
            raise StoreUnavailable(f"the keyring cannot be used: {detail}", hint=HINT) from error
        if "error" in outcome:
            error = outcome["error"]
            if isinstance(error, PypicredsError) or not isinstance(error, Exception):
                raise error  # already ours, or KeyboardInterrupt/SystemExit
            raise _translate(error, secret) from error
        if outcome.get("reason"):
            raise StoreUnavailable(outcome["reason"], hint=HINT)
        return outcome.get("value")


def _detail(error: BaseException, secret: str | None) -> str:
    """The error's own text, scrubbed of the token just in case a backend echoed it."""
    detail = str(error).strip() or type(error).__name__
    return detail.replace(secret, "***") if secret else detail


def _translate(error: Exception, secret: str | None) -> PypicredsError:
    """An error raised by a keyring operation, as pypicreds' own."""
    from keyring import errors

    detail = _detail(error, secret)
    if isinstance(error, errors.KeyringLocked):
        return StoreUnavailable("the keyring is locked", hint=f"unlock it and retry, or {HINT}")
    if isinstance(error, errors.NoKeyringError):
        return StoreUnavailable("no keyring backend is available", hint=HINT)
    if isinstance(error, errors.InitError):
        return StoreUnavailable(f"the keyring cannot be opened: {detail}", hint=HINT)
    if isinstance(error, errors.KeyringError):
        return StoreError(f"the keyring refused the operation: {detail}")
    return StoreError(f"the keyring failed: {type(error).__name__}: {detail}")


def _describe(backend) -> str:
    path = class_path(backend)
    reason = _unusable_reason(backend)
    if reason:
        return f"OS keyring (unavailable: {reason})"
    writable = _writable_backends(backend)
    first = class_path(writable[0])
    if first in _PLAINTEXT:
        return f"keyring backend {first}: tokens are stored UNENCRYPTED in a file"
    if first.startswith("keyring.backends."):  # the OS keyrings python-keyring ships
        return f"OS keyring ({first.split('.')[2]})"
    return f"keyring backend {path}"


def ahead_of_vault(key: TokenKey) -> tuple[str, str] | None:
    """(token, backend) when a keyring backend that keyring's chainer asks before pypicreds'
    vault backend holds an entry under `key`'s keyring names: twine and the others then get
    that token, not the vault's. Only reads; None when there is none, or no keyring to ask."""
    if not _keyring_could_be_ahead():
        return None
    from .backend import PRIORITY

    service, username = keyring_entry(key)

    def ask(backend) -> tuple[str, str] | None:
        for one in _writable_backends(backend):  # the chainer's order: highest priority first
            if one.priority > PRIORITY and (token := one.get_password(service, username)) is not None:
                return token, class_path(one)
        return None

    try:
        return KeyringStore()._call(ask)
    except PypicredsError:  # no keyring, or one that cannot answer: nothing shadows the vault
        return None


def _keyring_could_be_ahead() -> bool:
    """False when no backend that keyring ranks above the vault's can hold an entry here, known
    without importing keyring (which costs `add` more than the rest of its work): on Linux the
    Secret Service and KWallet need a D-Bus session bus, and keyrings.alt keeps its files under
    XDG_DATA_HOME/python_keyring. Elsewhere (macOS: the Keychain) there always is one."""
    import sys

    if sys.platform != "linux" or os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.exists(os.path.join(runtime, "bus")):
        return True
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.isdir(os.path.join(data, "python_keyring"))


def probe() -> str | None:
    """None when the keyring can be used now, else the reason (to pick the default store)."""
    try:
        KeyringStore().check()
    except (StoreUnavailable, StoreError) as e:
        return e.message
    return None
