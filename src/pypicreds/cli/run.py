"""The one place that catches errors and turns them into exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from ..errors import ExitCode, PypicredsError
from . import output


def run(argv: list[str]) -> int:
    import typer
    import typer.main

    from .app import app

    args = list(argv)
    obj = {}
    cut = _separator(args)
    if cut is not None:
        args, obj["after_separator"] = args[:cut], args[cut + 1 :]
        if args[0] == "exec":
            args = ["exec", *_options_first(args[1:])]
    command = typer.main.get_command(app)

    def invoke() -> int | None:
        try:
            return command.main(args=args, prog_name="pypicreds", standalone_mode=False, obj=obj)
        except typer.Exit as e:
            return e.exit_code
        except typer.Abort:
            raise KeyboardInterrupt from None

    return guarded(invoke)


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
    except KeyboardInterrupt:
        sys.stderr.write("\npypicreds: aborted\n")
        return 130
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


_VALUE_OPTIONS = ("--project", "--ttl")


def _separator(args: list[str]) -> int | None:
    """Where `--` ends our own arguments in `upload NAME FILES… -- TWINE_OPTIONS…` and
    `exec NAME [OPTIONS] -- COMMAND…` (click would take what follows as more FILES, or as the
    command's words). For exec, a `--` after the command has started belongs to the command."""
    if args[:1] == ["upload"] and "--" in args:
        return args.index("--")
    if args[:1] != ["exec"]:
        return None
    positional, i = 0, 1
    while i < len(args):
        word = args[i]
        if word == "--":
            return i
        if word in _VALUE_OPTIONS:
            i += 2
            continue
        if not word.startswith("-"):
            positional += 1
            if positional > 1:
                return None  # `exec NAME CMD … -- …`: the command began before any --
        i += 1
    return None


def _options_first(words: list[str]) -> list[str]:
    """exec parses no options after NAME (without --, they are the command's): with the command
    split off, move our options before NAME."""
    options: list[str] = []
    positional: list[str] = []
    i = 0
    while i < len(words):
        if words[i] in _VALUE_OPTIONS:
            options += words[i : i + 2]
            i += 2
            continue
        (options if words[i].startswith("-") else positional).append(words[i])
        i += 1
    return options + positional


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
