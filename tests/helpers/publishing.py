"""The publishers' own environment and a project to publish, for tests that run the real tools.

tests/run.sh builds `.venv-publishers` beside `.venv`: twine, hatch, pdm, flit, uv, poetry and
keyring, with pypicreds installed from this tree. It is a separate environment on purpose: the
usual case is a publisher in another environment than pypicreds (a project venv, pipx, uvx),
where keyring finds pypicreds' backend only because pypicreds is installed beside it.

Nothing here reaches beyond 127.0.0.1: `publisher_env` points every HTTP proxy variable at a
closed port on 127.0.0.1 (loopback excepted), so a publisher that tried PyPI would fail loudly.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

from macaroon_mint import mint
from realparts import make_wheel

ROOT = Path(__file__).resolve().parents[2]
PUBLISHERS_BIN = ROOT / ".venv-publishers" / "bin"
PUBLISHERS_PYTHON = PUBLISHERS_BIN / "python"
DEAD_PROXY = "http://127.0.0.1:9"
PROJECT = "demo-pkg"


def require_publishers() -> None:
    """Fail (never skip) when tests/run.sh has not built the publishers' environment."""
    missing = [tool for tool in ("twine", "hatch", "pdm", "flit", "uv", "poetry", "keyring")
               if not (PUBLISHERS_BIN / tool).exists()]
    assert not missing, f"{missing} missing from {PUBLISHERS_BIN}: run `bash tests/run.sh` once to build it"


def new_token() -> str:
    return mint([], location="127.0.0.1", identifier=str(uuid.uuid4()))


def publisher_env(cli_env: dict[str, str], **extra: str) -> dict[str, str]:
    """cli_env for the publishers: their tools first on PATH, keyring left to choose its backend
    (no PYTHON_KEYRING_BACKEND: pass it in `extra` to force one), no D-Bus unless given, every
    proxy variable pointing at a closed port (loopback excepted), no update checks."""
    env = {k: v for k, v in cli_env.items() if k != "PYTHON_KEYRING_BACKEND"}
    env["PATH"] = f"{PUBLISHERS_BIN}{os.pathsep}{cli_env['PATH']}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[name] = env[name.lower()] = DEAD_PROXY
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(PDM_CHECK_UPDATE="false", PDM_USE_VENV="false", PIP_NO_INDEX="1", UV_NO_CACHE="1",
               UV_PYTHON_DOWNLOADS="never", POETRY_NO_INTERACTION="1", HATCH_ENV_TYPE_VIRTUAL_UV_PATH="")
    env.update(extra)
    return env


def make_project(where: Path, version: str, name: str = PROJECT) -> Path:
    """A project flit can build (flit_core, a module with a docstring) whose metadata poetry,
    pdm and hatch read too, with a wheel of `version` already in dist/."""
    where.mkdir(parents=True, exist_ok=True)
    module = name.replace("-", "_")
    (where / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["flit_core>=3.4"]\nbuild-backend = "flit_core.buildapi"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\ndescription = "a pypicreds test package"\n'
    )
    (where / module).mkdir(exist_ok=True)
    (where / module / "__init__.py").write_text('"""A pypicreds test package."""\n')
    make_wheel(where / "dist", name, version)
    return where


def run_tool(argv: list[str], env: dict[str, str], cwd: Path, input: str | None = None,
             timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(argv, env=env, cwd=cwd, input=input, capture_output=True, text=True,
                          stdin=None if input is not None else subprocess.DEVNULL, timeout=timeout)


def uploaded(server, version: str, name: str = PROJECT) -> list[str]:
    """The files of `name` `version` the index holds."""
    stem = f"{name.replace('-', '_')}-{version}"
    return sorted(p.name for p in server.packages.iterdir() if p.name.startswith(stem))
