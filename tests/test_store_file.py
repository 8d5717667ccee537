"""The encrypted file vault, on real files: the store contract in both protections, then
tampering, damage, file modes, leaks and the passphrase prompt on a real pseudo-terminal."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import pypicreds
from pypicreds import fsutil
from pypicreds.errors import StoreError, VaultError
from pypicreds.store import TokenKey
from pypicreds.store.file import CHECK_PLAINTEXT, FileStore, derive_key
from realparts import read_terminal, stop_process
from store_contract import KEY, OTHER, PROJECT, TOKEN_A, TOKEN_B, StoreContract

PASSPHRASE = "correct horse battery staple"
WRONG_PASSPHRASE = "correct horse battery stapler"
SECRETS = (TOKEN_A, TOKEN_B, PASSPHRASE)
SRC_DIR = str(Path(pypicreds.__file__).resolve().parents[1])


# --- fixtures and helpers ---


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """PYPICREDS_HOME (not yet created) under a temporary HOME; no passphrase variable."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home/.config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home/.local/share"))
    monkeypatch.delenv("PYPICREDS_PASSPHRASE", raising=False)
    path = tmp_path / "home/.config/pypicreds"
    monkeypatch.setenv("PYPICREDS_HOME", str(path))
    return path


@pytest.fixture(params=["passphrase", "keyfile"])
def protection(request, home, monkeypatch) -> str:
    """Run the test once on a passphrase vault and once on a key-file vault."""
    if request.param == "passphrase":
        monkeypatch.setenv("PYPICREDS_PASSPHRASE", PASSPHRASE)
    return request.param


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `directory` with its bytes and mode: compared before/after a failure."""
    return {
        str(p.relative_to(directory)): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def encodings(secret: str) -> list[bytes]:
    """A secret as plain bytes, hex, and base64 at each of the three alignments."""
    raw = secret.encode()
    # the last base64 characters depend on what follows the secret: leave them out
    return [raw, raw.hex().encode()] + [base64.b64encode(raw[shift:])[:-4] for shift in range(3)]


def assert_no_secret_in(directory: Path) -> None:
    """No token or passphrase in any file under `directory`, in any obvious encoding."""
    for name, (data, _) in snapshot(directory).items():
        for secret in SECRETS:
            for form in encodings(secret):
                assert form not in data, f"{name} holds a secret"


def load(path: Path) -> dict:
    return json.loads(path.read_bytes())


def reseal(path: Path, doc: dict) -> None:
    """Write `doc` with a correct checksum, as a deliberate tamperer would (the spec of "sha256")."""
    body = {k: v for k, v in doc.items() if k != "sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    doc = {**body, "sha256": hashlib.sha256(canonical).hexdigest()}
    path.write_bytes(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode() + b"\n")  # as pypicreds writes


def expect_vault_error(action, *, containing: str = "") -> VaultError:
    with pytest.raises(VaultError) as info:
        action()
    err = info.value
    assert containing in err.message
    for secret in SECRETS:
        assert secret not in err.message and secret not in (err.hint or "")
    return err


def flip_b64(text: str, index: int) -> str:
    data = bytearray(base64.b64decode(text))
    data[index] ^= 0x01
    return base64.b64encode(bytes(data)).decode()


# --- the contract, in both protections ---


class TestPassphraseVault(StoreContract):
    @pytest.fixture
    def store(self, home, monkeypatch):
        monkeypatch.setenv("PYPICREDS_PASSPHRASE", PASSPHRASE)
        store = FileStore()
        yield store
        if store.vault_path.exists():
            assert store.protection == "passphrase"
            assert not store.keyfile_path.exists()
            assert_no_secret_in(home)


class TestKeyFileVault(StoreContract):
    @pytest.fixture
    def store(self, home):
        store = FileStore()
        yield store
        if store.vault_path.exists():
            assert store.protection == "keyfile"
            assert len(store.keyfile_path.read_bytes()) == 32
            assert_no_secret_in(home)


# --- creation, reading without side effects, the format ---


def test_reads_on_a_missing_vault_create_nothing(home, protection):
    store = FileStore()
    assert store.get(KEY) is None
    assert store.delete(KEY) is False
    assert store.protection is None
    wording = {"passphrase": "passphrase via Argon2id", "keyfile": "key file"}
    assert wording[protection] in store.describe()  # the protection `set` would choose
    assert not home.exists()


def test_creation_rule_passphrase_variable_decides(home, monkeypatch):
    monkeypatch.setenv("PYPICREDS_PASSPHRASE", "")  # empty counts as unset
    FileStore().set(KEY, TOKEN_A)
    assert FileStore().protection == "keyfile"
    # An existing key-file vault stays one, whatever the variable says now.
    monkeypatch.setenv("PYPICREDS_PASSPHRASE", PASSPHRASE)
    store = FileStore()
    assert store.get(KEY) == TOKEN_A
    assert "key file" in store.describe() and str(store.keyfile_path) in store.describe()


def test_describe_names_the_protection(home, protection):
    store = FileStore()
    store.set(KEY, TOKEN_A)
    text = store.describe()
    assert "AES-256-GCM" in text
    if protection == "passphrase":
        assert "passphrase via Argon2id" in text and "key file" not in text
    else:
        assert f"key file {store.keyfile_path}" in text and "anyone who can read" in text


def test_header_has_default_argon2id_parameters(home, monkeypatch):
    monkeypatch.setenv("PYPICREDS_PASSPHRASE", PASSPHRASE)
    store = FileStore()
    store.set(KEY, TOKEN_A)
    doc = load(store.vault_path)
    assert (doc["format"], doc["version"], doc["protection"]) == ("pypicreds-vault", 2, "passphrase")
    kdf = doc["kdf"]
    assert {k: kdf[k] for k in ("name", "iterations", "memory_cost", "lanes")} == {
        "name": "argon2id",
        "iterations": 2,
        "memory_cost": 19456,
        "lanes": 1,
    }
    assert len(base64.b64decode(kdf["salt"])) == 16
    FileStore().set(OTHER, TOKEN_B)  # rewriting keeps salt and parameters
    assert load(store.vault_path)["kdf"] == kdf


def test_every_write_uses_fresh_nonces(home, protection):
    store = FileStore()
    seen: list[str] = []
    for _ in range(3):
        store.set(KEY, TOKEN_A)  # same token each time
        store.set(OTHER, TOKEN_B)
        doc = load(store.vault_path)
        seen += [doc["check"]["nonce"]] + [e["nonce"] for e in doc["entries"]]
        assert all(len(base64.b64decode(n)) == 12 for n in seen)
    assert len(set(seen)) == len(seen)


def test_derived_key_is_cached_per_instance(home, monkeypatch):
    monkeypatch.setenv("PYPICREDS_PASSPHRASE", PASSPHRASE)
    FileStore().set(KEY, TOKEN_A)
    store = FileStore()
    assert store.get(KEY) == TOKEN_A
    monkeypatch.setenv("PYPICREDS_PASSPHRASE", WRONG_PASSPHRASE)
    assert store.get(KEY) == TOKEN_A  # no second derivation: the variable is not read again
    expect_vault_error(lambda: FileStore().get(KEY), containing="wrong passphrase")


def test_importing_the_module_does_not_import_cryptography():
    code = "import sys, pypicreds.store.file; print('cryptography' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": SRC_DIR}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# --- failures leave every file exactly as it was ---


def test_wrong_passphrase(home, monkeypatch):
    monkeypatch.setenv("PYPICREDS_PASSPHRASE", PASSPHRASE)
    FileStore().set(KEY, TOKEN_A)
    before = snapshot(home)
    monkeypatch.setenv("PYPICREDS_PASSPHRASE", WRONG_PASSPHRASE)
    for action in (lambda: FileStore().get(KEY), lambda: FileStore().set(KEY, TOKEN_B), lambda: FileStore().delete(KEY)):
        err = expect_vault_error(action, containing="wrong passphrase")
        assert "PYPICREDS_PASSPHRASE" in err.hint
        assert snapshot(home) == before


def test_every_flipped_byte_of_the_file_is_detected(home, protection):
    """Flip each byte of a one-entry vault in turn (two ways): always an error, never a change."""
    FileStore().set(KEY, TOKEN_A)
    vault = FileStore().vault_path
    original = vault.read_bytes()
    keyfile_before = snapshot(home).get("vault.key")
    for mask in (0x01, 0x20):
        for i in range(len(original)):
            damaged = bytearray(original)
            damaged[i] ^= mask
            vault.write_bytes(bytes(damaged))
            expect_vault_error(lambda: FileStore().get(KEY))
            assert vault.read_bytes() == damaged, f"byte {i} ^ {mask:#x}: file changed"
            assert stat.S_IMODE(vault.stat().st_mode) == 0o600
            assert snapshot(home).get("vault.key") == keyfile_before
    vault.write_bytes(original)
    assert FileStore().get(KEY) == TOKEN_A  # the loop really started from a good vault


@pytest.mark.parametrize(
    ("protection", "field"),
    [("passphrase", "kdf.salt")]
    + [(p, f) for p in ("passphrase", "keyfile") for f in ("check.nonce", "check.ciphertext", "entry.nonce", "entry.ciphertext")],
)
def test_flipped_bits_with_a_correct_checksum_fail_authentication(home, monkeypatch, protection, field):
    """A tamperer who fixes the checksum: AES-GCM must catch every byte of nonce, body and tag."""
    if protection == "passphrase":
        monkeypatch.setenv("PYPICREDS_PASSPHRASE", PASSPHRASE)
    FileStore().set(KEY, TOKEN_A)
    store = FileStore()  # one instance: the derived key is cached until the header changes
    vault = store.vault_path
    good = load(vault)
    before = snapshot(home)
    section, name = field.split(".")
    holder = {"kdf": good["kdf"], "check": good["check"], "entry": good["entries"][0]}[section]
    size = len(base64.b64decode(holder[name]))
    if section == "entry":
        expected = "damaged or was tampered with"
    else:  # the header check: for a passphrase that is indistinguishable from a wrong one
        expected = "wrong passphrase" if protection == "passphrase" else "does not fit"
    for i in range(size):
        doc = json.loads(json.dumps(good))
        target = {"kdf": doc["kdf"], "check": doc["check"], "entry": doc["entries"][0]}[section]
        target[name] = flip_b64(target[name], i)
        reseal(vault, doc)
        tampered = vault.read_bytes()
        expect_vault_error(lambda: store.get(KEY), containing=expected)
        assert vault.read_bytes() == tampered
    reseal(vault, good)  # the same document and checksum again: the same bytes
    assert snapshot(home) == before
    assert store.get(KEY) == TOKEN_A


@pytest.mark.parametrize("record", ["check", "entry"])
def test_records_encrypted_without_their_associated_data_are_refused(home, protection, record):
    """Even with the right key, a record not bound to its header or identity does not open."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    store = FileStore()
    store.set(KEY, TOKEN_A)
    doc = load(store.vault_path)
    if protection == "passphrase":
        key = derive_key(PASSPHRASE, doc["kdf"])
    else:
        key = store.keyfile_path.read_bytes()
    target, plaintext = {"check": (doc["check"], CHECK_PLAINTEXT), "entry": (doc["entries"][0], TOKEN_A.encode())}[record]
    nonce = os.urandom(12)
    target["nonce"] = base64.b64encode(nonce).decode()
    target["ciphertext"] = base64.b64encode(AESGCM(key).encrypt(nonce, plaintext, None)).decode()
    reseal(store.vault_path, doc)
    before = snapshot(home)
    expect_vault_error(lambda: FileStore().get(KEY))
    assert snapshot(home) == before


