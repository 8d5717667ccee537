"""What a person pastes: a token with the quotes of a config file around it, a private index's
password or username with a space inside (issue 16, items 5 and 6)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from macaroon_mint import current, mint
from realparts import assert_no_secret, make_wheel, run_cli

TOKEN = mint([current([1, ["demo-pkg"]])], location="test.pypi.org")
PYPI_TOKEN = mint([current([1, ["demo-pkg"]])], location="pypi.org")
LOCAL = "https://packages.example.org/legacy/"


@pytest.fixture
def env(cli_env):
    return {**cli_env, "PYPICREDS_STORE": "file", "PYPICREDS_PASSPHRASE": "pasted values"}


def stored(env) -> list[dict]:
    return json.loads(run_cli(["list", "--json"], env).stdout)


def reveal(env, name: str) -> str:
    result = run_cli(["show", name, "--reveal"], env)
    assert result.returncode == 0, result.stderr
    return result.stdout.removesuffix("\n")


# --- 5. quotes around a pasted token ---------------------------------------------------------------


@pytest.mark.parametrize("quote", ['"', "'"])
@pytest.mark.parametrize("name,extra", [("testpypi", []), ("local", ["--url", LOCAL])], ids=["testpypi", "custom"])
def test_quotes_around_a_pypi_token_are_taken_off_and_said(env, quote, name, extra):
    """One pair of matching quotes around a PyPI-looking token, as copied from a config file:
    the token is stored without them, for PyPI and for a custom index alike, and a note says so."""
    result = run_cli(["add", name, *extra, "--token-stdin"], env, input=f"{quote}{TOKEN}{quote}\n")
    assert result.returncode == 0, result.stderr
    assert "quotes" in result.stderr
    assert_no_secret(TOKEN, result.stderr)
    assert reveal(env, name) == TOKEN


def test_rotate_and_inspect_take_quotes_off_too(env):
    assert run_cli(["add", "testpypi", "--token-stdin"], env, input=TOKEN).returncode == 0
    new = mint([current([1, ["demo-pkg"]])], location="test.pypi.org")
    rotated = run_cli(["rotate", "testpypi", "--token-stdin"], env, input=f"'{new}'")
    assert rotated.returncode == 0, rotated.stderr
    assert "quotes" in rotated.stderr and reveal(env, "testpypi") == new
    inspected = run_cli(["inspect", "--token-stdin", "--json"], env, input=f'"{new}"\n')
    assert inspected.returncode == 0, inspected.stderr
    assert json.loads(inspected.stdout)["host"] == "test.pypi.org" and "quotes" in inspected.stderr


@pytest.mark.parametrize("pasted", ['"secret-password"', "'secret-password'"])
def test_quotes_around_another_value_are_refused_with_a_hint(env, pasted):
    """A private index's password in quotes: twine would send the quotes, so it is refused,
    saying why and what to do; nothing is stored."""
    result = run_cli(["add", "local", "--url", LOCAL, "--token-stdin"], env, input=pasted + "\n")
    assert result.returncode == 1
    assert "quotes" in result.stderr and "(hint: " in result.stderr
    assert "secret-password" not in result.stderr
    assert stored(env) == []


@pytest.mark.parametrize("pasted", [f'"{TOKEN}\'', f'""{TOKEN}""', f'"{TOKEN[:-3]}"x'])
def test_unmatched_or_doubled_quotes_are_not_guessed_at(env, pasted):
    result = run_cli(["add", "testpypi", "--token-stdin"], env, input=pasted)
    assert result.returncode == 1 and stored(env) == []
    assert "(hint: " in result.stderr
    assert_no_secret(TOKEN, result.stderr)


def test_a_quoted_token_in_pypirc_is_kept_by_import_with_the_reason(env):
    """twine sends a quoted password with its quotes: import says so instead of storing it."""
    pypirc = Path(env["HOME"]) / ".pypirc"
    pypirc.write_text(f'[distutils]\nindex-servers = testpypi\n\n[testpypi]\nusername = __token__\npassword = "{TOKEN}"\n')
    pypirc.chmod(0o600)
    result = run_cli(["import"], env)
    assert result.returncode == 1
    assert "quotes" in result.stderr
    assert stored(env) == []


# --- 6. spaces inside a private index's password and username --------------------------------------


def test_a_password_with_inner_spaces_reaches_a_private_index(env, pypiserver, tmp_path):
    """Passwords for non-PyPI indexes may hold spaces, as configparser and twine accept; the
    upload with it succeeds on a real index."""
    password, user = "correct horse battery staple", "jane doe"
    server = pypiserver("unused-token-password", {user: password})
    added = run_cli(["add", "local", "--url", server.url, "--username", user, "--token-stdin"], env,
                    input=password + "\n")
    assert added.returncode == 0, added.stderr
    assert reveal(env, "local") == password
    work = tmp_path / "work"
    make_wheel(work / "dist", "spaced-pkg", "1.0")
    result = subprocess.run(["pypicreds", "upload", "local", "--skip-check"], env=env, cwd=work,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (server.packages / "spaced_pkg-1.0-py3-none-any.whl").is_file()
    # twine reading the .pypirc section pypicreds wrote finds the username with its space
    pypirc = (Path(env["HOME"]) / ".pypirc").read_text()
    assert "username = jane doe" in pypirc and password not in pypirc


def test_a_plaintext_password_with_spaces_reads_back_from_pypirc(env):
    import configparser

    added = run_cli(["add", "local", "--url", LOCAL, "--plaintext", "--token-stdin"], env,
                    input="two words\n")
    assert added.returncode == 0, added.stderr
    parser = configparser.RawConfigParser()
    parser.read(Path(env["HOME"]) / ".pypirc")
    assert parser.get("local", "password") == "two words"


@pytest.mark.parametrize("password", ["line\tbreak", "bell\x07", "two\x1bescapes"])
def test_control_characters_in_a_password_stay_refused_with_the_right_words(env, password):
    result = run_cli(["add", "local", "--url", LOCAL, "--token-stdin"], env, input=password)
    assert result.returncode == 1 and stored(env) == []
    assert "password" in result.stderr and "control" in result.stderr
    assert "copy the token again" not in result.stderr


def test_pypi_tokens_keep_the_strict_message(env):
    result = run_cli(["add", "testpypi", "--token-stdin"], env, input=TOKEN[:40] + " " + TOKEN[40:])
    assert result.returncode == 1 and stored(env) == []
    assert "copy the token again" in result.stderr


@pytest.mark.parametrize("username", [" jane", "jane ", "jane\tdoe", "jane\ndoe", ""])
def test_usernames_with_outer_whitespace_or_control_characters_stay_refused(env, username):
    result = run_cli(["add", "local", "--url", LOCAL, "--username", username, "--token-stdin"], env,
                     input="secret")
    assert result.returncode == 2 and stored(env) == []
    assert result.stderr.startswith("pypicreds: error: invalid --username")
