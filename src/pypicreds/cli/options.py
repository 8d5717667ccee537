"""Arguments and options that several commands share, declared once for Typer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import actions, complete

NameArg = Annotated[
    str,
    typer.Argument(help="Repository name: pypi, testpypi, or your own.", show_default=False, metavar="NAME",
                   autocompletion=complete.complete_repository),
]
PypircOpt = Annotated[
    Optional[Path],
    typer.Option("--pypirc", metavar="PATH", help="The .pypirc to edit [default: $PYPICREDS_PYPIRC or ~/.pypirc].",
                 show_default=False),
]
ReadPypircOpt = Annotated[  # for the commands that only read it (audit, doctor)
    Optional[Path],
    typer.Option("--pypirc", metavar="PATH", help="The .pypirc to read [default: $PYPICREDS_PYPIRC or ~/.pypirc].",
                 show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ProjectOpt = Annotated[
    Optional[str],
    typer.Option("--project", metavar="PROJECT", help="A per-project token under this repository (PyPI project name).",
                 show_default=False, autocompletion=complete.complete_project, callback=actions.checked_project),
]
TokenStdinOpt = Annotated[
    bool, typer.Option("--token-stdin", help="Read the token from standard input instead of a hidden prompt.")
]
TtlOpt = Annotated[
    Optional[str],
    typer.Option("--ttl", metavar="DURATION", help="Hand over a token derived offline that expires after this long: 90s, 15m, 2h.",
                 show_default=False),
]
ShellOpt = Annotated[
    Optional[str],
    typer.Option("--shell", metavar="SHELL", help="Syntax: sh, bash, zsh, fish, powershell, dotenv or json [default: sh].",
                 show_default=False, autocompletion=complete.complete_shell),
]
PublisherOpt = Annotated[
    Optional[str],
    typer.Option("--for", metavar="PUBLISHER", help="Whose variables: twine, uv, hatch, pdm, flit, poetry or all [default: twine; "
                 "exec: the publisher the command runs, else twine].",
                 show_default=False, autocompletion=complete.complete_publisher),
]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Store the token even if it is known to be wrong here (another index, "
                       "another project, unreadable).")
]