def tamper_kdf(monkeypatch, name: str, value) -> None:
    """A passphrase vault whose KDF parameter `name` a tamperer set to `value` (checksum fixed)."""
    monkeypatch.setenv("PYPICREDS_PASSPHRASE", PASSPHRASE)
    FileStore().set(KEY, TOKEN_A)
    vault = FileStore().vault_path
    doc = load(vault)
    doc["kdf"][name] = value
    reseal(vault, doc)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("iterations", 3, "wrong passphrase"),
        ("memory_cost", 19457, "wrong passphrase"),
        ("lanes", 2, "wrong passphrase"),
        ("memory_cost", 2**40, "damaged"),  # refused before deriving: no terabyte allocation
        ("iterations", 0, "damaged"),
        ("name", "scrypt", "damaged"),
    ],
)
def test_tampered_kdf_parameter_with_a_correct_checksum(home, monkeypatch, name, value, expected):
    tamper_kdf(monkeypatch, name, value)
    before = snapshot(home)
    started = time.monotonic()
    expect_vault_error(lambda: FileStore().get(KEY), containing=expected)
    assert time.monotonic() - started < 10
    assert snapshot(home) == before


def test_protection_switched_to_keyfile_is_refused(home, monkeypatch):
    monkeypatch.setenv("PYPICREDS_PASSPHRASE", PASSPHRASE)
    FileStore().set(KEY, TOKEN_A)
    vault = FileStore().vault_path
    doc = load(vault)
    doc["protection"], doc["kdf"] = "keyfile", None
    reseal(vault, doc)
    home.joinpath("vault.key").write_bytes(os.urandom(32))  # the tamperer's own key file
    home.joinpath("vault.key").chmod(0o600)  # (a wider one is refused before it is even tried)
    before = snapshot(home)
    expect_vault_error(lambda: FileStore().get(KEY), containing="does not fit")
    assert snapshot(home) == before


