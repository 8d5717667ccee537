"""`pypicreds import`: plaintext passwords move into a store; only their lines leave .pypirc."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from macaroon_mint import current, mint
from realparts import assert_no_secret, run_cli, write_pypirc

PYPI_TOKEN = mint([current([1, ["demo-pkg"]])], location="pypi.org")
TEST_TOKEN = mint([current([1, ["demo-pkg"]])], location="test.pypi.org")
CORP_PASSWORD = "corp-s3cret-password"

ORIGINAL = (
    "; my setup, edited by hand\r\n"
    "[distutils]\r\n"
    "index-servers =\r\n"
    "    pypi\r\n"
    "    testpypi\r\n"
    "    corp\r\n"
    "\r\n"
    "[pypi]\r\n"
    "# the account token\r\n"
    "username = __token__\r\n"
    f"password = {PYPI_TOKEN}\r\n"
    "\r\n"
    "[testpypi]\r\n"
    f"password={TEST_TOKEN}\r\n"
    "username =   __token__   \r\n"
    "\r\n"
    "[corp]\r\n"
    "repository = https://pkgs.example.org/upload/\r\n"
    "  # note\r\n"
    "username = deploy\r\n"
    f"password : {CORP_PASSWORD}\r\n"
    "ca_cert = /etc/corp.pem"
)
SECRETS = (PYPI_TOKEN, TEST_TOKEN, CORP_PASSWORD)

# What twine itself would send for `twine upload -r NAME`: its own settings code, non-interactive.
TWINE_PASSWORD = """
import argparse, hashlib, sys
from twine import settings
parser = argparse.ArgumentParser()
settings.Settings.register_argparse_arguments(parser)
args = parser.parse_args(["-r", sys.argv[1], "--non-interactive"])
s = settings.Settings.from_argparse(args)
print(s.repository_config["repository"], s.username, hashlib.sha256(s.password.encode()).hexdigest()[:8])
"""


def without_passwords(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("password"))


def test_import_moves_every_token_and_keeps_every_other_byte(cli_env):
    env = {**cli_env, "PYPICREDS_PASSPHRASE": "import test"}
    path = write_pypirc(env, ORIGINAL)
    result = run_cli(["import", "--store", "file"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert path.read_bytes() == without_passwords(ORIGINAL).encode()
    for name in ("pypi", "testpypi", "corp"):
        assert f"[{name}]" in result.stderr
    listed = {e["name"]: e for e in json.loads(run_cli(["list", "--json"], env).stdout)}
    assert set(listed) == {"pypi", "testpypi", "corp"}
    assert listed["corp"]["url"] == "https://pkgs.example.org/upload/" and listed["corp"]["username"] == "deploy"
    assert listed["pypi"]["scope"] == "project" and listed["testpypi"]["host"] == "test.pypi.org"
    assert run_cli(["show", "corp", "--reveal"], env).stdout.strip() == CORP_PASSWORD
    for secret in SECRETS:
        assert_no_secret(secret, result.stdout, result.stderr, path, Path(env["PYPICREDS_HOME"]) / "index.json")
    again = run_cli(["import"], env)
    assert again.returncode == 0 and "no plaintext passwords" in again.stderr


def test_imported_into_the_keyring_twine_still_finds_it(cli_env, keyring_service):
    env = {**cli_env, **keyring_service.env}
    write_pypirc(env, ORIGINAL)
    result = run_cli(["import"], env)  # default store: the usable keyring
    assert result.returncode == 0, result.stderr
    assert "keyring" in result.stderr.lower()
    for name, url, username, secret in (
        ("pypi", "https://upload.pypi.org/legacy/", "__token__", PYPI_TOKEN),
        ("testpypi", "https://test.pypi.org/legacy/", "__token__", TEST_TOKEN),
        ("corp", "https://pkgs.example.org/upload/", "deploy", CORP_PASSWORD),
    ):
        out = subprocess.run([sys.executable, "-c", TWINE_PASSWORD, name], env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        from pypicreds.tokens import fingerprint

        assert out.stdout.split() == [url, username, fingerprint(secret)]


def test_a_token_that_cannot_be_stored_stays(cli_env):
    path = write_pypirc(cli_env, ORIGINAL)
    result = run_cli(["import", "--store", "keyring"], cli_env)  # the failing keyring backend
    assert result.returncode == 1
    assert "kept the password of [pypi]" in result.stderr and "keyring" in result.stderr
    assert path.read_bytes() == ORIGINAL.encode()
    assert json.loads(run_cli(["list", "--json"], cli_env).stdout) == []
    for secret in SECRETS:
        assert_no_secret(secret, result.stdout, result.stderr)


def test_a_plaintext_keyring_is_passed_over(cli_env):
    env = {**cli_env, "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
           "PYPICREDS_PASSPHRASE": "import test"}
    write_pypirc(env, f"[distutils]\nindex-servers = pypi\n\n[pypi]\npassword = {PYPI_TOKEN}\n")
    result = run_cli(["import"], env)
    assert result.returncode == 0, result.stderr
    assert "plain text" in result.stderr
    [entry] = json.loads(run_cli(["list", "--json"], env).stdout)
    assert entry["store"] == "file"
    assert_no_secret(PYPI_TOKEN, Path(env["HOME"]))  # neither .pypirc nor the keyrings.alt file has it


def test_a_token_added_with_plaintext_only_loses_its_line(cli_env):
    env = {**cli_env, "PYPICREDS_STORE": "file", "PYPICREDS_PASSPHRASE": "import test"}
    assert run_cli(["add", "pypi", "--plaintext", "--token-stdin"], env, input=PYPI_TOKEN).returncode == 0
    path = Path(env["HOME"]) / ".pypirc"
    before = path.read_text()
    result = run_cli(["import"], env)
    assert result.returncode == 0, result.stderr
    assert "already in the file store" in result.stderr
    assert path.read_text() == without_passwords(before)
    [entry] = json.loads(run_cli(["list", "--json"], env).stdout)
    assert entry["plaintext"] is False


def test_a_password_that_is_not_a_token_stays_for_pypi(cli_env):
    env = {**cli_env, "PYPICREDS_STORE": "file", "PYPICREDS_PASSPHRASE": "import test"}
    original = "[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = me\npassword = my old password\n"
    path = write_pypirc(env, original)
    result = run_cli(["import"], env)
    assert result.returncode == 1
    assert "kept the password of [pypi]" in result.stderr and "not a token pypicreds can store" in result.stderr
    assert path.read_text() == original
    assert_no_secret("my old password", result.stderr)


def test_when_the_index_cannot_be_written_every_line_goes_back_where_it_was(cli_env, tmp_path):
    env = {**cli_env, "PYPICREDS_STORE": "file", "PYPICREDS_PASSPHRASE": "import test"}
    path = write_pypirc(env, ORIGINAL)
    home = Path(env["PYPICREDS_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "index.json").symlink_to(tmp_path / "missing-dir" / "index.json")  # a real write failure
    result = run_cli(["import"], env)
    assert result.returncode == 1, result.stderr
    for name in ("pypi", "testpypi", "corp"):
        assert f"kept the password of [{name}]" in result.stderr
    assert "cannot write" in result.stderr
    # byte for byte: [testpypi]'s line was the first of its section, [corp]'s used ':' and CRLF
    assert path.read_bytes() == ORIGINAL.encode()
    assert not (home / "vault.json").exists() and not (home / "journal.json").exists()
    for secret in SECRETS:
        assert_no_secret(secret, result.stdout, result.stderr, home)


def test_an_import_killed_while_undoing_is_undone_exactly_by_the_next_command(cli_env, monkeypatch):
    """The state a process leaves when it dies in the middle of its rollback (the index write
    failed, then SIGKILL): token in the store, line out of .pypirc, journal in phase rollback."""
    from pypicreds import pypirc
    from pypicreds.recovery import journal as recovery
    from pypicreds.store import open_store
    from pypicreds.store.index import Entry
    from pypicreds.tokens import fingerprint

    env = {**cli_env, "PYPICREDS_STORE": "file", "PYPICREDS_PASSPHRASE": "import test"}
    monkeypatch.setenv("PYPICREDS_PASSPHRASE", env["PYPICREDS_PASSPHRASE"])
    path = write_pypirc(env, ORIGINAL)
    entry = Entry(name="corp", url="https://pkgs.example.org/upload/", username="deploy", store="file",
                  fingerprint=fingerprint(CORP_PASSWORD), masked="c…d", added="2024-01-01T00:00:00Z",
                  pypirc=str(path))
    journal = recovery.begin("import", entry, pypirc=path, already_stored=False)
    open_store("file").set(entry.key, CORP_PASSWORD)
    where = pypirc.take_password_line(path, "corp")
    assert path.read_bytes() == ORIGINAL.replace(f"password : {CORP_PASSWORD}\r\n", "").encode()
    journal.update(phase="rollback", password_line=where)
    assert_no_secret(CORP_PASSWORD, journal.path)
    result = run_cli(["list", "--json"], env)
    assert result.returncode == 0, result.stderr
    assert "undid an interrupted `pypicreds import` of corp" in result.stderr
    assert json.loads(result.stdout) == []
    assert path.read_bytes() == ORIGINAL.encode()
    assert open_store("file").get(entry.key) is None
    assert not journal.path.exists()


def test_a_line_at_the_end_of_a_file_without_final_newline_goes_back_exactly(tmp_path):
    from pypicreds import pypirc
    from pypicreds.recovery import journal as recovery

    original = f"[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\npassword =\t{PYPI_TOKEN}  "
    path = tmp_path / "pypirc"
    path.write_text(original)
    before = recovery.digest(path)
    where = pypirc.take_password_line(path, "pypi")
    # no other line changes: the line before keeps its newline, so the file now ends with one
    assert path.read_text() == "[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\n"
    assert PYPI_TOKEN not in json.dumps(where)
    assert pypirc.put_password_line_back(path, "pypi", PYPI_TOKEN, where, before)
    assert path.read_text() == original
    # the file changed in between: nothing is written, the caller falls back
    pypirc.take_password_line(path, "pypi")
    path.write_text(path.read_text().replace("__token__", "someone"))
    changed = path.read_bytes()
    assert not pypirc.put_password_line_back(path, "pypi", PYPI_TOKEN, where, before)
    assert path.read_bytes() == changed


def test_a_killed_import_of_a_token_added_with_plaintext_is_finished(cli_env, monkeypatch):
    """Killed after the line left .pypirc, before the index said so: the next command finishes."""
    from pypicreds import pypirc
    from pypicreds.recovery import journal as recovery
    from pypicreds.store.index import Index

    env = {**cli_env, "PYPICREDS_STORE": "file", "PYPICREDS_PASSPHRASE": "import test"}
    assert run_cli(["add", "pypi", "--plaintext", "--token-stdin"], env, input=PYPI_TOKEN).returncode == 0
    path = Path(env["HOME"]) / ".pypirc"
    before = path.read_text()
    [entry] = Index.load().entries
    entry.plaintext = False
    recovery.begin("import", entry, pypirc=path, already_stored=True)
    pypirc.take_password_line(path, "pypi")
    result = run_cli(["list", "--json"], env)
    assert "finished an interrupted `pypicreds import` of pypi" in result.stderr, result.stderr
    [listed] = json.loads(result.stdout)
    assert listed["plaintext"] is False
    assert path.read_text() == without_passwords(before)
    assert run_cli(["show", "pypi", "--reveal"], env).stdout.strip() == PYPI_TOKEN


def test_a_multi_line_password_is_kept_and_no_copy_of_it_lands_in_the_journal(cli_env):
    """Suspected by the attack review: an import rolled back around a multi-line password of a
    private index would store the text around it in the journal. Refuted: such a password is
    never taken (it cannot be a token), so no journal is written; and the editor itself keeps no
    copy of a password line it cannot split cleanly (checked directly)."""
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    home = Path(env["HOME"])
    pypirc = home / ".pypirc"
    pypirc.write_text("[distutils]\nindex-servers = corp\n\n[corp]\nrepository = http://127.0.0.1:9/c/\n"
                      "username = me\npassword = first-half-Secret\n    second-half-Secret\n")
    pypirc.chmod(0o600)
    before = pypirc.read_bytes()
    done = run_cli(["import"], env)
    assert done.returncode == 1 and "corp" in done.stderr
    assert pypirc.read_bytes() == before
    for path in Path(env["PYPICREDS_HOME"]).rglob("*") if Path(env["PYPICREDS_HOME"]).exists() else []:
        if path.is_file():
            assert b"half-Secret" not in path.read_bytes(), path
    from pypicreds import pypirc as editor

    where = editor.take_password_line(pypirc, "corp")
    assert where is not None and where["parts"] is None  # no text around the password is kept
