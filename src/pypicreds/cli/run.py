"""The one place that catches errors and turns them into exit codes."""

from __future__ import annotations

import os
import sys

from ..errors import ExitCode, PypicredsError
from . import output


def run(argv: list[str] | None = None) -> int:
    import typer
    import typer.main

    from .app import app

    args = list(sys.argv[1:] if argv is None else argv)
    obj = {}
    if args[:1] == ["upload"] and "--" in args:
        # `upload NAME FILES… -- TWINE_OPTIONS…`: what follows -- goes to twine, not to FILES
        cut = args.index("--")
        args, obj["twine_options"] = args[:cut], args[cut + 1 :]
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="pypicreds", standalone_mode=False, obj=obj)
    except PypicredsError as e:
        output.error(e)
        return int(e.exit_code)
    except typer.Exit as e:
        return e.exit_code
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("\npypicreds: aborted\n")
        return 130
    except BrokenPipeError:
        return ExitCode.ERROR
    except Exception as e:
        if hasattr(e, "format_message") and hasattr(e, "exit_code"):  # click's errors (vendored in typer)
            ctx = getattr(e, "ctx", None)
            where = ctx.command_path if ctx is not None else "pypicreds"
            sys.stderr.write(f"pypicreds: error: {e.format_message()} (hint: see `{where} --help`)\n")
            return e.exit_code
        _unexpected()
        return ExitCode.ERROR
    return result if isinstance(result, int) else ExitCode.OK


def _unexpected() -> None:
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
