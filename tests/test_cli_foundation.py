"""add / list / show / rotate / remove through the installed `pypicreds`, on real stores."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from macaroon_mint import current, mint
from realparts import assert_no_secret, run_cli

TESTPYPI_URL = "https://test.pypi.org/legacy/"
TOKEN = mint([current([3, "0a9a1b7e-0000-4000-8000-000000000001"])], location="test.pypi.org")
TOKEN_PYPI = mint([current([3, "0a9a1b7e-0000-4000-8000-000000000003"])], location="pypi.org")
TOKEN2 = mint([current([3, "0a9a1b7e-0000-4000-8000-000000000002"])], location="test.pypi.org")

ORIGINAL_PYPIRC = (
    "# my publishing setup\n"
    "[distutils]\n"
    "index-servers =\n"
    "    pypi\n"
    "    internal\n"
    "\n"
    "[internal]\n"
    "repository = https://example.invalid/legacy/   \n"
    "username=alice\n"
    "; keep this comment\n"
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def kenv(cli_env, keyring_service):
    """cli_env on the real gnome-keyring Secret Service."""
    return {**cli_env, **keyring_service.env}


def keyring_get(env: dict, url: str, username: str) -> str | None:
    """Ask the keyring exactly as twine does, in a separate process."""
    code = "import keyring,sys; v=keyring.get_password(sys.argv[1], sys.argv[2]); print(v if v else '<none>')"
    out = subprocess.run([sys.executable, "-c", code, url, username], env=env, capture_output=True, text=True, check=True)
    value = out.stdout.strip()
    return None if value == "<none>" else value


def home_files(env: dict) -> list[Path]:
    return sorted(Path(env["PYPICREDS_HOME"]).rglob("*"))


def snapshot(*paths: Path) -> dict:
    return {p: (p.read_bytes() if p.is_file() else None) for p in paths}


def test_add_testpypi_with_keyring_then_list_json(kenv):
    result = run_cli(["add", "testpypi", "--token-stdin"], kenv, input=TOKEN + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "keyring" in result.stderr.lower()
    assert keyring_get(kenv, TESTPYPI_URL, "__token__") == TOKEN

    listed = run_cli(["list", "--json"], kenv)
    assert listed.returncode == 0, listed.stderr
    [entry] = json.loads(listed.stdout)
    for key in ("name", "url", "username", "store", "fingerprint", "added", "rotated"):
        assert key in entry
    assert entry["name"] == "testpypi" and entry["url"] == TESTPYPI_URL
    assert entry["username"] == "__token__" and entry["store"] == "keyring"
    assert entry["rotated"] is None and len(entry["fingerprint"]) == 8

    pypirc = Path(kenv["HOME"]) / ".pypirc"
    assert mode(pypirc) == 0o600
    text = pypirc.read_text()
    assert "[testpypi]" in text and "username = __token__" in text
    assert "password" not in text
    home = Path(kenv["PYPICREDS_HOME"])
    assert mode(home) == 0o700
    assert all(mode(p) == 0o600 for p in home_files(kenv) if p.is_file())
    assert_no_secret(TOKEN, result.stdout, result.stderr, listed.stdout, listed.stderr, pypirc, home)


def test_twine_reads_the_pypirc_and_keyring_entry(kenv):
    assert run_cli(["add", "testpypi", "--token-stdin"], kenv, input=TOKEN).returncode == 0
    code = (
        "import sys; from twine import utils; "
        "r = utils.get_repository_from_config(sys.argv[1], 'testpypi'); "
        "print(r['repository'], r['username'], r.get('password'))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(Path(kenv["HOME"]) / ".pypirc")],
                         env=kenv, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [TESTPYPI_URL, "__token__", "None"]


def test_no_usable_keyring_falls_back_to_file_store(cli_env):
    result = run_cli(["add", "testpypi", "--token-stdin"], cli_env, input=TOKEN)
    assert result.returncode == 0, result.stderr
    assert "keyring unavailable" in result.stderr and "file" in result.stderr
    shown = run_cli(["show", "testpypi"], cli_env)
    assert shown.returncode == 0
    assert "key file" in shown.stdout  # the protection is said plainly
    revealed = run_cli(["show", "testpypi", "--reveal"], cli_env)
    assert revealed.stdout == TOKEN + "\n"
    assert_no_secret(TOKEN, result.stderr, shown.stdout, shown.stderr, Path(cli_env["PYPICREDS_HOME"]) / "index.json")


def test_passphrase_vault_and_wrong_passphrase(cli_env):
    env = {**cli_env, "PYPICREDS_STORE": "file", "PYPICREDS_PASSPHRASE": "correct horse"}
    assert run_cli(["add", "testpypi", "--token-stdin"], env, input=TOKEN).returncode == 0
    assert "passphrase" in run_cli(["show", "testpypi"], env).stdout
    home = Path(env["PYPICREDS_HOME"])
    before = snapshot(*home_files(env), Path(env["HOME"]) / ".pypirc")
    wrong = {**env, "PYPICREDS_PASSPHRASE": "wrong"}
    result = run_cli(["rotate", "testpypi", "--token-stdin"], wrong, input=TOKEN2)
    assert result.returncode == 1
    assert result.stderr.startswith("pypicreds: error:") and "passphrase" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(*before) == before  # the old token stays, nothing changed
    assert run_cli(["show", "testpypi", "--reveal"], env).stdout.strip() == TOKEN


@pytest.mark.parametrize("name", ["bad name", "a]b", "a=b", ".hidden", "", "-x", "ünï"])
def test_bad_names_are_refused_and_nothing_written(cli_env, name):
    result = run_cli(["add", name, "--url", "https://example.org/", "--token-stdin", "--store", "file"], cli_env, input=TOKEN)
    assert result.returncode == 2
    assert result.stderr.startswith("pypicreds: error:") and result.stderr.count("\n") == 1
    assert not (Path(cli_env["HOME"]) / ".pypirc").exists()
    assert home_files(cli_env) == []


@pytest.mark.parametrize(
    "args, token, message",
    [
        (["add", TOKEN, "--url", "https://example.org/"], "secret-pass", "repository name looks like a PyPI token"),
        (["add", "internal", "--url", f"https://example.org/{TOKEN}/"], "secret-pass", "--url looks like a PyPI token"),
        (["add", "internal", "--url", "https://example.org/", "--username", TOKEN], "secret-pass", "--username looks like"),
        (["add", "internal"], TOKEN, "needs --url"),
        (["add", "internal", "--url", "ftp://example.org/"], TOKEN, "invalid --url"),
        (["add", "internal", "--url", "https://u:p@example.org/"], TOKEN, "must not contain"),
        (["add", "pypi", "--url", "https://example.org/"], TOKEN, "built in"),
        (["add", "testpypi"], "not-a-token", "does not look like a PyPI API token"),
        (["add", "testpypi"], "pypi-abc def", "whitespace or control"),
        (["add", "testpypi"], "pypi-abc\x07def", "whitespace or control"),
        (["add", "testpypi"], "", "empty"),
        (["add", "internal", "--url", "https://example.org/", "--username", " bad user"], "secret", "--username"),  # inner spaces are fine
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(cli_env, args, token, message):
    result = run_cli([*args, "--token-stdin", "--store", "file"], cli_env, input=token)
    assert result.returncode in (1, 2)
    assert message in result.stderr
    assert result.stderr.startswith("pypicreds: error:") and result.stderr.count("\n") == 1
    assert result.stdout == ""
    assert not (Path(cli_env["HOME"]) / ".pypirc").exists()
    assert home_files(cli_env) == []
    if len(token) > 8:
        assert_no_secret(token, result.stderr)
    assert_no_secret(TOKEN, result.stderr, result.stdout)  # not even when typed as a name or URL


def test_token_from_argv_is_impossible(cli_env):
    result = run_cli(["add", "testpypi", "--token", TOKEN], cli_env)
    assert result.returncode == 2
    assert_no_secret(TOKEN, result.stderr, result.stdout)  # not even echoed back


def test_without_terminal_or_stdin_flag_it_says_how(cli_env):
    result = subprocess.run(
        [str(Path(sys.executable).parent / "pypicreds"), "add", "testpypi"],
        env=cli_env, capture_output=True, text=True, stdin=subprocess.DEVNULL, start_new_session=True,
    )
    assert result.returncode == 1
    assert "no terminal" in result.stderr and "--token-stdin" in result.stderr


def test_add_twice_points_at_rotate(cli_env):
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    assert run_cli(["add", "testpypi", "--token-stdin"], env, input=TOKEN).returncode == 0
    before = snapshot(*home_files(env), Path(env["HOME"]) / ".pypirc")
    result = run_cli(["add", "testpypi", "--token-stdin"], env, input=TOKEN2)
    assert result.returncode == 1 and "rotate" in result.stderr
    assert snapshot(*before) == before


def test_show_json_and_reveal(kenv):
    assert run_cli(["add", "testpypi", "--token-stdin"], kenv, input=TOKEN).returncode == 0
    shown = run_cli(["show", "testpypi", "--json"], kenv)
    data = json.loads(shown.stdout)
    assert data["name"] == "testpypi" and data["store"] == "keyring"
    assert data["token"].startswith("pypi-") and "…" in data["token"]
    assert_no_secret(TOKEN, shown.stdout, shown.stderr)
    revealed = run_cli(["show", "testpypi", "--reveal"], kenv)
    assert revealed.stdout == TOKEN + "\n" and revealed.stderr == ""
    missing = run_cli(["show", "nope"], kenv)
    assert missing.returncode == 1 and "no token stored for nope" in missing.stderr


def test_rotate_replaces_and_reminds_to_revoke(kenv):
    assert run_cli(["add", "testpypi", "--token-stdin"], kenv, input=TOKEN).returncode == 0
    before = json.loads(run_cli(["show", "testpypi", "--json"], kenv).stdout)
    same = run_cli(["rotate", "testpypi", "--token-stdin"], kenv, input=TOKEN)
    assert same.returncode == 1 and "already stored" in same.stderr
    rotated = run_cli(["rotate", "testpypi", "--token-stdin"], kenv, input=TOKEN2)
    assert rotated.returncode == 0, rotated.stderr
    assert "https://test.pypi.org/manage/account/token/" in rotated.stderr
    after = json.loads(run_cli(["show", "testpypi", "--json"], kenv).stdout)
    assert after["fingerprint"] != before["fingerprint"] and after["rotated"]
    assert keyring_get(kenv, TESTPYPI_URL, "__token__") == TOKEN2
    assert_no_secret(TOKEN2, rotated.stdout, rotated.stderr, Path(kenv["PYPICREDS_HOME"]))
    assert_no_secret(TOKEN, rotated.stdout, rotated.stderr)


def test_add_then_remove_restores_pypirc_byte_for_byte(kenv):
    pypirc = Path(kenv["HOME"]) / ".pypirc"
    pypirc.write_bytes(ORIGINAL_PYPIRC.replace("\n", "\r\n").encode())
    assert run_cli(["add", "testpypi", "--token-stdin"], kenv, input=TOKEN).returncode == 0
    assert "[testpypi]" in pypirc.read_text() and mode(pypirc) == 0o600
    removed = run_cli(["remove", "testpypi"], kenv)
    assert removed.returncode == 0, removed.stderr
    assert pypirc.read_bytes() == ORIGINAL_PYPIRC.replace("\n", "\r\n").encode()
    assert keyring_get(kenv, TESTPYPI_URL, "__token__") is None
    assert json.loads(run_cli(["list", "--json"], kenv).stdout) == []


def test_remove_keep_pypirc(kenv):
    assert run_cli(["add", "testpypi", "--token-stdin"], kenv, input=TOKEN).returncode == 0
    assert run_cli(["remove", "testpypi", "--keep-pypirc"], kenv).returncode == 0
    assert "[testpypi]" in (Path(kenv["HOME"]) / ".pypirc").read_text()


@pytest.mark.parametrize("store", ["keyring", "file"])
def test_remove_puts_the_token_back_when_pypirc_refuses(kenv, store):
    """remove deletes from the store first; when .pypirc then cannot be edited (here a line
    before any section makes it unparsable), the token goes back and nothing has changed."""
    env = {**kenv, "PYPICREDS_STORE": store}
    pypirc = Path(env["HOME"]) / ".pypirc"
    assert run_cli(["add", "testpypi", "--token-stdin"], env, input=TOKEN).returncode == 0
    pypirc.write_text("stray line\n" + pypirc.read_text())
    broken = pypirc.read_bytes()
    vault = {p: p.read_bytes() for p in Path(env["PYPICREDS_HOME"]).glob("vault*")}
    removed = run_cli(["remove", "testpypi"], env)
    assert removed.returncode != 0 and "cannot parse ~/.pypirc line 1" in removed.stderr, removed.stderr
    assert pypirc.read_bytes() == broken
    assert run_cli(["show", "testpypi", "--reveal"], env).stdout.strip() == TOKEN
    assert {p: p.read_bytes() for p in Path(env["PYPICREDS_HOME"]).glob("vault*")} == vault  # byte for byte
    assert not (Path(env["PYPICREDS_HOME"]) / "journal.json").exists()
    if store == "keyring":
        assert keyring_get(env, TESTPYPI_URL, "__token__") == TOKEN
    assert_no_secret(TOKEN, removed.stdout, removed.stderr)


def test_custom_repository_with_password_plaintext(cli_env):
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    pypirc = Path(env["HOME"]) / ".pypirc"
    args = ["add", "internal", "--url", "https://pkgs.example.org/upload/", "--username", "alice", "--plaintext", "--token-stdin"]
    result = run_cli(args, env, input="s3cret pass".replace(" ", "-"))
    assert result.returncode == 0, result.stderr
    text = pypirc.read_text()
    assert "repository = https://pkgs.example.org/upload/" in text
    assert "username = alice" in text and "password = s3cret-pass" in text
    assert run_cli(["rotate", "internal", "--token-stdin"], env, input="n3w-pass").returncode == 0
    assert "password = n3w-pass" in pypirc.read_text() and "s3cret" not in pypirc.read_text()
    assert run_cli(["remove", "internal"], env).returncode == 0
    assert pypirc.read_text() == ""  # add created it; remove empties it and leaves it in place


def test_no_pypirc_leaves_it_alone(cli_env):
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    assert run_cli(["add", "testpypi", "--no-pypirc", "--token-stdin"], env, input=TOKEN).returncode == 0
    assert not (Path(env["HOME"]) / ".pypirc").exists()
    assert run_cli(["remove", "testpypi"], env).returncode == 0


def test_explicit_keyring_when_locked_fails_cleanly(cli_env, locked_secret_service):
    env = {**cli_env, **locked_secret_service.env}
    result = run_cli(["add", "testpypi", "--store", "keyring", "--token-stdin"], env, input=TOKEN)
    assert result.returncode == 1
    assert "locked" in result.stderr and "--store file" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (Path(env["HOME"]) / ".pypirc").exists()
    assert not (Path(env["PYPICREDS_HOME"]) / "index.json").exists()


def test_locked_keyring_by_default_falls_back_to_file(cli_env, locked_secret_service):
    env = {**cli_env, **locked_secret_service.env}
    result = run_cli(["add", "testpypi", "--token-stdin"], env, input=TOKEN)
    assert result.returncode == 0, result.stderr
    assert "keyring unavailable" in result.stderr and "locked" in result.stderr
    assert json.loads(run_cli(["list", "--json"], env).stdout)[0]["store"] == "file"


def test_unparseable_pypirc_is_reported_with_line_and_nothing_stored(kenv, keyring_service):
    pypirc = Path(kenv["HOME"]) / ".pypirc"
    broken = b"[distutils]\nindex-servers = pypi\n\nthis line is junk\n"
    pypirc.write_bytes(broken)
    result = run_cli(["add", "testpypi", "--token-stdin"], kenv, input=TOKEN)
    assert result.returncode == 1
    assert "line 4" in result.stderr and result.stderr.count("\n") == 1
    assert pypirc.read_bytes() == broken
    assert keyring_get(kenv, TESTPYPI_URL, "__token__") is None  # the store write was rolled back
    assert run_cli(["list", "--json"], kenv).stdout.strip() == "[]"


def test_symlinked_pypirc_stays_a_symlink(cli_env):
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    dotfiles = Path(env["HOME"]) / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "pypirc").write_text("[distutils]\nindex-servers = pypi\n")
    link = Path(env["HOME"]) / ".pypirc"
    link.symlink_to(dotfiles / "pypirc")
    assert run_cli(["add", "testpypi", "--token-stdin"], env, input=TOKEN).returncode == 0
    assert link.is_symlink()
    assert "[testpypi]" in (dotfiles / "pypirc").read_text()
    assert mode(dotfiles / "pypirc") == 0o600


def test_pypirc_option_and_env_override(cli_env, tmp_path):
    env = {**cli_env, "PYPICREDS_STORE": "file", "PYPICREDS_PYPIRC": str(tmp_path / "by-env")}
    assert run_cli(["add", "testpypi", "--token-stdin"], env, input=TOKEN).returncode == 0
    assert (tmp_path / "by-env").exists()
    assert run_cli(["add", "pypi", "--pypirc", str(tmp_path / "by-option"), "--token-stdin"], env,
                   input=TOKEN_PYPI).returncode == 0
    assert (tmp_path / "by-option").exists()
    assert not (Path(env["HOME"]) / ".pypirc").exists()


def test_version_and_module_entry_point(cli_env):
    from pypicreds import __version__

    assert run_cli(["--version"], cli_env).stdout.strip() == f"pypicreds {__version__}"
    out = subprocess.run([sys.executable, "-m", "pypicreds", "--version"], env=cli_env, capture_output=True, text=True)
    assert out.stdout.strip() == f"pypicreds {__version__}"


def test_usage_error_exit_code(cli_env):
    result = run_cli(["frobnicate"], cli_env)
    assert result.returncode == 2 and result.stderr.startswith("pypicreds: error:")


def test_failed_add_puts_back_a_token_twine_already_had_in_the_keyring(kenv):
    """A token stored by hand (or another tool) under twine's own entry is not lost."""
    code = "import keyring,sys; keyring.set_password(sys.argv[1], '__token__', sys.stdin.read())"
    subprocess.run([sys.executable, "-c", code, TESTPYPI_URL], env=kenv, input=TOKEN2, text=True, check=True)
    (Path(kenv["HOME"]) / ".pypirc").mkdir()  # .pypirc cannot be written: add fails after the store
    failed = run_cli(["add", "testpypi", "--token-stdin"], kenv, input=TOKEN)
    assert failed.returncode == 1
    assert keyring_get(kenv, TESTPYPI_URL, "__token__") == TOKEN2
    (Path(kenv["HOME"]) / ".pypirc").rmdir()
    added = run_cli(["add", "testpypi", "--token-stdin"], kenv, input=TOKEN)
    assert added.returncode == 0 and "already held a token" in added.stderr
    assert keyring_get(kenv, TESTPYPI_URL, "__token__") == TOKEN
    assert_no_secret(TOKEN2, added.stderr, failed.stderr)


