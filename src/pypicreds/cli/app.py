"""The Typer app: creates it and registers every command (the root imports the leaves).

Commands are declared per family in commands/; each parses its options and calls one plain
function."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from .. import __version__
from . import output
from .commands import checks, sessions, tokens


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


# In the order `pypicreds --help` lists them.
app.command()(tokens.add)
app.command("list")(tokens.list_)
app.command()(tokens.show)
app.command()(tokens.rotate)
app.command()(tokens.remove)
app.command()(tokens.inspect)
app.command()(sessions.env)
app.command("exec", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})(
    sessions.exec_
)
app.command()(sessions.upload)
app.command()(checks.audit)
app.command("import")(checks.import_)
app.command()(checks.scan)
app.command()(checks.doctor)
