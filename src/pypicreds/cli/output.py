"""Data to stdout, every message to stderr; one place prints errors."""

from __future__ import annotations

import json
import sys

from ..errors import PypicredsError
from ..recovery.notes import take_notes


def data(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def as_json(value: object) -> None:
    data(json.dumps(value, indent=2, ensure_ascii=False))


QUIET = False  # --quiet: no informational notes on stderr (warnings and errors still show)


def note(text: str) -> None:
    repairs()  # what a repair did comes before what the command then did
    _note(text)


def _note(text: str) -> None:
    if QUIET and not text.startswith(("warning", "repaired")):
        return
    sys.stderr.write(f"pypicreds: {text}\n")


def error(err: PypicredsError) -> None:
    line = f"pypicreds: error: {err.message}"
    if err.hint:
        line += f" (hint: {err.hint})"
    sys.stderr.write(one_line(scrub(line)) + "\n")


def scrub(text: str) -> str:
    """Anything shaped like a token, or any token seen in this process, replaced: a token typed
    where a name or an option value belongs must not come back in the error about it."""
    from ..redact import scrub as redact

    return redact(text)


def one_line(text: str) -> str:
    """Control characters (a newline in a name, say) escaped, so an error stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def repairs() -> None:
    """Print what recovery repaired in this process (also after a command that then failed)."""
    for line in take_notes():
        _note(line)