def test_two_repositories_cannot_share_one_keyring_entry(kenv):
    url = "https://pkgs.example.org/upload/"
    assert run_cli(["add", "one", "--url", url, "--store", "keyring", "--token-stdin"], kenv, input="secret-one").returncode == 0
    second = run_cli(["add", "two", "--url", url, "--store", "keyring", "--token-stdin"], kenv, input="secret-two")
    assert second.returncode == 1 and "one already keeps its token in the keyring" in second.stderr
    assert keyring_get(kenv, url, "__token__") == "secret-one"
    other_user = run_cli(["add", "two", "--url", url, "--username", "bob", "--store", "keyring", "--token-stdin"],
                         kenv, input="secret-two")
    assert other_user.returncode == 0, other_user.stderr


@pytest.mark.parametrize("args", [["list"], ["add", "pypi", "--token-stdin"], ["--help"], ["audit"], []])
def test_an_unsupported_platform_stops_every_command_at_once(cli_env, args, tmp_path):
    """pypicreds runs on Linux and macOS. Elsewhere (Windows: no flock, no /dev/tty) every
    command stops before doing anything, with one line. Windows cannot be had here, so the
    platform's name is what is faked."""
    code = "import os, sys; os.name = 'nt'; sys.platform = 'win32'\n" \
           "from pypicreds.__main__ import main; sys.exit(main(sys.argv[1:]))"
    # in a directory of its own: with Windows' path rules, a home written anyway would land there
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    done = subprocess.run([sys.executable, "-c", code, *args], env=cli_env, capture_output=True, text=True,
                          input="pypi-x", timeout=60, cwd=cwd)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip() == ("pypicreds: error: pypicreds runs on Linux and macOS, not on win32 "
                                   "(hint: use it from WSL on Windows; see the README's 'Platforms' section)")
    assert not Path(cli_env["PYPICREDS_HOME"]).exists() and list(cwd.iterdir()) == []
