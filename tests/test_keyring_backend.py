"""pypicreds' keyring backend (store/backend.py) as other programs meet it: in the publishers'
environment (.venv-publishers, pypicreds installed beside keyring), through the real `keyring`
command and keyring's own backend discovery.

- Without a vault (or switched off) it is not viable: `keyring.get_keyring()` is what it was
  without pypicreds, with no keyring, beside a Secret Service, beside keyrings.alt.
- It answers only what pypicreds keeps; a URL it does not hold is answered without parsing or
  decrypting anything.
- It never prompts (a passphrase vault without PYPICREDS_PASSPHRASE answers "not found" at
  once, even at a terminal) and never raises into the caller (damaged vault, key file, index).
- Writes never land in it; pypicreds' own keyring store never uses it.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import termios
import time

import pytest

from publishing import PUBLISHERS_BIN, PUBLISHERS_PYTHON, new_token, publisher_env, require_publishers, run_tool
from realparts import VENV_BIN, read_terminal, stop_process

URL = "http://127.0.0.1:9/backend/legacy/"
KEYRING = str(PUBLISHERS_BIN / "keyring")
BESIDE = str(PUBLISHERS_BIN / "pypicreds")

# keyring's default backend, printed so two runs can be compared: the class, and for the chainer
# what it chains. With HIDE set, pypicreds' entry point is filtered out of the entry points
# keyring reads: the same environment as if pypicreds were not installed.
DEFAULT_BACKEND = """
import os, sys
if os.environ.get("HIDE"):
    import importlib.metadata as std
    try:
        import importlib_metadata as backport
    except ImportError:
        backport = None
    for module in filter(None, (std, backport)):
        def only_others(*args, _real=module.entry_points, **kwargs):
            found = _real(*args, **kwargs)
            return type(found)(ep for ep in found if not ep.value.startswith("pypicreds"))
        module.entry_points = only_others
import keyring
k = keyring.get_keyring()
print(type(k).__module__ + "." + type(k).__name__,
      *[type(b).__module__ + "." + type(b).__name__ for b in getattr(k, "backends", [])])
"""


@pytest.fixture(autouse=True)
def publishers_installed():
    require_publishers()


@pytest.fixture
def env(cli_env):
    """The publishers' environment: no D-Bus, keyring choosing by itself."""
    return publisher_env(cli_env)


def add(env, token, *extra, name="local", url=URL):
    done = run_tool([BESIDE, "add", name, "--url", url, *extra, "--token-stdin"], env, env["HOME"], input=token)
    assert done.returncode == 0, done.stderr
    return done


def keyring_get(env, url=URL, user="__token__", **kwargs):
    return run_tool([KEYRING, "get", url, user], env, env["HOME"], **kwargs)


