"""`pypicreds env` and `pypicreds exec`, run as users run them: in real bash, zsh, dash and fish.

Tokens are stored in-process with `credentials.add` (the file store with a key file, in the
same temporary HOME the CLI subprocesses get), which is quicker than a CLI `add` per test.
Values reach the shells only through pypicreds' stdout and the store, never through argv;
what the shells end up with is read back with `env -0` (a child, like twine would be).
Uploads with twine against a real index are in test_upload.py.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import termios
import time
from pathlib import Path

import pytest

from realparts import assert_no_secret, read_terminal, run_cli, stop_process, wait_until

from pypicreds import credentials

TOKEN = "pypi-AgEIcHlwaS5vcmcCJDEyMzQ1Njc4LTEyMzQtMTIzNC0xMjM0LTEyMzQ1Njc4OTBhYgACKlsz_-Q"
# A private index's user and password, full of what shells treat specially (add refuses whitespace).
USER = "al'ice\"$x&;*#\\"
PASSWORD = "p@ss'w\"0rd$HOME&;`id`*?[a]#\\!~"
URL = "http://127.0.0.1:9/a&b;c'd/?x=$y#z"
NAMES = ("TWINE_USERNAME", "TWINE_PASSWORD", "TWINE_REPOSITORY_URL")


def store(name: str = "local", token: str = TOKEN, url: str = "http://127.0.0.1:9/", username: str | None = None):
    credentials.add(name=name, token=token, url=url, username=username, store="file", write_pypirc=False)


def env0(path: Path) -> dict[str, str]:
    """What `env -0 > path` wrote, as a dict."""
    items = [item.split("=", 1) for item in path.read_bytes().decode().split("\0") if item]
    return dict(items)


def twine_part(variables: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in variables.items() if k in (*NAMES, "PYPICREDS_REPOSITORY")}


@pytest.fixture
def bait_dir(tmp_path) -> Path:
    """A working directory full of files that a stray glob in the output would expand to."""
    work = tmp_path / "work"
    work.mkdir()
    for name in ("a", "x*", "'p", "export", "-", "[", "&", "x"):
        (work / name).write_text("")
    return work


# --- env ------------------------------------------------------------------------------------


POSIX_SHELLS = {"bash": ["bash", "-c"], "zsh": ["zsh", "-c"], "dash": ["dash", "-c"]}
EVALS = {"unquoted": "eval $(pypicreds env {name})", "quoted": 'eval "$(pypicreds env {name})"'}


@pytest.mark.parametrize("how", EVALS)
@pytest.mark.parametrize("shell", POSIX_SHELLS)
def test_env_eval_in_posix_shells(shell, how, cli_env, bait_dir):
    store("priv", PASSWORD, URL, USER)
    evaluate = EVALS[how].format(name="priv")
    script = f"{evaluate} && env -0 > set.env && eval $(pypicreds env --unset) && env -0 > unset.env"
    result = subprocess.run(POSIX_SHELLS[shell] + [script], env=cli_env, cwd=bait_dir,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert twine_part(env0(bait_dir / "set.env")) == {
        "TWINE_USERNAME": USER, "TWINE_PASSWORD": PASSWORD, "TWINE_REPOSITORY_URL": URL,
    }
    assert twine_part(env0(bait_dir / "unset.env")) == {}
    assert "twine ignores -r" in result.stderr
    assert_no_secret(PASSWORD, result.stdout, result.stderr)


FISH_EVALS = {
    "pipe-source": "pypicreds env {name} --shell fish | source",
    "eval-list": "eval (pypicreds env {name} --shell fish)",
}


@pytest.mark.parametrize("how", FISH_EVALS)
def test_env_in_fish(how, cli_env, bait_dir):
    store("priv", PASSWORD, URL, USER)
    evaluate = FISH_EVALS[how].format(name="priv")
    script = (f"{evaluate}; and env -0 > set.env; and pypicreds env --unset --shell fish | source; "
              "and env -0 > unset.env")
    result = subprocess.run(["fish", "--no-config", "-c", script], env=cli_env, cwd=bait_dir,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert twine_part(env0(bait_dir / "set.env")) == {
        "TWINE_USERNAME": USER, "TWINE_PASSWORD": PASSWORD, "TWINE_REPOSITORY_URL": URL,
    }
    assert twine_part(env0(bait_dir / "unset.env")) == {}
    assert "pypicreds env --unset --shell fish | source" in result.stderr
    assert_no_secret(PASSWORD, result.stdout, result.stderr)


def test_env_stdout_holds_only_statements_and_stderr_the_note(cli_env):
    store()
    result = run_cli(["env", "local"], cli_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "export TWINE_USERNAME='__token__';",
        f"export TWINE_PASSWORD='{TOKEN}';",
        "export TWINE_REPOSITORY_URL='http://127.0.0.1:9/';",
    ]
    assert result.stderr.count("\n") == 1
    assert "while TWINE_REPOSITORY_URL is set, twine ignores -r" in result.stderr
    assert "eval $(pypicreds env --unset)" in result.stderr
    assert_no_secret(TOKEN, result.stderr)


def test_env_unset_removes_and_never_sets_empty(cli_env):
    result = run_cli(["env", "--unset"], cli_env)  # no name needed, nothing read from a store
    assert result.returncode == 0, result.stderr
    assert result.stdout == "unset TWINE_USERNAME;\nunset TWINE_PASSWORD;\nunset TWINE_REPOSITORY_URL;\n"
    fish = run_cli(["env", "--unset", "--shell", "fish"], cli_env)
    assert fish.stdout == "set -e TWINE_USERNAME;\nset -e TWINE_PASSWORD;\nset -e TWINE_REPOSITORY_URL;\n"
    dotenv = run_cli(["env", "--unset", "--shell", "dotenv"], cli_env)
    assert dotenv.returncode == 2 and dotenv.stdout == ""
    assert "dotenv file cannot remove variables" in dotenv.stderr


def test_env_other_syntaxes(cli_env):
    import json

    store()
    as_json = run_cli(["env", "local", "--shell", "json"], cli_env)
    assert json.loads(as_json.stdout) == {
        "TWINE_USERNAME": "__token__", "TWINE_PASSWORD": TOKEN, "TWINE_REPOSITORY_URL": "http://127.0.0.1:9/",
        "PYPICREDS_PUBLISHER": "twine",
    }
    powershell = run_cli(["env", "local", "--shell", "powershell"], cli_env)
    assert f"$Env:TWINE_PASSWORD = '{TOKEN}';" in powershell.stdout.splitlines()
    assert "Invoke-Expression" in powershell.stderr
    dotenv = run_cli(["env", "local", "--shell", "dotenv"], cli_env)
    assert f"TWINE_PASSWORD={TOKEN}" in dotenv.stdout.splitlines()
    for result in (as_json, powershell, dotenv):
        assert result.returncode == 0, result.stderr
        assert_no_secret(TOKEN, result.stderr)


def test_env_hints_fish_users_but_keeps_sh_syntax(cli_env):
    store()
    result = run_cli(["env", "local"], {**cli_env, "SHELL": "/usr/bin/fish"})
    assert result.stdout.startswith("export TWINE_USERNAME=")
    assert "--shell fish | source" in result.stderr


def test_env_errors_are_one_line_without_a_token(cli_env):
    store()
    for args, code, message in [
        (["env", "nosuch"], 1, "no token stored for nosuch"),
        (["env", "local", "--shell", "tcsh"], 2, "unknown shell 'tcsh'"),
        (["env"], 2, "missing the repository name"),
    ]:
        result = run_cli(args, cli_env)
        assert (result.returncode, result.stdout) == (code, ""), result.stderr
        assert result.stderr.startswith(f"pypicreds: error: {message}")
        assert "Traceback" not in result.stderr
        assert_no_secret(TOKEN, result.stderr)


# --- the passphrase prompt goes to the terminal -----------------------------------------------


def _run_in_terminal(argv, env, cwd, answer: str, timeout: float = 30) -> tuple[int, bytes]:
    """Run argv as the session leader of a new pseudo-terminal (stdin, stdout, stderr on it);
    type `answer` when a passphrase prompt appears. Returns (exit code, everything shown)."""
    master, slave = os.openpty()

    def controlling_terminal():  # runs in the child after setsid (start_new_session)
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                            start_new_session=True, preexec_fn=controlling_terminal)
    os.close(slave)
    deadline = time.monotonic() + timeout
    try:
        shown = read_terminal(master, timeout, answer=(b"Passphrase", answer.encode() + b"\n"))
        return proc.wait(timeout=max(0.1, deadline - time.monotonic())), shown
    finally:
        stop_process(proc)
        os.close(master)


@pytest.mark.parametrize("passphrase_ok", [True, False], ids=["right-passphrase", "wrong-passphrase"])
def test_env_passphrase_prompt_goes_to_the_terminal_not_stdout(passphrase_ok, cli_env, tmp_path, monkeypatch):
    passphrase = "correct horse battery staple"
    monkeypatch.setenv("PYPICREDS_PASSPHRASE", passphrase)  # a vault protected by a passphrase
    store()
    monkeypatch.delenv("PYPICREDS_PASSPHRASE")
    assert "PYPICREDS_PASSPHRASE" not in cli_env
    # exactly as a user types it: stdout of pypicreds is captured by $(...), the terminal is not
    script = "eval $(pypicreds env local); env -0 > set.env"  # eval of nothing succeeds: `;` as users do
    code, shown = _run_in_terminal(["bash", "-c", script], cli_env, tmp_path,
                                   passphrase if passphrase_ok else "wrong passphrase")
    assert b"Passphrase" in shown  # the prompt reached the terminal
    assert_no_secret(TOKEN, shown)
    assert_no_secret(passphrase, shown)  # typed with echo off
    assert code == 0, shown
    if passphrase_ok:
        assert twine_part(env0(tmp_path / "set.env"))["TWINE_PASSWORD"] == TOKEN
        assert b"twine ignores -r" in shown
    else:
        assert b"pypicreds: error: wrong passphrase" in shown
        assert twine_part(env0(tmp_path / "set.env")) == {}


# --- exec -----------------------------------------------------------------------------------


def test_exec_child_sees_variables_and_its_exit_code_passes_through(cli_env, tmp_path):
    store("priv", PASSWORD, URL, USER)
    out = tmp_path / "child.env"
    result = run_cli(["exec", "priv", "--", "sh", "-c", f'env -0 > "{out}"; exit 7'], cli_env)
    assert result.returncode == 7, result.stderr
    assert twine_part(env0(out)) == {
        "TWINE_USERNAME": USER, "TWINE_PASSWORD": PASSWORD, "TWINE_REPOSITORY_URL": URL,
        "PYPICREDS_REPOSITORY": "priv",
    }
    assert (result.stdout, result.stderr) == ("", "")


def test_exec_passes_stdin_stdout_stderr_and_options_through(cli_env):
    store()
    result = run_cli(["exec", "local", "--", "sh", "-c", 'cat; echo "to stderr $1" >&2', "sh", "--help"],
                     cli_env, input="from stdin\n")
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("from stdin\n", "to stderr --help\n")
    without_separator = run_cli(["exec", "local", "printf", "%s|", "-n", "--"], cli_env)
    assert (without_separator.returncode, without_separator.stdout) == (0, "-n|--|")


def test_exec_leaves_the_calling_shell_unchanged(cli_env, tmp_path):
    store()
    script = ('pypicreds exec local -- sh -c \'test -n "$TWINE_PASSWORD"\' && '
              'echo "after: ${TWINE_USERNAME-unset} ${TWINE_PASSWORD-unset} ${TWINE_REPOSITORY_URL-unset} '
              '${PYPICREDS_REPOSITORY-unset}" && env -0 > "$1"')
    result = subprocess.run(["bash", "-c", script, "bash", str(tmp_path / "after.env")], env=cli_env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "after: unset unset unset unset\n"
    assert twine_part(env0(tmp_path / "after.env")) == {}


def test_exec_missing_command_is_127_with_a_clear_message(cli_env, tmp_path):
    store()
    missing = run_cli(["exec", "local", "--", "no-such-command-xyz", "--flag"], cli_env)
    assert (missing.returncode, missing.stdout) == (127, "")
    assert missing.stderr == ("pypicreds: error: command not found: no-such-command-xyz "
                              "(hint: check its name and your PATH)\n")
    not_executable = tmp_path / "data.txt"
    not_executable.write_text("x")
    cannot = run_cli(["exec", "local", "--", str(not_executable)], cli_env)
    assert cannot.returncode == 126
    assert cannot.stderr.startswith(f"pypicreds: error: cannot run {not_executable}")
    nothing = run_cli(["exec", "local", "--"], cli_env)
    assert nothing.returncode == 2
    assert nothing.stderr.startswith("pypicreds: error: no command to run")
    unknown = run_cli(["exec", "nosuch", "--", "true"], cli_env)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("pypicreds: error: no token stored for nosuch")
    for result in (missing, cannot, nothing, unknown):
        assert "Traceback" not in result.stderr
        assert_no_secret(TOKEN, result.stdout, result.stderr)


@pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "typer"])
def test_exec_options_after_name_without_separator_are_a_usage_error(fast, cli_env, tmp_path):
    """click reads no option after NAME, so `exec NAME --mask CMD` used to run `--mask` (127,
    "command not found"). Any first command word starting with `-`, given without `--`, is a
    usage error (2) that says where the options go; nothing runs. After `--` it is the command."""
    store()
    env = cli_env if fast else {**cli_env, "PYPICREDS_NO_FAST_PATH": "1"}
    ran = tmp_path / "ran"
    hint = "(hint: put pypicreds' options before NAME, or use -- before the command)\n"
    for args, shown in ((["--mask"], "`pypicreds exec` reads no option after NAME: --mask would be run"),
                        (["--ttl", "5m"], "`pypicreds exec` reads no option after NAME: --ttl would be run"),
                        (["--for=uv"], "`pypicreds exec` reads no option after NAME: --for=uv would be run"),
                        (["--no-mask"], "`pypicreds exec` reads no option after NAME: --no-mask would be run"),
                        (["-x"], "the command to run cannot start with -x")):
        for after in ([], ["--", "true"]):  # a `--` after the command's start belongs to the command
            result = run_cli(["exec", "local", *args, "touch", str(ran), *after], env)
            assert (result.returncode, result.stdout) == (2, ""), (args, result.stderr)
            assert result.stderr.startswith(f"pypicreds: error: {shown}") and result.stderr.endswith(hint)
            assert result.stderr.count("\n") == 1 and not ran.exists()
    placed = run_cli(["exec", "--mask", "local", "--for", "uv", "--", "touch", str(ran)], env)
    assert placed.returncode == 0 and ran.exists(), placed.stderr
    explicit = run_cli(["exec", "local", "--", "--mask"], env)
    assert explicit.returncode == 127 and "command not found: --mask" in explicit.stderr


def test_exec_refuses_to_nest_inside_another_repository(cli_env):
    store()
    store("other", "pypi-AgEIcHlwaS5vcmcCJGFiY2RlZg", "http://127.0.0.1:10/")
    nested = run_cli(["exec", "local", "--", "pypicreds", "exec", "other", "--", "sh", "-c", "echo reached"],
                     cli_env)
    assert nested.returncode == 1
    assert nested.stdout == ""
    assert nested.stderr.startswith(
        "pypicreds: error: already inside `pypicreds exec local`; refusing to nest other in it")
    same = run_cli(["exec", "local", "--", "pypicreds", "exec", "local", "--", "sh", "-c",
                    'echo "$PYPICREDS_REPOSITORY"'], cli_env)
    assert (same.returncode, same.stdout) == (0, "local\n"), same.stderr
    for result in (nested, same):
        assert_no_secret(TOKEN, result.stdout, result.stderr)


def _all_cmdlines() -> dict[int, bytes]:
    found = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                found[int(entry.name)] = Path(entry.path, "cmdline").read_bytes()
            except OSError:  # gone meanwhile
                pass
    return found


def test_exec_token_is_in_no_process_cmdline_while_the_child_runs(cli_env):
    store()
    proc = subprocess.Popen(["pypicreds", "exec", "local", "--", "sleep", "30"], env=cli_env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        cmdline = Path(f"/proc/{proc.pid}/cmdline")
        # exec replaces pypicreds in the same process: wait until it is `sleep`
        wait_until(lambda: cmdline.read_bytes() == b"sleep\x0030\x00", 20, "pypicreds to exec sleep")
        cmdlines = _all_cmdlines()
        assert len(cmdlines) > 3
        for pid, argv in cmdlines.items():
            if TOKEN.encode() in argv:
                pytest.fail(f"the token is in the argv of process {pid}")  # (pytest would show argv)
        # the child does hold it, in its environment (readable only by its user and root)
        environ = Path(f"/proc/{proc.pid}/environ").read_bytes().split(b"\0")
        assert f"TWINE_PASSWORD={TOKEN}".encode() in environ
    finally:
        stop_process(proc)
        out, err = proc.communicate()
    assert_no_secret(TOKEN, out, err)


def test_exec_child_never_sees_the_vault_passphrase(cli_env, tmp_path):
    """A leaked environment of the child must not unlock the vault (it would undo --ttl)."""
    env = {**cli_env, "PYPICREDS_PASSPHRASE": "vault-passphrase-123"}
    assert run_cli(["add", "priv", "--url", URL, "--username", USER, "--store", "file", "--no-pypirc",
                    "--token-stdin"], env, input=PASSWORD).returncode == 0
    out = tmp_path / "child.env"
    result = run_cli(["exec", "priv", "--", "sh", "-c", f'env -0 > "{out}"'], env)
    assert result.returncode == 0, result.stderr
    seen = env0(out)
    assert seen["TWINE_PASSWORD"] == PASSWORD
    assert "PYPICREDS_PASSPHRASE" not in seen
    assert b"vault-passphrase-123" not in out.read_bytes()
