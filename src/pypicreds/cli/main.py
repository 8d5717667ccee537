"""`pypicreds`: the fast path for the common commands, else Typer; the one place that catches
errors and turns them into exit codes."""

from __future__ import annotations

import os
import sys

from ..errors import ExitCode, Interrupted, PypicredsError, TakeOver
from . import output

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def main(argv: list[str] | None = None) -> int:
    from .argv import take_quiet

    args, output.QUIET = take_quiet(sys.argv[1:] if argv is None else list(argv))
    output.prepare_streams()
    from ..system import supported

    if not supported():  # before anything could fail half-way (the lock needs flock)
        return guarded(_unsupported)
    if not args:  # bare `pypicreds`: the help, as git and gh print it
        return run_typer(["--help"])
    if not os.environ.get("PYPICREDS_NO_FAST_PATH"):
        code = run_fast(args)
        if code is not None:
            return code
    return run_typer(args)


def run() -> object:
    """The `pypicreds` program: main(); then the program a command handed this process to
    (TakeOver: `upload` runs twine), outside every handler of ours, so that its output, its
    errors and its exit status are its own; or, after a command that only read (`env`, `list`),
    an exit that skips the interpreter's teardown. Freeing a large index object by object took a
    fifth of `list`'s own time, and nothing is left to close: the output is flushed here. (Not
    main(): the tests run that in-process.)"""
    program = None
    try:
        code = main()
    except TakeOver as taken:
        program = taken  # run below, not in this except: its errors are not "during" ours
        program.__traceback__ = None  # nor may it keep pypicreds' frames (and their locals) alive
    if program is not None:
        return hand_over(program)
    if _ONLY_READ:
        try:  # (main() stood in for a stream the process started without)
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):  # a closed pipe: the interpreter's own exit reports it, as before
            return code
        os._exit(code)
    return code


_ONLY_READ = False


def hand_over(program: TakeOver) -> object:
    """Run the program that takes this process over, and end as its own process would: with its
    exit status; or, for an exception it lets out, with Python's report of it (no frame of ours
    on top, no token) and exit 1, or death by SIGINT for Ctrl-C, as Python ends.

    Whatever way it ends, what is alive then is frozen out of the collection Python runs at exit:
    that collection walked every object twine and its imports had made, only for the process to
    end (about 20 ms of a 240 ms upload). Objects are still freed and finalised as the interpreter
    tears down; only garbage in reference cycles is left to the process's end."""
    import gc

    output.restore_streams()
    try:
        return program.run()
    except SystemExit:
        raise
    except BaseException as e:  # noqa: BLE001 (whatever twine lets out, reported as Python would)
        from ..session.twine_process import report_as_python_would

        report_as_python_would(e)
        if isinstance(e, KeyboardInterrupt):
            import signal

            from .actions import exit_status

            return exit_status(-signal.SIGINT)
        return ExitCode.ERROR
    finally:
        gc.freeze()


def _unsupported() -> None:
    from ..system import check_supported

    check_supported()


def run_fast(args: list[str]) -> int | None:
    """Run a command the grammar table knows (argv.py) without Typer; None to let Typer handle `args`."""
    from .argv import parse

    parsed = parse(args)
    if parsed is None:
        return None
    command, params = parsed
    import gc

    # These commands live for milliseconds and build no reference cycles worth collecting: the
    # cyclic collector would only walk the index's thousand entries again and again (a fifth of
    # `list` over a large index).
    gc.disable()
    from . import actions

    # each grammar's parameter names are those of its action (a test runs both paths)
    global _ONLY_READ
    _ONLY_READ = command in ("env", "list")
    body = {"env": actions.env, "list": actions.list_, "exec": actions.exec_, "upload": actions.upload,
            "add": actions.add}[command]
    return guarded(lambda: body(**params))


def run_typer(argv: list[str]) -> int:
    import typer
    import typer.main

    from .app import app
    from .argv import split_at_separator

    args, after_separator = split_at_separator(list(argv))
    obj = {} if after_separator is None else {"after_separator": after_separator}
    command = typer.main.get_command(app)

    def invoke() -> int | None:
        try:
            return command.main(args=args, prog_name="pypicreds", standalone_mode=False, obj=obj)
        except typer.Exit as e:
            return e.exit_code
        except typer.Abort:
            raise KeyboardInterrupt from None
        except Exception as e:
            hint = twine_option_hint(e, args)
            if hint is None:
                raise
            from ..errors import UsageError

            raise UsageError(f"no such option: {e.option_name}", hint=hint) from None

    return guarded(invoke)


def twine_option_hint(error: Exception, args: list[str]) -> str | None:
    """For an option `upload` does not know (click's NoSuchOption): it is probably twine's, and
    those go after `--`. None for any other error."""
    ctx, option = getattr(error, "ctx", None), getattr(error, "option_name", None)
    if option is None or ctx is None or ctx.info_name != "upload":
        return None
    words = [word for word in args[1:] if not word.startswith("-")]
    return f"options for twine go after --: `pypicreds upload {words[0] if words else 'NAME'} -- {option}`"


def guarded(action: Callable[[], int | None]) -> int:
    """Run one command (Typer's or the fast path's) and turn how it ended into an exit code:
    the one place that catches errors. Expected failures are one line on stderr; unexpected ones
    are scrubbed of tokens. Repairs of interrupted changes are reported either way."""
    try:
        result = action()
    except PypicredsError as e:
        output.repairs()
        output.error(e)
        return int(e.exit_code)
    except (KeyboardInterrupt, Interrupted) as e:
        fresh = isinstance(e, Interrupted) and e.line_ended  # a prompt ended its line already
        sys.stderr.write(("" if fresh else "\n") + "pypicreds: aborted\n")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        return ExitCode.ERROR
    except Exception as e:
        if hasattr(e, "format_message") and hasattr(e, "exit_code"):  # click's errors (vendored in typer)
            ctx = getattr(e, "ctx", None)
            where = ctx.command_path if ctx is not None else "pypicreds"
            message = f"pypicreds: error: {e.format_message()} (hint: see `{where} --help`)"
            sys.stderr.write(output.one_line(output.scrub(message)) + "\n")
            return e.exit_code
        report_unexpected()
        return ExitCode.ERROR
    output.repairs()
    return result if isinstance(result, int) else ExitCode.OK


def report_unexpected() -> None:
    """An unexpected error: a traceback scrubbed of every token, or one line without PYPICREDS_DEBUG."""
    import traceback

    from ..redact import scrub

    exc = sys.exc_info()[1]
    if os.environ.get("PYPICREDS_DEBUG"):
        sys.stderr.write(scrub("".join(traceback.format_exc())))
    sys.stderr.write(
        scrub(f"pypicreds: error: unexpected {type(exc).__name__}: {exc}")
        + " (hint: please report this; PYPICREDS_DEBUG=1 shows a traceback)\n"
    )
