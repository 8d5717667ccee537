"""`pypicreds audit [--fix]`: every finding id created for real, checked, and fixed where it can be."""

from __future__ import annotations

import configparser
import json
import os
import stat
import time
from pathlib import Path

import pytest
from macaroon_mint import current, mint
from realparts import assert_no_secret, pypirc_of, run_cli, write_pypirc

UNRESTRICTED = mint([current([3, "0a9a1b7e-0000-4000-8000-00000000aaaa"])], location="pypi.org")
SCOPED = mint([current([1, ["demo-pkg"]])], location="pypi.org")
TEST_SCOPED = mint([current([1, ["demo-pkg"]])], location="test.pypi.org")
EXPIRED = mint([current([0, int(time.time()) - 3600, int(time.time()) - 7200]), current([1, ["demo-pkg"]])])
PASSPHRASE = "audit test passphrase"


@pytest.fixture
def env(cli_env):
    """A file store with a passphrase (so no key-file finding unless a test wants one)."""
    return {**cli_env, "PYPICREDS_STORE": "file", "PYPICREDS_PASSPHRASE": PASSPHRASE}


def audit(env, *args: str):
    """(findings, result) of `audit --json`."""
    result = run_cli(["audit", "--json", *args], env)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout), result


def ids(findings) -> set[str]:
    return {f["id"] for f in findings}


def by_id(findings, finding_id: str) -> list[dict]:
    return [f for f in findings if f["id"] == finding_id]


def add(env, name: str, token: str, *args: str) -> None:
    result = run_cli(["add", name, "--token-stdin", *args], env, input=token)
    assert result.returncode == 0, result.stderr


def fix_twice(env):
    """Run --fix twice: the second run must change no byte anywhere and report nothing fixed."""
    first = run_cli(["audit", "--fix"], env)
    home = Path(env["HOME"])
    before = {p: (p.read_bytes(), stat.S_IMODE(p.stat().st_mode)) for p in home.rglob("*") if p.is_file()}
    second = run_cli(["audit", "--fix", "--json"], env)
    after = {p: (p.read_bytes(), stat.S_IMODE(p.stat().st_mode)) for p in home.rglob("*") if p.is_file()}
    assert before == after
    assert "fixed:" not in second.stderr
    assert not [f for f in json.loads(second.stdout) if f["fixed"]]
    return first, second


# --------------------------------------------------------------------------- .pypirc file


def test_pypirc_permissions_found_and_fixed(env):
    path = write_pypirc(env, "[distutils]\nindex-servers = pypi\n", mode=0o644)
    findings, result = audit(env)
    [finding] = by_id(findings, "pypirc-permissions")
    assert finding["severity"] == "error" and finding["fixable"] and "0644" in finding["message"]
    assert result.returncode == 1
    first, _ = fix_twice(env)
    assert "chmod 600" in first.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "pypirc-permissions" not in ids(audit(env)[0])


def test_symlinked_pypirc_whose_target_is_readable(env, tmp_path):
    target = tmp_path / "dotfiles" / "pypirc"
    target.parent.mkdir()
    target.write_text("[distutils]\nindex-servers = pypi\n")
    target.chmod(0o640)
    pypirc_of(env).symlink_to(target)
    [finding] = by_id(audit(env)[0], "pypirc-permissions")
    assert str(target) in finding["message"]
    fix_twice(env)
    assert pypirc_of(env).is_symlink()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_pypirc_owned_by_someone_else_is_not_fixed(env):
    path = write_pypirc(env, "[distutils]\nindex-servers = pypi\n")
    os.chown(path, 4242, 4242)  # the tests run as root: a file another user owns
    [finding] = by_id(audit(env)[0], "pypirc-permissions")
    assert "4242" in finding["message"] and not finding["fixable"]


def test_plaintext_password_moved_into_the_store(env):
    original = (
        "# publishing\n[distutils]\nindex-servers =\n    pypi\n\n"
        f"[pypi]\n  ; the account token\nusername = __token__\npassword = {SCOPED}\nkeep = me\n"
    )
    path = write_pypirc(env, original)
    findings, result = audit(env)
    [finding] = by_id(findings, "plaintext-password")
    assert finding["line"] == 9 and finding["repository"] == "pypi" and finding["fixable"]
    assert_no_secret(SCOPED, result.stdout, result.stderr)
    assert_no_secret(SCOPED[5:40], result.stdout, result.stderr)  # no part of it either
    first, second = fix_twice(env)
    assert_no_secret(SCOPED, first.stdout, first.stderr, second.stdout, second.stderr)
    assert path.read_text() == original.replace(f"password = {SCOPED}\n", "")
    [entry] = json.loads(run_cli(["list", "--json"], env).stdout)
    assert entry["name"] == "pypi" and entry["store"] == "file" and entry["plaintext"] is False
    assert run_cli(["show", "pypi", "--reveal"], env).stdout.strip() == SCOPED
    assert "plaintext-password" not in ids(audit(env)[0])


