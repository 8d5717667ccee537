"""Declarations of env, exec and upload: hand a stored token to twine."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .. import actions, complete
from ..options import NameArg, ProjectOpt, ShellOpt, TtlOpt


def env(
    name: Annotated[Optional[str], typer.Argument(help="Repository name (not needed with --unset).", show_default=False, metavar="NAME", autocompletion=complete.complete_repository)] = None,
    shell: ShellOpt = None,
    unset: Annotated[bool, typer.Option("--unset", help="Print statements that remove the variables.")] = False,
    project: ProjectOpt = None,
    ttl: TtlOpt = None,
) -> None:
    """Print TWINE_USERNAME, TWINE_PASSWORD and TWINE_REPOSITORY_URL for your shell to evaluate.

    \b
    Examples (bash or zsh, then fish):
      eval $(pypicreds env testpypi)
      pypicreds env testpypi --shell fish | source
    """
    actions.env(name, shell, unset, project, ttl)


def exec_(
    ctx: typer.Context,
    name: NameArg,
    command: Annotated[Optional[list[str]], typer.Argument(help="The command to run, after --.", show_default=False, metavar="COMMAND")] = None,
    project: ProjectOpt = None,
    ttl: TtlOpt = None,
) -> None:
    """Run one command with the TWINE_* variables in its environment only; exit with its exit code.

    Example: pypicreds exec testpypi -- twine upload dist/*
    """
    after = (ctx.obj or {}).get("after_separator")
    command = list(after if after is not None else command or [])
    actions.exec_(name, command, project, ttl)


def upload(
    ctx: typer.Context,
    name: NameArg,
    files: Annotated[Optional[list[str]], typer.Argument(help="Distribution files [default: dist/*].", show_default=False, metavar="FILE")] = None,
    skip_check: Annotated[bool, typer.Option("--skip-check", help="Do not run `twine check` first.")] = False,
    project: ProjectOpt = None,
    ttl: TtlOpt = None,
    verbose: Annotated[bool, typer.Option("--verbose", help="Ask twine for details of what it sends and what the index answers (its own --verbose).")] = False,
) -> None:
    """Upload with twine: `twine check`, then `twine upload` with the stored credentials.

    The token is picked by the project names in the files' own metadata (a per-project token, else
    the repository's default) and checked against them before anything is sent.
    Options for twine go after -- (--verbose, which twine's errors suggest, works before it too).

    \b
    Examples:
      pypicreds upload testpypi
      pypicreds upload testpypi -- --skip-existing
    """
    twine_options = (ctx.obj or {}).get("after_separator") or []
    actions.upload(name, files or [], skip_check, project, ttl, twine_options, verbose)
