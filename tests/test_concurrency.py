"""Twenty pypicreds processes at once, through the real CLI, on one .pypirc, index and store.

- 20 `add`s of 20 different repositories: all 20 land in .pypirc, the index and the store.
- 20 `rotate`s of one repository (with --plaintext, so .pypirc holds the token too): the
  final token is one of the 20, and .pypirc, the index (fingerprint) and the store agree.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from configparser import RawConfigParser
from pathlib import Path

import pytest

from macaroon_mint import mint
from realparts import VENV_BIN, run_cli

from pypicreds.tokens import fingerprint

N = 20


def url_for(name: str) -> str:
    return f"http://127.0.0.1:9/{name}/legacy/"  # never contacted


def new_token() -> str:
    return mint([], location="127.0.0.1", identifier=str(uuid.uuid4()))


def run_all(env: dict, commands: list[tuple[list[str], str]], tmp_path: Path) -> list[subprocess.CompletedProcess]:
    """Start every command before waiting for any; each reads its token from a file."""
    procs = []
    try:
        for i, (args, token) in enumerate(commands):
            stdin = tmp_path / f"stdin-{i}"
            stdin.write_text(token)
            with open(stdin, "rb") as source:
                procs.append(
                    subprocess.Popen(
                        [str(VENV_BIN / "pypicreds"), *args],
                        env=env, stdin=source, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                    )
                )
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def index_entries(env: dict) -> dict[str, dict]:
    data = json.loads((Path(env["PYPICREDS_HOME"]) / "index.json").read_bytes())
    return {e["name"]: e for e in data["entries"]}


def stored_token(env: dict, name: str) -> str | None:
    """The token in the store, read in a separate process as any other program would."""
    code = (
        "import sys; from pypicreds.store import open_store; from pypicreds.store.base import TokenKey;"
        "print(open_store(sys.argv[1]).get(TokenKey(sys.argv[2], sys.argv[3], '__token__')) or '<none>')"
    )
    store = env["PYPICREDS_STORE"]
    out = subprocess.run([str(VENV_BIN / "python"), "-c", code, store, name, url_for(name)],
                         env=env, capture_output=True, text=True, check=True)
    value = out.stdout.strip()
    return None if value == "<none>" else value


def pypirc(env: dict) -> RawConfigParser:
    parser = RawConfigParser()
    parser.read_string((Path(env["HOME"]) / ".pypirc").read_text())
    return parser


@pytest.fixture(params=["file", "keyring"])
def env(request, cli_env):
    env = {**cli_env, "PYPICREDS_STORE": request.param}
    if request.param == "keyring":
        service = request.getfixturevalue("keyring_service")
        env.update(service.env)
    return env


def test_twenty_adds_at_once_all_land(env, tmp_path):
    tokens = {f"repo{i:02d}": new_token() for i in range(N)}
    results = run_all(
        env, [(["add", name, "--url", url_for(name), "--token-stdin"], tok) for name, tok in tokens.items()], tmp_path
    )
    assert [r.returncode for r in results] == [0] * N, [r.stderr for r in results if r.returncode]
    entries = index_entries(env)
    assert set(entries) == set(tokens)
    config = pypirc(env)
    servers = config.get("distutils", "index-servers").split()
    for name, token in tokens.items():
        assert entries[name]["fingerprint"] == fingerprint(token)
        assert stored_token(env, name) == token
        assert name in servers
        assert config.get(name, "repository") == url_for(name)
    assert not (Path(env["PYPICREDS_HOME"]) / "journal.json").exists()


def test_twenty_rotates_of_one_repository_agree(env, tmp_path):
    first = new_token()
    done = run_cli(["add", "shared", "--url", url_for("shared"), "--plaintext", "--token-stdin"], env, input=first)
    assert done.returncode == 0, done.stderr
    tokens = [new_token() for _ in range(N)]
    results = run_all(env, [(["rotate", "shared", "--token-stdin"], tok) for tok in tokens], tmp_path)
    assert [r.returncode for r in results] == [0] * N, [r.stderr for r in results if r.returncode]
    final = stored_token(env, "shared")
    assert final in tokens
    assert index_entries(env)["shared"]["fingerprint"] == fingerprint(final)
    assert pypirc(env).get("shared", "password") == final
