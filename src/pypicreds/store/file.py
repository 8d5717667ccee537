"""The encrypted file vault: tokens under AES-256-GCM, for machines without a usable keyring.

The vault is one small JSON file (`vault.json` in PYPICREDS_HOME, 0600):

    {"format": "pypicreds-vault", "version": 1,
     "protection": "passphrase" | "keyfile",
     "kdf": {"name": "argon2id", "iterations", "memory_cost", "lanes", "salt"} | null,
     "check": {"nonce", "ciphertext"},
     "entries": [{"repository", "url", "username", "project", "nonce", "ciphertext"}, ...],
     "sha256": "<digest of everything above>"}

- The key comes from a passphrase through Argon2id (parameters and salt in "kdf"), or, for a
  vault created without PYPICREDS_PASSPHRASE, from a random 32-byte key file beside the vault.
- "check" is a constant encrypted with the header (format, version, protection, kdf) as
  associated data: it authenticates the header and tells a wrong key apart from a damaged entry.
- Each entry is encrypted with its identity as associated data, so a ciphertext moved to
  another entry does not decrypt. Every write re-encrypts everything with fresh nonces.
- "sha256" only catches accidental damage (a flipped byte, a truncated copy) before any key is
  derived, so that damage is reported as damage and not as a wrong passphrase. Authenticity
  comes from AES-GCM alone.

cryptography is imported only inside the functions that encrypt or derive keys.
"""

from __future__ import annotations

import binascii
import json
import os
from collections import namedtuple

from .. import fsutil, paths
from ..errors import PypicredsError, StoreError, StoreUnavailable, VaultError
from .base import TokenKey

TYPE_CHECKING = False  # Path in annotations only; see FileStore.__init__
if TYPE_CHECKING:
    from pathlib import Path

FORMAT = "pypicreds-vault"
VERSION = 1
PASSPHRASE_ENV = "PYPICREDS_PASSPHRASE"
PASSPHRASE = "passphrase"
KEYFILE = "keyfile"

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12
TAG_BYTES = 16
SALT_BYTES = 16
CHECK_PLAINTEXT = b"pypicreds vault key check v1"

# OWASP's Argon2id minimum: ~25 ms here. memory_cost is in KiB.
DEFAULT_KDF = {"name": "argon2id", "iterations": 2, "memory_cost": 19456, "lanes": 1}
# Checked before deriving, so an edited header cannot make us spend minutes or gigabytes.
KDF_LIMITS = {"iterations": (1, 64), "memory_cost": (8, 1024 * 1024), "lanes": (1, 16)}

DAMAGED_HINT = "restore the vault from a backup, or move it away and add the tokens again"
_TOP_KEYS = {"format", "version", "protection", "kdf", "check", "entries", "sha256"}
_ENTRY_KEYS = {"repository", "url", "username", "project", "nonce", "ciphertext"}


# One AES-GCM encryption: nonce and ciphertext (the 16-byte tag at its end).
Sealed = namedtuple("Sealed", "nonce ciphertext")


def _aesgcm(key: bytes):
    """cryptography's AES-GCM. The public module drags in `typing` and more (~14 ms per start,
    the largest cost of `pypicreds env`); the class it re-exports is the Rust binding's own,
    taken from there directly when this cryptography has it."""
    try:
        from cryptography.hazmat.bindings._rust import openssl

        cipher = openssl.aead.AESGCM
    except (ImportError, AttributeError):  # another layout: the public name always works
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM as cipher
    return cipher(key)


def _invalid_tag(error: Exception) -> bool:
    """Whether `error` is cryptography's InvalidTag (imported only on this failure path)."""
    from cryptography.exceptions import InvalidTag

    return isinstance(error, InvalidTag)


