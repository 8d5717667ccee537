"""Under GITHUB_ACTIONS=true, every command that hands out a token (env, exec, upload,
show --reveal) first writes `::add-mask::<token>` (derived --ttl tokens included), so GitHub's
runner masks it in every later line of the job; never elsewhere.

The runner reads stdout and stderr apart and hands every line of both to one command parser
(session/ci.py says where in its source). Here each command runs with stdout and stderr on one
pipe, which gives the order of its writes, and `runner_log` replays that output the way the
runner masks it: the mask must come before any line that could carry the token.
"""

from __future__ import annotations

import subprocess

import pytest

from macaroon_mint import mint
from realparts import VENV_BIN, make_wheel, run_cli

from pypicreds import tokens

TOKEN = mint([], location="127.0.0.1", identifier="ci-mask-canary-0001")
GITHUB = {"GITHUB_ACTIONS": "true", "CI": "true"}
PYPICREDS = str(VENV_BIN / "pypicreds")


def runner_log(output: bytes) -> bytes:
    """What the job log shows of `output`: `::add-mask::` lines are taken as commands (and not
    shown); every other line is shown with each value masked so far replaced by `***`."""
    secrets: list[bytes] = []
    shown = []
    for line in output.split(b"\n"):
        if line.lstrip().startswith(b"::add-mask::"):
            value = line.lstrip()[len(b"::add-mask::"):].replace(b"%0D", b"\r").replace(b"%0A", b"\n")
            secrets.append(value.replace(b"%25", b"%"))
            continue
        for secret in sorted(secrets, key=len, reverse=True):
            line = line.replace(secret, b"***")
        shown.append(line)
    return b"\n".join(shown)


def mask_lines(output: str | bytes) -> list[str]:
    text = output.decode() if isinstance(output, bytes) else output
    return [line[len("::add-mask::"):] for line in text.splitlines() if line.startswith("::add-mask::")]


def merged(args: list[str], env: dict) -> subprocess.CompletedProcess:
    """Run pypicreds with stdout and stderr on one pipe (the order of its writes)."""
    return subprocess.run([PYPICREDS, *args], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=120)


def assert_masked_first(output: bytes, *secrets: str) -> None:
    lines = output.split(b"\n")
    for secret in secrets:
        holding = [i for i, line in enumerate(lines) if secret.encode() in line]
        assert holding, "the secret was not handed out at all"
        assert lines[holding[0]].startswith(b"::add-mask::"), "a line carries the token before its mask"
        assert secret.encode() not in runner_log(output), "the job log would show the token"


@pytest.fixture
def env(cli_env, pypiserver):
    index = pypiserver(TOKEN)
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    assert run_cli(["add", "local", "--url", index.url, "--token-stdin"], env, input=TOKEN).returncode == 0
    return env


def test_env_masks_on_stderr_and_keeps_stdout_for_the_shell(env):
    """env: the mask goes to stderr (stdout is evaluated by the shell); with --ttl it masks the
    derived token it prints, not only the stored one."""
    gha = {**env, **GITHUB}
    plain = run_cli(["env", "local"], gha)
    assert mask_lines(plain.stderr) == [TOKEN] and "::add-mask::" not in plain.stdout
    assert plain.stdout == run_cli(["env", "local"], env).stdout  # the same statements
    assert_masked_first(merged(["env", "local"], gha).stdout, TOKEN)
    derived_run = merged(["env", "local", "--ttl", "10m"], gha)
    (derived,) = mask_lines(derived_run.stdout)
    assert derived != TOKEN and tokens.inspect(derived).expires is not None
    assert_masked_first(derived_run.stdout, derived)