def test_empty_password_line_removed(env):
    original = "[distutils]\nindex-servers = pypi custom\n\n[custom]\nrepository = https://example.org/\npassword =\nusername = me\n"
    path = write_pypirc(env, original)
    [finding] = by_id(audit(env)[0], "empty-password")
    assert finding["severity"] == "error" and finding["line"] == 6
    fix_twice(env)
    assert path.read_text() == original.replace("password =\n", "")


def test_inline_comment_reported_not_fixed(env):
    write_pypirc(env, "[distutils]\nindex-servers = pypi x\n\n[x]\nrepository = https://example.org/ # my index\n"
                      "username = me\n")
    [finding] = by_id(audit(env)[0], "inline-comment")
    assert finding["line"] == 5 and finding["repository"] == "x" and not finding["fixable"]
    assert "my index" not in finding["message"]  # values are not echoed


def test_missing_section_written_from_what_pypicreds_holds(env):
    add(env, "private", "secret-password", "--url", "https://example.org/legacy/", "--no-pypirc")
    original = "[distutils]\nindex-servers =\n    pypi\n    private\n    ghost\n"
    path = write_pypirc(env, original)
    findings = audit(env)[0]
    missing = {f["repository"]: f for f in by_id(findings, "missing-section")}
    assert set(missing) == {"private", "ghost"}
    assert missing["private"]["fixable"] and not missing["ghost"]["fixable"]
    fix_twice(env)
    text = path.read_text()
    assert text.startswith(original)  # nothing above was touched
    assert "[private]\nrepository = https://example.org/legacy/\nusername = __token__\n" in text
    assert {f["repository"] for f in by_id(audit(env)[0], "missing-section")} == {"ghost"}


def test_unlisted_section_gets_listed(env):
    original = (
        "[distutils]\nindex-servers =\n    pypi\n    testpypi\n\n"
        "[internal]\n# comment\nrepository = https://example.org/\nusername = me\n"
    )
    path = write_pypirc(env, original)
    [finding] = by_id(audit(env)[0], "unlisted-section")
    assert finding["repository"] == "internal" and finding["line"] == 6
    fix_twice(env)
    assert path.read_text() == original.replace("    testpypi\n", "    testpypi\n    internal\n")


def test_unlisted_builtin_section_without_username_gets_listed(env):
    """twine forces __token__ for the PyPI and TestPyPI upload URLs, so listing is safe."""
    path = write_pypirc(env, "[distutils]\nindex-servers =\n    pypi\n\n[testpypi]\n# comment\n")
    [finding] = by_id(audit(env)[0], "unlisted-section")
    assert finding["repository"] == "testpypi" and finding["fixable"]
    fix_twice(env)
    config = configparser.RawConfigParser()
    config.read(path)
    assert config["distutils"]["index-servers"].split() == ["pypi", "testpypi"]
    assert "# comment" in path.read_text()
    assert "unlisted-section" not in ids(audit(env)[0])


def test_missing_repository_url(env):
    write_pypirc(env, "[distutils]\nindex-servers = pypi mine\n\n[mine]\nusername = me\n")
    [finding] = by_id(audit(env)[0], "missing-repository-url")
    assert finding["severity"] == "error" and "KeyError" in finding["message"] and not finding["fixable"]


def test_url_without_trailing_slash_for_pypi(env):
    original = "[distutils]\nindex-servers = pypi\n\n[pypi]\nrepository = https://upload.pypi.org/legacy\nusername = __token__\n"
    path = write_pypirc(env, original)
    [finding] = by_id(audit(env)[0], "url-trailing-slash")
    assert finding["line"] == 5 and finding["fixable"]
    fix_twice(env)
    assert path.read_text() == original.replace("/legacy\n", "/legacy/\n")


