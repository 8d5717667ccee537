"""env, exec and upload: hand a stored token to twine."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from . import output
from .app import NameArg, app

ShellOpt = Annotated[
    str,
    typer.Option("--shell", help="Syntax: sh, bash, zsh, fish, powershell, dotenv or json."),
]


@app.command()
def env(
    name: Annotated[Optional[str], typer.Argument(help="Repository name (not needed with --unset).", show_default=False)] = None,
    shell: ShellOpt = "sh",
    unset: Annotated[bool, typer.Option("--unset", help="Print statements that remove the variables.")] = False,
) -> None:
    """Print TWINE_USERNAME, TWINE_PASSWORD and TWINE_REPOSITORY_URL for your shell to evaluate.

    Example: eval $(pypicreds env testpypi); fish: pypicreds env testpypi --shell fish | source
    """
    from .. import session, shellenv

    if unset:
        output.data(shellenv.render_unset(list(session.TWINE_VARIABLES), shell))
        return
    if name is None:
        from ..errors import UsageError

        raise UsageError("missing the repository name", hint="pypicreds env testpypi")
    shellenv.check_shell(shell)
    _, variables = session.twine_variables(name)
    output.data(shellenv.render_set(variables, shell))
    output.note(
        "while TWINE_REPOSITORY_URL is set, twine ignores -r; "
        f"clear the variables with `eval $(pypicreds env --unset{'' if shell == 'sh' else ' --shell ' + shell})`"
    )


@app.command(
    "exec",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
def exec_(
    name: NameArg,
    command: Annotated[list[str], typer.Argument(help="The command to run, after --.", show_default=False)],
) -> None:
    """Run one command with the TWINE_* variables in its environment only.

    Example: pypicreds exec testpypi -- twine upload dist/*
    """
    from .. import session

    raise typer.Exit(session.exec_command(name, command))


@app.command()
def upload(
    ctx: typer.Context,
    name: NameArg,
    files: Annotated[Optional[list[str]], typer.Argument(help="Distribution files [default: dist/*].", show_default=False)] = None,
    skip_check: Annotated[bool, typer.Option("--skip-check", help="Do not run `twine check` first.")] = False,
) -> None:
    """Upload with twine: `twine check`, then `twine upload` with the stored credentials.

    Options for twine go after --. Example: pypicreds upload testpypi -- --skip-existing
    """
    from .. import upload as uploading

    twine_options = (ctx.obj or {}).get("twine_options", [])
    raise typer.Exit(uploading.upload(name, files or [], skip_check=skip_check, twine_options=twine_options))
