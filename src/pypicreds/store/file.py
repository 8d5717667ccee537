"""The file store: tokens in the encrypted vault, for machines without a usable keyring.

The vault (`vault.json` in pypicreds' directory, 0600; format in vault.py) is unlocked by a
passphrase (PYPICREDS_PASSPHRASE, else a hidden prompt on the terminal) through Argon2id, or,
for a vault created without a passphrase, by a random 32-byte key file beside it
(`vault.key`). Every write happens under pypicreds' lock and replaces the file atomically.
"""

from __future__ import annotations

import os

from .. import fsutil, paths, redact
from ..errors import PypicredsError, StoreError, StoreUnavailable, VaultError
from ..lock import locked
from .base import TokenKey
from .vault import (
    CHECK_PLAINTEXT,
    DAMAGED_HINT,
    KEY_BYTES,
    KEYFILE,
    PASSPHRASE,
    PASSPHRASE_ENV,
    Vault,
    aesgcm,
    check_aad,
    derive_key,
    is_invalid_tag,
    key_id,
    new_header,
    new_kdf,
    open_entry,
    parse_vault,
    seal_document,
)

TYPE_CHECKING = False  # Path in annotations only; see FileStore.__init__
if TYPE_CHECKING:
    from pathlib import Path


class FileStore:
    """Tokens in the encrypted vault. See the module docstring for the file format."""

    name = "file"

    def __init__(
        self,
        vault_path: Path | None = None,
        keyfile_path: Path | None = None,
        lock_path: Path | None = None,
    ) -> None:
        # strings: reading a token (`pypicreds env`) never needs pathlib; the Path properties
        # below are for writes and for callers
        self._vault = os.fspath(vault_path) if vault_path else paths.home_file("vault.json")
        self._keyfile = os.fspath(keyfile_path) if keyfile_path else paths.home_file("vault.key")
        self._lock = os.fspath(lock_path) if lock_path else paths.home_file(".lock")
        self._keys: dict[bytes, bytes] = {}  # key_id -> key: Argon2 runs once per instance
        self.generation: int | None = None  # of the vault as last read

    @property
    def vault_path(self) -> Path:
        from pathlib import Path

        return Path(self._vault)

    @property
    def keyfile_path(self) -> Path:
        from pathlib import Path

        return Path(self._keyfile)

    @property
    def lock_path(self) -> Path:
        from pathlib import Path

        return Path(self._lock)

    # --- TokenStore ---

    def get(self, key: TokenKey) -> str | None:
        vault = self._read()
        sealed = None if vault is None else vault.sealed_for(key)
        if sealed is None:
            return None  # nothing to decrypt: no passphrase asked, no file created
        aead = self._unlock(vault)
        return open_entry(aead, key, sealed, self._vault)

    def set(self, key: TokenKey, token: str) -> None:
        with self._store_errors("update"), locked(self.lock_path):
            vault = self._read()
            if vault is None:
                header, aead = self._create_key()
                tokens = {}
            else:
                header, aead = vault.next_header(), self._unlock(vault)
                tokens = self._open_all(aead, vault)
            tokens[key] = token
            self._write(header, aead, tokens)

    def delete(self, key: TokenKey) -> bool:
        vault = self._read()
        if vault is None or key not in vault.entries:
            return False
        with self._store_errors("update"), locked(self.lock_path):
            vault = self._read()  # again, under the lock: another process may have written
            if vault is None or key not in vault.entries:
                return False
            aead = self._unlock(vault)
            tokens = self._open_all(aead, vault)
            del tokens[key]
            self._write(vault.next_header(), aead, tokens)
            return True

    def describe(self) -> str:
        try:
            protection = self.protection
        except PypicredsError as e:
            return f"encrypted file {self.vault_path} (cannot be read: {e.message})"
        if protection is None:  # describe the vault the first `set` would create
            protection = PASSPHRASE if os.environ.get(PASSPHRASE_ENV) else KEYFILE
        if protection == PASSPHRASE:
            return f"encrypted file {self.vault_path} (AES-256-GCM, passphrase via Argon2id)"
        return (
            f"encrypted file {self.vault_path} (AES-256-GCM, key file {self.keyfile_path}: "
            "anyone who can read that file can decrypt the vault)"
        )

    def current_generation(self) -> int | None:
        """The vault's generation now (None without a vault)."""
        self._read()
        return self.generation

    def older_than(self, expected: int | None) -> str | None:
        """A warning when the vault last read is older than `expected` (the index's record):
        an older copy was put back, so tokens rotated since may be stale. None otherwise."""
        if expected is None or self.generation is None or self.generation >= expected:
            return None
        return (f"warning: the vault {self._vault} is older than pypicreds' index expects (write {self.generation}, "
                f"not {expected}): was an older copy put back? Tokens rotated since then may be revoked ones; "
                "check them with `pypicreds list` and rotate what is stale")

    @property
    def protection(self) -> str | None:
        """How the existing vault is protected ("passphrase" or "keyfile"); None when there is none yet."""
        vault = self._read()
        return None if vault is None else vault.protection

    # --- reading and unlocking ---

    def _read(self) -> Vault | None:
        try:
            data = fsutil.read_file(self._vault, "the vault", foreign_ok=False)
        except PypicredsError as e:
            raise StoreError(e.message, e.hint) from None
        if data is None:
            self.generation = None
            return None
        vault = parse_vault(data, self._vault)
        self.generation = vault.generation
        return vault

    def _unlock(self, vault: Vault) -> object:
        """The AES-GCM cipher for `vault`, after checking the key against the header."""
        header = vault.header_bytes
        key = self._keys.get(vault.key_id)
        if key is None:
            if vault.protection == PASSPHRASE:
                key = derive_key(_passphrase(self._vault), vault.header["kdf"])
            else:
                key = self._read_keyfile()
        aead = aesgcm(key)
        try:
            plain = aead.decrypt(vault.check.nonce, vault.check.ciphertext, check_aad(header))
        except Exception as e:
            if not is_invalid_tag(e):
                raise
            if vault.protection == PASSPHRASE:
                raise VaultError(
                    f"wrong passphrase for the vault {self.vault_path}",
                    hint=f"check {PASSPHRASE_ENV} (or what you typed); if it is right, "
                    "the vault header was altered",
                ) from e
            raise VaultError(
                f"the key file {self.keyfile_path} does not fit the vault {self.vault_path}"
                " (another key file, or the vault was tampered with)",
                hint="restore the matching vault.key; without it the vault cannot be decrypted",
            ) from e
        if plain != CHECK_PLAINTEXT:
            raise VaultError(f"the vault {self.vault_path} is damaged or was tampered with", DAMAGED_HINT)
        self._keys[vault.key_id] = key
        return aead

    def _open_all(self, aead, vault: Vault) -> dict[TokenKey, str]:
        return {key: open_entry(aead, key, sealed, self.vault_path) for key, sealed in vault.entries.items()}

    def _read_keyfile(self) -> bytes:
        """The key file's 32 bytes: a regular file of the user's that no one else can read."""
        try:
            key = fsutil.read_file(self._keyfile, "the key file", private=True, limit=4096)
        except PypicredsError as e:
            raise StoreError(e.message, e.hint) from None
        if key is None:
            raise VaultError(
                f"the key file {self.keyfile_path} of the vault {self.vault_path} is missing",
                hint="restore vault.key from a backup; without it the vault cannot be decrypted",
            )
        if len(key) != KEY_BYTES:
            raise VaultError(
                f"the key file {self.keyfile_path} is damaged (not {KEY_BYTES} bytes)",
                hint="restore vault.key from a backup; without it the vault cannot be decrypted",
            )
        return key

    # --- creating and writing (always under the lock) ---

    def _create_key(self) -> tuple[dict, object]:
        """The header and cipher of a new vault: passphrase if PYPICREDS_PASSPHRASE is set, else key file."""
        passphrase = os.environ.get(PASSPHRASE_ENV)
        if passphrase:
            kdf = new_kdf()
            header = new_header(PASSPHRASE, kdf)
            key = derive_key(passphrase, kdf)
        else:
            header = new_header(KEYFILE, None)
            key = self._existing_or_new_keyfile()
        self._keys[key_id(header)] = key
        return header, aesgcm(key)

    def _existing_or_new_keyfile(self) -> bytes:
        # A key file without a vault may belong to a vault backup somewhere: reuse it, never replace it.
        fsutil.ensure_private_dir(os.path.dirname(self._keyfile))
        if os.path.lexists(self._keyfile):
            return self._read_keyfile()
        key = os.urandom(KEY_BYTES)
        fsutil.atomic_write(self._keyfile, key, "the key file")
        return key

    def _write(self, header: dict, aead, tokens: dict[TokenKey, str]) -> None:
        fsutil.ensure_private_dir(os.path.dirname(self._vault))
        fsutil.atomic_write(self._vault, seal_document(header, aead, tokens), "the vault")

    def _store_errors(self, action: str) -> _StoreErrors:
        """Failures of the directory, lock or atomic write become StoreError (the store contract)."""
        return _StoreErrors(f"cannot {action} the vault {self.vault_path}")


class _StoreErrors:
    """The context manager behind FileStore._store_errors (a class: contextlib is not imported
    on `pypicreds env`'s path)."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, traceback) -> None:
        if error is None or isinstance(error, (StoreError, StoreUnavailable)):
            return
        if isinstance(error, PypicredsError):
            raise StoreError(error.message, error.hint) from error
        if isinstance(error, OSError):
            raise StoreError(f"{self.what}: {error.strerror or error}") from error



# --- the passphrase ---


def _passphrase(vault_path: Path) -> str:
    """PYPICREDS_PASSPHRASE, else a hidden prompt on the terminal (never stdin or stdout)."""
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return redact.hold_passphrase(value)
    from ..terminal import hidden_input

    try:
        return redact.hold_passphrase(hidden_input(f"Passphrase for the pypicreds vault {vault_path}: "))
    except OSError:
        raise StoreUnavailable(
            f"the vault {vault_path} is protected by a passphrase and there is no terminal to ask for it",
            hint=f"set {PASSPHRASE_ENV}",
        ) from None
    except EOFError:
        raise StoreUnavailable(
            f"no passphrase was entered for the vault {vault_path}",
            hint=f"type it at the prompt, or set {PASSPHRASE_ENV}",
        ) from None
