"""Data to stdout, every message to stderr; one place prints errors.

Nothing printed can carry a character a terminal would act on: text from a scanned file, a
token's caveats or a file name (escape sequences, carriage returns, undecodable bytes) is
written as an escape in human output, and as a JSON escape in --json. Line breaks of our own
stay."""

from __future__ import annotations

import sys

from ..errors import PypicredsError
from ..recovery.notes import take_notes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable


class _ClosedOutput:
    """stdout when pypicreds started with it closed (`>&-`: Python has no stream then):
    printing data is one clear error, not an AttributeError."""

    def write(self, text: str) -> int:
        raise PypicredsError("standard output is closed: nothing can be printed",
                             hint="run pypicreds with its standard output open (not >&-)")

    def writelines(self, lines) -> None:
        self.write("")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


_started_with: dict = {}  # stream -> the `errors` it had before prepare_streams


def prepare_streams() -> None:
    """Streams fit for pypicreds' output: a stand-in for a closed one, and a character the
    terminal cannot show written as an escape rather than failing."""
    stand_in_for_closed_streams()
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            _started_with.setdefault(stream, stream.errors)
            reconfigure(errors="backslashreplace")


def flush_streams() -> None:
    """Flush stdout and stderr before the process ends or changes hands; a stream the process
    started without, or a closed pipe, has nothing more to take."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass


def restore_streams() -> None:
    """The streams as the interpreter started them, for a program that takes this process over
    (twine): what it prints, and how it fails to, is as if it had been started on its own."""
    flush_streams()
    for stream, errors in _started_with.items():
        stream.reconfigure(errors=errors)
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__


def stand_in_for_closed_streams() -> None:
    """A started-closed stderr (`2>&-`) takes messages nowhere, as there is nowhere to say them;
    a closed stdout makes printing data an error."""
    if sys.stderr is None:
        import os

        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)
    if sys.stdout is None:
        sys.stdout = _ClosedOutput()


def data(text: str) -> None:
    lines = text.split("\n")
    if not all(line.isprintable() for line in lines):
        text = "\n".join(one_line(line) for line in lines)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def lines(printable: Iterable[str]) -> None:
    """Lines on stdout as they come, each printable and ending in a newline (render checked)."""
    sys.stdout.writelines(printable)


def as_json(value: object) -> None:
    import json  # only for --json: `env` and `list` do without it

    text = json.dumps(value, indent=2, ensure_ascii=False)
    if not all(line.isprintable() for line in text.split("\n")):
        # json escapes control characters; these are the rest (C1 controls, bidi overrides,
        # undecodable bytes), as \u escapes: still plain JSON, and inert on a terminal
        text = "".join(c if c.isprintable() or c == "\n" else _json_escape(c) for c in text)
    sys.stdout.write(text + "\n")


def _json_escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


QUIET = False  # --quiet: no informational notes on stderr (warnings and errors still show)


def note(text: str) -> None:
    repairs()  # what a repair did comes before what the command then did
    _note(text)


def _note(text: str) -> None:
    if QUIET and not text.startswith(("warning", "repaired")):
        return
    sys.stderr.write(one_line(f"pypicreds: {text}") + "\n")


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
