"""Handing a stored token to twine: the TWINE_* variables for `env`, and `exec` of one command."""

from __future__ import annotations

import os
import shutil
import sys

from . import credentials
from .errors import ExitCode, PypicredsError, UsageError
from .index import Entry, Index

TWINE_VARIABLES = ("TWINE_USERNAME", "TWINE_PASSWORD", "TWINE_REPOSITORY_URL")
MARKER = "PYPICREDS_REPOSITORY"  # set in `exec` children, so a nested exec can tell


def twine_variables(name: str, project: str | None = None) -> tuple[Entry, dict[str, str]]:
    """The entry and the three variables twine reads, with the token from its store."""
    entry = Index.load().get(name, project)
    token = credentials.reveal(name, project)
    return entry, {
        "TWINE_USERNAME": entry.username,
        "TWINE_PASSWORD": token,
        "TWINE_REPOSITORY_URL": entry.url,
    }


def exec_command(name: str, command: list[str], project: str | None = None) -> int:
    """Replace this process with `command`, the variables added to its environment only.

    exec (not a child) so signals, stdin/stdout/stderr and the exit code are the command's own."""
    if not command:
        raise UsageError("no command to run", hint=f"pypicreds exec {name} -- twine upload dist/*")
    outer = os.environ.get(MARKER)
    if outer and outer != name:
        raise PypicredsError(
            f"already inside `pypicreds exec {outer}`; refusing to nest {name} in it",
            hint="run it from a shell outside the other exec",
        )
    program = shutil.which(command[0])
    if program is None:
        raise CommandNotFound(f"command not found: {command[0]}", hint="check its name and your PATH")
    _, variables = twine_variables(name, project)
    env = {**os.environ, **variables, MARKER: name}
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(program, command, env)
    except OSError as e:
        raise CommandNotFound(f"cannot run {command[0]}: {e.strerror}") from None
    return ExitCode.OK  # not reached


class CommandNotFound(PypicredsError):
    exit_code = ExitCode.NOT_FOUND
