"""The command reference, generated from the CLI's own command tree (what `--help` prints).

docs/hooks.py calls `reference_pages()` on every `mkdocs build`, so the pages cannot drift
from the code. Run `python docs/gen_reference.py OUTDIR` to write them out for a look.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PROG = "pypicreds"


def _root_command():
    try:
        import pypicreds.cli.app  # noqa: F401
    except ImportError:  # building the docs from a checkout without installing it
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import typer.main

    from pypicreds.cli.app import app

    return typer.main.get_command(app)


def walk_commands() -> list[tuple[list[str], object, object]]:
    """(path words, click command, its context) for every subcommand, in `--help` order.

    Each context has its parent's, as on a real command line, so inherited settings such as
    `-h` for help apply."""
    root = _root_command()
    found: list[tuple[list[str], object, object]] = []

    def visit(words: list[str], command, parent) -> None:
        name = words[-1] if words else PROG
        ctx = command.make_context(name, [], parent=parent, resilient_parsing=True)
        list_commands = getattr(command, "list_commands", None)
        if list_commands is None:
            found.append((words, command, ctx))
            return
        for sub_name in list_commands(ctx):
            sub = command.get_command(ctx, sub_name)
            if sub is not None and not getattr(sub, "hidden", False):
                visit([*words, sub_name], sub, ctx)

    visit([], root, None)
    return found


def option_names(command, ctx) -> set[str]:
    """Every option string of a command (--json, -h, ...), as --help lists them."""
    names: set[str] = set()
    for param in command.get_params(ctx):
        if getattr(param, "param_type_name", "") == "option" and not param.hidden:
            names.update(param.opts)
            names.update(param.secondary_opts)
    return names


def _escape(text: str) -> str:
    """Markdown-escape prose (`__token__` must not turn bold), leaving `code spans` alone."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):  # even parts are outside backticks
        parts[i] = re.sub(r"([\\*_<>\[\]|])", r"\\\1", parts[i])
    return "`".join(parts)


def _cell(text: str) -> str:
    return _escape(" ".join(text.split()))


def _help_blocks(text: str) -> list[str]:
    """The docstring as Markdown: `Example:` paragraphs become console blocks, one command per
    line (a `\\b` paragraph headed `Examples...:` keeps its lines, as --help prints them)."""
    blocks = []
    for paragraph in text.strip().split("\n\n"):
        lines = [line.strip() for line in paragraph.replace("\b", "").splitlines() if line.strip()]
        if paragraph.lstrip().startswith("\b") and len(lines) > 1 and lines[0].startswith("Example"):
            commands = "\n".join(f"$ {line}" for line in lines[1:])
            blocks.append(f"**{_escape(lines[0].rstrip(':'))}**\n\n```console\n{commands}\n```")
            continue
        flat = " ".join(paragraph.replace("\b", "").split())
        head, sep, rest = flat.partition("Example: ")
        if sep:
            if head.strip():
                blocks.append(_escape(head.strip()))
            blocks.append(f"**Example**\n\n```console\n$ {rest}\n```")
        elif flat:
            blocks.append(_escape(flat))
    return blocks


def _param_row(param, ctx) -> str | None:
    """A table row from the same help record `--help` prints for the parameter."""
    record = param.get_help_record(ctx)
    if record is None:
        return None
    names, text = record
    return f"| `{' '.join(names.split())}` | {_cell(text)} |"


def command_page(words: list[str], command, ctx) -> str:
    usage = " ".join([ctx.command_path, *command.collect_usage_pieces(ctx)])
    lines = [
        f"# {PROG} {' '.join(words)}",
        "",
        "<!-- generated from the CLI by docs/gen_reference.py: edit the command's docstring instead -->",
        "",
        f"```text\n{usage}\n```",
        "",
    ]
    lines += [block + "\n" for block in _help_blocks(command.help or "")]
    params = [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]
    if params:
        rows = [row for row in (_param_row(p, ctx) for p in params) if row]
        lines += ["## Arguments and options", "", "| Name | Description |", "|---|---|", *rows, ""]
    return "\n".join(lines)


def page_path(words: list[str]) -> str:
    return "commands/" + "-".join(words) + ".md"


def index_page(commands: list[tuple[list[str], object, object]]) -> str:
    lines = [
        "# Command reference",
        "",
        "<!-- generated from the CLI by docs/gen_reference.py -->",
        "",
        "Every page here is generated from the command-line interface itself on each docs build,",
        f"so it says exactly what `{PROG} COMMAND --help` says.",
        "",
        "| Command | What it does |",
        "|---|---|",
    ]
    for words, command, _ in commands:
        summary = _cell(command.get_short_help_str(limit=200))
        lines.append(f"| [`{PROG} {' '.join(words)}`]({page_path(words).removeprefix('commands/')}) | {summary} |")
    return "\n".join(lines) + "\n"


def reference_pages() -> dict[str, str]:
    """{docs-relative path: Markdown} for the reference index and one page per command."""
    commands = walk_commands()
    pages = {"commands/index.md": index_page(commands)}
    for words, command, ctx in commands:
        pages[page_path(words)] = command_page(words, command, ctx)
    return pages


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "reference-preview")
    for rel, text in reference_pages().items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
        print(out / rel)
