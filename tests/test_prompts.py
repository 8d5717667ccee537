"""Typing at a real terminal (a pseudo-terminal that is the process's controlling terminal):
tokens typed by hand are never echoed, Ctrl-C at every prompt says `pypicreds: aborted` on a
fresh line (exit 130), Ctrl-D gives its error on a fresh line, and nothing is stored either way
(issue 16, items 4 and 8)."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import signal
import termios
from pathlib import Path

import pytest

from macaroon_mint import current, mint
from realparts import VENV_BIN, SigintElsewhere, read_terminal, run_cli, stop_process

TOKEN = mint([current([1, ["demo-pkg"]])], location="test.pypi.org")
NEW_TOKEN = mint([current([1, ["demo-pkg"]])], location="test.pypi.org")
CTRL_C, CTRL_D = b"\x03", b"\x04"
ABORTED = b"\r\npypicreds: aborted\r\n"


def terminal_with_ctrl_c() -> None:
    """In the child, after setsid (start_new_session): the pseudo-terminal becomes its controlling
    terminal, and Ctrl-C interrupts as at any terminal, even when the suite runs as a background
    job (which starts with SIGINT ignored: a Python started so never raises KeyboardInterrupt)."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def at_terminal(args: list[str], env: dict, keys: list[tuple[bytes, bytes]], timeout: float = 30) -> tuple[int, bytes]:
    """Run `pypicreds ARGS` with a new pseudo-terminal as its controlling terminal (stdin, stdout
    and stderr on it too). For each (prompt, keys): wait for `prompt`, then type `keys`.
    Returns (exit code, everything the terminal showed)."""
    main, child = os.openpty()

    proc = subprocess.Popen([str(VENV_BIN / "pypicreds"), *args], stdin=child, stdout=child, stderr=child,
                            env=env, start_new_session=True, preexec_fn=terminal_with_ctrl_c)
    os.close(child)
    shown = b""
    try:
        for prompt, typed in keys:
            shown += read_terminal(main, timeout, until=prompt)
            assert prompt in shown, shown
            os.write(main, typed)
        shown += read_terminal(main, timeout, exited=lambda: proc.poll() is not None)
        return proc.wait(timeout=10), shown
    finally:
        stop_process(proc)
        os.close(main)


@pytest.fixture
def env(cli_env):
    return {**cli_env, "PYPICREDS_STORE": "file", "PYPICREDS_PASSPHRASE": "prompt tests"}