def test_keyring_entry_under_another_url_string(cli_env, keyring_service):
    env = {**cli_env, **keyring_service.env}
    add(env, "corp", "corp-password", "--url", "https://pkgs.example.org/upload/", "--store", "keyring")
    path = pypirc_of(env)
    path.write_text(path.read_text().replace("/upload/", "/upload"))  # hand-edited: the slash is gone
    [finding] = by_id(audit(env)[0], "url-trailing-slash")
    assert "https://pkgs.example.org/upload/" in finding["message"] and finding["fixable"]
    fix_twice(env)
    assert "repository = https://pkgs.example.org/upload/\n" in path.read_text()
    assert "url-trailing-slash" not in ids(audit(env)[0])


# --------------------------------------------------------------------------- tokens


def test_unrestricted_token_is_info_only(env):
    add(env, "pypi", UNRESTRICTED)
    findings, result = audit(env)
    [finding] = by_id(findings, "unrestricted-token")
    assert finding["severity"] == "info" and finding["repository"] == "pypi"
    assert result.returncode == 0  # info alone does not fail the audit


def test_expired_tokens_in_the_index_and_in_pypirc(env):
    soon = mint([current([0, int(time.time()) + 2, int(time.time()) - 60])])
    add(env, "pypi", soon)
    write_pypirc(env, f"[distutils]\nindex-servers = pypi other\n\n[other]\nrepository = https://upload.pypi.org/"
                      f"legacy/\npassword = {EXPIRED}\n")
    time.sleep(2.5)  # let the stored token expire for real
    findings, result = audit(env)
    expired = by_id(findings, "expired-token")
    assert {f["repository"] for f in expired} == {"pypi", "other"}
    assert all(f["severity"] == "error" for f in expired)
    assert_no_secret(EXPIRED, result.stdout, result.stderr)


def test_old_token_by_date_and_by_max_age(env):
    add(env, "pypi", SCOPED)
    assert "old-token" not in ids(audit(env)[0])
    assert by_id(audit(env, "--max-age", "0")[0], "old-token")
    index = Path(env["PYPICREDS_HOME"]) / "index.json"
    data = json.loads(index.read_text())
    data["entries"][0]["added"] = "2020-01-01T00:00:00Z"  # as it looks after years
    index.write_text(json.dumps(data))
    [finding] = by_id(audit(env)[0], "old-token")
    assert "2020-01-01" in finding["message"] and "pypicreds rotate pypi" in finding["fix"]


def test_reused_token(env):
    add(env, "pypi", SCOPED, "--no-pypirc")
    add(env, "mirror", SCOPED, "--url", "https://upload.pypi.org/legacy/", "--no-pypirc")
    [finding] = by_id(audit(env)[0], "reused-token")
    assert "mirror" in finding["message"] and "pypi" in finding["message"]


def test_wrong_index_token(env):
    add(env, "testpypi", SCOPED, "--force")  # a pypi.org token for TestPyPI: add refuses without --force
    [finding] = by_id(audit(env)[0], "wrong-index-token")
    assert finding["repository"] == "testpypi" and "pypi.org" in finding["message"]


# --------------------------------------------------------------------------- environment and stores


def test_twine_env_set(env):
    findings, result = audit({**env, "TWINE_PASSWORD": SCOPED, "TWINE_USERNAME": "__token__"})
    found = by_id(findings, "twine-env-set")
    assert {f["severity"] for f in found} == {"warning", "info"} and result.returncode == 1
    assert_no_secret(SCOPED, result.stdout, result.stderr)


def test_server_login_section(env):
    write_pypirc(env, "[distutils]\nindex-servers = pypi\n\n[server-login]\nusername = old\n")
    [finding] = by_id(audit(env)[0], "server-login-section")
    assert finding["line"] == 4


def test_plaintext_keyring(cli_env):
    env = {**cli_env, "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    [finding] = by_id(audit(env)[0], "plaintext-keyring")
    assert "PlaintextKeyring" in finding["message"]
    assert "plaintext-keyring" not in ids(audit(cli_env)[0])


def test_keyfile_vault(cli_env):
    env = {**cli_env, "PYPICREDS_STORE": "file"}  # no passphrase: a key-file vault
    add(env, "pypi", SCOPED)
    [finding] = by_id(audit(env)[0], "keyfile-vault")
    assert finding["severity"] == "info"
    assert "keyfile-vault" not in ids(audit({**env, "PYPICREDS_HOME": env["PYPICREDS_HOME"] + "2"})[0])


def test_config_permissions(env):
    add(env, "pypi", SCOPED)
    home = Path(env["PYPICREDS_HOME"])
    home.chmod(0o755)
    (home / "index.json").chmod(0o644)
    found = by_id(audit(env)[0], "config-permissions")
    assert {Path(f["path"]) for f in found} == {home, home / "index.json"}
    fix_twice(env)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "index.json").stat().st_mode) == 0o600


