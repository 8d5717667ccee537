"""Conventions every command keeps: no colour off a terminal or under NO_COLOR, an example in
every --help, --json on every command that prints data, errors that name the fixing command.

The command list comes from the CLI's own command tree, so a new command is checked as it lands.
"""

from __future__ import annotations

import os
import pty
import subprocess

import pytest
import typer.main

from realparts import VENV_BIN, read_terminal, run_cli, stop_process

from pypicreds.cli.app import app

ESC = "\x1b"

# Which commands print data (and so need --json), and which only act. A new command must be
# put in one of the two sets: the test below fails until it is.
DATA_COMMANDS = {"list", "show", "inspect", "audit", "doctor", "scan"}
ACTION_COMMANDS = {"add", "rotate", "remove", "env", "exec", "upload", "import"}


def _commands() -> dict[str, object]:
    root = typer.main.get_command(app)
    return dict(root.commands)


COMMANDS = _commands()
HELP_ARGS = [[], *([name] for name in COMMANDS)]
HELP_IDS = ["pypicreds", *COMMANDS]


def _no_escapes(result: subprocess.CompletedProcess) -> None:
    for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        assert ESC not in text, f"escape code on {stream}: {text[:300]!r}"


def _terminal_env(cli_env: dict[str, str], **extra: str) -> dict[str, str]:
    env = {**cli_env, "TERM": "xterm-256color", **extra}
    for name in ("NO_COLOR", "FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS", "CLICOLOR_FORCE"):
        if name not in extra:
            env.pop(name, None)
    return env


def run_in_pty(argv: list[str], env: dict[str, str], timeout: float = 30) -> str:
    """Run with stdin, stdout and stderr on a real pseudo-terminal; return everything it printed."""
    main, child = pty.openpty()
    proc = subprocess.Popen(argv, stdin=child, stdout=child, stderr=child, env=env, close_fds=True)
    os.close(child)
    try:
        out = read_terminal(main, timeout, exited=lambda: proc.poll() is not None)
        proc.wait(timeout=5)
    finally:
        stop_process(proc)
        os.close(main)
    return out.decode("utf-8", "replace")


@pytest.mark.parametrize("args", HELP_ARGS, ids=HELP_IDS)
def test_help_has_no_escapes_off_a_terminal(cli_env, args):
    """Piped, with a colour-capable TERM: plain text, with and without NO_COLOR."""
    _no_escapes(run_cli([*args, "--help"], _terminal_env(cli_env)))
    # NO_COLOR wins even where a CI variable asks tools to colour their logs
    _no_escapes(run_cli([*args, "--help"], _terminal_env(cli_env, NO_COLOR="1", GITHUB_ACTIONS="true")))


def test_real_commands_print_no_escapes(cli_env):
    from macaroon_mint import current, mint

    token = mint([current([1, ["demo-pkg"]])], location="test.pypi.org")
    base = {**_terminal_env(cli_env), "PYPICREDS_STORE": "file", "PYPICREDS_PASSPHRASE": "conventions"}
    for env in (base, {**base, "NO_COLOR": "1"}):
        runs = [
            run_cli(["add", "testpypi", "--token-stdin"], env, input=token),  # notes on stderr
            run_cli(["list"], env),
            run_cli(["list", "--json"], env),
            run_cli(["show", "testpypi"], env),
            run_cli(["inspect", "--token-stdin"], env, input=token),
            run_cli(["env", "--unset"], env),
            run_cli(["show", "no-such-repository"], env),  # an expected failure
            run_cli(["add"], env),  # a usage error
            run_cli(["no-such-command"], env),
            run_cli(["remove", "testpypi"], env),
        ]
        assert [r.returncode for r in runs] == [0, 0, 0, 0, 0, 0, 1, 2, 2, 0], [r.stderr for r in runs]
        for result in runs:
            _no_escapes(result)


def test_help_on_a_terminal_has_no_escapes_with_no_color(cli_env):
    env = _terminal_env(cli_env, NO_COLOR="1")
    for args in HELP_ARGS:
        out = run_in_pty([str(VENV_BIN / "pypicreds"), *args, "--help"], env)
        assert "Usage" in out, out
        assert ESC not in out, f"{args}: {out[:300]!r}"
    error = run_in_pty([str(VENV_BIN / "pypicreds"), "show", "no-such-repository"], env)
    assert "pypicreds: error:" in error and ESC not in error


def test_the_pty_check_can_see_colour(cli_env):
    """Without NO_COLOR, help on a terminal is coloured: the check above would see escapes."""
    out = run_in_pty([str(VENV_BIN / "pypicreds"), "--help"], _terminal_env(cli_env))
    assert ESC in out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_help_shows_an_example(cli_env, name):
    result = run_cli([name, "--help"], cli_env)
    assert result.returncode == 0, result.stderr
    assert "Example" in result.stdout


def test_every_command_is_classified():
    unknown = set(COMMANDS) - DATA_COMMANDS - ACTION_COMMANDS
    assert not unknown, f"new commands {unknown}: add each to DATA_COMMANDS (needs --json) or ACTION_COMMANDS"


@pytest.mark.parametrize("name", sorted(DATA_COMMANDS & set(COMMANDS)))
def test_data_commands_take_json(name):
    command = COMMANDS[name]
    options = {opt for param in command.params for opt in getattr(param, "opts", [])}
    assert "--json" in options


def test_an_error_names_the_command_that_fixes_it(cli_env):
    missing = run_cli(["show", "no-such-repository"], cli_env)
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.startswith("pypicreds: error: ") and len(missing.stderr.splitlines()) == 1
    assert "`pypicreds add" in missing.stderr
    usage = run_cli(["show"], cli_env)
    assert usage.returncode == 2 and "`pypicreds show --help`" in usage.stderr


def test_upload_output_has_no_escapes_off_a_terminal(cli_env, tmp_path):
    """`upload` runs twine, which colours a pipe when TERM looks like a terminal, even under
    NO_COLOR: pypicreds must ask it for plain output. Nothing listens on the port: twine's
    real 'connection refused' error is the output checked."""
    from realparts import free_port, make_wheel

    wheel = make_wheel(tmp_path / "dist")
    base = {**_terminal_env(cli_env), "PYPICREDS_STORE": "file", "PYPICREDS_PASSPHRASE": "conventions"}
    url = f"http://127.0.0.1:{free_port()}/"
    added = run_cli(["add", "closed", "--url", url, "--no-pypirc", "--token-stdin"], base, input="closed-index-password")
    assert added.returncode == 0, added.stderr
    for env in (base, {**base, "NO_COLOR": "1"}):
        result = run_cli(["upload", "closed", str(wheel)], env)
        assert result.returncode != 0 and "refused" in result.stdout + result.stderr, result.stderr
        _no_escapes(result)
