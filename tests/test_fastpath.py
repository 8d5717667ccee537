"""The Typer-free fast path (cli/argv.py and cli/main.py) must behave exactly like the Typer commands it
shortcuts: same output, same exit code, on the same argv."""

from __future__ import annotations

import pytest

from macaroon_mint import current, mint
from realparts import run_cli

from pypicreds.cli import argv as fast

TOKEN = mint([current([1, ["foo"]])], location="test.pypi.org")


def both(args, env, input=None):
    fast_run = run_cli(args, env, input=input)
    slow_run = run_cli(args, {**env, "PYPICREDS_NO_FAST_PATH": "1"}, input=input)
    return fast_run, slow_run


@pytest.fixture
def env(cli_env):
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    assert run_cli(["add", "testpypi", "--token-stdin"], env, input=TOKEN).returncode == 0
    return env


@pytest.mark.parametrize(
    "args",
    [
        ["env", "testpypi"],
        ["env", "testpypi", "--shell", "fish"],
        ["env", "testpypi", "--shell=json"],
        ["env", "--unset"],
        ["env", "--unset", "--shell", "powershell"],
        ["env", "nope"],
        ["env", "testpypi", "--shell", "tcsh"],
        ["env", "testpypi", "--ttl", "15m", "--shell", "dotenv"],
        ["env", "testpypi", "--ttl", "soon"],
        ["env", "testpypi", "--for", "uv"],
        ["env", "testpypi", "--for=poetry", "--shell", "fish"],
        ["env", "testpypi", "--for", "all", "--shell", "json"],
        ["env", "testpypi", "--for", "bogus"],
        ["env", "--unset", "--for", "hatch"],
        ["env", "--unset", "--for", "poetry"],
        ["env", "testpypi", "--unset", "--for", "all"],
        ["env", "testpypi", "--project", "foo"],
        ["env"],
        ["list"],
        ["list", "--json"],
        ["-q", "env", "testpypi"],
        ["--quiet", "list"],
        ["exec", "testpypi", "--", "sh", "-c", 'echo "$TWINE_USERNAME $TWINE_REPOSITORY_URL"; exit 3'],
        ["exec", "testpypi", "--ttl", "5m", "--", "sh", "-c", 'test "$TWINE_PASSWORD" != ""'],
        ["exec", "testpypi", "--", "no-such-command-here"],
        ["exec", "testpypi", "--for", "flit", "--", "sh", "-c", 'echo "$FLIT_USERNAME $FLIT_INDEX_URL"'],
        ["exec", "testpypi", "--", "sh", "-c", 'echo "${TWINE_USERNAME-unset} ${UV_PUBLISH_URL-unset}"'],
        ["exec", "nope", "--", "true"],
        ["exec", "testpypi", "--mask", "--", "sh", "-c", 'echo "$TWINE_PASSWORD"; echo "x$TWINE_PASSWORD" >&2; exit 4'],
        ["exec", "--no-mask", "testpypi", "--", "sh", "-c", 'echo "$TWINE_USERNAME"'],
        ["exec", "testpypi", "--mask", "--no-mask", "--", "true"],
        ["upload", "testpypi"],
        ["upload", "testpypi", "missing.whl", "other.tar.gz", "--skip-check"],
        ["upload", "testpypi", "x.whl", "--", "--repository-u", "http://elsewhere/"],
        ["upload", "testpypi", "--ttl", "never", "x.whl"],
    ],
)
def test_fast_and_typer_paths_agree(env, args):
    fast_run, slow_run = both(args, env)
    assert fast_run.returncode == slow_run.returncode
    assert fast_run.stderr == slow_run.stderr
    if "--ttl" in args and fast_run.returncode == 0:
        # a derived token carries the time it was made: compare everything else
        assert fast_run.stdout.split("pypi-")[0] == slow_run.stdout.split("pypi-")[0]
    else:
        assert fast_run.stdout == slow_run.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["add", "other", "--url", "https://example.org/legacy/", "--token-stdin"],
        ["add", "bad name", "--token-stdin"],
        ["add", "testpypi", "--token-stdin"],
        ["add", "pypi", "--project", "Foo", "--no-pypirc", "--token-stdin"],
    ],
)
def test_add_fast_and_typer_paths_agree(cli_env, tmp_path, args):
    results = []
    for variant in ("fast", "typer"):
        home = tmp_path / variant
        env = {**cli_env, "PYPICREDS_STORE": "file", "HOME": str(home), "PYPICREDS_HOME": str(home / "pc")}
        if variant == "typer":
            env["PYPICREDS_NO_FAST_PATH"] = "1"
        run_cli(["add", "testpypi", "--token-stdin"], env, input=TOKEN)
        result = run_cli(args, env, input=mint([current([1, ["foo"]])]))
        results.append((result.returncode, result.stdout,
                         result.stderr.replace(str(home), "HOME")))
    assert results[0] == results[1]