@pytest.mark.parametrize(
    "move",
    ["swap-ciphertexts", "repository", "url", "username", "project"],
)
def test_entry_moved_to_another_identity_does_not_decrypt(home, protection, move):
    FileStore().set(KEY, TOKEN_A)
    FileStore().set(OTHER, TOKEN_B)
    vault = FileStore().vault_path
    doc = load(vault)
    first, second = doc["entries"]
    assert first["repository"] == KEY.repository
    if move == "swap-ciphertexts":
        for field in ("nonce", "ciphertext"):
            first[field], second[field] = second[field], first[field]
    elif move == "project":
        first["project"] = "foo"  # KEY's token offered as a project token
    else:
        first[move] = {"repository": "evil", "url": "https://evil.example/", "username": "someone"}[move]
    reseal(vault, doc)
    before = snapshot(home)
    fields = {"repository": KEY.repository, "url": KEY.url, "username": KEY.username, "project": KEY.project}
    moved = KEY if move == "swap-ciphertexts" else TokenKey(**{**fields, move: first[move]})
    expect_vault_error(lambda: FileStore().get(moved), containing="does not decrypt")
    expect_vault_error(lambda: FileStore().set(PROJECT, TOKEN_A), containing="damaged")
    assert snapshot(home) == before


def test_truncated_file_at_every_length(home, protection):
    FileStore().set(KEY, TOKEN_A)
    vault = FileStore().vault_path
    original = vault.read_bytes()
    assert original.endswith(b"}\n")
    for length in range(len(original) - 1):  # every cut that loses part of the document
        vault.write_bytes(original[:length])
        err = expect_vault_error(lambda: FileStore().get(KEY), containing="damaged")
        assert ("empty" if length == 0 else "truncated") in err.message
        assert vault.read_bytes() == original[:length]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x00\xff garbage \x8f", "damaged"),
        (b"[1, 2, 3]\n", "not a pypicreds vault"),
        (b'{"format": "something-else", "version": 1}\n', "not a pypicreds vault"),
        (b"{}", "not a pypicreds vault"),
    ],
)
def test_garbage_file(home, protection, content, expected):
    FileStore().set(KEY, TOKEN_A)
    vault = FileStore().vault_path
    vault.write_bytes(content)
    before = snapshot(home)
    expect_vault_error(lambda: FileStore().get(KEY), containing=expected)
    expect_vault_error(lambda: FileStore().set(KEY, TOKEN_B), containing=expected)
    assert snapshot(home) == before


