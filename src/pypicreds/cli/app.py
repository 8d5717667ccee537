"""The Typer app: every command parses its options and calls one plain function."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import __version__
from . import actions, complete, output, render
from .tokeninput import read_token

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

NameArg = Annotated[
    str,
    typer.Argument(help="Repository name: pypi, testpypi, or your own.", show_default=False,
                   autocompletion=complete.complete_repository),
]
PypircOpt = Annotated[
    Optional[Path],
    typer.Option("--pypirc", help="The .pypirc to edit [default: $PYPICREDS_PYPIRC or ~/.pypirc].",
                 show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ProjectOpt = Annotated[
    Optional[str],
    typer.Option("--project", help="A per-project token under this repository (PyPI project name).",
                 show_default=False, autocompletion=complete.complete_project),
]
TokenStdinOpt = Annotated[
    bool, typer.Option("--token-stdin", help="Read the token from standard input instead of a hidden prompt.")
]


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
        bool, typer.Option("--quiet", "-q", help="No informational messages on stderr (warnings and errors still show).")
    ] = False,
) -> None:
    """Keep PyPI API tokens in the OS keyring or an encrypted file, never in plaintext.

    Example: pypicreds add testpypi
    """
    output.QUIET = output.QUIET or quiet


@app.command()
def add(
    name: NameArg,
    url: Annotated[Optional[str], typer.Option(help="Upload URL (required for names other than pypi/testpypi).")] = None,
    username: Annotated[Optional[str], typer.Option(help="Username [default: __token__].", show_default=False)] = None,
    store: Annotated[Optional[str], typer.Option(help="keyring or file [default: $PYPICREDS_STORE, else keyring if usable, else file].", show_default=False, autocompletion=complete.complete_store)] = None,
    plaintext: Annotated[bool, typer.Option("--plaintext", help="Also write the token into .pypirc as `password =` (for tools that read only .pypirc).")] = False,
    no_pypirc: Annotated[bool, typer.Option("--no-pypirc", help="Leave .pypirc alone.")] = False,
    token_stdin: TokenStdinOpt = False,
    pypirc: PypircOpt = None,
    project: ProjectOpt = None,
) -> None:
    """Store a token for a repository and write its .pypirc section (no password).

    Example: pypicreds add testpypi   (then paste the token at the hidden prompt)
    """
    actions.add(name, url=url, username=username, store=store, plaintext=plaintext, no_pypirc=no_pypirc,
                token_stdin=token_stdin, pypirc=pypirc, project=project)


@app.command("list")
def list_(json_: JsonOpt = False) -> None:
    """List the stored repositories (tokens masked).

    Example: pypicreds list --json
    """
    actions.list_(json_)


@app.command()
def show(
    name: NameArg,
    json_: JsonOpt = False,
    reveal: Annotated[bool, typer.Option("--reveal", help="Print the token itself, alone, on stdout.")] = False,
    project: ProjectOpt = None,
) -> None:
    """Show one repository; --reveal prints its token.

    Example: pypicreds show testpypi
    """
    from .. import credentials  # deferred like every domain import: help and completion never need it

    if reveal:
        output.data(credentials.reveal(name, project))
        return
    entry = credentials.show(name, project)
    if json_:
        output.as_json(render.entry_json(entry))
        return
    from ..store import open_store

    output.data(render.entry_text(entry, open_store(entry.store).describe()))


@app.command()
def rotate(name: NameArg, token_stdin: TokenStdinOpt = False, project: ProjectOpt = None) -> None:
    """Replace a repository's token with a new one, then remind you to revoke the old one.

    Example: pypicreds rotate pypi --token-stdin < new-token.txt
    """
    from .. import credentials

    credentials.show(name, project)  # an unknown name fails before the prompt
    token = read_token(from_stdin=token_stdin, prompt=f"New token for {name}: ")
    for line in credentials.rotate(name=name, token=token, project=project).notes:
        output.note(line)


@app.command()
def remove(
    name: NameArg,
    keep_pypirc: Annotated[bool, typer.Option("--keep-pypirc", help="Leave the .pypirc section in place.")] = False,
    pypirc: PypircOpt = None,
    project: ProjectOpt = None,
) -> None:
    """Remove a repository's token from its store, the index and .pypirc.

    Example: pypicreds remove testpypi
    """
    from .. import credentials

    for line in credentials.remove(name=name, keep_pypirc=keep_pypirc, pypirc=pypirc, project=project).notes:
        output.note(line)


@app.command()
def inspect(
    name: Annotated[Optional[str], typer.Argument(help="A stored repository (or use --token-stdin).", show_default=False, autocompletion=complete.complete_repository)] = None,
    project: ProjectOpt = None,
    token_stdin: TokenStdinOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Read what a token can do, offline: index host, token id, scope, projects, expiry, caveats.

    Example: pypicreds inspect pypi --project my-package
    """
    if token_stdin and name is not None:
        from ..errors import UsageError

        raise UsageError("give a repository name or --token-stdin, not both")
    from .. import credentials

    token = read_token(from_stdin=True, prompt="") if token_stdin else None
    facts = credentials.inspect(name, project, token)
    if json_:
        output.as_json(facts)
    else:
        output.data(render.token_text(facts))


from . import sessions  # noqa: E402,F401  (registers env, exec and upload on `app`)
from . import checks  # noqa: E402,F401  (registers audit, import, scan and doctor on `app`)
