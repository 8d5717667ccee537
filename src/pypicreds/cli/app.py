"""The Typer app: creates it and registers every command (the root imports the leaves).

Commands are declared per family in commands/; each parses its options and calls one plain
function."""

from __future__ import annotations

import functools
import os
import sys
from typing import Annotated

import typer

from .. import __version__
from ..errors import Interrupted
from . import output
from .commands import checks, sessions, tokens
from .helpnames import Command


def _plain_help() -> bool:
    """Rich's coloured help only on a terminal, never with NO_COLOR: under NO_COLOR rich still
    prints bold, and GITHUB_ACTIONS or FORCE_COLOR make it colour a pipe."""
    return bool(os.environ.get("NO_COLOR")) or not sys.stdout.isatty()


app = typer.Typer(
    name="pypicreds",
    help="Keep PyPI API tokens out of plaintext: OS keyring or an encrypted file, a safe ~/.pypirc, twine sessions.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None if _plain_help() else "rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        output.data(f"pypicreds {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No informational messages on stderr (warnings and errors still show); also after the command.")
    ] = False,
) -> None:
    """Keep PyPI API tokens in the OS keyring or an encrypted file, never in plaintext.

    Example: pypicreds add testpypi
    """
    output.QUIET = output.QUIET or quiet


def _command(function, name: str | None = None, **settings) -> None:
    """Register one command. A Ctrl-C inside it is raised as Interrupted, which main.py reports
    (`pypicreds: aborted`, exit 130): Typer would turn a KeyboardInterrupt into a silent 130."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except KeyboardInterrupt:
            raise Interrupted() from None

    app.command(name, cls=Command, **settings)(run)


# In the order `pypicreds --help` lists them.
_command(tokens.add)
_command(tokens.list_, "list")
_command(tokens.show)
_command(tokens.rotate)
_command(tokens.remove)
_command(tokens.inspect)
_command(sessions.env)
_command(sessions.exec_, "exec", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
_command(sessions.upload)
_command(checks.audit)
_command(checks.import_, "import")
_command(checks.scan)
_command(checks.doctor)
