"""audit respects a choice the user made (`add --plaintext`, issue 16 item 14), sorts what
matters first and numbers lines one way (item 15), and rewrites only the two upload URLs a
trailing slash fixes (item 16)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from macaroon_mint import current, mint
from realparts import assert_no_secret, pypirc_of, run_cli, write_pypirc

TOKEN = mint([current([1, ["demo-pkg"]])], location="pypi.org")
OTHER = mint([current([1, ["demo-pkg"]])], location="pypi.org")
SEVERITY = {"error": 0, "warning": 1, "info": 2}


@pytest.fixture
def env(cli_env):
    return {**cli_env, "PYPICREDS_STORE": "file", "PYPICREDS_PASSPHRASE": "audit choices"}


def audit(env, *args) -> tuple[list[dict], object]:
    result = run_cli(["audit", "--json", *args], env)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout), result


def by_id(findings, finding_id):
    return [f for f in findings if f["id"] == finding_id]


# --- 14. add --plaintext is a choice ---------------------------------------------------------------


def test_a_plaintext_token_the_user_chose_is_info_and_fix_leaves_it(env):
    assert run_cli(["add", "pypi", "--plaintext", "--token-stdin"], env, input=TOKEN).returncode == 0
    before = pypirc_of(env).read_bytes()
    findings, result = audit(env)
    [finding] = by_id(findings, "plaintext-password")
    assert finding["severity"] == "info" and result.returncode == 0
    assert "--plaintext" in finding["message"] and "anyone who can read" in finding["message"]
    assert "--include-plaintext" in finding["fix"]
    fixed, result = audit(env, "--fix")
    assert result.returncode == 0 and pypirc_of(env).read_bytes() == before
    [finding] = by_id(fixed, "plaintext-password")
    assert finding["fixed"] is False
    text = run_cli(["audit"], env)
    assert text.returncode == 0 and "plaintext-password" in text.stdout
    assert_no_secret(TOKEN, result.stdout, result.stderr, text.stdout, text.stderr)


def test_fix_include_plaintext_moves_it_and_the_index_forgets_the_choice(env):
    assert run_cli(["add", "pypi", "--plaintext", "--token-stdin"], env, input=TOKEN).returncode == 0
    result = run_cli(["audit", "--fix", "--include-plaintext"], env)
    assert result.returncode == 0, result.stderr
    assert "password" not in pypirc_of(env).read_text()
    [entry] = json.loads(run_cli(["list", "--json"], env).stdout)
    assert entry["plaintext"] is False
    assert run_cli(["show", "pypi", "--reveal"], env).stdout.strip() == TOKEN


def test_a_password_that_is_not_the_chosen_token_is_still_a_warning(env):
    """The choice covers the token pypicreds wrote; a password put there by hand is not it."""
    assert run_cli(["add", "pypi", "--plaintext", "--token-stdin"], env, input=TOKEN).returncode == 0
    path = pypirc_of(env)
    path.write_text(path.read_text().replace(TOKEN, OTHER))
    findings, result = audit(env)
    [finding] = by_id(findings, "plaintext-password")
    assert finding["severity"] == "warning" and result.returncode == 1


def test_the_plaintext_choice_is_in_the_index(env):
    assert run_cli(["add", "pypi", "--plaintext", "--token-stdin"], env, input=TOKEN).returncode == 0
    index = json.loads((Path(env["PYPICREDS_HOME"]) / "index.json").read_text())
    [entry] = index["entries"]
    assert entry["plaintext"] is True
    rotated = run_cli(["rotate", "pypi", "--token-stdin"], env, input=OTHER)
    assert rotated.returncode == 0, rotated.stderr
    [finding] = by_id(audit(env)[0], "plaintext-password")
    assert finding["severity"] == "info"


# --- 15. order and line numbers ----------------------------------------------------------------------


def test_audit_sorts_by_severity_then_file_and_line(env):
    unrestricted = mint([current([3, "0a9a1b7e-0000-4000-8000-00000000aaaa"])], location="test.pypi.org")
    assert run_cli(["add", "testpypi", "--no-pypirc", "--token-stdin"], env, input=unrestricted).returncode == 0
    write_pypirc(env, f"[pypi]\nusername = __token__\npassword = {TOKEN}\n\n"
               "[distutils]\nindex-servers =\n    pypi\n    ghost\n")
    for run in (["--json"], []):
        result = run_cli(["audit", *run], env)
        assert result.returncode == 1, result.stderr
    findings, _ = audit(env)
    keys = [(SEVERITY[f["severity"]], f["path"] is None, f["path"] or "", f["line"] or 0) for f in findings]
    assert keys == sorted(keys) and findings[0]["severity"] == "error"
    assert {"info", "warning", "error"} <= {f["severity"] for f in findings}
    text = run_cli(["audit"], env).stdout
    first_error, last_info = text.index(" error "), text.rindex(" info ")
    assert first_error < last_info


PASSWORD_FILE = (
    "# my setup\n[distutils]\nindex-servers =\n    pypi\n    corp\n\n[pypi]\nusername = __token__\n"
    f"password = {TOKEN}\n\n[corp]\nrepository = https://corp.example/legacy/\nusername = me\n"
    "password = corp-secret\n"
)


def test_one_line_number_for_a_password_everywhere(env):
    """The line the password is on in the file as it was, 1-based: audit, audit --fix and
    import agree, also for a second password once the first has left the file."""
    lines = PASSWORD_FILE.splitlines()
    expected = {"pypi": lines.index(f"password = {TOKEN}") + 1, "corp": lines.index("password = corp-secret") + 1}
    write_pypirc(env, PASSWORD_FILE)
    found = {f["repository"]: f for f in by_id(audit(env)[0], "plaintext-password")}
    for name, line in expected.items():
        assert found[name]["line"] == line and f"line {line}" in found[name]["message"]
    fixed = run_cli(["audit", "--fix"], env)
    Path(env["PYPICREDS_HOME"], "index.json").unlink()
    Path(env["PYPICREDS_HOME"], "vault.json").unlink()
    write_pypirc(env, PASSWORD_FILE)
    imported = run_cli(["import"], env)
    for name, line in expected.items():
        assert f"[{name}] (line {line})" in fixed.stderr, fixed.stderr
        assert f"[{name}] (line {line})" in imported.stderr, imported.stderr


def test_the_empty_password_message_quotes_the_files_own_text(env):
    write_pypirc(env, "[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\npassword:\n")
    [finding] = by_id(audit(env)[0], "empty-password")
    assert "`password:`" in finding["message"] and "password =" not in finding["message"]


# --- 16. the trailing-slash rule --------------------------------------------------------------------


@pytest.mark.parametrize("url,fires", [
    ("https://upload.pypi.org/legacy", True),
    ("https://test.pypi.org/legacy", True),
    ("https://upload.pypi.org/someone/project", False),
    ("https://test.pypi.org/simple", False),
    ("https://upload.pypi.org/legacy/extra", False),
    ("https://upload.pypi.org/legacy/", False),
])
def test_trailing_slash_only_where_it_makes_an_upload_url(env, url, fires):
    original = f"[distutils]\nindex-servers = mirror\n\n[mirror]\nrepository = {url}\nusername = __token__\n"
    path = write_pypirc(env, original)
    findings, _ = audit(env)
    assert bool(by_id(findings, "url-trailing-slash")) == fires
    run_cli(["audit", "--fix"], env)
    assert path.read_text() == (original.replace(url, url + "/") if fires else original)
