"""Token intelligence where tokens are handed over: --ttl derives short-lived tokens, upload
picks the project's own token and refuses a mismatch before anything reaches the index."""

from __future__ import annotations

import io
import json
import tarfile
import time
from pathlib import Path

import pymacaroons
import pypitoken
import pytest

from macaroon_mint import KEY, current, load, mint, pypi_accepts
from realparts import PyPIServer, assert_no_secret, make_wheel, run_cli

DEFAULT = mint([current([3, "5f6a1c2e-0000-4000-8000-00000000000a"])], identifier="11111111-2222-4333-8444-555555555555")
FOO = mint([current([1, ["foo"]])])
BAR = mint([current([1, ["bar"]])])


def make_sdist(dest: Path, name: str, version: str = "1.0") -> Path:
    """A minimal sdist: NAME-VERSION/PKG-INFO in a .tar.gz."""
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{name}-{version}.tar.gz"
    data = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    with tarfile.open(path, "w:gz") as tf:
        info = tarfile.TarInfo(f"{name}-{version}/PKG-INFO")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """A real pypiserver that accepts only FOO (the foo project's token) from __token__."""
    with PyPIServer(tmp_path_factory.mktemp("index"), {"__token__": FOO}) as server:
        yield server


def file_env(cli_env):
    return {**cli_env, "PYPICREDS_STORE": "file"}


def add(env, *args, token):
    result = run_cli(["add", *args, "--token-stdin"], env, input=token)
    assert result.returncode == 0, result.stderr
    return result


def caveats_of(token: str) -> list[str]:
    return [c.caveat_id.decode() if isinstance(c.caveat_id, bytes) else c.caveat_id for c in load(token).first_party_caveats()]


def test_exec_with_project_and_ttl_hands_over_a_verifiable_derived_token(cli_env, tmp_path):
    env = file_env(cli_env)
    add(env, "pypi", token=DEFAULT)
    add(env, "pypi", "--project", "foo", token=FOO)
    out = tmp_path / "seen"
    before = int(time.time())
    result = run_cli(["exec", "pypi", "--project", "foo", "--ttl", "15m", "--",
                      "sh", "-c", f'printf %s "$TWINE_PASSWORD" > "{out}"'], env)
    after = int(time.time())
    assert result.returncode == 0, result.stderr
    derived = out.read_text()
    assert derived != FOO and derived.startswith("pypi-")
    added = caveats_of(derived)[len(caveats_of(FOO)):]
    assert len(added) == 2  # exactly the two added caveats, compact JSON, current form
    expiry = json.loads(added[0])
    assert expiry[0] == 0 and before + 900 <= expiry[1] <= after + 900 and expiry[2] == expiry[1] - 900 - 30
    assert added[1] == '[1,["foo"]]'
    assert caveats_of(derived)[: len(caveats_of(FOO))] == caveats_of(FOO)
    verifier = pymacaroons.Verifier()
    verifier.satisfy_general(lambda predicate: True)
    assert verifier.verify(load(derived), KEY)  # the signature chain is right
    # read back by pypitoken: the two appended restrictions, current form
    assert pypitoken.Token.load(derived).restrictions[-2:] == [
        pypitoken.DateRestriction(not_before=expiry[2], not_after=expiry[1]),
        pypitoken.ProjectNamesRestriction(project_names=["foo"]),
    ]
    assert pypi_accepts(derived, now=before + 60, project="foo")
    assert not pypi_accepts(derived, now=after + 901, project="foo")  # dead after the ttl
    assert pypi_accepts(FOO, now=after + 901, project="foo")  # while the stored one lives on
    # the stored token is unchanged
    assert run_cli(["show", "pypi", "--project", "foo", "--reveal"], env).stdout.strip() == FOO
    assert_no_secret(derived, result.stdout, result.stderr, Path(env["PYPICREDS_HOME"]))


def test_env_ttl_gives_a_short_lived_token(cli_env):
    env = file_env(cli_env)
    add(env, "pypi", token=DEFAULT)
    result = run_cli(["env", "pypi", "--ttl", "90s", "--shell", "json"], env)
    assert result.returncode == 0, result.stderr
    derived = json.loads(result.stdout)["TWINE_PASSWORD"]
    assert derived != DEFAULT
    assert json.loads(caveats_of(derived)[-1])[0] == 0
    assert run_cli(["inspect", "--token-stdin", "--json"], env, input=derived).returncode == 0
    data = json.loads(run_cli(["inspect", "--token-stdin", "--json"], env, input=derived).stdout)
    assert data["token_id"] == "11111111-2222-4333-8444-555555555555"  # a derived token keeps its id
    assert data["expires"] is not None


@pytest.mark.parametrize("ttl", ["0s", "15", "-5m", "2y", "9999d"])
def test_bad_ttl_is_a_usage_error(cli_env, ttl):
    env = file_env(cli_env)
    add(env, "pypi", token=DEFAULT)
    result = run_cli(["env", "pypi", "--ttl", ttl], env)
    assert result.returncode == 2 and result.stdout == ""
    assert_no_secret(DEFAULT, result.stderr)


