"""Which publisher a command line runs, for `exec` without `--for`: the variables it then sets.

Recognised: `twine ...`, `uv publish`, `hatch publish`, `pdm publish`, `flit publish`,
`poetry publish`, each also as `python -m NAME`, behind `uvx` / `uv tool run` / `uv run`,
`pipx run`, and by path (`.venv/bin/twine`). Anything else gets twine's variables, as before
`--for` existed. Words are only compared, never run or expanded.
"""

from __future__ import annotations

import os
import re

# Publishers that publish with a `publish` subcommand; twine takes any subcommand.
SUBCOMMAND = {"uv": "publish", "hatch": "publish", "pdm": "publish", "flit": "publish", "poetry": "publish"}
# Options of the launchers that take a value (the next word, unless given as --opt=value).
_LAUNCHER_VALUES = {
    "--from", "--with", "--with-editable", "--with-requirements", "--python", "-p", "--index",
    "--default-index", "--index-url", "-i", "--extra-index-url", "--find-links", "-f", "--spec",
    "--pip-args", "--constraints", "-c", "--directory", "--project", "--package", "--env-file",
    "--extra", "--group", "--index-strategy", "--keyring-provider", "--cache-dir", "--config-file",
    "--python-platform", "--backend",
}
_PYTHON = re.compile(r"python(\d+(\.\d+)?)?")


def detect(command: list[str]) -> str | None:
    """The publisher `command` runs, or None when it is none of them."""
    words = list(command)
    for _ in range(4):  # launchers may nest: `uvx --from x python -m twine`, rarely more
        if not words:
            return None
        program = _program(words[0])
        if program in ("uvx", "pipx") or (program == "uv" and words[1:2] in (["tool"], ["run"])):
            skip = {"uvx": 1, "pipx": 2, "uv": 3 if words[1:2] == ["tool"] else 2}[program]
            if program == "pipx" and words[1:2] != ["run"]:
                return None
            words = _after_options(words[skip:])
            continue
        if _PYTHON.fullmatch(program):
            rest = _after_options(words[1:], stop_at_module=True)
            if rest[:1] != ["-m"] or len(rest) < 2:
                return None
            words = rest[1:]
            continue
        return _publisher(program, words[1:])
    return None


def _program(word: str) -> str:
    """`/x/bin/twine` -> twine; `twine@6.1` or `twine==6.1` (uvx, pipx specs) -> twine."""
    name = os.path.basename(word)
    if name.endswith(".exe"):
        name = name[:-4]
    return re.split(r"[@=<>!~\[]", name, maxsplit=1)[0].lower()


def _after_options(words: list[str], stop_at_module: bool = False) -> list[str]:
    """The words from the first that is not a launcher option (or its value)."""
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            return words[i + 1 :]
        if stop_at_module and word == "-m":
            return words[i:]
        if not word.startswith("-"):
            return words[i:]
        i += 2 if word in _LAUNCHER_VALUES else 1
    return []


def _publisher(program: str, args: list[str]) -> str | None:
    if program == "twine":
        return "twine"
    sub = SUBCOMMAND.get(program)
    if sub is None:
        return None
    # the first word that is not an option: `hatch -v publish`, `uv --directory d publish`
    return program if _after_options(args)[:1] == [sub] else None
