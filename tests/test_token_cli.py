"""Token intelligence through the CLI: add/rotate read tokens, list/show/inspect report them,
and per-project tokens live beside a repository's default token."""

from __future__ import annotations

import json
import time
from pathlib import Path

from macaroon_mint import current, legacy, mint
from realparts import assert_no_secret, run_cli

USER = "5f6a1c2e-0000-4000-8000-00000000000a"


def file_env(cli_env):
    return {**cli_env, "PYPICREDS_STORE": "file"}


def add(env, *args, token):
    return run_cli(["add", *args, "--token-stdin"], env, input=token)


def test_add_reports_scope_and_list_json_has_token_facts(cli_env):
    env = file_env(cli_env)
    expires = int(time.time()) + 3600
    token = mint([current([1, ["foo", "bar"]]), current([0, expires, expires - 7200])])
    result = add(env, "pypi", token=token)
    assert result.returncode == 0, result.stderr
    assert "token scope: projects bar, foo" in result.stderr
    assert "token expires at" in result.stderr
    [entry] = json.loads(run_cli(["list", "--json"], env).stdout)
    assert entry["scope"] == "project" and entry["projects"] == ["bar", "foo"]
    assert entry["expires"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))
    assert entry["token_id"] and entry["project"] is None
    text = run_cli(["list"], env).stdout
    assert "projects: bar, foo" in text
    assert_no_secret(token, result.stderr, Path(env["PYPICREDS_HOME"]) / "index.json")


def test_unrestricted_token_is_worded_carefully(cli_env):
    result = add(file_env(cli_env), "pypi", token=mint([current([3, USER])]))
    assert "no embedded project restriction" in result.stderr


def test_expired_token_is_refused_and_nothing_written(cli_env):
    env = file_env(cli_env)
    past = int(time.time()) - 60
    result = add(env, "pypi", token=mint([current([0, past, past - 600])]))
    assert result.returncode == 1 and "expired" in result.stderr
    assert not (Path(env["HOME"]) / ".pypirc").exists()
    assert not Path(env["PYPICREDS_HOME"]).exists() or not (Path(env["PYPICREDS_HOME"]) / "index.json").exists()


def test_wrong_index_token_is_refused_unless_forced(cli_env):
    token = mint([current([3, USER])], location="pypi.org")
    result = add(file_env(cli_env), "testpypi", token=token)
    assert result.returncode == 1
    assert "issued by pypi.org" in result.stderr and "test.pypi.org" in result.stderr
    forced = add(file_env(cli_env), "testpypi", "--force", token=token)
    assert forced.returncode == 0 and "warning: this token was issued by pypi.org" in forced.stderr


def test_inspect_stored_and_given_tokens(cli_env):
    env = file_env(cli_env)
    token = mint([legacy({"version": 1, "permissions": {"projects": ["Foo_Bar"]}})], identifier="0b1c2d3e-1111-4222-8333-444455556666")
    assert add(env, "pypi", token=token).returncode == 0
    stored = run_cli(["inspect", "pypi", "--json"], env)
    assert stored.returncode == 0, stored.stderr
    data = json.loads(stored.stdout)
    for key in ("host", "token_id", "scope", "projects", "project_ids", "expires", "not_before", "caveats"):
        assert key in data
    assert data["host"] == "pypi.org" and data["token_id"] == "0b1c2d3e-1111-4222-8333-444455556666"
    assert data["scope"] == "project" and data["projects"] == ["Foo_Bar"]
    given = run_cli(["inspect", "--token-stdin"], env, input=token)
    assert json.loads(run_cli(["inspect", "--token-stdin", "--json"], env, input=token).stdout) == data
    assert "0b1c2d3e-1111-4222-8333-444455556666" in given.stdout and "legacy" in given.stdout
    assert_no_secret(token, stored.stdout, stored.stderr, given.stdout, given.stderr)


def test_inspect_malformed_token_is_one_line(cli_env):
    result = run_cli(["inspect", "--token-stdin"], cli_env, input="pypi-AgEIcHlwaS5vcmc")
    assert result.returncode == 1
    assert result.stderr.startswith("pypicreds: error:") and result.stderr.count("\n") == 1


def test_per_project_tokens_beside_the_default(cli_env):
    env = file_env(cli_env)
    default = mint([current([3, USER])])
    foo = mint([current([1, ["foo"]])])
    assert add(env, "pypi", token=default).returncode == 0
    pypirc_before = (Path(env["HOME"]) / ".pypirc").read_bytes()
    result = add(env, "pypi", "--project", "Foo", token=foo)
    assert result.returncode == 0, result.stderr
    assert (Path(env["HOME"]) / ".pypirc").read_bytes() == pypirc_before  # twine can't see it; untouched
    again = add(env, "pypi", "--project", "foo", token=foo)
    assert again.returncode == 1 and "rotate pypi --project foo" in again.stderr
    listed = {(e["name"], e["project"]) for e in json.loads(run_cli(["list", "--json"], env).stdout)}
    assert listed == {("pypi", None), ("pypi", "foo")}
    assert run_cli(["show", "pypi", "--project", "foo", "--reveal"], env).stdout.strip() == foo
    assert run_cli(["show", "pypi", "--reveal"], env).stdout.strip() == default
    foo2 = mint([current([1, ["foo"]])])
    assert run_cli(["rotate", "pypi", "--project", "foo", "--token-stdin"], env, input=foo2).returncode == 0
    assert run_cli(["show", "pypi", "--project", "foo", "--reveal"], env).stdout.strip() == foo2
    assert run_cli(["show", "pypi", "--reveal"], env).stdout.strip() == default
    assert run_cli(["remove", "pypi", "--project", "foo"], env).returncode == 0
    assert (Path(env["HOME"]) / ".pypirc").read_bytes() == pypirc_before
    assert [e["project"] for e in json.loads(run_cli(["list", "--json"], env).stdout)] == [None]


def test_project_token_for_other_project_is_refused_unless_forced(cli_env):
    token = mint([current([1, ["foo"]])])
    result = add(file_env(cli_env), "pypi", "--project", "bar", token=token)
    assert result.returncode == 1 and "scoped to foo, not bar" in result.stderr
    forced = add(file_env(cli_env), "pypi", "--project", "bar", "--force", token=token)
    assert forced.returncode == 0 and "warning: this token is scoped to foo, not bar" in forced.stderr


def test_invalid_project_name(cli_env):
    result = add(file_env(cli_env), "pypi", "--project", "no spaces!", token=mint([current([1, ["foo"]])]))
    assert result.returncode == 2 and "invalid project name" in result.stderr
