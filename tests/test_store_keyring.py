"""KeyringStore against a real gnome-keyring Secret Service, keyrings.alt's plaintext file, and
the real ways a keyring fails: no backend, locked, hung, unreachable, broken."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import traceback

import keyring
import pytest

from pypicreds.errors import StoreError, StoreUnavailable
from pypicreds.store import TokenKey
from pypicreds.store.keyring import KeyringStore, probe
from realparts import assert_no_secret, make_wheel
from store_contract import KEY, PROJECT, TOKEN_A, TOKEN_B, StoreContract

PLAINTEXT = "keyrings.alt.file.PlaintextKeyring"


def assert_clean_error(error: BaseException, secret: str) -> None:
    """The token is in no message, hint or formatted traceback (causes included)."""
    text = "".join(traceback.format_exception(error))
    assert_no_secret(secret, str(error), repr(error), getattr(error, "hint", "") or "", text)


class TestSecretServiceContract(StoreContract):
    @pytest.fixture
    def store(self, keyring_service):
        return KeyringStore()

    def test_describe_names_the_os_keyring(self, store):
        assert store.describe() == "OS keyring (SecretService)"
        assert store.backend_name == "keyring.backends.SecretService.Keyring"
        assert store.is_plaintext is False

    def test_probe_says_usable(self, store):
        assert probe() is None

    def test_tokens_really_live_in_the_daemon(self, store, keyring_service):
        store.set(KEY, TOKEN_A)
        store.set(PROJECT, TOKEN_B)
        assert keyring_service.item_count() == 2
        assert store.delete(KEY) is True
        assert keyring_service.item_count() == 1


class TestPlaintextContract(StoreContract):
    @pytest.fixture
    def store(self, monkeypatch, tmp_home):
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", PLAINTEXT)
        return KeyringStore()

    def test_is_reported_as_plaintext(self, store, tmp_home):
        store.set(KEY, TOKEN_A)
        assert store.is_plaintext is True
        assert store.backend_name == PLAINTEXT
        assert "UNENCRYPTED" in store.describe()
        # it really is a file under XDG_DATA_HOME, as the warning says
        cfg = tmp_home / ".local/share/python_keyring/keyring_pass.cfg"
        assert cfg.is_file()

    def test_unwritable_storage_is_a_store_error(self, store, tmp_home):
        (tmp_home / ".local/share").mkdir(parents=True)
        (tmp_home / ".local/share/python_keyring").write_text("a file where a directory belongs")
        with pytest.raises(StoreError) as info:
            store.set(KEY, TOKEN_A)
        assert not isinstance(info.value, StoreUnavailable)
        assert_clean_error(info.value, TOKEN_A)


# --- the entries twine sees --------------------------------------------------------------------


def test_default_token_is_the_entry_twine_reads(keyring_service):
    KeyringStore().set(KEY, TOKEN_A)
    KeyringStore().set(PROJECT, TOKEN_B)
    # twine.auth.Resolver.get_password_from_keyring: keyring.get_password(url, username)
    assert keyring.get_password(KEY.url, "__token__") == TOKEN_A
    assert keyring.get_password(PROJECT.url, "__token__") is None
    assert keyring.get_password(PROJECT.url, "pypi_token:project:foo") == TOKEN_B  # where flit looks first


def test_twine_uploads_with_the_stored_default_token(keyring_service, cli_env, pypiserver, tmp_path):
    token = "pypi-AgEIcHlwaS5vcmcCJHR3aW5lLWZpbmRzLWl0LWluLXRoZS1rZXlyaW5nAAIqWzMsImFiYyJdAAAGIKeyring"
    server = pypiserver(token)
    wheel = make_wheel(tmp_path / "dist")
    env = {**cli_env, **keyring_service.env}
    upload = [
        sys.executable, "-m", "twine", "--no-color", "upload", "--non-interactive",
        "--disable-progress-bar", "--repository-url", server.url, "-u", "__token__", str(wheel),
    ]

    # only a per-project token: twine does not see it and has no password to send
    KeyringStore().set(TokenKey("local", server.url, "__token__", project="demo-pkg"), token)
    refused = subprocess.run(upload, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0
    assert "Credential not found for password" in refused.stdout + refused.stderr
    assert not list(server.packages.iterdir())

    KeyringStore().set(TokenKey("local", server.url, "__token__"), token)
    done = subprocess.run(upload, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [p.name for p in server.packages.iterdir()] == [wheel.name]
    assert_no_secret(token, done.stdout, done.stderr, server.log)


# --- a keyring that cannot be used ---------------------------------------------------------------


def _each_operation(store: KeyringStore):
    yield "get", lambda: store.get(KEY)
    yield "set", lambda: store.set(KEY, TOKEN_A)
    yield "delete", lambda: store.delete(KEY)


def _assert_unavailable(store: KeyringStore, reason: str) -> None:
    for name, operation in _each_operation(store):
        with pytest.raises(StoreUnavailable) as info:
            operation()
        assert reason in info.value.message, name
        assert "--store file" in info.value.hint
        assert_clean_error(info.value, TOKEN_A)


def test_fail_backend_means_no_keyring(tmp_home):
    # tmp_home selects keyring.backends.fail.Keyring
    _assert_unavailable(KeyringStore(), "no keyring backend is available")
    assert probe() == "no keyring backend is available"
    assert "unavailable" in KeyringStore().describe()


def test_null_backend_is_not_a_place_for_tokens(monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    _assert_unavailable(KeyringStore(), "the keyring is disabled")


def test_misspelt_backend_name(monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.NoSuchBackend.Keyring")
    _assert_unavailable(KeyringStore(), "the keyring cannot be used")


def test_secret_service_without_a_bus(monkeypatch, tmp_path):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus-here'}")
    _assert_unavailable(KeyringStore(), "the keyring cannot be used")
    assert probe().startswith("the keyring cannot be used")


def test_locked_keyring(locked_secret_service, monkeypatch):
    for name, value in locked_secret_service.env.items():
        monkeypatch.setenv(name, value)
    _assert_unavailable(KeyringStore(), "the keyring is locked")
    assert probe() == "the keyring is locked"


def test_hung_keyring_gives_up_after_the_timeout(hung_secret_service, monkeypatch):
    for name, value in hung_secret_service.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PYPICREDS_KEYRING_TIMEOUT", "0.5")
    store = KeyringStore()
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as info:
        store.set(KEY, TOKEN_A)
    assert 0.5 <= time.monotonic() - started < 5
    assert info.value.message == "the keyring did not answer within 0.5s (a stuck D-Bus Secret Service?)"
    assert_clean_error(info.value, TOKEN_A)
    # once stuck, further calls fail at once instead of queueing behind the first
    started = time.monotonic()
    _assert_unavailable(store, "did not answer")
    assert time.monotonic() - started < 0.5


HUNG_SCRIPT = textwrap.dedent(
    """
    from pypicreds.store import TokenKey
    from pypicreds.store.keyring import KeyringStore, probe
    from pypicreds.errors import StoreUnavailable

    print("probe:", probe(), flush=True)
    try:
        KeyringStore().set(TokenKey("x", "https://example.invalid/", "__token__"), input())
    except StoreUnavailable as e:
        print("set:", e.message, flush=True)
    """
)


def test_hung_keyring_does_not_hang_the_process(hung_secret_service, cli_env):
    env = {**cli_env, **hung_secret_service.env, "PYPICREDS_KEYRING_TIMEOUT": "1"}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", HUNG_SCRIPT], input=TOKEN_A + "\n", env=env,
        capture_output=True, text=True, timeout=30,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "probe: the keyring did not answer within 1s (a stuck D-Bus Secret Service?)",
        "set: the keyring did not answer within 1s (a stuck D-Bus Secret Service?)",
    ]
    assert elapsed < 6  # two 1 s waits plus start-up, and no hang at interpreter exit
    assert_no_secret(TOKEN_A, proc.stdout, proc.stderr)


def test_bad_timeout_value_is_a_usage_error(monkeypatch):
    from pypicreds.errors import UsageError

    for bad in ("soon", "0", "-1", "inf", "nan"):
        monkeypatch.setenv("PYPICREDS_KEYRING_TIMEOUT", bad)
        with pytest.raises(UsageError, match="PYPICREDS_KEYRING_TIMEOUT"):
            KeyringStore()
    monkeypatch.setenv("PYPICREDS_KEYRING_TIMEOUT", "2.5")
    assert KeyringStore().timeout == 2.5


def test_per_project_api_tokens_live_under_flits_names(keyring_service):
    """flit asks (URL, pypi_token:project:NAME) first: that is where a per-project API token
    goes; a per-project password of another user keeps "<user>:project:NAME" (flit would send it
    as __token__). Entries an older pypicreds wrote are still read, deleted and moved."""
    import keyring.backends.SecretService as secret_service

    raw = secret_service.Keyring()
    store = KeyringStore()
    url = "https://upload.example.org/legacy/"
    token_key = TokenKey("idx", url, "__token__", "foo")
    store.set(token_key, TOKEN_A)
    assert raw.get_password(url, "pypi_token:project:foo") == TOKEN_A
    assert raw.get_password(url, "__token__:project:foo") is None
    user_key = TokenKey("idx", url, "alice", "foo")
    store.set(user_key, TOKEN_B)
    assert raw.get_password(url, "alice:project:foo") == TOKEN_B
    assert store.move_legacy(user_key) is False
    old = TokenKey("idx", url, "__token__", "bar")
    raw.set_password(url, "__token__:project:bar", TOKEN_B)  # as an older pypicreds left it
    assert store.get(old) == TOKEN_B
    assert store.move_legacy(old) is True and store.move_legacy(old) is False
    assert raw.get_password(url, "pypi_token:project:bar") == TOKEN_B
    assert raw.get_password(url, "__token__:project:bar") is None
    raw.set_password(url, "__token__:project:bar", TOKEN_B)  # under both names (a killed move)
    assert store.delete(old) is True
    assert raw.get_password(url, "pypi_token:project:bar") is None and raw.get_password(url, "__token__:project:bar") is None
