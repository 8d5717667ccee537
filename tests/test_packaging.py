"""Packaging: the sdist and wheel build and pass `twine check --strict`, the wheel installs
into a fresh venv, and `pipx install .` and `uv tool install .` give a working `pypicreds`
whose version is `pypicreds.__version__`, the one place it is written.

Needs the network for the dependencies of the fresh environments (PyPI or the configured
pip mirror); the build itself is offline (`--no-isolation`, hatchling from the test extra).
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import pypicreds
from realparts import VENV_BIN

ROOT = Path(__file__).resolve().parents[1]
VERSION_LINE = f"pypicreds {pypicreds.__version__}"


def run(argv: list[str], env: dict[str, str], timeout: float = 240, input: str | None = None,
        **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, input=input,
                            stdin=subprocess.DEVNULL if input is None else None, **kwargs)
    assert result.returncode == 0, f"{argv}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture
def env(cli_env, tmp_path) -> dict[str, str]:
    """cli_env (temporary HOME and XDG dirs, so pip's and uv's caches are private too)."""
    return {**cli_env, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}


@pytest.fixture
def dists(env, tmp_path) -> dict[str, Path]:
    out = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)], env)
    wheels, sdists = list(out.glob("*.whl")), list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, list(out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


def test_distributions_build_and_pass_twine_check_strict(dists, env):
    result = run([str(VENV_BIN / "twine"), "check", "--strict", str(dists["wheel"]), str(dists["sdist"])], env)
    assert result.stdout.count("PASSED") == 2, result.stdout
    version = pypicreds.__version__
    assert dists["wheel"].name == f"pypicreds-{version}-py3-none-any.whl"
    assert dists["sdist"].name == f"pypicreds-{version}.tar.gz"
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(f"pypicreds-{version}.dist-info/METADATA").decode()
        entry_points = wheel.read(f"pypicreds-{version}.dist-info/entry_points.txt").decode()
    assert f"\nVersion: {version}\n" in metadata
    assert "pypicreds = pypicreds.__main__:run" in entry_points
    assert "pypicreds/cli/complete.py" in names and not any(n.startswith("tests/") for n in names)
    with tarfile.open(dists["sdist"]) as sdist:
        members = sdist.getnames()
    for wanted in ("LICENSE", "README.md", "completions/pypicreds.bash", "mkdocs.yml", "docs/index.md"):
        assert f"pypicreds-{version}/{wanted}" in members


def test_wheel_installs_into_a_fresh_venv(dists, env, tmp_path):
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], env)
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(dists["wheel"])], env)
    assert run([str(venv / "bin" / "pypicreds"), "--version"], env).stdout.strip() == VERSION_LINE
    assert run([str(venv / "bin" / "python"), "-m", "pypicreds", "--version"], env).stdout.strip() == VERSION_LINE
    # keyring in that environment finds pypicreds' backend once a vault exists, with its priority
    backends = [str(venv / "bin" / "keyring"), "--list-backends"]
    assert "pypicreds" not in run(backends, env).stdout
    run([str(venv / "bin" / "pypicreds"), "add", "x", "--url", "http://127.0.0.1:9/x/", "--store", "file",
         "--token-stdin"], {**env}, input="a-private-index-password")
    assert "pypicreds.store.backend.VaultKeyring (priority: 0.25)" in run(backends, env).stdout


def _pipx(env: dict[str, str], base: Path) -> Path:
    tool_env = {**env, "PIPX_HOME": str(base / "pipx"), "PIPX_BIN_DIR": str(base / "pipx-bin"),
                "PIPX_MAN_DIR": str(base / "pipx-man"), "PIPX_DEFAULT_PYTHON": sys.executable}
    run([str(VENV_BIN / "pipx"), "install", "."], tool_env, cwd=ROOT)
    return base / "pipx-bin" / "pypicreds"


def _uv(env: dict[str, str], base: Path) -> Path:
    tool_env = {**env, "UV_TOOL_DIR": str(base / "uv-tools"), "UV_TOOL_BIN_DIR": str(base / "uv-bin"),
                "UV_CACHE_DIR": str(base / "uv-cache"), "UV_PYTHON_DOWNLOADS": "never", "UV_NO_CONFIG": "1"}
    run([str(VENV_BIN / "uv"), "tool", "install", "--python", sys.executable, "."], tool_env, cwd=ROOT)
    return base / "uv-bin" / "pypicreds"


def test_pipx_and_uv_tool_install_give_a_working_pypicreds(env, tmp_path):
    with ThreadPoolExecutor(max_workers=2) as pool:  # both mostly wait on the network
        pipx = pool.submit(_pipx, env, tmp_path)
        uv = pool.submit(_uv, env, tmp_path)
        executables = {"pipx": pipx.result(), "uv": uv.result()}
    for tool, exe in executables.items():
        assert run([str(exe), "--version"], env).stdout.strip() == VERSION_LINE, tool
        listed = run([str(exe), "list", "--json"], env)
        assert listed.stdout.strip() == "[]", tool
