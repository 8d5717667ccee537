"""Declarations of the token commands: add, list, show, rotate, remove, inspect.

Each parses its options and calls one plain function; cli/app.py registers them."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .. import actions, complete, output, render
from ..options import ForceOpt, JsonOpt, NameArg, ProjectOpt, PypircOpt, TokenStdinOpt
from ..tokeninput import read_token


def add(
    name: NameArg,
    url: Annotated[Optional[str], typer.Option(metavar="URL", help="Upload URL (required for names other than pypi/testpypi).")] = None,
    username: Annotated[Optional[str], typer.Option(metavar="USERNAME", help="Username [default: __token__].", show_default=False)] = None,
    store: Annotated[Optional[str], typer.Option(metavar="STORE", help="keyring or file [default: $PYPICREDS_STORE, else keyring if usable, else file].", show_default=False, autocompletion=complete.complete_store)] = None,
    plaintext: Annotated[bool, typer.Option("--plaintext", help="Also write the token into .pypirc as `password =` (for tools that read only .pypirc).")] = False,
    no_pypirc: Annotated[bool, typer.Option("--no-pypirc", help="Leave .pypirc alone.")] = False,
    token_stdin: TokenStdinOpt = False,
    pypirc: PypircOpt = None,
    project: ProjectOpt = None,
    force: ForceOpt = False,
) -> None:
    """Store a token for a repository and write its .pypirc section (no password).

    The token is pasted at a hidden prompt, or piped in with --token-stdin.

    Example: pypicreds add testpypi
    """
    actions.add(name, url=url, username=username, store=store, plaintext=plaintext, no_pypirc=no_pypirc,
                token_stdin=token_stdin, pypirc=pypirc, project=project, force=force)


def list_(json_: JsonOpt = False) -> None:
    """List the stored repositories (tokens masked).

    Example: pypicreds list --json
    """
    actions.list_(json_)


def show(
    name: NameArg,
    json_: JsonOpt = False,
    reveal: Annotated[bool, typer.Option("--reveal", help="Print the token itself, alone, on stdout.")] = False,
    project: ProjectOpt = None,
) -> None:
    """Show one repository; --reveal prints its token.

    Example: pypicreds show testpypi
    """
    from ... import credentials  # deferred like every domain import: help and completion never need it

    if reveal:
        from ...session import ci

        token = credentials.reveal(name, project)
        ci.announce([token])  # stderr: stdout is the token alone, for $(...) to capture
        output.data(token)
        return
    entry = credentials.show(name, project)
    if json_:
        output.as_json(render.entry_json(entry))
        return
    from ...store import open_store

    output.data(render.entry_text(entry, open_store(entry.store).describe()))


def rotate(name: NameArg, token_stdin: TokenStdinOpt = False, project: ProjectOpt = None,
           force: ForceOpt = False) -> None:
    """Replace a repository's token with a new one, then remind you to revoke the old one.

    Example: pypicreds rotate pypi --token-stdin < new-token.txt
    """
    from ... import credentials

    credentials.show(name, project)  # an unknown name fails before the prompt
    token = read_token(from_stdin=token_stdin, prompt=f"New token for {name}: ")
    for line in credentials.rotate(name=name, token=token, project=project, force=force).notes:
        output.note(line)


def remove(
    name: NameArg,
    keep_pypirc: Annotated[bool, typer.Option("--keep-pypirc", help="Leave the .pypirc section in place.")] = False,
    pypirc: PypircOpt = None,
    project: ProjectOpt = None,
) -> None:
    """Remove a repository's token from its store, the index and .pypirc.

    Only what pypicreds wrote leaves .pypirc (a section you wrote stays, and remove says so); the
    file itself stays, even when nothing is left in it.

    Example: pypicreds remove testpypi
    """
    from ... import credentials

    for line in credentials.remove(name=name, keep_pypirc=keep_pypirc, pypirc=pypirc, project=project).notes:
        output.note(line)


def inspect(
    name: Annotated[Optional[str], typer.Argument(help="A stored repository [default: a token typed at a hidden prompt].", show_default=False, metavar="NAME", autocompletion=complete.complete_repository)] = None,
    project: ProjectOpt = None,
    token_stdin: TokenStdinOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Read what a token can do, offline: index host, token id, scope, projects, expiry, caveats.

    A stored token by name, else a token typed at a hidden prompt (or piped with --token-stdin).

    Example: pypicreds inspect pypi --project my-package
    """
    from ...errors import UsageError

    if token_stdin and name is not None:
        raise UsageError("give a repository name or --token-stdin, not both")
    if project is not None and name is None:
        raise UsageError("--project names a token stored under a repository: give its name too",
                         hint=f"pypicreds inspect pypi --project {project}")
    from ... import credentials

    token = read_token(from_stdin=token_stdin, prompt="Token to inspect: ") if name is None else None
    from ...intake import pasted_token

    if token is not None and pasted_token(token, pypi_like=True)[1]:
        output.note("read the token without the quotes around it")
    info = credentials.inspect(name, project, token)
    if json_:
        output.as_json(info.to_json())
    else:
        output.data(render.token_text(info.to_json()))