@pytest.mark.parametrize("version", [3, 0, "2", True])
def test_unknown_version_is_named(home, protection, version):
    FileStore().set(KEY, TOKEN_A)
    vault = FileStore().vault_path
    doc = load(vault)
    doc["version"] = version
    reseal(vault, doc)
    before = snapshot(home)
    err = expect_vault_error(lambda: FileStore().get(KEY), containing=f"version {version!r}")
    assert "upgrade" in err.hint
    assert snapshot(home) == before


def test_missing_key_file(home):
    FileStore().set(KEY, TOKEN_A)
    keyfile = FileStore().keyfile_path
    keyfile.unlink()
    before = snapshot(home)
    for action in (lambda: FileStore().get(KEY), lambda: FileStore().set(OTHER, TOKEN_B), lambda: FileStore().delete(KEY)):
        err = expect_vault_error(action, containing="missing")
        assert str(keyfile) in err.message and "backup" in err.hint
    assert snapshot(home) == before  # and no new key file was made for the old vault


def test_replaced_or_damaged_key_file(home):
    FileStore().set(KEY, TOKEN_A)
    keyfile = FileStore().keyfile_path
    for content, expected in ((os.urandom(32), "does not fit"), (os.urandom(31), "damaged")):
        keyfile.write_bytes(content)
        before = snapshot(home)
        expect_vault_error(lambda: FileStore().get(KEY), containing=expected)
        assert snapshot(home) == before