def test_eval_of_env_in_a_github_shell_sets_the_variables_and_runs_nothing_else(env, tmp_path):
    """`eval $(pypicreds env local)` in bash under GitHub: variables set, no stray command."""
    script = 'eval $(pypicreds env local --ttl 5m) && printf %s "$TWINE_PASSWORD" > "$1"'
    done = subprocess.run(["bash", "-c", script, "bash", str(tmp_path / "pw")], env={**env, **GITHUB},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert mask_lines(done.stderr) == [(tmp_path / "pw").read_text()]
    assert "not found" not in done.stderr


def test_show_reveal_masks_on_stderr_and_prints_the_token_alone(env):
    gha = {**env, **GITHUB}
    shown = run_cli(["show", "local", "--reveal"], gha)
    assert shown.stdout == TOKEN + "\n" and mask_lines(shown.stderr) == [TOKEN]
    assert_masked_first(merged(["show", "local", "--reveal"], gha).stdout, TOKEN)


def test_exec_without_the_relay_masks_on_both_streams_before_the_child_writes(env):
    """exec --no-mask: the child writes straight into the log, so each stream gets the mask first."""
    gha = {**env, **GITHUB}
    script = 'echo "out $TWINE_PASSWORD"; echo "err $TWINE_PASSWORD" >&2'
    apart = run_cli(["exec", "local", "--no-mask", "--ttl", "5m", "--", "sh", "-c", script], gha)
    (derived,) = mask_lines(apart.stdout)
    assert apart.stdout.splitlines() == [f"::add-mask::{derived}", f"out {derived}"]
    assert apart.stderr.splitlines() == [f"::add-mask::{derived}", f"err {derived}"]
    together = merged(["exec", "local", "--no-mask", "--", "sh", "-c", script], gha)
    assert_masked_first(together.stdout, TOKEN)


def test_exec_with_the_relay_masks_on_stderr_only(env):
    """Under CI exec relays (masking the child's output itself); the runner still learns the
    token for later steps, on stderr, and the child's stdout stays its own."""
    gha = {**env, **GITHUB}
    done = run_cli(["exec", "local", "--", "sh", "-c", 'echo "$TWINE_PASSWORD"'], gha)
    assert done.stdout == "pypi-****\n"
    assert mask_lines(done.stderr) == [TOKEN]


def test_upload_masks_on_both_streams_before_twine_writes(env, tmp_path):
    """upload: twine replaces pypicreds and writes into the log; the mask (of the derived token
    with --ttl) comes first on stdout and on stderr."""
    gha = {**env, **GITHUB}
    for version, extra in (("1.0", []), ("1.1", ["--ttl", "5m"])):
        wheel = make_wheel(tmp_path / version, "ci-mask-demo", version)
        done = run_cli(["upload", "local", *extra, str(wheel), "--", "--no-color", "--disable-progress-bar"], gha)
        # pypiserver knows only the stored token: it refuses a derived one, after twine sent it
        assert done.returncode == 0 if not extra else "403 Forbidden" in done.stdout + done.stderr, done.stdout
        (handed,) = mask_lines(done.stdout)
        assert done.stdout.startswith(f"::add-mask::{handed}\n") and done.stderr.startswith(f"::add-mask::{handed}\n")
        assert (handed == TOKEN) == (not extra)
        if extra:
            assert tokens.inspect(handed).expires is not None


@pytest.mark.parametrize("outside", [{}, {"CI": "true"}, {"GITHUB_ACTIONS": "false", "CI": "true"},
                                     {"GITHUB_ACTIONS": "1"}])
def test_no_mask_line_anywhere_but_under_github_actions(env, tmp_path, outside):
    """Elsewhere a `::add-mask::` line would only print the token: none is written."""
    run_env = {**env, **outside}
    wheel = make_wheel(tmp_path, "ci-mask-none", "1.0")
    for args in (["env", "local"], ["env", "local", "--ttl", "5m"], ["show", "local", "--reveal"],
                 ["exec", "local", "--", "true"], ["exec", "local", "--no-mask", "--", "true"],
                 ["upload", "local", "--skip-check", str(wheel), "--", "--no-color", "--disable-progress-bar"]):
        done = merged(args, run_env)
        assert done.returncode == 0, (args, done.stdout)
        assert b"::add-mask::" not in done.stdout, args
