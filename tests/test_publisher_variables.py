"""`env` and `exec` for every publisher (`--for`), exec's recognition of the publisher it runs,
`--project P --ttl T` with only the repository's token (issue 16 item 9), the line naming who
finds a token, and `doctor --for`: through the installed CLI, with the real vault."""

from __future__ import annotations

import json
import subprocess

import pytest

from macaroon_mint import current, mint
from realparts import run_cli

from pypicreds.session.publishers import detect
from pypicreds.session.variables import poetry_key, variables_for
from pypicreds.store.index import Entry

TOKEN = mint([], location="test.pypi.org", identifier="variables-0001")
PROJECT_TOKEN = mint([current([1, ["foo"]])], location="127.0.0.1", identifier="variables-0002")
DEFAULT = mint([], location="127.0.0.1", identifier="variables-0003")
URL = "https://test.pypi.org/legacy/"


@pytest.fixture
def env(cli_env):
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    done = run_cli(["add", "testpypi", "--token-stdin"], env, input=TOKEN)
    assert done.returncode == 0, done.stderr
    return env


def json_env(env, *args):
    done = run_cli(["env", *args, "--shell", "json"], env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# The names, exactly (checked against each tool's source: docs/publishers/).
EXPECTED = {
    "twine": {"TWINE_USERNAME": "__token__", "TWINE_PASSWORD": TOKEN, "TWINE_REPOSITORY_URL": URL},
    "uv": {"UV_PUBLISH_URL": URL, "UV_PUBLISH_TOKEN": TOKEN},
    "hatch": {"HATCH_INDEX_USER": "__token__", "HATCH_INDEX_AUTH": TOKEN, "HATCH_INDEX_REPO": URL},
    "pdm": {"PDM_PUBLISH_USERNAME": "__token__", "PDM_PUBLISH_PASSWORD": TOKEN, "PDM_PUBLISH_REPO": URL},
    "flit": {"FLIT_USERNAME": "__token__", "FLIT_PASSWORD": TOKEN, "FLIT_INDEX_URL": URL},
    "poetry": {"POETRY_REPOSITORIES_TESTPYPI_URL": URL, "POETRY_PYPI_TOKEN_TESTPYPI": TOKEN},
}


def test_add_writes_the_url_even_for_a_builtin_index(env, tmp_home):
    """flit uploads a section without `repository =` to PyPI; hatch finds a username by URL."""
    assert "[testpypi]\nrepository = https://test.pypi.org/legacy/\nusername = __token__\n" in (
        tmp_home / ".pypirc").read_text()


@pytest.mark.parametrize("publisher", list(EXPECTED))
def test_env_for_prints_exactly_the_publishers_variables(env, publisher):
    got = json_env(env, "testpypi", "--for", publisher)
    assert got == {**EXPECTED[publisher], "PYPICREDS_PUBLISHER": publisher}


def test_env_without_for_is_twine_and_all_is_every_set(env):
    assert json_env(env, "testpypi") == {**EXPECTED["twine"], "PYPICREDS_PUBLISHER": "twine"}
    every = json_env(env, "testpypi", "--for", "all")
    for publisher, values in EXPECTED.items():
        assert values.items() <= every.items(), publisher


def test_passwords_for_a_private_index_and_poetrys_names():
    entry = Entry("my.index", "https://pkgs.example.org/upload/", "alice", "file", "f", "m", "now")
    assert variables_for(entry, "hunter2", "uv") == {
        "UV_PUBLISH_URL": "https://pkgs.example.org/upload/", "UV_PUBLISH_USERNAME": "alice",
        "UV_PUBLISH_PASSWORD": "hunter2"}
    assert variables_for(entry, "hunter2", "poetry") == {
        "POETRY_REPOSITORIES_MY_INDEX_URL": "https://pkgs.example.org/upload/",
        "POETRY_HTTP_BASIC_MY_INDEX_USERNAME": "alice", "POETRY_HTTP_BASIC_MY_INDEX_PASSWORD": "hunter2"}
    pypi = Entry("pypi", "https://upload.pypi.org/legacy/", "__token__", "file", "f", "m", "now")
    assert variables_for(pypi, TOKEN, "poetry") == {"POETRY_PYPI_TOKEN_PYPI": TOKEN}  # no URL for pypi
    assert poetry_key("my-index") == "MY_INDEX"


def test_poetry_refuses_a_name_it_cannot_read_from_the_environment(cli_env):
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    assert run_cli(["add", "local2", "--url", "http://127.0.0.1:9/x/", "--token-stdin"], env,
                   input=DEFAULT).returncode == 0
    done = run_cli(["env", "local2", "--for", "poetry"], env)
    assert done.returncode == 2 and done.stdout == ""
    assert "POETRY_REPOSITORIES_<NAME>_URL" in done.stderr and "hint:" in done.stderr
    every = json_env(env, "local2", "--for", "all")  # the others still come
    assert "UV_PUBLISH_TOKEN" in every and not any(k.startswith("POETRY_") for k in every)
    for run_env in (env, {**env, "PYPICREDS_NO_FAST_PATH": "1"}):  # and says so: poetry users would wonder
        sh = run_cli(["env", "local2", "--for", "all"], run_env)
        assert sh.returncode == 0 and "UV_PUBLISH_TOKEN" in sh.stdout, sh.stderr
        assert "none for poetry" in sh.stderr and "POETRY_REPOSITORIES_<NAME>_URL" in sh.stderr, sh.stderr
    fine = run_cli(["env", "testpypi", "--for", "all"], env) if run_cli(
        ["add", "testpypi", "--token-stdin"], env, input=TOKEN).returncode == 0 else None
    assert fine is not None and fine.returncode == 0 and "poetry" not in fine.stderr, fine


@pytest.mark.parametrize("shell", ["sh", "fish", "powershell", "dotenv"])
def test_env_for_keeps_every_shells_syntax(env, shell):
    done = run_cli(["env", "testpypi", "--for", "uv", "--shell", shell], env)
    assert done.returncode == 0, done.stderr
    assert "UV_PUBLISH_TOKEN" in done.stdout and "TWINE_" not in done.stdout


def test_unset_clears_the_chosen_set(env):
    unset = run_cli(["env", "--unset", "--for", "uv"], env)
    assert unset.stdout.split() == ["unset", "UV_PUBLISH_URL;", "unset", "UV_PUBLISH_TOKEN;", "unset",
                                    "UV_PUBLISH_USERNAME;", "unset", "UV_PUBLISH_PASSWORD;"]
    poetry = json_env(env, "testpypi", "--unset", "--for", "poetry")
    assert poetry == dict.fromkeys(["POETRY_REPOSITORIES_TESTPYPI_URL", "POETRY_PYPI_TOKEN_TESTPYPI",
                                    "POETRY_HTTP_BASIC_TESTPYPI_USERNAME", "POETRY_HTTP_BASIC_TESTPYPI_PASSWORD",
                                    "PYPICREDS_PUBLISHER"])
    needs_name = run_cli(["env", "--unset", "--for", "poetry"], env)
    assert needs_name.returncode == 2 and "repository name" in needs_name.stderr
    evaluated = subprocess.run(["sh", "-c", 'eval "$(pypicreds env testpypi --for hatch)"; '
                                'eval "$(pypicreds env --unset --for hatch)"; echo "${HATCH_INDEX_AUTH-gone}"'],
                               env=env, capture_output=True, text=True)
    assert evaluated.stdout.strip() == "gone", evaluated.stderr


@pytest.mark.parametrize("publisher", ["uv", "hatch", "pdm", "flit", "poetry"])
def test_unset_hints_name_the_chosen_publishers_variables(env, publisher):
    """`--unset --shell dotenv` cannot remove variables: its hint names the lines to delete, those
    of `--for`'s publisher (it said TWINE_* whatever the publisher). The hint for fish users
    repeats --for too (without it, they would get twine's variables). Both paths alike."""
    wanted = [k for k in EXPECTED[publisher] if k not in EXPECTED["twine"]]
    for run_env in (env, {**env, "PYPICREDS_NO_FAST_PATH": "1"}):
        done = run_cli(["env", "testpypi", "--unset", "--for", publisher, "--shell", "dotenv"], run_env)
        assert (done.returncode, done.stdout) == (2, "") and done.stderr.count("\n") == 1, done.stderr
        assert "TWINE" not in done.stderr and all(f"{k}," in done.stderr or f"{k} " in done.stderr for k in wanted)
        for args in (["env", "testpypi", "--for", publisher], ["env", "testpypi", "--unset", "--for", publisher]):
            fish = run_cli(args, {**run_env, "SHELL": "/usr/bin/fish"})
            hint = next(line for line in fish.stderr.splitlines() if "looks like fish" in line)
            assert f"--for {publisher} --shell fish | source" in hint, hint
            fixed = run_cli(hint.split("`")[1].split(" | ")[0].split()[1:], run_env)  # the command it gives
            assert fixed.returncode == 0 and "TWINE" not in fixed.stdout and wanted[0] in fixed.stdout, fixed.stderr


@pytest.mark.parametrize("command, publisher", [
    (["twine", "upload", "dist/*"], "twine"),
    (["uv", "publish"], "uv"),
    (["uv", "--directory", "d", "publish"], "uv"),
    (["hatch", "publish", "-r", "test"], "hatch"),
    (["/opt/venv/bin/pdm", "publish", "--no-build"], "pdm"),
    (["flit", "publish"], "flit"),
    (["poetry", "publish", "-r", "x"], "poetry"),
    (["python", "-m", "twine", "upload"], "twine"),
    (["python3.12", "-u", "-m", "flit", "publish"], "flit"),
    (["uvx", "twine", "upload"], "twine"),
    (["uvx", "--from", "twine==6.1", "twine", "upload"], "twine"),
    (["uvx", "twine@6.1", "upload"], "twine"),
    (["uvx", "hatch", "publish"], "hatch"),
    (["uv", "tool", "run", "flit", "publish"], "flit"),
    (["pipx", "run", "--spec", "poetry", "poetry", "publish"], "poetry"),
    (["pipx", "run", "twine", "upload"], "twine"),
    (["hatch", "build"], None),
    (["uv", "build"], None),
    (["pipx", "install", "twine"], None),
    (["sh", "-c", "twine upload dist/*"], None),
    ([], None),
])
def test_exec_recognises_the_publisher_from_the_command(command, publisher):
    assert detect(command) == publisher


def test_exec_sets_the_recognised_publishers_variables_only(env, tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "flit").write_text('#!/bin/sh\necho "${FLIT_PASSWORD:+set} ${TWINE_PASSWORD:-no-twine} $FLIT_INDEX_URL"\n')
    (fake / "flit").chmod(0o755)
    run_env = {**env, "PATH": f"{fake}:{env['PATH']}"}
    done = run_cli(["exec", "testpypi", "--", "flit", "publish"], run_env)
    assert done.returncode == 0 and done.stdout.split() == ["set", "no-twine", URL], done.stderr
    chosen = run_cli(["exec", "testpypi", "--for", "twine", "--", "flit", "publish"], run_env)
    assert chosen.stdout.split()[:1] == ["no-twine"] or chosen.stdout.split()[0] != "set"
    other = run_cli(["exec", "testpypi", "--", "sh", "-c", 'echo "$TWINE_USERNAME"'], env)
    assert other.stdout.strip() == "__token__"  # not a publisher: twine's variables


def test_project_and_ttl_derive_from_the_repositorys_own_token(cli_env):
    """16.9: `--project foo --ttl 5m` with only the repository's token stored hands over that
    token restricted to foo and expiring, and says which token was used; without --ttl the error
    names both ways out."""
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    assert run_cli(["add", "local", "--url", "http://127.0.0.1:9/l/", "--token-stdin"], env,
                   input=DEFAULT).returncode == 0
    refused = run_cli(["env", "local", "--project", "Foo"], env)
    assert refused.returncode == 1 and "--project foo" in refused.stderr and "--ttl" in refused.stderr
    for args in (["env", "local", "--project", "Foo", "--ttl", "5m", "--for", "uv", "--shell", "json"],
                 ["exec", "local", "--project", "Foo", "--ttl", "5m", "--", "sh", "-c", 'printf %s "$TWINE_PASSWORD"']):
        done = run_cli(args, env)
        assert done.returncode == 0, done.stderr
        assert "has no token of its own for foo" in done.stderr
        derived = json.loads(done.stdout)["UV_PUBLISH_TOKEN"] if args[0] == "env" else done.stdout
        facts = json.loads(run_cli(["inspect", "--token-stdin", "--json"], env, input=derived).stdout)
        assert facts["projects"] == ["foo"] and facts["expires"] is not None
        assert derived != DEFAULT


def test_a_projects_own_token_wins_over_deriving(cli_env):
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    for extra, token in (([], DEFAULT), (["--project", "foo"], PROJECT_TOKEN)):
        assert run_cli(["add", "local", "--url", "http://127.0.0.1:9/l/", *extra, "--token-stdin"], env,
                       input=token).returncode == 0
    done = run_cli(["env", "local", "--project", "foo", "--ttl", "5m", "--shell", "json"], env)
    assert done.returncode == 0 and "no token of its own" not in done.stderr
    derived = json.loads(done.stdout)["TWINE_PASSWORD"]
    assert derived.startswith(PROJECT_TOKEN[:20])


def test_add_says_who_finds_the_token_and_warns_when_twine_will_not(cli_env):
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    # cli_env forces keyring's failing backend: a twine in this environment would not find it
    forced = run_cli(["add", "one", "--url", "http://127.0.0.1:9/1/", "--token-stdin"], env, input=DEFAULT)
    assert "warning: a plain `twine upload -r one` will not find it" in forced.stderr
    assert "PYTHON_KEYRING_BACKEND" in forced.stderr
    free = {k: v for k, v in env.items() if k != "PYTHON_KEYRING_BACKEND"}
    found = run_cli(["add", "two", "--url", "http://127.0.0.1:9/2/", "--token-stdin"], free, input=DEFAULT)
    assert "twine, hatch, pdm and flit find it through the keyring" in found.stderr
    assert "warning" not in found.stderr
    off = run_cli(["rotate", "two", "--token-stdin"], {**free, "PYPICREDS_KEYRING_BACKEND": "off"}, input=TOKEN)
    assert "warning: a plain `twine upload -r two` will not find it" in off.stderr and "switched off" in off.stderr


def test_doctor_for_each_publisher_names_it_and_the_backend(env):
    free = {k: v for k, v in env.items() if k != "PYTHON_KEYRING_BACKEND"}
    for publisher in ("twine", "uv", "hatch", "pdm", "flit", "poetry"):
        done = run_cli(["doctor", "testpypi", "--for", publisher, "--json"], free)
        assert done.stdout, done.stderr
        (result,) = json.loads(done.stdout)
        assert result["publisher"] == publisher and result["keyring_backend"]["active"] is True, done.stderr
    twine = json.loads(run_cli(["doctor", "testpypi", "--json"], free).stdout)[0]
    assert twine["ok"] and twine["password"]["source"] == "keyring"  # through the vault backend
    for publisher in ("pdm", "hatch", "flit"):  # hatch and flit read [testpypi]'s repository = line
        result = json.loads(run_cli(["doctor", "testpypi", "--for", publisher, "--json"], free).stdout)[0]
        assert result["ok"] and result["password"]["source"] == "keyring", result
    uv = json.loads(run_cli(["doctor", "testpypi", "--for", "uv", "--json"], free).stdout)[0]
    assert not uv["ok"] and any("pypicreds exec testpypi" in d for d in uv["differences"])
    with_vars = {**free, "UV_PUBLISH_TOKEN": TOKEN, "UV_PUBLISH_URL": URL}
    uv = json.loads(run_cli(["doctor", "testpypi", "--for", "uv", "--json"], with_vars).stdout)[0]
    assert uv["ok"] and uv["password"]["variable"] == "UV_PUBLISH_TOKEN"
    off = json.loads(run_cli(["doctor", "testpypi", "--json"], {**free, "PYPICREDS_KEYRING_BACKEND": "off"}).stdout)[0]
    assert off["keyring_backend"]["active"] is False and not off["ok"]
    text = run_cli(["doctor", "testpypi"], free).stdout
    assert "pypicreds' vault, through its keyring backend" in text and "backend:" in text


@pytest.mark.parametrize("publisher", ["twine", "uv", "hatch", "pdm", "flit", "poetry"])
def test_doctor_for_never_shows_a_password_in_a_url_from_the_environment(env, publisher):
    """Every publisher's URL variable (HATCH_INDEX_REPO, UV_PUBLISH_URL, ...) holding
    `user:password@`: doctor --for never shows the password, in text or JSON."""
    secret = "S3CRET-in-the-url"
    url = f"http://alice:{secret}@127.0.0.1:9/legacy/"
    variables = {"TWINE_REPOSITORY_URL": url, "UV_PUBLISH_URL": url, "HATCH_INDEX_REPO": url, "PDM_PUBLISH_REPO": url,
                 "FLIT_INDEX_URL": url, "POETRY_REPOSITORIES_TESTPYPI_URL": url}
    for extra in ([], ["--json"]):
        done = run_cli(["doctor", "testpypi", "--for", publisher, *extra], {**env, **variables})
        assert done.stdout and "Traceback" not in done.stderr, done.stderr
        assert secret not in done.stdout + done.stderr, done.stdout


def test_audit_fix_says_who_finds_the_tokens_it_moved(cli_env, tmp_home):
    env = {k: v for k, v in cli_env.items() if k != "PYTHON_KEYRING_BACKEND"}
    env["PYPICREDS_STORE"] = "file"
    pypirc = tmp_home / ".pypirc"
    pypirc.write_text(f"[distutils]\nindex-servers =\n    local\n\n[local]\nrepository = http://127.0.0.1:9/l/\n"
                      f"username = __token__\npassword = {DEFAULT}\n")
    pypirc.chmod(0o600)
    fixed = run_cli(["audit", "--fix"], env)
    assert "fixed: moved the password of [local]" in fixed.stderr, fixed.stderr
    assert "twine, hatch, pdm and flit find it through the keyring" in fixed.stderr
    assert "pypicreds exec local -- uv publish" in fixed.stderr


def test_doctor_says_when_the_publisher_on_path_has_no_pypicreds_beside_it(env, tmp_path):
    """keyring finds backends only in its own environment: a twine whose environment lacks
    pypicreds never asks the vault, and doctor says how to fix it."""
    free = {k: v for k, v in env.items() if k != "PYTHON_KEYRING_BACKEND"}
    lonely = tmp_path / "lonely"
    subprocess.run(["python3", "-m", "venv", "--without-pip", str(lonely)], check=True)
    (lonely / "bin" / "twine").write_text(f"#!{lonely}/bin/python\nimport twine\n")
    (lonely / "bin" / "twine").chmod(0o755)
    elsewhere = json.loads(run_cli(["doctor", "testpypi", "--json"], {**free, "PATH": f"{lonely}/bin:{free['PATH']}"}).stdout)[0]
    assert not elsewhere["ok"] and any("pipx inject twine pypicreds" in d for d in elsewhere["differences"])
    beside = json.loads(run_cli(["doctor", "testpypi", "--json"], free).stdout)[0]  # .venv's twine: pypicreds there
    assert beside["ok"], beside
