"""`remove` says what it leaves and keeps what it should (issue 16, item 13), and taking a
password line off the end of a file touches no other line (item 17)."""

from __future__ import annotations

import json
import stat

import pytest
from macaroon_mint import current, mint
from realparts import assert_no_secret, pypirc_of, run_cli, write_pypirc

TOKEN = mint([current([1, ["demo-pkg"]])], location="pypi.org")
TEST_TOKEN = mint([current([1, ["demo-pkg"]])], location="test.pypi.org")
URL = "https://pkgs.example.org/legacy/"


@pytest.fixture
def env(cli_env):
    return {**cli_env, "PYPICREDS_STORE": "file", "PYPICREDS_PASSPHRASE": "remove edges"}


def listed(env) -> list[dict]:
    return json.loads(run_cli(["list", "--json"], env).stdout)


# --- 13. remove -----------------------------------------------------------------------------------


def test_remove_says_it_keeps_a_hand_written_section_and_how_to_remove_it(env):
    original = f"[distutils]\nindex-servers =\n    internal\n\n[internal]\n# mine\nrepository = {URL}\nusername = alice\n"
    path = write_pypirc(env, original)
    assert run_cli(["add", "internal", "--url", URL, "--username", "alice", "--token-stdin"], env,
                   input="secret").returncode == 0
    result = run_cli(["remove", "internal"], env)
    assert result.returncode == 0, result.stderr
    assert path.read_text() == original
    assert "kept [internal]" in result.stderr and "did not write it" in result.stderr, result.stderr
    assert "delete" in result.stderr and "by hand" in result.stderr


def test_remove_of_a_token_added_with_no_pypirc_mentions_a_section_of_that_name(env):
    original = f"[distutils]\nindex-servers = internal\n\n[internal]\nrepository = {URL}\nusername = alice\n"
    path = write_pypirc(env, original)
    assert run_cli(["add", "internal", "--url", URL, "--username", "alice", "--no-pypirc", "--token-stdin"], env,
                   input="secret").returncode == 0
    result = run_cli(["remove", "internal"], env)
    assert result.returncode == 0 and path.read_text() == original
    assert "kept [internal]" in result.stderr, result.stderr


def test_remove_keeps_a_pypirc_it_created_and_says_it_is_empty(env):
    """The file add created stays (empty, 0600): the user may have other plans for it."""
    assert not pypirc_of(env).exists()
    assert run_cli(["add", "testpypi", "--token-stdin"], env, input=TEST_TOKEN).returncode == 0
    result = run_cli(["remove", "testpypi"], env)
    assert result.returncode == 0, result.stderr
    assert pypirc_of(env).exists() and pypirc_of(env).read_text() == ""
    assert stat.S_IMODE(pypirc_of(env).stat().st_mode) == 0o600
    assert "is now empty" in result.stderr


def test_remove_of_a_password_only_in_pypirc_says_what_happens_to_it(env):
    original = f"[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\npassword = {TOKEN}\n"
    path = write_pypirc(env, original)
    result = run_cli(["remove", "pypi"], env)
    assert result.returncode == 1
    assert path.read_text() == original
    message = result.stderr
    assert "[pypi]" in message and "line 6" in message and "plaintext" in message and "left" in message
    assert "pypicreds import" in message.split("(hint: ", 1)[1]
    assert_no_secret(TOKEN, message)


def test_remove_of_a_plaintext_token_says_the_password_line_went_too(env):
    assert run_cli(["add", "pypi", "--plaintext", "--token-stdin"], env, input=TOKEN).returncode == 0
    result = run_cli(["remove", "pypi"], env)
    assert result.returncode == 0
    assert "password" not in pypirc_of(env).read_text()
    assert "with its plaintext password" in result.stderr, result.stderr


def test_remove_keep_pypirc_of_a_plaintext_token_says_the_password_stays(env):
    assert run_cli(["add", "pypi", "--plaintext", "--token-stdin"], env, input=TOKEN).returncode == 0
    result = run_cli(["remove", "pypi", "--keep-pypirc"], env)
    assert result.returncode == 0
    assert "password" in pypirc_of(env).read_text()
    assert "still holds the token as a plaintext password" in result.stderr, result.stderr


# --- 17. the end of the file -----------------------------------------------------------------------

LAST_LINE = "[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\npassword = {}"


def test_import_of_a_password_on_the_last_line_without_newline_keeps_every_other_byte(env):
    path = write_pypirc(env, LAST_LINE.format(TOKEN))
    result = run_cli(["import"], env)
    assert result.returncode == 0, result.stderr
    assert path.read_text() == "[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\n"
    assert [e["name"] for e in listed(env)] == ["pypi"]


def test_audit_fix_of_an_empty_password_on_the_last_line_keeps_every_other_byte(env):
    path = write_pypirc(env, LAST_LINE.format(""))
    result = run_cli(["audit", "--fix"], env)
    assert "removed the empty" in result.stderr, result.stderr
    assert path.read_text() == "[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\n"


def test_add_then_remove_in_a_file_without_final_newline_is_still_exact(env):
    original = "[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__"
    path = write_pypirc(env, original)
    assert run_cli(["add", "testpypi", "--token-stdin"], env, input=TEST_TOKEN).returncode == 0
    assert run_cli(["remove", "testpypi"], env).returncode == 0
    assert path.read_text() == original
