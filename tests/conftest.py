"""Fixtures shared by the whole suite. The real parts themselves live in helpers/realparts.py.

Import helpers in tests as `from realparts import run_cli, assert_no_secret` (pyproject.toml
puts tests/helpers on sys.path; tests/ is not a package).

Every test runs with a temporary HOME (`tmp_home`, autouse): nothing touches the real home,
the real session bus or the real keyring.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# No per-example deadline: it is a timing assertion, and these machines are shared and noisy
# (speed is the benchmark's business). Every @settings in the suite inherits this.
settings.register_profile("pypicreds", deadline=None)
settings.load_profile("pypicreds")

from realparts import HungSecretService, PyPIServer, SecretService, VENV_BIN, make_locked_keyring

FAIL_BACKEND = "keyring.backends.fail.Keyring"


def _private_dirs(home: Path) -> dict[str, str]:
    """HOME and the XDG/pypicreds directories under it."""
    dirs = {
        "HOME": home,
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_DATA_HOME": home / ".local/share",
        "XDG_CACHE_HOME": home / ".cache",
        "XDG_STATE_HOME": home / ".local/state",
        "PYPICREDS_HOME": home / ".config/pypicreds",
    }
    home.mkdir(parents=True, exist_ok=True)
    return {name: str(path) for name, path in dirs.items()}


# Set by CI systems (CI=true in this project's own CI): they switch on `exec` masking and
# GitHub's `::add-mask::` lines, so tests set them only where they test them.
CI_VARIABLES = ("CI", "GITHUB_ACTIONS", "GITLAB_CI")


def _inherited(name: str) -> bool:
    """Whether a variable of the test runner's own environment may reach code under test."""
    hidden = ("TWINE_", "PYPICREDS_", "XDG_", "DBUS_", "PYTHON_KEYRING", "KEYRING_PROPERTY_")
    return not name.startswith(hidden) and name not in ("HOME", *CI_VARIABLES)


@pytest.fixture(autouse=True)
def tmp_home(tmp_path, monkeypatch) -> Path:
    """A temporary HOME for in-process code, applied to every test.

    Sets HOME, XDG_CONFIG_HOME/DATA/CACHE/STATE and PYPICREDS_HOME under it, removes every
    TWINE_*, PYPICREDS_*, XDG_* and DBUS_* variable of the runner (and CI, GITHUB_ACTIONS), and selects the failing
    keyring backend, so nothing reaches the real home, session bus or keyring. Returns HOME.
    """
    home = tmp_path / "home"
    for name in list(os.environ):
        if not _inherited(name):
            monkeypatch.delenv(name)
    for name, value in _private_dirs(home).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", FAIL_BACKEND)
    return home


@pytest.fixture
def cli_env(tmp_home) -> dict[str, str]:
    """The environment for running the installed `pypicreds` as a subprocess (see run_cli).

    The same private HOME/XDG/PYPICREDS_HOME as `tmp_home`, no TWINE_*/PYPICREDS_* (nor CI,
    GITHUB_ACTIONS) of the runner, PATH kept with the venv's bin first (as when pypicreds is installed), the failing
    keyring backend (merge `secret_service.env` for the real one), NO_COLOR=1, COLUMNS=200.
    """
    env = {name: value for name, value in os.environ.items() if _inherited(name)}
    env.update(_private_dirs(tmp_home))
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        PYTHON_KEYRING_BACKEND=FAIL_BACKEND,
        NO_COLOR="1",
        COLUMNS="200",
        LANG="C.UTF-8",
    )
    env.pop("TERM", None)  # twine colours its output when TERM looks like a terminal
    return env


@pytest.fixture(scope="session")
def secret_service(tmp_path_factory):
    """A real gnome-keyring Secret Service on a private D-Bus bus, one per xdist worker.

    `.env` holds DBUS_SESSION_BUS_ADDRESS, XDG_RUNTIME_DIR and PYTHON_KEYRING_BACKEND: merge it
    into `cli_env` or `monkeypatch` it in. The login keyring is unlocked. It is shared by the
    worker's tests: use `keyring_service` for one that is empty before and after a test.
    Both processes are stopped by PID at the end of the session.
    """
    with SecretService(tmp_path_factory.mktemp("secret-service")) as service:
        yield service


@pytest.fixture
def keyring_service(secret_service, monkeypatch):
    """`secret_service`, emptied before and after the test, with its env set in this process
    (restarted first if a kill test made gnome-keyring abort: see SecretService.ensure_running)."""
    secret_service.ensure_running()
    secret_service.clear()
    for name, value in secret_service.env.items():
        monkeypatch.setenv(name, value)
    try:
        yield secret_service
    finally:
        secret_service.clear()


@pytest.fixture(scope="session")
def locked_secret_service(tmp_path_factory):
    """A gnome-keyring Secret Service whose login keyring exists but is locked.

    Reads and writes through python-keyring fail with a real `keyring.errors.KeyringLocked`.
    `.env` as for `secret_service`. Stopped by PID at the end of the session.
    """
    with make_locked_keyring(tmp_path_factory.mktemp("locked-secret-service")) as service:
        yield service


@pytest.fixture
def hung_secret_service(tmp_path_factory):
    """A private bus where `org.freedesktop.secrets` is owned by a process that never answers.

    python-keyring finds the service and then waits forever for a reply (like a wedged
    desktop keyring). `.env` as for `secret_service`. Both processes are stopped by PID.
    """
    with HungSecretService(tmp_path_factory.mktemp("hung-secret-service")) as service:
        yield service


@pytest.fixture
def pypiserver(tmp_path_factory):
    """Factory: `pypiserver(password, users=None) -> PyPIServer` started on 127.0.0.1.

    The user `__token__` gets `password`; `users` adds more {name: password}. The server has
    `.url` (http://127.0.0.1:PORT/), `.simple_url`, `.packages` and `.log` (its output, to see
    whether a request reached it). Uploads need a login; every server is stopped by PID.
    """
    started: list[PyPIServer] = []

    def start(password: str, users: dict[str, str] | None = None) -> PyPIServer:
        server = PyPIServer(tmp_path_factory.mktemp("pypiserver"), {"__token__": password, **(users or {})})
        started.append(server.__enter__())
        return server

    try:
        yield start
    finally:
        for server in started:
            server.__exit__(None, None, None)