def test_key_file_without_vault_is_reused_not_replaced(home):
    store = FileStore()
    store.set(KEY, TOKEN_A)
    key = store.keyfile_path.read_bytes()
    store.vault_path.unlink()
    FileStore().set(OTHER, TOKEN_B)
    assert store.keyfile_path.read_bytes() == key


# --- file modes and leaks ---


@pytest.fixture
def umask_zero():
    old = os.umask(0)  # any mode below comes from the code, not from a friendly umask
    try:
        yield
    finally:
        os.umask(old)


def test_modes_from_the_first_byte(home, protection, umask_zero, monkeypatch):
    real_replace = os.replace
    temps: list[tuple[str, int, bytes]] = []

    def watching_replace(src, dst, *args, **kwargs):
        # Observe each temp file just before it becomes the vault or the key file.
        temps.append((os.path.basename(dst), stat.S_IMODE(os.stat(src).st_mode), Path(src).read_bytes()))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(fsutil.os, "replace", watching_replace)
    store = FileStore()
    store.set(KEY, TOKEN_A)
    store.set(OTHER, TOKEN_B)
    store.delete(OTHER)

    expected = {"vault.json"} | ({"vault.key"} if protection == "keyfile" else set())
    assert {name for name, _, _ in temps} == expected
    assert len(temps) == 3 + (protection == "keyfile")
    for name, mode, data in temps:
        assert mode == 0o600, f"temp file of {name} was {mode:o}"
        for secret in SECRETS:
            assert secret.encode() not in data
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    modes = {name: mode for name, (_, mode) in snapshot(home).items()}
    assert modes == {".lock": 0o600, "vault.json": 0o600} | ({"vault.key": 0o600} if protection == "keyfile" else {})
    assert_no_secret_in(home)


def test_no_secret_in_any_file_after_many_writes(home, protection):
    store = FileStore()
    for token in (TOKEN_A, TOKEN_B):
        store.set(KEY, token)
        store.set(OTHER, token)
        store.set(PROJECT, token)
    store.delete(KEY)
    assert store.get(OTHER) == TOKEN_B
    assert_no_secret_in(home)
    assert not [p for p in home.iterdir() if fsutil.TMP_MARK in p.name]


# --- the passphrase prompt, on a real pseudo-terminal ---

CHILD = """
import os, sys
from pypicreds.store import TokenKey
from pypicreds.store.file import CHECK_PLAINTEXT, FileStore, derive_key
from pypicreds.errors import StoreUnavailable
from pypicreds.tokens import fingerprint
if len(sys.argv) > 1:
    # We lead a new session; opening the pty makes it our controlling terminal (/dev/tty).
    os.close(os.open(sys.argv[1], os.O_RDWR))
try:
    token = FileStore().get(TokenKey("testpypi", "https://test.pypi.org/legacy/", "__token__"))
except StoreUnavailable as e:
    sys.stderr.write(f"unavailable|{e.message}|{e.hint}\\n")
    sys.exit(3)
sys.stderr.write(f"token|{fingerprint(token)}\\n")
"""


def child_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYPICREDS_PASSPHRASE"}
    return {**env, "PYTHONPATH": SRC_DIR, "PYPICREDS_HOME": str(home)}


def test_passphrase_prompt_uses_the_terminal_not_stdout(home, monkeypatch):
    from pypicreds.tokens import fingerprint

    monkeypatch.setenv("PYPICREDS_PASSPHRASE", PASSPHRASE)
    FileStore().set(KEY, TOKEN_A)
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, os.ttyname(slave)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env(home),
        start_new_session=True,  # no controlling terminal until the child opens the pty
    )
    try:
        terminal = read_terminal(master, 30, until=b"vault.json: ")
        assert b"Passphrase" in terminal, terminal
        os.write(master, PASSPHRASE.encode() + b"\n")
        stdout, stderr = proc.communicate(timeout=30)
        terminal += read_terminal(master, 2, until=b"\n")
    finally:
        stop_process(proc)
        os.close(master)
        os.close(slave)
    assert proc.returncode == 0, stderr
    assert stdout == b""  # nothing on stdout: `eval "$(pypicreds env)"` stays clean
    assert stderr.decode().strip() == f"token|{fingerprint(TOKEN_A)}"
    assert b"pypicreds vault" in terminal
    assert PASSPHRASE.encode() not in terminal  # typed with echo off


