"""Declarations of env, exec and upload: hand a stored token to twine."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .. import actions, complete
from ..argv import check_exec_command
from ..options import NameArg, ProjectOpt, PublisherOpt, ShellOpt, TtlOpt


def env(
    name: Annotated[Optional[str], typer.Argument(help="Repository name (not needed with --unset).", show_default=False, metavar="NAME", autocompletion=complete.complete_repository)] = None,
    shell: ShellOpt = None,
    unset: Annotated[bool, typer.Option("--unset", help="Print statements that remove the variables.")] = False,
    project: ProjectOpt = None,
    ttl: TtlOpt = None,
    publisher: PublisherOpt = None,
) -> None:
    """Print a publisher's variables (TWINE_USERNAME, TWINE_PASSWORD, TWINE_REPOSITORY_URL by default) for your shell.

    --for uv, hatch, pdm, flit or poetry prints that tool's variables instead; --for all, every set.

    \b
    Examples (bash or zsh, then fish):
      eval $(pypicreds env testpypi)
      pypicreds env testpypi --shell fish | source
    """
    actions.env(name, shell, unset, project, ttl, publisher)


def exec_(
    ctx: typer.Context,
    name: NameArg,
    command: Annotated[Optional[list[str]], typer.Argument(help="The command to run, after --.", show_default=False, metavar="COMMAND")] = None,
    project: ProjectOpt = None,
    ttl: TtlOpt = None,
    publisher: PublisherOpt = None,
    mask: Annotated[bool, typer.Option("--mask", help="Relay the command's output with every token replaced by pypi-**** [default when CI is set].")] = False,
    no_mask: Annotated[bool, typer.Option("--no-mask", help="Run the command in place of pypicreds, its output untouched [default unless CI is set].")] = False,
) -> None:
    """Run one command with a publisher's variables in its environment only; exit with its exit code.

    The publisher is the one the command runs (twine, uv publish, hatch publish, pdm publish, flit
    publish, poetry publish; also behind uvx, pipx run and python -m), else twine; --for chooses.
    Under CI (or with --mask) the command's stdout and stderr are relayed with the token masked.
    Example: pypicreds exec testpypi -- uv publish
    """
    after = (ctx.obj or {}).get("after_separator")
    if after is None:
        check_exec_command(command or [])
    command = list(after if after is not None else command or [])
    code = actions.exec_(name, command, project, ttl, publisher, mask, no_mask)
    raise typer.Exit(code)


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
