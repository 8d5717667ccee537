"""The first commands a newcomer types: bare `pypicreds`, global options in odd places, names
typed wrong, twine's own advice, and the words and shapes of help and output (issue 16)."""

from __future__ import annotations

import pytest

from macaroon_mint import current, mint
from realparts import run_cli

TOKEN = mint([current([1, ["foo"]])], location="test.pypi.org")


@pytest.fixture
def env(cli_env):
    return {**cli_env, "PYPICREDS_STORE": "file", "PYPICREDS_PASSPHRASE": "first run"}


def both_paths(args, env, input=None):
    """The same argv on the fast path and through Typer."""
    return [run_cli(args, e, input=input) for e in (env, {**env, "PYPICREDS_NO_FAST_PATH": "1"})]


# --- 1. bare `pypicreds` -------------------------------------------------------------------------


@pytest.mark.parametrize("args", [[], ["-q"], ["--quiet"]])
def test_bare_pypicreds_prints_the_formatted_help_and_succeeds(env, args):
    """Like git and gh: the help itself on stdout (real line breaks, no error), exit 0."""
    result = run_cli(args, env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("Usage: pypicreds")
    assert "\\n" not in result.stdout and "Commands" in result.stdout and "\n  add " in result.stdout
    assert result.stdout == run_cli(["--help"], env).stdout


def test_usage_errors_stay_one_line(env):
    for args in (["--bogus"], ["no-such-command"], ["add"], ["env", "a", "b"]):
        result = run_cli(args, env)
        assert result.returncode == 2 and result.stdout == ""
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("pypicreds: error: "), args


# --- 2. -q/--quiet anywhere before `--` ------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["add", "testpypi", "--token-stdin", "-q"],
        ["add", "-q", "testpypi", "--token-stdin"],
        ["add", "testpypi", "--quiet", "--token-stdin"],
    ],
)
def test_quiet_is_accepted_after_the_command(env, tmp_path, args):
    """`pypicreds add pypi -q` works on both paths, and is as quiet as `pypicreds -q add pypi`."""
    for run in ("fast", "typer"):
        home = tmp_path / run
        e = {**env, "HOME": str(home), "PYPICREDS_HOME": str(home / "pc")}
        if run == "typer":
            e["PYPICREDS_NO_FAST_PATH"] = "1"
        result = run_cli(args, e, input=TOKEN)
        assert result.returncode == 0, (run, result.stderr)
        assert result.stderr == "", (run, result.stderr)
        listed = run_cli(["list"], e)
        assert "testpypi" in listed.stdout


def test_quiet_after_the_command_on_typer_only_commands(env):
    run_cli(["add", "testpypi", "--token-stdin"], env, input=TOKEN)
    loud = run_cli(["audit"], env)
    quiet = run_cli(["audit", "-q"], env)
    assert loud.returncode == quiet.returncode == 0, quiet.stderr
    assert "0 errors" in loud.stderr and quiet.stderr == ""


def test_quiet_after_the_separator_belongs_to_the_command(env):
    """Words after `--` (and an exec command's own words) are never taken as pypicreds' -q."""
    run_cli(["add", "testpypi", "--token-stdin"], env, input=TOKEN)
    for args in (["exec", "testpypi", "-q", "--", "sh", "-c", 'echo "$@"', "sh", "-q"],
                 ["exec", "testpypi", "sh", "-c", 'echo "$@"', "sh", "-q"]):
        fast, typer = both_paths(args, env)
        assert fast.returncode == typer.returncode == 0, (fast.stderr, typer.stderr)
        assert fast.stdout == typer.stdout == "-q\n"