@pytest.mark.parametrize("stdin", ["devnull", "pty"])
def test_no_terminal_and_no_variable_is_unavailable(home, monkeypatch, stdin):
    """No controlling terminal: StoreUnavailable at once. Also when stdin is a terminal:
    the passphrase is read only from /dev/tty, never from stdin (getpass's fallback)."""
    monkeypatch.setenv("PYPICREDS_PASSPHRASE", PASSPHRASE)
    FileStore().set(KEY, TOKEN_A)
    before = snapshot(home)
    master, slave = os.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD],
            stdin=slave if stdin == "pty" else subprocess.DEVNULL,  # passing an fd never makes it /dev/tty
            capture_output=True,
            env=child_env(home),
            start_new_session=True,  # a new session without a controlling terminal: /dev/tty fails
            timeout=20,  # getpass reading stdin would block here
        )
        on_pty = read_terminal(master, 0.5, until=b"\n")
    finally:
        os.close(master)
        os.close(slave)
    assert on_pty == b""
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == b""
    kind, message, hint = proc.stderr.decode().strip().split("|")
    assert kind == "unavailable" and "passphrase" in message and "PYPICREDS_PASSPHRASE" in hint
    assert snapshot(home) == before



def test_describe_a_damaged_vault_says_so(home, protection):
    store = FileStore()
    store.set(KEY, TOKEN_A)
    store.vault_path.write_bytes(b"{")
    assert "cannot be read" in store.describe() and "damaged" in store.describe()


def test_unusable_directory_is_a_store_error(home):
    home.parent.mkdir(parents=True)
    home.write_bytes(b"")  # PYPICREDS_HOME is a file, not a directory
    for action in (lambda: FileStore().set(KEY, TOKEN_A), lambda: FileStore().get(KEY)):
        with pytest.raises(StoreError) as info:
            action()
        assert not isinstance(info.value, VaultError)
        assert str(home) in info.value.message and TOKEN_A not in info.value.message
    assert home.read_bytes() == b""


# --- suspected by the attack review, settled here ------------------------------------------------------


@pytest.mark.parametrize("name, value", [("iterations", 64), ("memory_cost", 1024 * 1024), ("lanes", 16),
                                         ("iterations", 9), ("memory_cost", 4 * 19456 + 1)])
def test_kdf_parameters_beyond_what_pypicreds_writes_are_refused_before_deriving(home, monkeypatch, name, value):
    """A tampered header asking for 64 passes over 1 GiB would make an unlock take minutes:
    anything over what pypicreds writes (t=2, 19 MiB, 1 lane) by more than a margin (t<=8,
    4x the memory, 4 lanes) is damage, found before any key is derived."""
    import pypicreds.store.file as file_store

    tamper_kdf(monkeypatch, name, value)

    def no_derive(*args, **kwargs):
        raise AssertionError("a key was derived from out-of-bounds parameters")

    monkeypatch.setattr(file_store, "derive_key", no_derive)
    expect_vault_error(lambda: FileStore().get(KEY), containing=f"KDF {name} outside")


def test_a_vault_put_back_from_an_older_copy_is_noticed(cli_env):
    """Every write counts up the vault's generation (authenticated with its header), and the
    index records the one it saw: an older vault copied back gives a warning on use, while its
    tokens still work (and a wrong warning never comes from pypicreds' own undo of a failed change)."""
    from macaroon_mint import mint
    from realparts import run_cli

    env = {**cli_env, "PYPICREDS_STORE": "file"}
    home = Path(env["PYPICREDS_HOME"])
    first, second = mint([], location="127.0.0.1"), mint([], location="127.0.0.1")
    url = "http://127.0.0.1:9/legacy/"
    assert run_cli(["add", "local", "--url", url, "--no-pypirc", "--token-stdin"], env, input=first).returncode == 0
    old_copy = (home / "vault.json").read_bytes()
    assert run_cli(["env", "local"], env).stderr.count("older") == 0
    assert run_cli(["rotate", "local", "--token-stdin"], env, input=second).returncode == 0
    assert load(home / "vault.json")["generation"] > json.loads(old_copy)["generation"]
    (home / "vault.json").write_bytes(old_copy)
    done = run_cli(["env", "local"], env)
    assert done.returncode == 0 and first in done.stdout
    assert "older than pypicreds' index expects" in done.stderr and "rotate" in done.stderr
    assert first not in done.stderr and second not in done.stderr