@pytest.mark.parametrize(
    "args",
    [
        [], ["--help"], ["env", "--help"], ["env", "-h"], ["env", "a", "b"], ["env", "--shell"],
        ["env", "a", "--shell", "--unset"], ["env", "a", "--bogus"], ["list", "x"], ["list", "--json=1"],
        ["add"], ["add", "x", "--", "y"], ["show", "x"], ["env", "a", "--shell", "sh", "--shell", "fish"],
        ["exec", "a", "true"], ["exec", "--", "true"], ["upload"], ["upload", "a", "--bogus"],
    ],
)
def test_unusual_argv_goes_to_typer(args):
    assert fast.parse(args) is None


def test_parse_maps_options():
    assert fast.parse(["env", "pypi", "--shell=fish", "--project", "foo", "--ttl", "2h"]) == (
        "env", {"name": "pypi", "shell": "fish", "project": "foo", "ttl": "2h", "unset": False, "publisher": None})
    assert fast.parse(["env", "pypi", "--for", "uv"])[1]["publisher"] == "uv"
    assert fast.parse(["list"]) == ("list", {"json_": False})
    assert fast.parse(["upload", "pypi", "a.whl", "b.tar.gz", "--skip-check", "--", "--verbose"]) == (
        "upload", {"name": "pypi", "files": ["a.whl", "b.tar.gz"], "skip_check": True, "project": None,
                   "ttl": None, "twine_options": ["--verbose"], "verbose": False})
    assert fast.parse(["exec", "pypi", "--ttl", "5m", "--", "twine", "--", "x"]) == (
        "exec", {"name": "pypi", "project": None, "ttl": "5m", "mask": False, "no_mask": False,
                 "command": ["twine", "--", "x"], "publisher": None})
    assert fast.parse(["exec", "--mask", "pypi", "--", "twine"])[1]["mask"] is True


def test_quiet_silences_notes_but_not_errors(env):
    quiet = run_cli(["--quiet", "env", "testpypi"], env)
    assert quiet.returncode == 0 and quiet.stderr == "" and "TWINE_PASSWORD" in quiet.stdout
    assert run_cli(["env", "testpypi"], env).stderr != ""
    failing = run_cli(["-q", "env", "nope"], env)
    assert failing.returncode == 1 and failing.stderr.startswith("pypicreds: error:")


EMPTY_VALUES = {
    ("env", "testpypi", "--for="): "--for needs a value (hint: use --for with one of: twine, uv, hatch, pdm, flit, poetry, all)",
    ("env", "testpypi", "--shell="): "--shell needs a value (hint: use --shell with one of: sh, bash, zsh, fish, powershell",
    ("env", "--unset", "--for="): "--for needs a value (hint: use --for with one of: twine,",
    ("exec", "testpypi", "--for=", "--", "true"): "--for needs a value (hint: use --for with one of: twine,",
    ("doctor", "testpypi", "--for="): "--for needs a value (hint: use --for with one of: twine, uv, hatch, pdm, flit, poetry)",
    ("env", "testpypi", "--project="): "invalid project name ''",
    ("env", "testpypi", "--project", "no such/name"): "invalid project name 'no such/name'",
    ("exec", "testpypi", "--project=", "--", "true"): "invalid project name ''",
    ("upload", "testpypi", "--project=", "x.whl"): "invalid project name ''",
    ("show", "testpypi", "--project="): "invalid project name ''",
    ("remove", "testpypi", "--project", "-"): "invalid project name '-'",
    ("inspect", "testpypi", "--project=*"): "invalid project name '*'",
}