# --------------------------------------------------------------------------- done when

EVERY_ID = {
    "pypirc-permissions", "plaintext-password", "empty-password", "inline-comment", "missing-section",
    "unlisted-section", "missing-repository-url", "url-trailing-slash", "unrestricted-token", "expired-token",
    "old-token", "reused-token", "wrong-index-token", "twine-env-set", "server-login-section",
    "plaintext-keyring", "keyfile-vault", "config-permissions",
}


def test_a_home_with_every_problem(cli_env):
    env = {**cli_env, "PYPICREDS_STORE": "file", "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
           "TWINE_PASSWORD": "leaked"}
    add(env, "testpypi", UNRESTRICTED, "--no-pypirc", "--force")  # key-file vault; pypi.org token on TestPyPI
    add(env, "mirror", UNRESTRICTED, "--url", "https://upload.pypi.org/legacy/", "--no-pypirc")  # reused
    index = Path(env["PYPICREDS_HOME"]) / "index.json"
    data = json.loads(index.read_text())
    data["entries"][0]["added"] = "2019-05-01T00:00:00Z"
    index.write_text(json.dumps(data))
    index.chmod(0o644)
    original = (
        "[distutils]\nindex-servers =\n    pypi\n    ghost\n    nourl\n\n"
        f"[pypi]\nusername = __token__\npassword = {EXPIRED}\n\n"
        "[nourl]\nusername = me ; me\n\n"
        "[slash]\nrepository = https://upload.pypi.org/legacy\nusername = __token__\npassword =\n\n"
        "[server-login]\nusername = legacy\n"
    )
    path = write_pypirc(env, original, mode=0o644)
    findings, result = audit(env)
    assert ids(findings) == EVERY_ID
    assert result.returncode == 1
    human = run_cli(["audit"], env)
    for finding_id in EVERY_ID:
        assert finding_id in human.stdout
    assert human.stdout.index("~/.pypirc") < human.stdout.index("(environment)")  # grouped by file

    first, second = fix_twice(env)
    fixed = {f["id"] for f in json.loads(run_cli(["audit", "--json", "--fix"], env).stdout) if f["fixable"]}
    assert fixed == set()  # nothing fixable is left
    remaining = ids(audit(env)[0])
    assert remaining.isdisjoint({"pypirc-permissions", "plaintext-password", "empty-password", "unlisted-section",
                                 "config-permissions"})
    assert "url-trailing-slash" not in remaining
    for secret in (EXPIRED, UNRESTRICTED):
        assert_no_secret(secret, result.stdout, result.stderr, human.stdout, first.stdout, first.stderr,
                         second.stdout, path)