class Vault:
    """A parsed vault file. Nothing here is decrypted."""

    def __init__(self, header: dict, check: Sealed, entries: dict[TokenKey, Sealed]) -> None:
        self.header = header
        self.check = check
        self.entries = entries

    @property
    def protection(self) -> str:
        return self.header["protection"]

    @property
    def header_bytes(self) -> bytes:
        return _canonical(self.header)


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
        self._keys: dict[bytes, bytes] = {}  # header bytes -> key: Argon2 runs once per instance

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
        if vault is None or key not in vault.entries:
            return None  # nothing to decrypt: no passphrase asked, no file created
        aead = self._unlock(vault)
        return _open_entry(aead, key, vault.entries[key], self._vault)

    def set(self, key: TokenKey, token: str) -> None:
        with self._store_errors("update"), fsutil.locked(self.lock_path):
            vault = self._read()
            if vault is None:
                header, aead = self._create_key()
                tokens = {}
            else:
                header, aead = vault.header, self._unlock(vault)
                tokens = self._open_all(aead, vault)
            tokens[key] = token
            self._write(header, aead, tokens)

    def delete(self, key: TokenKey) -> bool:
        vault = self._read()
        if vault is None or key not in vault.entries:
            return False
        with self._store_errors("update"), fsutil.locked(self.lock_path):
            vault = self._read()  # again, under the lock: another process may have written
            if vault is None or key not in vault.entries:
                return False
            aead = self._unlock(vault)
            tokens = self._open_all(aead, vault)
            del tokens[key]
            self._write(vault.header, aead, tokens)
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

    @property
    def protection(self) -> str | None:
        """How the existing vault is protected ("passphrase" or "keyfile"); None when there is none yet."""
        vault = self._read()
        return None if vault is None else vault.protection

    # --- reading and unlocking ---

    def _read(self) -> Vault | None:
        try:
            with open(self._vault, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise StoreError(f"cannot read the vault {self.vault_path}: {e.strerror or e}") from e
        return parse_vault(data, self._vault)

    def _unlock(self, vault: Vault) -> object:
        """The AES-GCM cipher for `vault`, after checking the key against the header."""
        header = vault.header_bytes
        key = self._keys.get(header)
        if key is None:
            if vault.protection == PASSPHRASE:
                key = derive_key(_passphrase(self._vault), vault.header["kdf"])
            else:
                key = self._read_keyfile()
        aead = _aesgcm(key)
        try:
            plain = aead.decrypt(vault.check.nonce, vault.check.ciphertext, _check_aad(header))
        except Exception as e:
            if not _invalid_tag(e):
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
        self._keys[header] = key
        return aead

    def _open_all(self, aead, vault: Vault) -> dict[TokenKey, str]:
        return {key: _open_entry(aead, key, sealed, self.vault_path) for key, sealed in vault.entries.items()}

    def _read_keyfile(self) -> bytes:
        try:
            with open(self._keyfile, "rb") as f:
                key = f.read()
        except FileNotFoundError:
            raise VaultError(
                f"the key file {self.keyfile_path} of the vault {self.vault_path} is missing",
                hint="restore vault.key from a backup; without it the vault cannot be decrypted",
            ) from None
        except OSError as e:
            raise StoreError(f"cannot read the key file {self.keyfile_path}: {e.strerror or e}") from e
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
            kdf = {**DEFAULT_KDF, "salt": _b64(os.urandom(SALT_BYTES))}
            header = _header(PASSPHRASE, kdf)
            key = derive_key(passphrase, kdf)
        else:
            header = _header(KEYFILE, None)
            key = self._existing_or_new_keyfile()
        self._keys[_canonical(header)] = key
        return header, _aesgcm(key)

    def _existing_or_new_keyfile(self) -> bytes:
        # A key file without a vault may belong to a vault backup somewhere: reuse it, never replace it.
        if self.keyfile_path.exists():
            return self._read_keyfile()
        key = os.urandom(KEY_BYTES)
        fsutil.ensure_private_dir(self.keyfile_path.parent)
        fsutil.atomic_write(self.keyfile_path, key)
        return key

    def _write(self, header: dict, aead, tokens: dict[TokenKey, str]) -> None:
        header_bytes = _canonical(header)
        doc = {
            **header,
            "check": _sealed_json(_seal(aead, CHECK_PLAINTEXT, _check_aad(header_bytes))),
            "entries": [
                {**_identity_json(key), **_sealed_json(_seal(aead, token.encode("utf-8"), _entry_aad(key)))}
                for key, token in tokens.items()
            ],
        }
        doc["sha256"] = _digest(doc)
        fsutil.ensure_private_dir(self.vault_path.parent)
        fsutil.atomic_write(self.vault_path, (json.dumps(doc, indent=2) + "\n").encode("ascii"))

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


# --- the file format ---


def parse_vault(data: bytes, path: Path) -> Vault:
    """Check the structure and digest of a vault file; VaultError if anything is off."""

    def damaged(why: str) -> VaultError:
        return VaultError(f"the vault {path} is damaged or was tampered with ({why})", DAMAGED_HINT)

    try:
        doc = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except (UnicodeDecodeError, ValueError) as e:
        raise damaged("not a complete JSON document; truncated?" if data else "empty file") from e
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise VaultError(f"{path} is not a pypicreds vault", hint=DAMAGED_HINT)
    version = doc.get("version")
    if version != VERSION or type(version) is not int:
        raise VaultError(
            f"the vault {path} has format version {version!r}; this pypicreds reads version {VERSION}",
            hint="upgrade pypicreds to read it",
        )
    if set(doc) != _TOP_KEYS:
        raise damaged("unexpected or missing fields")
    if doc["sha256"] != _digest({k: v for k, v in doc.items() if k != "sha256"}):
        raise damaged("checksum mismatch")
    try:
        header = _header(doc["protection"], doc["kdf"])
        _check_header(header)
        check = _sealed_from_json(doc["check"])
        entries: dict[TokenKey, Sealed] = {}
        for item in _typed(doc["entries"], list):
            key, sealed = _entry_from_json(item)
            if key in entries:
                raise ValueError("an entry appears twice")
            entries[key] = sealed
    except (ValueError, TypeError, KeyError) as e:
        raise damaged(str(e) if isinstance(e, ValueError) else "malformed field") from e
    return Vault(header, check, entries)


def derive_key(passphrase: str, kdf: dict) -> bytes:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    return Argon2id(
        salt=_unb64(kdf["salt"]),
        length=KEY_BYTES,
        iterations=kdf["iterations"],
        lanes=kdf["lanes"],
        memory_cost=kdf["memory_cost"],
    ).derive(passphrase.encode("utf-8"))


def _header(protection, kdf) -> dict:
    return {"format": FORMAT, "version": VERSION, "protection": protection, "kdf": kdf}


def _check_header(header: dict) -> None:
    protection, kdf = header["protection"], header["kdf"]
    if protection == KEYFILE:
        if kdf is not None:
            raise ValueError("a key-file vault with KDF parameters")
        return
    if protection != PASSPHRASE:
        raise ValueError(f"unknown protection {protection!r}")
    if set(_typed(kdf, dict)) != {"name", "iterations", "memory_cost", "lanes", "salt"} or kdf["name"] != "argon2id":
        raise ValueError("unknown KDF")
    for name, (low, high) in KDF_LIMITS.items():
        if type(kdf[name]) is not int or not low <= kdf[name] <= high:
            raise ValueError(f"KDF {name} outside {low}..{high}")
    if kdf["memory_cost"] < 8 * kdf["lanes"]:
        raise ValueError("KDF memory_cost below 8 KiB per lane")
    if len(_unb64(kdf["salt"])) < SALT_BYTES:
        raise ValueError("KDF salt too short")


def _entry_from_json(item) -> tuple[TokenKey, Sealed]:
    if set(_typed(item, dict)) != _ENTRY_KEYS:
        raise ValueError("an entry has unexpected or missing fields")
    project = item["project"]
    key = TokenKey(
        _typed(item["repository"], str),
        _typed(item["url"], str),
        _typed(item["username"], str),
        None if project is None else _typed(project, str),
    )
    return key, _sealed_from_json(item)


def _identity_json(key: TokenKey) -> dict:
    return {"repository": key.repository, "url": key.url, "username": key.username, "project": key.project}


def _sealed_from_json(item) -> Sealed:
    _typed(item, dict)
    sealed = Sealed(_unb64(item["nonce"]), _unb64(item["ciphertext"]))
    if len(sealed.nonce) != NONCE_BYTES or len(sealed.ciphertext) < TAG_BYTES:
        raise ValueError("a nonce or ciphertext has the wrong length")
    return sealed


def _sealed_json(sealed: Sealed) -> dict:
    return {"nonce": _b64(sealed.nonce), "ciphertext": _b64(sealed.ciphertext)}


def _seal(aead, plaintext: bytes, aad: bytes) -> Sealed:
    nonce = os.urandom(NONCE_BYTES)  # fresh for every encryption: never reused under one key
    return Sealed(nonce, aead.encrypt(nonce, plaintext, aad))


def _open_entry(aead, key: TokenKey, sealed: Sealed, path: Path) -> str:
    try:
        return aead.decrypt(sealed.nonce, sealed.ciphertext, _entry_aad(key)).decode("utf-8")
    except Exception as e:
        if not (isinstance(e, UnicodeDecodeError) or _invalid_tag(e)):
            raise
        raise VaultError(
            f"the vault {path} is damaged or was tampered with (the entry for {key.label} does not decrypt)",
            DAMAGED_HINT,
        ) from e


def _check_aad(header_bytes: bytes) -> bytes:
    return b"pypicreds-vault header\n" + header_bytes


def _entry_aad(key: TokenKey) -> bytes:
    return b"pypicreds-vault entry\n" + _canonical([key.repository, key.url, key.username, key.project])


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _digest(doc: dict) -> str:
    return fsutil.sha256(_canonical(doc)).hexdigest()


def _b64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")  # binascii: base64 costs more to import


def _unb64(text) -> bytes:
    text = _typed(text, str)
    if not text.isascii():
        raise ValueError("invalid base64")
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except binascii.Error as e:
        raise ValueError("invalid base64") from e


def _typed(value, kind: type):
    if type(value) is not kind:
        raise TypeError(f"expected {kind.__name__}")
    return value


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    doc = dict(pairs)
    if len(doc) != len(pairs):
        raise ValueError("duplicate key")
    return doc


# --- the passphrase ---


def _passphrase(vault_path: Path) -> str:
    """PYPICREDS_PASSPHRASE, else a hidden prompt on the terminal (never stdin or stdout)."""
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    import getpass
    import warnings

    unavailable = StoreUnavailable(
        f"the vault {vault_path} is protected by a passphrase and there is no terminal to ask for it",
        hint=f"set {PASSPHRASE_ENV}",
    )
    try:
        os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
    except OSError:
        raise unavailable from None
    with warnings.catch_warnings():
        # getpass falls back to an echoing read from stdin when it cannot control the terminal
        warnings.simplefilter("error", getpass.GetPassWarning)
        try:
            return getpass.getpass(f"Passphrase for the pypicreds vault {vault_path}: ")
        except (getpass.GetPassWarning, EOFError, OSError) as e:
            raise unavailable from e
