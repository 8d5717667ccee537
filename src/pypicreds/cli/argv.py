"""The one hand-parsed grammar: argv of the commands that run in every shell and script.

`eval $(pypicreds env testpypi)` runs again and again, so its start-up is the product's speed;
Typer alone costs several times a bare interpreter's start. For the common, well-formed
invocations of env, list, add, exec and upload, `parse` reads argv with the table below and
main.py calls the same bodies as the Typer commands (actions.py); exec and upload too, since
Typer's start-up would otherwise be most of their cost over twine's. Anything else (help,
completion, an unknown or malformed option, a mistake) gives None and goes to Typer, which
parses and reports it. A test runs both paths side by side on the same argv
(tests/test_fastpath.py). `split_at_separator` tells Typer where `--` ends pypicreds' own
arguments, from the same table.
"""

from __future__ import annotations


class Grammar:
    """One command's argv. positional: parameter names in order; required: how many must be
    given; values: --option VALUE -> parameter; flags: --flag -> parameter; more: the parameter
    that takes further positional words (upload's FILES); rest: the parameter that takes
    everything after `--` (None: a `--` goes to Typer); rest_required: without `--`, Typer
    decides (exec's command may follow NAME directly). (A plain class: `collections` costs more
    to import than this module's work.)"""

    __slots__ = ("positional", "required", "values", "flags", "more", "rest", "rest_required")

    def __init__(self, positional: tuple, required: int, values: dict, flags: dict, more: str | None = None,
                 rest: str | None = None, rest_required: bool = False) -> None:
        self.positional, self.required, self.values, self.flags = positional, required, values, flags
        self.more, self.rest, self.rest_required = more, rest, rest_required

GRAMMARS = {
    "env": Grammar(
        ("name",), 0,
        values={"--shell": "shell", "--project": "project", "--ttl": "ttl", "--for": "publisher"},
        flags={"--unset": "unset"},
    ),
    "list": Grammar((), 0, values={}, flags={"--json": "json_"}),
    "add": Grammar(
        ("name",), 1,
        values={"--url": "url", "--username": "username", "--store": "store", "--pypirc": "pypirc",
                "--project": "project"},
        flags={"--plaintext": "plaintext", "--no-pypirc": "no_pypirc", "--token-stdin": "token_stdin",
               "--force": "force"},
    ),
    "exec": Grammar(
        ("name",), 1, values={"--project": "project", "--ttl": "ttl", "--for": "publisher"},
        flags={"--mask": "mask", "--no-mask": "no_mask"},
        rest="command", rest_required=True,
    ),
    "upload": Grammar(
        ("name",), 1, values={"--project": "project", "--ttl": "ttl"},
        flags={"--skip-check": "skip_check", "--verbose": "verbose"}, more="files", rest="twine_options",
    ),
}


def parse(args: list[str]) -> tuple[str, dict] | None:
    """(command, keyword arguments), or None when Typer should handle this argv."""
    if not args or args[0] not in GRAMMARS:
        return None
    grammar = GRAMMARS[args[0]]
    params: dict = {name: False for name in grammar.flags.values()}
    params.update({name: None for name in (*grammar.values.values(), *grammar.positional)})
    if grammar.more:
        params[grammar.more] = []
    if grammar.rest:
        params[grammar.rest] = []
    positional: list[str] = []
    seen: set[str] = set()
    i = 1
    while i < len(args):
        word = args[i]
        if word == "--" and grammar.rest:
            params[grammar.rest] = args[i + 1 :]
            break
        option, has_value, inline = word.partition("=") if word.startswith("--") else (word, "", "")
        if option in grammar.flags and not has_value and option not in seen:
            params[grammar.flags[option]] = True
        elif option in grammar.values and option not in seen:
            if has_value:
                value = inline
            elif i + 1 < len(args):
                i += 1
                value = args[i]
            else:
                return None
            if value.startswith("-") or not value:
                return None  # odd enough for Typer to judge
            params[grammar.values[option]] = value
        elif word.startswith("-"):
            return None  # help, an unknown option, a "--" Typer should judge
        elif len(positional) == len(grammar.positional):
            if not grammar.more:
                return None  # too many arguments
            params[grammar.more].append(word)
        else:
            positional.append(word)
            i += 1
            continue
        seen.add(option)
        i += 1
    if len(positional) < grammar.required:
        return None
    if grammar.rest_required and "--" not in args:
        return None
    params.update(zip(grammar.positional, positional))
    return args[0], params


QUIET_FLAGS = ("-q", "--quiet")


def take_quiet(args: list[str]) -> tuple[list[str], bool]:
    """(args without pypicreds' own -q/--quiet, whether one was given). The flag counts anywhere
    before `--` and before an exec command's own words (`exec NAME CMD -q` is the command's);
    a word that is the value of an option the table knows stays."""
    command = next((word for word in args if not word.startswith("-")), None)
    grammar = GRAMMARS.get(command)
    kept: list[str] = []
    quiet, positional, seen_command = False, 0, False
    for i, word in enumerate(args):
        if word == "--":
            return kept + args[i:], quiet
        if word in QUIET_FLAGS and not (grammar and kept and kept[-1] in grammar.values):
            quiet = True
            continue
        kept.append(word)
        if word.startswith("-") or (grammar and len(kept) > 1 and kept[-2] in grammar.values):
            continue
        if not seen_command:
            seen_command = True
        elif command == "exec":
            positional += 1
            if positional > len(grammar.positional):  # the command to run has begun
                return kept + args[i + 1 :], quiet
    return kept, quiet


def split_at_separator(args: list[str]) -> tuple[list[str], list[str] | None]:
    """(our arguments, the words after `--` or None) for Typer, which would take what follows
    `--` as more FILES (upload) or the command's words (exec). For exec, a `--` after the
    command has started belongs to the command, and our options move before NAME (click parses
    none after it)."""
    command = args[0] if args else None
    grammar = GRAMMARS.get(command)
    if grammar is None or grammar.rest is None or "--" not in args:
        return args, None
    if not grammar.rest_required:
        cut = args.index("--")
        return args[:cut], args[cut + 1 :]
    positional, i = 0, 1
    while i < len(args):
        word = args[i]
        if word == "--":
            return [command, *_options_first(args[1:i], grammar)], args[i + 1 :]
        if word in grammar.values:
            i += 2
            continue
        if not word.startswith("-"):
            positional += 1
            if positional > len(grammar.positional):
                return args, None  # `exec NAME CMD … -- …`: the command began before any --
        i += 1
    return args, None


def check_exec_command(words: list[str]) -> None:
    """exec's COMMAND given without `--` must not start with an option. click reads no option
    after NAME (the command's own options follow it), so `exec NAME --mask CMD` would run a
    program called `--mask`: a usage error instead, naming exec's own option as such."""
    if not words or not words[0].startswith("-"):
        return
    from ..errors import UsageError

    grammar = GRAMMARS["exec"]
    word = words[0]
    if word.partition("=")[0] in (*grammar.values, *grammar.flags, *QUIET_FLAGS, "-h", "--help"):
        message = f"`pypicreds exec` reads no option after NAME: {word} would be run as the command"
    else:
        message = f"the command to run cannot start with {word}"
    raise UsageError(message, hint="put pypicreds' options before NAME, or use -- before the command")


def _options_first(words: list[str], grammar: Grammar) -> list[str]:
    options: list[str] = []
    positional: list[str] = []
    i = 0
    while i < len(words):
        if words[i] in grammar.values:
            options += words[i : i + 2]
            i += 2
            continue
        (options if words[i].startswith("-") else positional).append(words[i])
        i += 1
    return options + positional