def test_after_fix_only_info_remains_and_audit_exits_0(cli_env):
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    add(env, "pypi", UNRESTRICTED, "--no-pypirc")
    Path(env["PYPICREDS_HOME"]).chmod(0o750)
    original = (
        "[distutils]\nindex-servers = pypi\n\n"
        f"[testpypi]\nusername = __token__\npassword = {TEST_SCOPED}\n\n"
        "[corp]\nrepository = https://example.org/\nusername = me\npassword =\n"
    )
    write_pypirc(env, original, mode=0o664)
    before, result = audit(env)
    assert result.returncode == 1
    assert {"pypirc-permissions", "plaintext-password", "empty-password", "unlisted-section",
            "config-permissions"} <= ids(before)
    fixed = run_cli(["audit", "--fix"], env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    after, result = audit(env)
    assert result.returncode == 0
    assert {f["severity"] for f in after} == {"info"}
    assert ids(after) == {"unrestricted-token", "keyfile-vault"}


def test_unparsable_pypirc_given_with_the_option(env, tmp_path):
    other = tmp_path / "elsewhere.pypirc"
    other.write_text(f"password = {SCOPED}\n[pypi]\n")  # a key before any section
    other.chmod(0o600)
    findings, result = audit(env, "--pypirc", str(other))
    [finding] = by_id(findings, "pypirc-unparsable")
    assert finding["severity"] == "error" and "line 1" in finding["message"]
    assert result.returncode == 1
    assert_no_secret(SCOPED, result.stdout, result.stderr)
    assert other.read_text() == f"password = {SCOPED}\n[pypi]\n"
    assert run_cli(["audit", "--fix", "--pypirc", str(other)], env).returncode == 1
    assert other.read_text() == f"password = {SCOPED}\n[pypi]\n"


KILLED_IMPORT = f"# mine\n[distutils]\nindex-servers = pypi\n\n[pypi]\npassword = {SCOPED}\nusername = __token__\n"


def leave_a_killed_import(env, monkeypatch) -> Path:
    """What a SIGKILL right after the store write leaves: journal, token in the store, its line
    still in .pypirc (KILLED_IMPORT), no index entry. Returns the .pypirc."""
    from pypicreds.recovery import journal as recovery
    from pypicreds.store import open_store
    from pypicreds.store.index import Entry
    from pypicreds.tokens import fingerprint

    for name in ("PYPICREDS_STORE", "PYPICREDS_PASSPHRASE"):
        monkeypatch.setenv(name, env[name])
    path = write_pypirc(env, KILLED_IMPORT)
    entry = Entry(name="pypi", url="https://upload.pypi.org/legacy/", username="__token__", store="file",
                  fingerprint=fingerprint(SCOPED), masked="pypi-…", added="2024-01-01T00:00:00Z", pypirc=str(path))
    recovery.begin("import", entry, pypirc=path, already_stored=False)
    open_store("file").set(entry.key, SCOPED)
    return path


def test_fix_first_finishes_an_import_that_was_killed(env, monkeypatch):
    """`audit --fix` finishes an import killed after its store write, says so, and moves
    nothing twice."""
    from pypicreds.recovery import journal as recovery

    path = leave_a_killed_import(env, monkeypatch)
    first, second = fix_twice(env)
    assert "interrupted `pypicreds import` of pypi" in first.stderr, first.stderr
    assert path.read_text() == KILLED_IMPORT.replace(f"password = {SCOPED}\n", "")
    [listed] = json.loads(run_cli(["list", "--json"], env).stdout)
    assert listed["name"] == "pypi" and listed["plaintext"] is False
    assert run_cli(["show", "pypi", "--reveal"], env).stdout.strip() == SCOPED
    assert not recovery.journal_path().exists()
    assert_no_secret(SCOPED, first.stdout, first.stderr, second.stdout, second.stderr)


def test_audit_finishes_a_killed_import_before_it_looks(env, monkeypatch):
    """The same leftovers, plain `audit`: it repairs first (as `list` does), so it reports the
    files as they are after the repair, not a plaintext password that is already moving."""
    path = leave_a_killed_import(env, monkeypatch)
    result = run_cli(["audit", "--json"], env)
    assert "interrupted `pypicreds import` of pypi" in result.stderr, result.stderr
    assert "plaintext-password" not in {finding["id"] for finding in json.loads(result.stdout)}
    assert path.read_text() == KILLED_IMPORT.replace(f"password = {SCOPED}\n", "")
    assert_no_secret(SCOPED, result.stdout, result.stderr)


def test_cr_only_line_endings_are_read_as_twine_reads_them(env):
    """twine splits lines at a bare CR too (universal newlines): audit and doctor must agree."""
    text = "[distutils]\rindex-servers =\r    pypi\r    priv\r\r[priv]\rrepository = https://example.org/\rusername = me\r"
    write_pypirc(env, text)
    findings, result = audit(env)
    assert "Traceback" not in result.stderr and result.stderr.count("pypicreds: error") == 0
    assert "missing-section" not in ids(findings) and "unlisted-section" not in ids(findings)
    doctor = run_cli(["doctor", "priv", "--json"], env)
    assert "Traceback" not in doctor.stderr
    assert "Missing" not in doctor.stdout + doctor.stderr
    assert json.loads(doctor.stdout)[0]["url"]["value"] == "https://example.org/"


def test_a_remedy_that_failed_fails_every_finding_it_answers(tmp_path):
    """Found by review: two findings with one remedy, the remedy fails; the second finding was
    marked "already fixed" (and audit exited 0)."""
    from pypicreds.checks import fix as audit_fix
    from pypicreds.checks.findings import WARNING, Finding

    rc = tmp_path / "pypirc"
    rc.write_text("stray line before any section\n[mine]\nrepository = https://example.org\n")
    before = rc.read_bytes()
    remedy = ("write-section", {"name": "mine", "url": "https://example.org/", "username": "me"})
    findings = [Finding("url-trailing-slash", WARNING, str(rc), 3, "m", "f", "mine", remedy=remedy)
                for _ in range(2)]
    assert audit_fix.apply(findings, pypirc=rc) == []
    assert [f.fixed for f in findings] == [False, False]
    assert all(f.change.startswith("not fixed: cannot parse") for f in findings)
    assert rc.read_bytes() == before