def test_a_version_1_vault_is_read_and_rewritten_as_version_2(home):
    """Vaults written before the generation count are still read (as generation 0)."""
    store = FileStore()
    store.set(KEY, TOKEN_A)
    doc = load(store.vault_path)
    assert (doc["version"], doc["generation"]) == (2, 1)
    from pypicreds.store.vault import CHECK_PLAINTEXT, aesgcm, canonical, check_aad

    key = store.keyfile_path.read_bytes()
    v1 = {k: v for k, v in doc.items() if k not in ("generation", "sha256")}
    v1["version"] = 1
    header = {k: v1[k] for k in ("format", "version", "protection", "kdf")}
    nonce = os.urandom(12)
    v1["check"] = {"nonce": base64.b64encode(nonce).decode(),
                   "ciphertext": base64.b64encode(aesgcm(key).encrypt(nonce, CHECK_PLAINTEXT,
                                                                      check_aad(canonical(header)))).decode()}
    reseal(store.vault_path, v1)
    assert FileStore().get(KEY) == TOKEN_A
    FileStore().set(OTHER, TOKEN_B)
    assert (load(store.vault_path)["version"], load(store.vault_path)["generation"]) == (2, 1)


def test_a_vault_in_another_json_layout_is_read_and_rewritten_canonically(home, protection):
    """Vaults before this release were indented JSON: read as ever (the digest is of the
    canonical form, whatever the layout), and written canonically at the next change, the
    form whose digest is checked on the bytes as they are."""
    FileStore().set(KEY, TOKEN_A)
    vault = FileStore().vault_path
    written = vault.read_bytes()
    doc = load(vault)
    assert written == json.dumps(doc, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    for layout in ({"indent": 2}, {"indent": 1, "sort_keys": True}, {}):
        vault.write_bytes(json.dumps(doc, **layout).encode() + b"\n")
        assert FileStore().get(KEY) == TOKEN_A
        damaged = json.loads(json.dumps(doc))
        damaged["generation"] += 1  # (a change the digest was not made for)
        vault.write_bytes(json.dumps(damaged, **layout).encode() + b"\n")
        expect_vault_error(lambda: FileStore().get(KEY), containing="checksum mismatch")
    vault.write_bytes(json.dumps(doc, indent=2).encode() + b"\n")
    FileStore().set(OTHER, TOKEN_B)
    rewritten = vault.read_bytes()
    assert rewritten.startswith(b'{"check":{') and rewritten.count(b"\n") == 1
    assert FileStore().get(KEY) == TOKEN_A and FileStore().get(OTHER) == TOKEN_B


def test_a_canonical_vault_is_checked_on_its_bytes_and_damage_still_shows(home, protection, monkeypatch):
    """The digest of a vault in pypicreds' own layout is checked on the file's bytes, without
    writing the document out again (what `env` with a thousand tokens would pay); a byte changed
    anywhere still fails the check, which then also tries the canonical form, and says so."""
    from pypicreds.store import vault as vault_format

    FileStore().set(KEY, TOKEN_A)
    path = FileStore().vault_path
    good = path.read_bytes()
    rewrites = []
    real = vault_format._digest
    monkeypatch.setattr(vault_format, "_digest", lambda doc: rewrites.append(1) or real(doc))
    assert FileStore().get(KEY) == TOKEN_A and rewrites == []  # the bytes as they are
    doc = load(path)
    doc["generation"] += 1
    path.write_bytes(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode() + b"\n")
    expect_vault_error(lambda: FileStore().get(KEY), containing="checksum mismatch")
    assert rewrites == [1]
    path.write_bytes(good.replace(b',"sha256"', b' ,"sha256"'))  # the same document, another layout
    assert FileStore().get(KEY) == TOKEN_A
