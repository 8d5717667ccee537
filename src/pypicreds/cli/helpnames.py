"""How help names arguments: `NAME`, `[NAME]`, `[PATH]...`, as click and most tools write
them, not Typer 0.29's `{name}` in the usage line and a Python type (`<str>`, `<list[Path]>`)
beside each argument.

Typer builds each argument as a TyperArgument; the command class below gives those of our
commands the class here, which only changes how they are shown (parsing is Typer's own)."""

from __future__ import annotations

import typer.core


class NamedArgument(typer.core.TyperArgument):
    """An argument shown by its metavar (NAME when it has none), without a type."""

    def _word(self) -> str:
        return self.metavar or self.name.upper()

    def _usage_display_name(self) -> str:
        word = self._word() if self.required else f"[{self._word()}]"
        return word + ("..." if self.nargs != 1 else "")

    @property
    def display_name_raw(self) -> str:  # the name column, plain and rich
        return self._word() + ("..." if self.nargs != 1 else "")

    def _rich_display_name(self) -> str:
        return self.display_name_raw

    def display_type_rich(self, ctx) -> str | None:
        return None


class Command(typer.core.TyperCommand):
    """Every pypicreds command: its arguments are NamedArguments."""

    def __init__(self, *args, params=None, **kwargs) -> None:
        for param in params or []:
            if type(param) is typer.core.TyperArgument:
                param.__class__ = NamedArgument  # same state, another way of showing it
        super().__init__(*args, params=params, **kwargs)
