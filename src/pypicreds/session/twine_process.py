"""Where `pypicreds upload` runs twine: in this process, or in one of its own.

In this process (the usual case: the token from the keyring or a key-file vault, no --ttl),
twine's `check` and then its `upload` run here, twine's own main as its program runs it: one
interpreter start and one import of twine, not two. The upload takes the process over
(TwineUpload, run by cli.main.run outside every handler of ours), so its output, errors, signals
and exit status are twine's own.

In a process of its own (exec, as `pypicreds exec` runs a command) whenever this process holds
a secret twine does not get: the vault's passphrase (typed, or in PYPICREDS_PASSPHRASE, which
/proc/PID/environ shows for the life of the process), or the long-lived token behind a --ttl
one. twine and everything it imports must not be able to reach those. The key of a key-file
vault is no such secret: the key file is on disk beside the vault, for the same user.

Either way it is the twine installed beside pypicreds, never a `twine` directory in the working
directory, and no core file is written of a process that held a token."""

from __future__ import annotations

import os
import sys

from .. import redact
from ..errors import TakeOver
from .execute import WITHHELD, child_environ, replace_process


def no_core_files() -> None:
    """No core file of this process or its children (a dump handler such as systemd-coredump
    honours the limit too): from here on they hold a token."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def can_run_here(token: str) -> bool:
    """Whether `token`, the one twine gets, is the only secret this process has handled."""
    if any(os.environ.get(name) for name in WITHHELD) or redact.holds_passphrase():
        return False
    return set(redact.remembered()) <= {token}


def own_process_command() -> list[str]:
    """`python -P -m twine` of this interpreter: -P keeps the working directory off sys.path."""
    return [sys.executable, "-P", "-m", "twine"]


def check(argv: list[str], here: bool) -> bool:
    """`twine check ARGV`; whether it passed. Here, a failure twine lets out (an exception, an
    exit) is reported as Python would report it, scrubbed, and counts as a failed check."""
    if not here:
        return run_child([*own_process_command(), *argv], child_environ()) == 0
    try:
        return not twine_main(argv)
    except SystemExit as e:
        return e.code in (None, 0)
    except Exception as e:  # noqa: BLE001 (twine's failure, reported as twine's)
        report_as_python_would(e)
        return False


def upload(argv: list[str], env: dict[str, str], here: bool) -> None:
    """`twine upload ARGV` with `env` as its whole environment, taking this process over
    (raises TwineUpload) or replacing it (exec). Returns only by raising."""
    if here:
        raise TwineUpload(argv, env)
    command = [*own_process_command(), *argv]
    replace_process(command[0], command, env)


def twine_main(argv: list[str]) -> object:
    """twine's main as its own program runs it (it reads its arguments from sys.argv); returns
    what twine's program would exit with (True for a failure it reported)."""
    import gc

    # What pypicreds allocated stays until the process ends, so twine's collections need not walk
    # it again and again (about 8 ms of a 250 ms upload went to that); twine's own objects are
    # collected as usual, and the fast path's collector, off for its few milliseconds, is back on.
    gc.freeze()
    gc.enable()
    if not sys.flags.safe_path and sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # `python -m pypicreds` put the working directory first
    sys.argv = ["twine", *argv]
    from twine.__main__ import main

    return main()


class TwineUpload(TakeOver):
    """`twine upload` taking this process over: raised where an exec would be, run by
    cli.main.run once nothing of pypicreds' is left to do. Only the arguments show in a
    traceback, never the environment that holds the token."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        super().__init__("twine upload")
        self.argv, self.env = argv, env

    def run(self) -> object:
        os.environ.clear()  # the environment twine's process would have had: no passphrase
        os.environ.update(self.env)
        return twine_main(self.argv)


def report_as_python_would(error: BaseException) -> None:
    """Python's report of an exception twine let out, without pypicreds' frames above it and
    with every token scrubbed (which an exec could not do)."""
    ours = os.path.dirname(os.path.dirname(__file__)) + os.sep
    frames = error.__traceback__
    while frames is not None and frames.tb_frame.f_code.co_filename.startswith(ours):
        frames = frames.tb_next
    if sys.stderr is not None:
        import traceback

        sys.stderr.write(redact.scrub("".join(traceback.format_exception(error.with_traceback(frames)))))


def run_child(command: list[str], env) -> int:
    """Run `command` in the foreground; returns its exit code (128+N when a signal killed it).

    SIGTERM and SIGHUP sent to pypicreds are passed on, so stopping pypicreds stops twine too
    (Ctrl-C already reaches both: they share the terminal's process group)."""
    import signal
    import subprocess

    child = subprocess.Popen(command, env=env)
    forwarded = (signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, lambda signum, _frame: child.send_signal(signum)) for sig in forwarded}
    try:
        code = child.wait()
    except KeyboardInterrupt:
        child.wait()  # twine got the same Ctrl-C; let it report and finish
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code
