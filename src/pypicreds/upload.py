"""The one place that runs twine: `python -m twine` of this interpreter, credentials in its
environment only, never in its argv (argv is visible to every user through ps)."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
from pathlib import Path

from .errors import PypicredsError
from .index import Index
from .session import twine_variables


def find_files(patterns: list[str]) -> list[str]:
    """FILES as given, or dist/*; each pattern must match something that exists."""
    patterns = patterns or ["dist/*"]
    files: list[str] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        matches = [m for m in matches if Path(m).is_file()]
        if not matches:
            raise PypicredsError(
                f"no distribution files match {pattern}",
                hint="build them first, e.g. `python -m build`",
            )
        files.extend(m for m in matches if m not in files)
    return files


def upload(
    name: str,
    patterns: list[str],
    *,
    skip_check: bool = False,
    twine_options: list[str] | None = None,
    project: str | None = None,
) -> int:
    Index.load().get(name, project)  # an unknown name fails before any work
    files = find_files(patterns)
    twine = [sys.executable, "-m", "twine"]
    if not skip_check:
        if subprocess.run([*twine, "check", *files]).returncode != 0:  # no credentials needed here
            raise PypicredsError(
                "twine check failed, so nothing was uploaded",
                hint="fix the package metadata, or pass --skip-check",
            )
    entry, variables = twine_variables(name, project)
    env = {**os.environ, **variables}
    del env["TWINE_REPOSITORY_URL"]  # given as --repository-url below, which twine prefers anyway
    command = [*twine, "upload", "--non-interactive", "--repository-url", entry.url,
               *(twine_options or []), *files]
    return subprocess.run(command, env=env).returncode

