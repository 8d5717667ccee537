"""The encrypted vault's file format: parsing, sealing and opening entries (AES-256-GCM).

The vault is one small JSON file (`vault.json` in PYPICREDS_HOME, 0600):

    {"format": "pypicreds-vault", "version": 2, "generation": N,
     "protection": "passphrase" | "keyfile",
     "kdf": {"name": "argon2id", "iterations", "memory_cost", "lanes", "salt"} | null,
     "check": {"nonce", "ciphertext"},
     "entries": [{"repository", "url", "username", "project", "nonce", "ciphertext"}, ...],
     "sha256": "<digest of everything above>"}

- The key comes from a passphrase through Argon2id (parameters and salt in "kdf"), or, for a
  vault created without PYPICREDS_PASSPHRASE, from a random 32-byte key file beside the vault.
- "check" is a constant encrypted with the header (format, version, protection, kdf and, from
  version 2, generation) as associated data: it authenticates the header and tells a wrong key
  apart from a damaged entry.
- "generation" counts the writes; the index records the last one it saw, so a vault put back
  from an older copy is noticed (a warning: its tokens may have been rotated since).
- Each entry is encrypted with its identity as associated data, so a ciphertext moved to
  another entry does not decrypt. Every write re-encrypts everything with fresh nonces.
- "sha256" only catches accidental damage (a flipped byte, a truncated copy) before any key is
  derived, so that damage is reported as damage and not as a wrong passphrase. Authenticity
  comes from AES-GCM alone. It is the digest of the canonical JSON (sorted keys, no spaces,
  ASCII) of everything else, and the file is written in that form, so the bytes around the field
  are what was hashed (older vaults were indented: they are read, and rewritten canonically).

cryptography is imported only inside the functions that encrypt or derive keys. The store that
keeps tokens in this file (keys, the passphrase, locking) is file.py.
"""

from __future__ import annotations

import binascii
import os

from .. import fsutil, jsonio
from ..errors import VaultError
from .base import TokenKey

TYPE_CHECKING = False  # Path in annotations only; see FileStore.__init__
if TYPE_CHECKING:
    from pathlib import Path

FORMAT = "pypicreds-vault"
VERSION = 2  # 2 added "generation"; version 1 vaults are read (as generation 0) and rewritten as 2
READABLE_VERSIONS = (1, 2)
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
KDF_LIMITS = {"iterations": (1, 8), "memory_cost": (8, 4 * DEFAULT_KDF["memory_cost"]), "lanes": (1, 4)}

DAMAGED_HINT = "restore the vault from a backup, or move it away and add the tokens again"
_TOP_KEYS = {1: {"format", "version", "protection", "kdf", "check", "entries", "sha256"}}
_TOP_KEYS[2] = _TOP_KEYS[1] | {"generation"}
_ENTRY_KEYS = {"repository", "url", "username", "project", "nonce", "ciphertext"}


# One AES-GCM encryption: nonce and ciphertext (the 16-byte tag at its end).
class Sealed:
    """One AES-GCM encryption: its nonce and its ciphertext (the 16-byte tag at its end)."""

    __slots__ = ("nonce", "ciphertext")

    def __init__(self, nonce: bytes, ciphertext: bytes) -> None:
        self.nonce, self.ciphertext = nonce, ciphertext


def aesgcm(key: bytes):
    """cryptography's AES-GCM. The public module drags in `typing` and more (~14 ms per start,
    the largest cost of `pypicreds env`); the class it re-exports is the Rust binding's own,
    taken from there directly when this cryptography has it."""
    try:
        from cryptography.hazmat.bindings._rust import openssl

        cipher = openssl.aead.AESGCM
    except (ImportError, AttributeError):  # another layout: the public name always works
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM as cipher
    return cipher(key)


def is_invalid_tag(error: Exception) -> bool:
    """Whether `error` is cryptography's InvalidTag (imported only on this failure path)."""
    from cryptography.exceptions import InvalidTag

    return isinstance(error, InvalidTag)


class Vault:
    """A parsed vault file. Nothing here is decrypted. Its entries are read lazily: `sealed_for`
    (env's one token) checks only the entry it returns; `entries` checks them all."""

    def __init__(self, header: dict, check: Sealed, items: list, path) -> None:
        self.header = header
        self.check = check
        self._items, self._path = items, path
        self._entries: dict[TokenKey, Sealed] | None = None

    @property
    def entries(self) -> dict[TokenKey, Sealed]:
        if self._entries is None:
            entries: dict[TokenKey, Sealed] = {}
            for item in self._items:
                key, sealed = self._checked(item)
                if key in entries:
                    raise _damaged(self._path, "an entry appears twice")
                entries[key] = sealed
            self._entries = entries
        return self._entries

    def sealed_for(self, key: TokenKey) -> Sealed | None:
        """The sealed token under `key`, or None; VaultError if that entry is damaged or twice there."""
        if self._entries is not None:
            return self._entries.get(key)
        found = None
        for item in self._items:
            if (type(item) is dict and item.get("url") == key.url and item.get("repository") == key.repository
                    and item.get("username") == key.username and item.get("project") == key.project):
                if found is not None:
                    raise _damaged(self._path, "an entry appears twice")
                found = item
        return None if found is None else self._checked(found)[1]

    def _checked(self, item) -> tuple[TokenKey, Sealed]:
        try:
            return _entry_from_json(item)
        except (ValueError, TypeError, KeyError) as e:
            raise _damaged(self._path, str(e) if isinstance(e, ValueError) else "malformed field") from e

    @property
    def protection(self) -> str:
        return self.header["protection"]

    @property
    def header_bytes(self) -> bytes:
        return canonical(self.header)

    @property
    def generation(self) -> int:
        """How many times the vault was written (version 1 vaults: 0). The index records the
        generation it last saw, so a vault put back from an older copy shows."""
        return self.header.get("generation", 0)

    def next_header(self) -> dict:
        """The header for the vault's next write: the same protection, one generation on."""
        return new_header(self.protection, self.header["kdf"], self.generation + 1)

    @property
    def key_id(self) -> bytes:
        return key_id(self.header)