@pytest.mark.parametrize("args", list(EMPTY_VALUES), ids=" ".join)
def test_empty_or_invalid_option_values_are_usage_errors_on_both_paths(env, args, tmp_home):
    """`--for=` and `--shell=` used to fall back to the default, and `--project` took any text:
    each is a usage error (2) naming the choices, the same on the fast path and Typer's, and
    nothing is written."""
    home = tmp_home / ".config/pypicreds"
    before = {p: p.read_bytes() for p in home.iterdir() if p.is_file()}
    for result in both(list(args), env):
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        assert result.stderr.startswith(f"pypicreds: error: {EMPTY_VALUES[args]}"), result.stderr
        assert result.stderr.count("\n") == 1
    assert {p: p.read_bytes() for p in home.iterdir() if p.is_file()} == before



def test_output_is_complete_after_the_quick_exit(env, tmp_home, tmp_path):
    """After `env` and `list` the program exits without the interpreter's teardown (cli/main.py
    run()): every byte must still arrive, buffered (no PYTHONUNBUFFERED, as users run it) or
    not, in a pipe and in a file, a short output and a listing bigger than a pipe's buffer,
    exactly as the Typer path (which exits the usual way) writes it."""
    import json
    import subprocess

    from realparts import VENV_BIN

    buffered = {k: v for k, v in env.items() if k != "PYTHONUNBUFFERED"}
    for args in (["env", "testpypi"], ["env", "testpypi", "--shell", "json"], ["list"], ["list", "--json"]):
        fast_run, slow_run = both(args, buffered)
        assert fast_run.returncode == slow_run.returncode == 0, fast_run.stderr
        assert fast_run.stdout == slow_run.stdout and fast_run.stdout.endswith("\n") and fast_run.stderr == slow_run.stderr
    index = next(tmp_home.rglob("index.json"))
    doc = json.loads(index.read_text())
    doc["entries"] = [{**doc["entries"][0], "name": f"repo{i:04d}"} for i in range(2000)]
    index.write_text(json.dumps(doc))
    fast_run, slow_run = both(["list"], buffered)
    assert fast_run.returncode == slow_run.returncode == 0, fast_run.stderr
    assert fast_run.stdout == slow_run.stdout and len(fast_run.stdout) > 1 << 17  # more than a pipe holds
    assert fast_run.stdout.splitlines()[-1].startswith("repo1999 ")
    target = tmp_path / "listing.txt"
    done = subprocess.run(["sh", "-c", f'"{VENV_BIN / "pypicreds"}" list > "{target}"'], env=buffered, timeout=60)
    assert done.returncode == 0 and target.read_text() == slow_run.stdout


def test_a_closed_stdout_or_stderr_is_no_traceback_after_the_quick_exit(env):
    """Started with stderr (or stdout) closed, Python has no such stream object: the quick exit
    flushes only the streams there are (it raised AttributeError: exit 1, or a traceback)."""
    import subprocess

    from realparts import VENV_BIN

    program = str(VENV_BIN / "pypicreds")
    for args in ("list", "env testpypi --shell json"):
        done = subprocess.run(["sh", "-c", f'"{program}" {args} 2>&-'], env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0 and done.stdout.strip(), (args, done)
        closed = subprocess.run(["sh", "-c", f'"{program}" {args} >&-'], env=env, capture_output=True, text=True,
                                timeout=60)
        assert closed.returncode == 1 and "pypicreds: error: standard output is closed" in closed.stderr, closed
        assert "Traceback" not in closed.stderr and closed.stderr.count("\n") == 1, (args, closed.stderr)
