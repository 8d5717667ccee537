"""`pypicreds exec`: one command run with a publisher's variables in its environment only, in
place of this process: `prepare` works out the program and the variables (and fails, if it
must, before anything runs), `exec_command` replaces the process."""

from __future__ import annotations

import os
import sys

from ..errors import ExitCode, PypicredsError, UsageError
from .variables import Handover, handover

MARKER = "PYPICREDS_REPOSITORY"  # set in `exec` children, so a nested exec can tell


class CommandNotFound(PypicredsError):
    exit_code = ExitCode.NOT_FOUND  # 127, as a shell says


class CommandNotRunnable(PypicredsError):
    exit_code = ExitCode.CANNOT_RUN  # found but not executable, as a shell says


# What a child must not inherit: the vault's passphrase would unlock every stored token, which
# undoes --ttl (a short-lived token in a leaked environment dump is worthless; this is not).
WITHHELD = ("PYPICREDS_PASSPHRASE",)


def child_environ() -> dict[str, str]:
    """This process's environment, less what no child (twine, an exec'd command) may see."""
    return {k: v for k, v in os.environ.items() if k not in WITHHELD}


def check_not_nested(name: str) -> None:
    """Refuse to run inside `pypicreds exec` of a different repository: the inner command would
    see one repository's URL with the other's token as soon as anything mixes them up."""
    outer = os.environ.get(MARKER)
    if outer and outer != name:
        raise PypicredsError(
            f"already inside `pypicreds exec {outer}`; refusing to nest {name} in it",
            hint=f"leave the exec for {outer} first, then run this from a plain shell",
        )


def find_program(command: list[str]) -> str:
    """The executable `command[0]` names, looked up in PATH like a shell would."""
    if not command:
        raise UsageError("no command to run", hint="put it after --, e.g. `pypicreds exec NAME -- twine upload dist/*`")
    import shutil

    program = shutil.which(command[0])
    if program is not None:
        return program
    if os.sep in command[0] and os.path.exists(command[0]):
        raise CommandNotRunnable(f"cannot run {command[0]}: it is not an executable file")
    raise CommandNotFound(f"command not found: {command[0]}", hint="check its name and your PATH")


def prepare(name: str, command: list[str], project: str | None = None, ttl: int | None = None,
            publisher: str | None = None) -> tuple[str, Handover]:
    """(the program to run, what to hand it): `--for`, else the publisher the command runs
    (publishers.detect), else twine. Everything that can fail fails here, before any exec."""
    check_not_nested(name)
    program = find_program(command)  # before the token is read: no passphrase prompt for a typo
    if publisher is None:
        from .publishers import detect

        publisher = detect(command) or "twine"
    return program, handover(name, project, ttl, publisher)


def exec_command(program: str, command: list[str], name: str, given: Handover) -> None:
    """Replace this process with `command`, the variables added to its environment only.

    exec (not a child), so signals, stdin/stdout/stderr and the exit code are the command's own,
    and no pypicreds process stays around holding the token. Returns only by raising."""
    env = {**child_environ(), **given.variables, MARKER: name}
    replace_process(program, command, env, CommandNotRunnable)


def replace_process(program: str, argv: list[str], env: dict[str, str], error=PypicredsError) -> None:
    """exec `program`: our output is flushed first (it would be lost), and a failure to start
    it is `error`. Returns only by raising."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(program, argv, env)
    except OSError as e:
        raise error(f"cannot run {argv[0]}: {e.strerror}") from None
