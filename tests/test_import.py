"""`pypicreds import`: plaintext passwords move into a store; only their lines leave .pypirc."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from macaroon_mint import current, mint
from realparts import assert_no_secret, run_cli

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


def write(env, text: str) -> Path:
    path = Path(env["HOME"]) / ".pypirc"
    path.write_bytes(text.encode())
    path.chmod(0o600)
    return path


def without_passwords(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("password"))


def test_import_moves_every_token_and_keeps_every_other_byte(cli_env):
    env = {**cli_env, "PYPICREDS_PASSPHRASE": "import test"}
    path = write(env, ORIGINAL)
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
    write(env, ORIGINAL)
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
    path = write(cli_env, ORIGINAL)
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
    write(env, f"[distutils]\nindex-servers = pypi\n\n[pypi]\npassword = {PYPI_TOKEN}\n")
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
    path = write(env, original)
    result = run_cli(["import"], env)
    assert result.returncode == 1
    assert "kept the password of [pypi]" in result.stderr and "not a token pypicreds can store" in result.stderr
    assert path.read_text() == original
    assert_no_secret("my old password", result.stderr)