# --- the file format ---


def _damaged(path, why: str) -> VaultError:
    return VaultError(f"the vault {path} is damaged or was tampered with ({why})", DAMAGED_HINT)


def parse_vault(data: bytes, path: Path) -> Vault:
    """Check the structure and digest of a vault file; VaultError if anything is off (an entry's
    own fields are checked when it is read: see Vault)."""

    def damaged(why: str) -> VaultError:
        return _damaged(path, why)

    try:
        doc = jsonio.loads(data, pairs_hook=_no_duplicate_keys)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise damaged("not a complete JSON document; truncated?" if data else "empty file") from e
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise VaultError(f"{path} is not a pypicreds vault", hint=DAMAGED_HINT)
    version = doc.get("version")
    if version not in READABLE_VERSIONS or type(version) is not int:
        raise VaultError(
            f"the vault {path} has format version {version!r}; this pypicreds reads versions "
            f"{', '.join(map(str, READABLE_VERSIONS))}",
            hint="upgrade pypicreds to read it",
        )
    if set(doc) != _TOP_KEYS[version]:
        raise damaged("unexpected or missing fields")
    if not _digest_matches(data, doc):
        raise damaged("checksum mismatch")
    try:
        header = {k: doc[k] for k in ("format", "version", "protection", "kdf", "generation") if k in doc}
        _check_header(header)
        check = _sealed_from_json(doc["check"])
        items = _typed(doc["entries"], list)
    except (ValueError, TypeError, KeyError) as e:
        raise damaged(str(e) if isinstance(e, ValueError) else "malformed field") from e
    return Vault(header, check, items, path)


def derive_key(passphrase: str, kdf: dict) -> bytes:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    return Argon2id(
        salt=_unb64(kdf["salt"]),
        length=KEY_BYTES,
        iterations=kdf["iterations"],
        lanes=kdf["lanes"],
        memory_cost=kdf["memory_cost"],
    ).derive(passphrase.encode("utf-8", "surrogateescape"))  # bytes as the environment gave them


def new_header(protection, kdf, generation: int = 1) -> dict:
    return {"format": FORMAT, "version": VERSION, "protection": protection, "kdf": kdf, "generation": generation}


def key_id(header: dict) -> bytes:
    """What the key depends on (protection and KDF), not the generation: a key derived once
    serves every write of the same vault."""
    return canonical([header["protection"], header["kdf"]])


def _check_header(header: dict) -> None:
    if "generation" in header and (type(header["generation"]) is not int or header["generation"] < 0):
        raise ValueError("the generation is not a count")
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


def open_entry(aead, key: TokenKey, sealed: Sealed, path: Path) -> str:
    try:
        return aead.decrypt(sealed.nonce, sealed.ciphertext, _entry_aad(key)).decode("utf-8")
    except Exception as e:
        if not (isinstance(e, UnicodeDecodeError) or is_invalid_tag(e)):
            raise
        raise VaultError(
            f"the vault {path} is damaged or was tampered with (the entry for {key.label} does not decrypt)",
            DAMAGED_HINT,
        ) from e


def check_aad(header_bytes: bytes) -> bytes:
    return b"pypicreds-vault header\n" + header_bytes


def _entry_aad(key: TokenKey) -> bytes:
    return b"pypicreds-vault entry\n" + canonical([key.repository, key.url, key.username, key.project])


def canonical(value) -> bytes:
    return jsonio.canonical(value).encode("ascii")


def _digest(doc: dict) -> str:
    return fsutil.sha256(canonical(doc)).hexdigest()


def _digest_matches(data: bytes, doc: dict) -> bool:
    """Whether "sha256" is the digest of the document without it. A file seal_document wrote is
    that canonical form with the field in it: the bytes around the field are hashed as they
    are (a vault of a thousand entries need not be written out again to be checked). Any other
    file (an older, indented vault; one edited by hand) is written out canonically to compare."""
    digest = doc["sha256"]
    if type(digest) is not str:
        return False
    field = b',"sha256":"' + digest.encode("ascii", "replace") + b'"'
    if data.count(field) == 1 and data.endswith(b"}\n"):
        if fsutil.sha256(data[:-1].replace(field, b"", 1)).hexdigest() == digest:
            return True
    return digest == _digest({k: v for k, v in doc.items() if k != "sha256"})


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



def seal_document(header: dict, aead, tokens: dict[TokenKey, str]) -> bytes:
    """The whole vault file for `tokens`, every entry sealed afresh under `aead`."""
    header_bytes = canonical(header)
    doc = {
        **header,
        "check": _sealed_json(_seal(aead, CHECK_PLAINTEXT, check_aad(header_bytes))),
        "entries": [
            {**_identity_json(key), **_sealed_json(_seal(aead, token.encode("utf-8"), _entry_aad(key)))}
            for key, token in tokens.items()
        ],
    }
    doc["sha256"] = _digest(doc)
    # canonical, the digest's own form: a read checks the bytes around "sha256" as they are
    return canonical(doc) + b"\n"


def new_kdf() -> dict:
    """Argon2id parameters with a fresh salt, for a new passphrase vault."""
    return {**DEFAULT_KDF, "salt": _b64(os.urandom(SALT_BYTES))}
