"""`pypicreds exec`: one command run with a publisher's variables in its environment only:
`prepare` works out the program and the variables (and fails, if it must, before anything
runs); `exec_command` runs it in place of this process, or (masking, see relay.py) as a child
whose output is relayed with the tokens masked."""

from __future__ import annotations

import os
import sys

from .. import redact
from ..errors import ExitCode, PypicredsError, UsageError
from . import ci
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


def exec_command(program: str, command: list[str], name: str, given: Handover, *, mask: bool = False,
                 before_exec=None) -> int:
    """Run `command` with the variables added to its environment only.

    Without `mask`, exec (not a child): signals, stdin/stdout/stderr and the exit code are the
    command's own, no pypicreds process stays around holding the token, and this returns only
    by raising. With `mask`, the command runs as a child whose output is relayed with every token
    of this run replaced (relay.py); returns its status (minus the signal that killed it).
    Under GitHub Actions the runner is told to mask the tokens first (ci.py). `before_exec()`
    runs just before the command starts (the CLI prints what is pending)."""
    env = {**child_environ(), **given.variables, MARKER: name}
    ci.announce(ci.handed_out(given.variables), child_writes_stdout=not mask)
    if not mask:
        replace_process(program, command, env, CommandNotRunnable, before_exec)
    from .relay import relay

    if before_exec is not None:
        before_exec()
    try:
        return relay(program, command, env, redact.remembered())  # the stored token and any derived
    except OSError as e:
        raise CommandNotRunnable(f"cannot run {command[0]}: {e.strerror}") from None


def replace_process(program: str, argv: list[str], env: dict[str, str], error=PypicredsError,
                    before_exec=None) -> None:
    """exec `program`: `before_exec()` runs first (the CLI prints what is pending), our output is
    flushed (it would be lost), and a failure to start it is `error`. Returns only by raising."""
    if before_exec is not None:
        before_exec()
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(program, argv, env)
    except OSError as e:
        raise error(f"cannot run {argv[0]}: {e.strerror}") from None
