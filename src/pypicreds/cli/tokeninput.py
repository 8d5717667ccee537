"""Reading a token: standard input with --token-stdin, else a hidden prompt on the terminal.

Never argv (readable by every user, kept in shell history), never echoed, never stdout. With
--token-stdin at a terminal (nothing piped in), the token is typed at a hidden prompt on that
terminal, as without the option: a terminal echoes what is typed."""

from __future__ import annotations

import os
import sys

from ..errors import PypicredsError
from ..terminal import MAX_BYTES, hidden_input

NO_TOKEN_HINT = "paste the token at the prompt, or pipe it with --token-stdin"


def read_token(*, from_stdin: bool, prompt: str) -> str:
    if from_stdin and not os.isatty(0):
        raw = sys.stdin.buffer.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise PypicredsError("standard input is too long to be a token (over 64 KiB)")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise PypicredsError("standard input is not UTF-8 text", hint="pipe the token itself") from None
    device = "/dev/tty"
    if from_stdin:
        try:
            device = os.ttyname(0)  # the terminal standard input is, even if not the controlling one
        except OSError:
            pass
    try:
        token = hidden_input(prompt, device)
    except OSError:
        raise PypicredsError(
            "there is no terminal to prompt for the token on",
            hint="pipe it in instead: `pypicreds ... --token-stdin < token-file`",
        ) from None
    except EOFError:
        raise PypicredsError("no token was entered", hint=NO_TOKEN_HINT) from None
    if len(token) > MAX_BYTES:
        raise PypicredsError("what was typed is too long to be a token (over 64 KiB)")
    return token
