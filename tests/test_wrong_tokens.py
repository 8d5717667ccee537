"""Tokens `add` and `rotate` can tell are wrong are refused (exit 1, nothing stored, a hint)
unless --force; audit reports a per-project token whose scope does not cover its project
(issue 16, item 7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from macaroon_mint import current, mint
from realparts import assert_no_secret, run_cli

TEST_TOKEN = mint([current([1, ["foo"]])], location="test.pypi.org")
PYPI_TOKEN = mint([current([1, ["foo"]])], location="pypi.org")
FOO_TOKEN = mint([current([1, ["foo"]])], location="pypi.org")
TRUNCATED = PYPI_TOKEN[:60]

WRONG = {
    # case: (add arguments, token, words the error must hold)
    "truncated": (["pypi"], TRUNCATED, ["cannot be read", "truncated"]),
    "testpypi token as pypi": (["pypi"], TEST_TOKEN, ["test.pypi.org", "testpypi"]),
    "pypi token as testpypi": (["testpypi"], PYPI_TOKEN, ["pypi.org", "refuse"]),
    "another project's token": (["pypi", "--project", "bar"], FOO_TOKEN, ["scoped to foo", "bar"]),
}


@pytest.fixture
def env(cli_env):
    return {**cli_env, "PYPICREDS_STORE": "file", "PYPICREDS_PASSPHRASE": "wrong tokens"}


def home_state(env) -> dict:
    home = Path(env["HOME"])
    return {str(p.relative_to(home)): p.read_bytes() for p in sorted(home.rglob("*"))
            if p.is_file() and p.name != ".lock"}


def stored(env) -> list[dict]:
    return json.loads(run_cli(["list", "--json"], env).stdout)


@pytest.mark.parametrize("case", list(WRONG))
def test_add_refuses_a_token_it_knows_is_wrong(env, case):
    args, token, words = WRONG[case]
    before = home_state(env)
    result = run_cli(["add", *args, "--token-stdin"], env, input=token)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("pypicreds: error: ") and len(result.stderr.splitlines()) == 1
    for word in words:
        assert word in result.stderr
    assert "--force" in result.stderr.split("(hint: ", 1)[1]
    assert_no_secret(token, result.stderr)
    assert home_state(env) == before


@pytest.mark.parametrize("case", list(WRONG))
def test_add_stores_it_with_force_and_still_warns(env, case):
    args, token, _ = WRONG[case]
    result = run_cli(["add", *args, "--force", "--token-stdin"], env, input=token)
    assert result.returncode == 0, result.stderr
    assert "warning:" in result.stderr
    assert [e["name"] for e in stored(env)] == [args[0]]


@pytest.mark.parametrize("case", list(WRONG))
def test_rotate_refuses_a_token_it_knows_is_wrong(env, case):
    args, token, words = WRONG[case]
    good = mint([current([1, [args[2] if "--project" in args else "foo"]])],
                location="test.pypi.org" if args[0] == "testpypi" else "pypi.org")
    assert run_cli(["add", *args, "--token-stdin"], env, input=good).returncode == 0
    before = home_state(env)
    rotate = ["rotate", args[0], *args[1:]]
    result = run_cli([*rotate, "--token-stdin"], env, input=token)
    assert result.returncode == 1, result.stderr
    for word in words:
        assert word in result.stderr
    assert home_state(env) == before
    forced = run_cli([*rotate, "--force", "--token-stdin"], env, input=token)
    assert forced.returncode == 0, forced.stderr
    assert "warning:" in forced.stderr


def test_fast_path_and_typer_agree_on_force(env, tmp_path):
    results = []
    for run in ("fast", "typer"):
        home = tmp_path / run
        e = {**env, "HOME": str(home), "PYPICREDS_HOME": str(home / "pc")}
        if run == "typer":
            e["PYPICREDS_NO_FAST_PATH"] = "1"
        refused = run_cli(["add", "pypi", "--token-stdin"], e, input=TEST_TOKEN)
        forced = run_cli(["add", "pypi", "--force", "--token-stdin"], e, input=TEST_TOKEN)
        results.append([(r.returncode, r.stderr.replace(str(home), "HOME")) for r in (refused, forced)])
    assert results[0] == results[1]


def test_a_right_token_needs_no_force(env):
    result = run_cli(["add", "pypi", "--project", "foo", "--token-stdin"], env, input=FOO_TOKEN)
    # (a warning of who will not find it, from the forced keyring backend of the test env, is no
    # warning about the token)
    assert result.returncode == 0 and "warning: this token" not in result.stderr, result.stderr
    assert "--force" not in result.stderr


# --- audit ---------------------------------------------------------------------------------------


def audit_json(env) -> tuple[list[dict], int]:
    result = run_cli(["audit", "--json"], env)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout), result.returncode


def test_audit_reports_a_project_token_whose_scope_does_not_cover_its_project(env):
    assert run_cli(["add", "pypi", "--project", "bar", "--force", "--token-stdin"], env, input=FOO_TOKEN).returncode == 0
    assert run_cli(["add", "pypi", "--project", "foo", "--token-stdin"], env,
                   input=mint([current([1, ["foo"]])])).returncode == 0
    findings, code = audit_json(env)
    [finding] = [f for f in findings if f["id"] == "wrong-project-token"]
    assert finding["severity"] == "error" and code == 1
    assert finding["repository"] == "pypi" and "pypi (project bar)" in finding["message"]
    assert "scoped to foo, not bar" in finding["message"]
    assert "rotate pypi --project bar" in finding["fix"]


def test_audit_reports_a_stored_token_it_cannot_read(env):
    assert run_cli(["add", "pypi", "--force", "--token-stdin"], env, input=TRUNCATED).returncode == 0
    findings, code = audit_json(env)
    [finding] = [f for f in findings if f["id"] == "unreadable-token"]
    assert finding["severity"] == "warning" and code == 1 and finding["repository"] == "pypi"


def test_every_new_finding_id_is_documented():
    text = (Path(__file__).resolve().parents[1] / "docs/json.md").read_text()
    for finding_id in ("wrong-project-token", "unreadable-token"):
        assert f"`{finding_id}`" in text