def default_backend(python, env, hide: bool) -> str:
    done = run_tool([str(python), "-c", DEFAULT_BACKEND], {**env, "HIDE": "1" if hide else ""}, env["HOME"])
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("where", ["no keyring", "secret service", "keyrings.alt"])
def test_no_vault_means_the_same_default_backend_as_without_pypicreds(where, request, env, cli_env):
    """A process with no pypicreds vault gets the same keyring.get_keyring() with pypicreds
    installed as with its entry point hidden; also with a vault and the switch off."""
    python = PUBLISHERS_PYTHON
    if where == "secret service":
        service = request.getfixturevalue("secret_service")
        env = {**env, **{k: service.env[k] for k in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR")}}
    if where == "keyrings.alt":
        python = VENV_BIN / "python"  # the test venv has keyrings.alt installed
    without = default_backend(python, env, hide=True)
    assert default_backend(python, env, hide=False) == without
    add(env, new_token(), "--store", "file")
    switched_off = {**env, "PYPICREDS_KEYRING_BACKEND": "off"}
    assert default_backend(python, switched_off, hide=False) == without
    assert "pypicreds.store.backend.VaultKeyring" in default_backend(python, env, hide=False)
    assert default_backend(python, env, hide=True) == without  # (the hiding works)


def test_list_backends_shows_it_with_its_priority_once_a_vault_exists(env):
    listed = run_tool([KEYRING, "--list-backends"], env, env["HOME"])
    assert "pypicreds" not in listed.stdout
    add(env, new_token(), "--store", "file")
    listed = run_tool([KEYRING, "--list-backends"], env, env["HOME"])
    assert "pypicreds.store.backend.VaultKeyring (priority: 0.25)" in listed.stdout


def test_it_answers_only_what_pypicreds_keeps(env):
    token = new_token()
    add(env, token, "--store", "file")
    assert keyring_get(env).stdout.strip() == token
    assert keyring_get(env, user="someone-else").returncode == 1
    assert keyring_get(env, url=URL.rstrip("/")).returncode == 1  # twine's exact-string rule
    assert keyring_get(env, url="https://elsewhere.example/legacy/").returncode == 1
    credential = run_tool([str(PUBLISHERS_PYTHON), "-c",
                           f"import keyring; c = keyring.get_credential({URL!r}, None); print(c.username)"],
                          env, env["HOME"])
    assert credential.stdout.strip() == "__token__", credential.stderr


def test_a_url_it_does_not_hold_is_answered_without_parsing_or_decrypting(env):
    add(env, new_token(), "--store", "file")
    code = ("import sys, keyring\n"
            "assert keyring.get_password('https://elsewhere.example/legacy/', '__token__') is None\n"
            "print(sorted(m for m in sys.modules if m.startswith('pypicreds')))")
    done = run_tool([str(PUBLISHERS_PYTHON), "-c", code], env, env["HOME"])
    assert done.returncode == 0, done.stderr
    loaded = set(eval(done.stdout))  # noqa: S307 (our own output: a list of module names)
    assert "pypicreds.store.backend" in loaded  # it was asked...
    assert not loaded & {"pypicreds.store.vault", "pypicreds.store.file", "pypicreds.store.index"}, loaded


def test_a_passphrase_vault_without_the_variable_answers_not_found_at_once_at_a_terminal(env):
    """No prompt, no wait, even with a controlling terminal: "not found", and nothing on the
    terminal. With the variable set, the token."""
    token = new_token()
    add({**env, "PYPICREDS_PASSPHRASE": "correct horse"}, token, "--store", "file")
    master, slave = os.openpty()
    began = time.monotonic()
    proc = subprocess.Popen(
        [KEYRING, "get", URL, "__token__"], env=env, stdin=slave, stdout=slave, stderr=slave,
        start_new_session=True, preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    try:
        shown = read_terminal(master, 30, exited=lambda: proc.poll() is not None)
        proc.wait(timeout=30)
    finally:
        stop_process(proc)
        os.close(master)
        os.close(slave)
    assert proc.returncode == 1  # keyring's "not found"
    assert time.monotonic() - began < 15
    assert b"assphrase" not in shown and b"Traceback" not in shown, shown
    assert keyring_get({**env, "PYPICREDS_PASSPHRASE": "correct horse"}).stdout.strip() == token
    wrong = keyring_get({**env, "PYPICREDS_PASSPHRASE": "wrong"})
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr


@pytest.mark.parametrize("damage", ["vault", "truncated vault", "key file", "missing key file", "index"])
def test_damage_answers_not_found_never_an_exception(damage, env):
    add(env, new_token(), "--store", "file")
    home = env["PYPICREDS_HOME"]
    target = {"vault": "vault.json", "truncated vault": "vault.json", "key file": "vault.key",
              "missing key file": "vault.key", "index": "index.json"}[damage]
    path = os.path.join(home, target)
    if damage == "missing key file":
        os.unlink(path)
    elif damage == "truncated vault":
        data = open(path, "rb").read()
        open(path, "wb").write(data[: len(data) // 2])
    else:
        open(path, "wb").write(b"\x00garbage" * 4)
    got = keyring_get(env)
    assert got.returncode == 1 and got.stdout == "" and "Traceback" not in got.stderr, got.stderr
    code = f"import keyring; print(keyring.get_password({URL!r}, '__token__'))"
    done = run_tool([str(PUBLISHERS_PYTHON), "-c", code], env, env["HOME"])
    assert done.returncode == 0 and done.stdout.strip() == "None", done.stderr
    twice = f"import logging; logging.basicConfig(); {code}; {code}"
    shown = run_tool([str(PUBLISHERS_PYTHON), "-c", twice], env, env["HOME"])
    if damage in ("key file", "missing key file", "index"):  # (a damaged vault may not mention the URL)
        lines = shown.stderr.splitlines()  # the reason, once, where the program shows keyring's log
        assert len(lines) == 1 and "cannot read pypicreds' files" in lines[0], shown.stderr


def test_writes_never_land_in_the_vault(env):
    """Alone, it is keyring's default: `keyring set` and `keyring del` fail as with no keyring
    (a KeyringError) and leave the vault's bytes as they were."""
    token = new_token()
    add(env, token, "--store", "file")
    vault = os.path.join(env["PYPICREDS_HOME"], "vault.json")
    before = open(vault, "rb").read()
    stored = run_tool([KEYRING, "set", URL, "__token__"], env, env["HOME"], input="other-secret\n")
    deleted = run_tool([KEYRING, "del", URL, "__token__"], env, env["HOME"])
    assert stored.returncode != 0 and deleted.returncode != 0
    assert "read-only" in stored.stderr
    assert open(vault, "rb").read() == before
    code = ("import keyring, keyring.errors\n"
            "for call in (lambda: keyring.set_password('s', 'u', 'p'), lambda: keyring.delete_password('s', 'u')):\n"
            "    try:\n        call()\n    except keyring.errors.KeyringError as e:\n"
            "        assert isinstance(e, NotImplementedError)\n    else:\n        raise SystemExit('no error')\n")
    done = run_tool([str(PUBLISHERS_PYTHON), "-c", code], env, env["HOME"])
    assert done.returncode == 0, done.stderr
    assert keyring_get(env).stdout.strip() == token


def test_pypicreds_own_keyring_store_never_uses_its_backend(env):
    """With a vault and no other backend, `add --store keyring` refuses (no keyring), the default
    store is the file, and naming the backend in PYTHON_KEYRING_BACKEND is refused too."""
    add(env, new_token(), "--store", "file")
    refused = run_tool([BESIDE, "add", "other", "--url", URL + "o/", "--store", "keyring", "--token-stdin"],
                       env, env["HOME"], input=new_token())
    assert refused.returncode == 1 and "no keyring backend is available" in refused.stderr
    chosen = add(env, new_token(), name="third", url=URL + "t/")
    assert "using the encrypted file store" in chosen.stderr
    named = {**env, "PYTHON_KEYRING_BACKEND": "pypicreds.store.backend.VaultKeyring"}
    refused = run_tool([BESIDE, "add", "fourth", "--url", URL + "f/", "--store", "keyring", "--token-stdin"],
                       named, env["HOME"], input=new_token())
    assert refused.returncode == 1 and "pypicreds' own vault backend" in refused.stderr


def test_the_entry_point_module_imports_nothing_heavy(cli_env):
    """keyring imports it in every program: it may load keyring's base class, nothing of
    pypicreds' stores and no cryptography of its own."""
    code = ("import sys; before = set(sys.modules); import keyring.backend; base = set(sys.modules)\n"
            "import pypicreds.store.backend as b\n"
            "print(sorted(set(sys.modules) - base))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env)
    assert done.returncode == 0, done.stderr
    added = set(eval(done.stdout))  # noqa: S307
    assert added <= {"pypicreds", "pypicreds.store", "pypicreds.store.backend", "pypicreds.store.base",
                     "pypicreds.errors", "keyring.compat.properties"}, added
