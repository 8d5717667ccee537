"""The real parts the suite relies on start as described and are gone after teardown."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from realparts import (
    HungSecretService,
    PyPIServer,
    SecretService,
    assert_no_secret,
    make_locked_keyring,
    make_wheel,
    pid_alive,
    run_cli,
)

KEYRING_ROUND_TRIP = (
    "import keyring; keyring.set_password('svc', 'user', 'pw1'); print(keyring.get_password('svc', 'user'))"
)


def python(code: str, env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env},
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
    )


def test_secret_service_works_and_stops(tmp_path):
    with SecretService(tmp_path / "ss") as service:
        pids = service.pids
        assert len(pids) == 2 and all(map(pid_alive, pids))
        runtime = Path(service.env["XDG_RUNTIME_DIR"])
        assert stat.S_IMODE(runtime.stat().st_mode) == 0o700
        out = python(KEYRING_ROUND_TRIP, service.env)
        assert out.stdout.strip() == "pw1", out.stderr
        assert service.item_count() == 1
        service.clear()
        assert service.item_count() == 0
    assert not any(map(pid_alive, pids))


def test_locked_secret_service_is_really_locked(tmp_path):
    with make_locked_keyring(tmp_path / "locked") as service:
        pids = service.pids
        out = python(KEYRING_ROUND_TRIP, service.env)
        assert out.returncode != 0
        assert "keyring.errors.KeyringLocked" in out.stderr
    assert not any(map(pid_alive, pids))


def test_hung_secret_service_really_hangs(tmp_path):
    with HungSecretService(tmp_path / "hung") as service:
        pids = service.pids
        with pytest.raises(subprocess.TimeoutExpired):  # subprocess.run kills the child
            python("import keyring; keyring.get_password('svc', 'user')", service.env, timeout=2)
    assert not any(map(pid_alive, pids))


def twine_upload(server: PyPIServer, wheel: Path, password: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable, "-m", "twine", "--no-color", "upload", "--non-interactive",
            "--disable-progress-bar", "--repository-url", server.url, "-u", "__token__", str(wheel),
        ],
        env={**os.environ, "TWINE_PASSWORD": password},
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )


def test_pypiserver_checks_the_whole_password(pypiserver, tmp_path):
    token = "pypi-" + "A" * 80 + "right"
    server = pypiserver(token, users={"alice": "alice-pw"})
    assert server.url.startswith("http://127.0.0.1:") and server.simple_url == server.url + "simple/"
    with urllib.request.urlopen(server.url + "health", timeout=5) as resp:
        assert resp.status == 200
    wheel = make_wheel(tmp_path / "dist")

    # same first 72 characters, different end: bcrypt would let this in, apr1 does not
    wrong = twine_upload(server, wheel, "pypi-" + "A" * 80 + "wrong")
    assert wrong.returncode != 0 and "403" in wrong.stdout + wrong.stderr
    assert not list(server.packages.iterdir())

    right = twine_upload(server, wheel, token)
    assert right.returncode == 0, right.stdout + right.stderr
    assert [p.name for p in server.packages.iterdir()] == [wheel.name]
    assert server.log_text().count('"POST / HTTP/1.1" 200') == 1


def test_pypiserver_stops(tmp_path):
    with PyPIServer(tmp_path / "srv", {"__token__": "pw"}) as server:
        pid, url = server.pid, server.url
        assert pid_alive(pid)
    assert not pid_alive(pid)
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "health", timeout=2)


def test_tmp_home_hides_the_real_home(tmp_home):
    assert os.environ["HOME"] == str(tmp_home)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "PYPICREDS_HOME"):
        assert os.environ[name].startswith(str(tmp_home))
    assert "DBUS_SESSION_BUS_ADDRESS" not in os.environ
    assert os.environ["PYTHON_KEYRING_BACKEND"] == "keyring.backends.fail.Keyring"
    assert not [n for n in os.environ if n.startswith("TWINE_")]


def test_cli_env_and_run_cli(cli_env, tmp_home):
    assert cli_env["HOME"] == str(tmp_home)
    assert cli_env["PYTHON_KEYRING_BACKEND"] == "keyring.backends.fail.Keyring"
    assert cli_env["NO_COLOR"] == "1" and cli_env["COLUMNS"] == "200"
    assert not [n for n in cli_env if n.startswith("TWINE_")]
    assert [n for n in cli_env if n.startswith("PYPICREDS_")] == ["PYPICREDS_HOME"]
    result = run_cli(["--version"], cli_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("pypicreds ")


def test_assert_no_secret_finds_it_everywhere(tmp_path):
    secret = "pypi-SeCrEt-1234"
    assert_no_secret(secret, "clean text", b"clean bytes", tmp_path)
    for place in (f"x {secret} y", f"x{secret}".encode()):
        with pytest.raises(AssertionError) as info:
            assert_no_secret(secret, place)
        assert secret not in str(info.value)  # the failure message does not leak it either
    nested = tmp_path / "a/b"
    nested.mkdir(parents=True)
    (nested / "log.bin").write_bytes(b"\x00\xff" + secret.encode())
    with pytest.raises(AssertionError, match="log.bin"):
        assert_no_secret(secret, tmp_path)