def stored(env) -> list[dict]:
    result = run_cli(["list", "--json"], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def with_stored_token(env) -> dict:
    assert run_cli(["add", "testpypi", "--token-stdin"], env, input=TOKEN).returncode == 0
    return env


# --- 4. a token typed by hand is never echoed -----------------------------------------------------


@pytest.mark.parametrize("args", [["add", "testpypi"], ["add", "testpypi", "--token-stdin"]],
                         ids=["prompt", "token-stdin"])
def test_a_token_typed_at_the_terminal_is_not_echoed(env, args):
    """`--token-stdin` with nothing piped in reads the terminal with echo off, after a prompt."""
    code, shown = at_terminal(args, env, [(b"Token for testpypi: ", TOKEN.encode() + b"\n")])
    assert code == 0, shown
    assert TOKEN[5:25].encode() not in shown
    assert b"Token for testpypi: \r\n" in shown  # the prompt's line ends when Enter is pressed
    [entry] = stored(env)
    assert entry["name"] == "testpypi" and entry["projects"] == ["demo-pkg"]


def test_rotate_reads_the_new_token_at_the_terminal_without_echo(env):
    with_stored_token(env)
    code, shown = at_terminal(["rotate", "testpypi", "--token-stdin"], env,
                              [(b"New token for testpypi: ", NEW_TOKEN.encode() + b"\n")])
    assert code == 0, shown
    assert NEW_TOKEN[5:25].encode() not in shown
    [entry] = stored(env)
    assert entry["rotated"] is not None


@pytest.mark.parametrize("args", [["inspect"], ["inspect", "--token-stdin"]], ids=["no-name", "token-stdin"])
def test_inspect_without_a_name_reads_a_token_at_a_hidden_prompt(env, args):
    """The hidden prompt `inspect`'s help promises, for a token that is not stored."""
    code, shown = at_terminal(args, env, [(b"Token to inspect: ", TOKEN.encode() + b"\n")])
    assert code == 0, shown
    assert TOKEN[5:25].encode() not in shown
    assert b"test.pypi.org" in shown and b"demo-pkg" in shown


def test_inspect_without_a_name_or_a_terminal_says_how_to_pipe(env):
    result = run_cli(["inspect"], env)
    assert result.returncode == 1
    assert "no terminal" in result.stderr and "--token-stdin" in result.stderr


# --- 8. Ctrl-C and Ctrl-D at every prompt ----------------------------------------------------------

PROMPTS = {
    "add": (["add", "testpypi"], b"Token for testpypi: ", False),
    "add --token-stdin": (["add", "testpypi", "--token-stdin"], b"Token for testpypi: ", False),
    "add --project": (["add", "testpypi", "--project", "demo-pkg"], b"Token for testpypi: ", False),
    "rotate": (["rotate", "testpypi"], b"New token for testpypi: ", True),
    "inspect": (["inspect"], b"Token to inspect: ", False),
    "inspect --token-stdin": (["inspect", "--token-stdin"], b"Token to inspect: ", False),
}


@pytest.mark.parametrize("key", [CTRL_C, CTRL_D], ids=["ctrl-c", "ctrl-d"])
@pytest.mark.parametrize("case", list(PROMPTS))
def test_ctrl_c_or_ctrl_d_at_a_token_prompt_ends_its_line(env, case, key):
    """Ctrl-C: `pypicreds: aborted` (130); Ctrl-D: the error (1); each on a fresh line after the
    prompt, and nothing stored."""
    args, prompt, needs_token = PROMPTS[case]
    if needs_token:
        with_stored_token(env)
    before = stored(env)
    code, shown = at_terminal(args, env, [(prompt, key)])
    if key == CTRL_C:
        assert code == 130 and shown.endswith(prompt + ABORTED), shown
    else:
        assert code == 1 and prompt + b"\r\npypicreds: error: no token was entered" in shown, shown
    assert stored(env) == before


PASSPHRASE_PROMPTS = {
    "env": ["env", "testpypi"],
    "show --reveal": ["show", "testpypi", "--reveal"],
    "exec": ["exec", "testpypi", "--", "true"],
    "rotate": ["rotate", "testpypi", "--token-stdin"],
}


@pytest.mark.parametrize("key", [CTRL_C, CTRL_D], ids=["ctrl-c", "ctrl-d"])
@pytest.mark.parametrize("case", list(PASSPHRASE_PROMPTS))
def test_the_vault_passphrase_prompt_ends_its_line(env, case, key):
    """The passphrase prompt of the encrypted file store: Ctrl-C aborts, Ctrl-D says that no
    passphrase was entered (not that there is no terminal), each on a fresh line."""
    with_stored_token(env)
    no_passphrase = {k: v for k, v in env.items() if k != "PYPICREDS_PASSPHRASE"}
    keys = [(b"Passphrase for the pypicreds vault", b"")]
    if case == "rotate":
        keys = [(b"New token for testpypi: ", NEW_TOKEN.encode() + b"\n"), *keys]
    keys[-1] = (keys[-1][0], key)
    code, shown = at_terminal(PASSPHRASE_PROMPTS[case], no_passphrase, keys)
    assert shown.count(b"Passphrase for the pypicreds vault") == 1, shown
    after_prompt = shown.split(b"vault.json: ", 1)[1]
    if key == CTRL_C:
        assert code == 130 and after_prompt == ABORTED, shown
    else:
        assert code == 1, shown
        assert after_prompt.startswith(b"\r\npypicreds: error: no passphrase was entered"), shown
    [entry] = stored(env)
    assert entry["rotated"] is None


def test_ctrl_c_outside_a_prompt_is_reported_too(cli_env, hung_secret_service):
    """A Ctrl-C while a Typer-parsed command waits (here on a Secret Service that never answers)
    is not a silent exit 130: it says so, on a line of its own."""
    env = {**cli_env, **hung_secret_service.env, "PYPICREDS_KEYRING_TIMEOUT": "60"}
    main, child = os.openpty()
    proc = subprocess.Popen([str(VENV_BIN / "pypicreds"), "doctor", "pypi"], stdin=child, stdout=child,
                            stderr=child, env=env, start_new_session=True, preexec_fn=terminal_with_ctrl_c)
    os.close(child)
    try:
        shown = read_terminal(main, 2)  # doctor is waiting for the keyring by now
        assert proc.poll() is None, shown
        os.write(main, CTRL_C)
        shown += read_terminal(main, 20, exited=lambda: proc.poll() is not None)
        code = proc.wait(timeout=10)
    finally:
        stop_process(proc)
        os.close(main)
    assert code == 130, shown
    assert shown.endswith(b"^C\r\npypicreds: aborted\r\n"), shown


def test_a_quoted_paste_at_the_prompt_is_stored_without_the_quotes(env):
    """Item 5 at a real terminal: `"pypi-…"` pasted at the hidden prompt."""
    code, shown = at_terminal(["add", "testpypi"], env, [(b"Token for testpypi: ", b'"' + TOKEN.encode() + b'"\n')])
    assert code == 0, shown
    assert b"quotes" in shown and TOKEN[5:25].encode() not in shown
    revealed = run_cli(["show", "testpypi", "--reveal"], env)
    assert revealed.stdout == TOKEN + "\n"


@pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="needs /proc/PID/wchan (Linux)")
@pytest.mark.parametrize("case", ["inspect --token-stdin", "add"])
def test_a_ctrl_c_noted_before_the_prompt_waits_still_ends_it(env, tmp_path, case):
    """A SIGINT whose handler ran before the prompt's read began (realparts.SigintElsewhere: the
    same state, reached on purpose) ends the prompt as any Ctrl-C does."""
    args, prompt, _ = PROMPTS[case]
    sigint = SigintElsewhere(tmp_path)
    main, child = os.openpty()
    proc = subprocess.Popen([str(VENV_BIN / "pypicreds"), *args], stdin=child, stdout=child, stderr=child,
                            env={**env, **sigint.env},
                            start_new_session=True, preexec_fn=terminal_with_ctrl_c)
    os.close(child)
    try:
        shown = read_terminal(main, 30, until=prompt)
        assert prompt in shown, shown
        sigint.send(proc.pid)
        shown += read_terminal(main, 10, exited=lambda: proc.poll() is not None)
        try:
            code = proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            wchan = Path(f"/proc/{proc.pid}/wchan").read_text()
            pytest.fail(f"Ctrl-C lost: the prompt still waits 10 s later (wchan {wchan}): {shown!r}")
    finally:
        stop_process(proc)
        os.close(main)
    assert code == 130 and shown.endswith(prompt + ABORTED), shown
