"""A token never leaks: every command that handles one runs with a distinctive token, and the
token (or a long piece of it) must not appear in stderr, in stdout unless asked for, in any
file under HOME or PYPICREDS_HOME (the vault included: it is encrypted), in the package
index's log, nor in the traceback of an unexpected error.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from macaroon_mint import current, mint
from realparts import VENV_BIN, assert_no_secret, make_wheel, run_cli

TOKEN = mint([current([3, "1eak1eak-0000-4000-8000-000000000001"])], location="127.0.0.1",
             identifier="leak-canary-0001")
TOKEN2 = mint([], location="127.0.0.1", identifier="leak-canary-0002")


def pieces(token: str) -> list[str]:
    """The token, and slices long enough to be useful to a thief (a masked form is shorter)."""
    return [token, token[9:41], token[-32:]]


def no_leak(token: str, *places) -> None:
    for piece in pieces(token):
        assert_no_secret(piece, *places)


@pytest.fixture
def index(pypiserver):
    return pypiserver(TOKEN)


@pytest.fixture
def env(cli_env, index):
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    done = run_cli(["add", "local", "--url", index.url, "--token-stdin"], env, input=TOKEN)
    assert done.returncode == 0, done.stderr
    no_leak(TOKEN, done.stdout, done.stderr)
    return env


def homes(env: dict) -> list[Path]:
    return [Path(env["HOME"])]  # PYPICREDS_HOME is under it, vault included


def test_every_command_keeps_the_token_out_of_stderr_files_and_logs(env, index, tmp_path):
    outputs = []
    for args in (["list"], ["list", "--json"], ["show", "local"], ["show", "local", "--json"],
                 ["inspect", "local"], ["inspect", "local", "--json"], ["audit"], ["audit", "--json"],
                 ["doctor"], ["doctor", "local"], ["scan", str(tmp_path)]):
        done = run_cli(args, env)
        assert "Traceback" not in done.stderr, (args, done.stderr)
        outputs += [done.stdout, done.stderr]
    # commands whose stdout is meant to hold the token: stderr never
    reveal = run_cli(["show", "local", "--reveal"], env)
    assert reveal.stdout.strip() == TOKEN
    shell = run_cli(["env", "local"], env)
    assert TOKEN in shell.stdout
    outputs += [reveal.stderr, shell.stderr]
    # exec: the child's environment only
    child_file = tmp_path / "child-saw"
    done = run_cli(["exec", "local", "--", "sh", "-c", f'printf %s "$TWINE_PASSWORD" > {child_file}'], env)
    assert done.returncode == 0, done.stderr
    assert child_file.read_text() == TOKEN
    child_file.unlink()
    outputs += [done.stdout, done.stderr]
    # upload: through real twine to the real index
    dist = tmp_path / "dist"
    dist.mkdir()
    wheel = make_wheel(dist, "leak-check", "1.0")
    done = run_cli(["upload", "local", str(wheel), "--", "--no-color", "--disable-progress-bar"], env)
    assert done.returncode == 0, done.stderr
    outputs += [done.stdout, done.stderr]
    # rotate, and the same checks for both tokens
    done = run_cli(["rotate", "local", "--token-stdin"], env, input=TOKEN2)
    assert done.returncode == 0, done.stderr
    outputs += [done.stdout, done.stderr]
    inspect = run_cli(["inspect", "--token-stdin"], env, input=TOKEN2)
    outputs += [inspect.stdout, inspect.stderr]
    for token in (TOKEN, TOKEN2):
        no_leak(token, *outputs, *homes(env), index.log)


def test_import_moves_the_token_without_showing_it(cli_env, index):
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    pypirc = Path(env["HOME"]) / ".pypirc"
    pypirc.write_text(f"[distutils]\nindex-servers = local\n\n[local]\nrepository = {index.url}\n"
                      f"username = __token__\npassword = {TOKEN}\n")
    audit = run_cli(["audit"], env)
    doctor = run_cli(["doctor"], env)
    scan = run_cli(["scan", str(pypirc)], env)
    assert scan.returncode == 1  # it found the token, without printing it
    done = run_cli(["import"], env)
    assert done.returncode == 0, done.stderr
    assert run_cli(["show", "local", "--reveal"], env).stdout.strip() == TOKEN
    no_leak(TOKEN, audit.stdout, audit.stderr, doctor.stdout, doctor.stderr, scan.stdout, scan.stderr,
            done.stdout, done.stderr, *homes(env))


def test_token_in_the_wrong_place_is_not_echoed(env):
    """A token pasted where a URL, name or username goes is refused without repeating it."""
    for args in (["add", "x", "--url", TOKEN2], ["add", TOKEN2, "--url", "http://127.0.0.1:9/"],
                 ["show", TOKEN2], ["env", TOKEN2], ["remove", TOKEN2]):
        done = run_cli([*args, "--token-stdin"] if args[0] == "add" else args, env, input=TOKEN)
        no_leak(TOKEN2, done.stdout, done.stderr)
        no_leak(TOKEN, done.stdout, done.stderr)


# A keyring backend whose failure message echoes the secret it handled, as a buggy or chatty
# backend can: a real keyring backend class (keyrings.alt's file keyring), loaded by keyring
# from PYTHON_KEYRING_BACKEND, that stores for real and then fails.
CHATTY_BACKEND = textwrap.dedent('''
    from keyrings.alt.file import PlaintextKeyring

    class Keyring(PlaintextKeyring):
        def get_password(self, service, username):
            value = super().get_password(service, username)
            if value is not None:
                raise ValueError(f"cannot decode stored value {value!r}")
            return value
''')


@pytest.fixture
def chatty_env(cli_env, tmp_path):
    module_dir = tmp_path / "backend"
    module_dir.mkdir()
    (module_dir / "chatty_backend.py").write_text(CHATTY_BACKEND)
    env = {**cli_env, "PYTHONPATH": str(module_dir), "PYTHON_KEYRING_BACKEND": "chatty_backend.Keyring",
           "PYPICREDS_STORE": "keyring"}
    done = run_cli(["add", "chatty", "--url", "http://127.0.0.1:9/c/", "--token-stdin"], env, input=TOKEN)
    assert done.returncode == 0, done.stderr
    return env


def test_backend_error_that_echoes_the_token_is_scrubbed(chatty_env):
    for debug in ("", "1"):
        env = {**chatty_env, "PYPICREDS_DEBUG": debug}
        for args in (["env", "chatty"], ["show", "chatty", "--reveal"], ["exec", "chatty", "--", "true"]):
            done = run_cli(args, env)
            assert done.returncode == 1
            assert "cannot decode stored value" in done.stderr  # the failure is reported...
            no_leak(TOKEN, done.stdout, done.stderr)  # ...without the token


def test_unexpected_error_traceback_is_scrubbed(env):
    """An unexpected exception while a token is in flight, its message carrying the token: with
    PYPICREDS_DEBUG=1 the traceback is printed, and neither it nor the one-line report may carry
    the token. The exception is injected (a bug of this kind cannot be caused from outside):
    `session.variables_for` is replaced, after the real store handed over the real token."""
    code = textwrap.dedent("""
        import sys
        from pypicreds.session import variables as session
        def variables_for(entry, token, *publisher):
            raise RuntimeError("unexpected, while holding " + token)
        session.variables_for = variables_for
        from pypicreds.__main__ import main
        sys.exit(main(sys.argv[1:]))
    """)
    for debug in ("", "1"):
        for args in (["env", "local"], ["exec", "local", "--", "true"]):
            done = subprocess.run([sys.executable, "-c", code, *args], env={**env, "PYPICREDS_DEBUG": debug},
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 1, done.stderr
            assert "unexpected, while holding" in done.stderr
            assert ("Traceback" in done.stderr) == bool(debug)
            no_leak(TOKEN, done.stdout, done.stderr)