def test_ttl_needs_a_pypi_token(cli_env):
    env = file_env(cli_env)
    add(env, "private", "--url", "https://pkgs.example.org/", "--username", "alice", token="hunter2-secret")
    result = run_cli(["env", "private", "--ttl", "5m"], env)
    assert result.returncode == 2 and "only with PyPI API tokens" in result.stderr


def test_upload_refuses_mixed_projects_before_the_network(cli_env, tmp_path, index):
    env = file_env(cli_env)
    add(env, "local", "--url", index.url, token=FOO)
    dist = tmp_path / "dist"
    make_wheel(dist, "foo", "1.0")
    make_sdist(dist, "bar", "1.0")
    before = index.log_text().count('"POST /')
    result = run_cli(["upload", "local", str(dist / "*")], env)
    assert result.returncode == 1
    assert "scoped to foo" in result.stderr and "bar" in result.stderr
    assert result.stderr.count("\n") == 1
    assert index.log_text().count('"POST /') == before  # no request reached the index
    assert not any(index.packages.iterdir())


def test_upload_picks_the_projects_own_token(cli_env, tmp_path, index):
    env = file_env(cli_env)
    add(env, "local", "--url", index.url, token=DEFAULT)  # the index would refuse this one (403)
    add(env, "local", "--project", "Foo", token=FOO)
    make_wheel(tmp_path / "dist", "foo", "2.0")
    result = run_cli(["upload", "local", str(tmp_path / "dist" / "*"), "--", "--disable-progress-bar"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (index.packages / "foo-2.0-py3-none-any.whl").is_file()
    assert_no_secret(FOO, result.stdout, result.stderr)


def test_upload_with_ttl_reaches_the_index_with_a_derived_token(cli_env, tmp_path, index):
    """pypiserver compares the password exactly, so a derived token is refused: proof that
    twine got the derived token and not the stored one."""
    env = file_env(cli_env)
    add(env, "local", "--url", index.url, token=FOO)
    make_wheel(tmp_path / "dist", "foo", "3.0")
    result = run_cli(["upload", "local", str(tmp_path / "dist" / "*"), "--ttl", "5m", "--",
                      "--disable-progress-bar"], env)
    assert result.returncode != 0 and "403" in result.stdout + result.stderr
    plain = run_cli(["upload", "local", str(tmp_path / "dist" / "*"), "--", "--disable-progress-bar"], env)
    assert plain.returncode == 0, plain.stdout + plain.stderr


def test_upload_refuses_an_expired_token(cli_env, tmp_path, index):
    env = file_env(cli_env)
    soon = int(time.time()) + 2
    add(env, "local", "--url", index.url, token=mint([current([1, ["foo"]]), current([0, soon, soon - 60])]))
    make_wheel(tmp_path / "dist", "foo", "4.0")
    time.sleep(max(0.0, soon - time.time()) + 0.5)
    before = index.log_text().count('"POST /')
    result = run_cli(["upload", "local", str(tmp_path / "dist" / "*")], env)
    assert result.returncode == 1 and "expired" in result.stderr and "rotate local" in result.stderr
    assert index.log_text().count('"POST /') == before


def test_upload_without_a_default_and_no_matching_project_token(cli_env, tmp_path, index):
    env = file_env(cli_env)
    add(env, "pypi", "--project", "bar", token=BAR)
    make_wheel(tmp_path / "dist", "foo", "5.0")
    result = run_cli(["upload", "pypi", str(tmp_path / "dist" / "*")], env)
    assert result.returncode == 1
    assert "no token for pypi covers foo" in result.stderr and "--project" in result.stderr


def test_upload_project_and_ttl_derive_from_the_repositorys_own_token(cli_env, tmp_path, index):
    """As env and exec (16.9): `upload NAME --project foo --ttl 5m` with only the repository's token
    stored derives one for foo from it, says so, and twine sends that (pypiserver, which knows only
    the exact stored password, refuses it: 403). Without --ttl, the error names both ways out; files
    of another project are refused before the network."""
    env = file_env(cli_env)
    add(env, "local", "--url", index.url, token=mint([], identifier="upload-derive-0001"))
    make_wheel(tmp_path / "dist", "foo", "6.0")
    make_sdist(tmp_path / "other", "bar", "6.0")
    before = index.log_text().count('"POST /')
    refused = run_cli(["upload", "local", "--project", "Foo", str(tmp_path / "dist" / "*")], env)
    assert refused.returncode == 1 and "--project foo" in refused.stderr and "--ttl" in refused.stderr
    wrong = run_cli(["upload", "local", "--project", "foo", "--ttl", "5m", str(tmp_path / "other" / "*")], env)
    assert wrong.returncode == 1 and "scoped to foo" in wrong.stderr and "bar" in wrong.stderr, wrong.stderr
    assert index.log_text().count('"POST /') == before  # neither reached the index
    done = run_cli(["upload", "local", "--project", "Foo", "--ttl", "5m", str(tmp_path / "dist" / "*"), "--",
                    "--disable-progress-bar"], env)
    assert "local has no token of its own for foo: handing over local's token" in done.stderr, done.stderr
    assert done.returncode != 0 and "403" in done.stdout + done.stderr  # twine sent a derived token
    assert index.log_text().count('"POST /') == before + 1
