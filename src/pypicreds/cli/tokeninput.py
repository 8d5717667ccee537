"""Reading a token: standard input with --token-stdin, else a hidden prompt on the terminal.

Never argv (readable by every user, kept in shell history), never echoed, never stdout."""

from __future__ import annotations

import os
import sys

from .. import system
from ..errors import PypicredsError

MAX_BYTES = 64 * 1024  # a PyPI token is a few hundred bytes; anything this large is a mistake


def read_token(*, from_stdin: bool, prompt: str) -> str:
    if from_stdin:
        raw = sys.stdin.buffer.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise PypicredsError("standard input is too long to be a token (over 64 KiB)")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise PypicredsError("standard input is not UTF-8 text", hint="pipe the token itself") from None
    try:
        tty = system.open_terminal()
    except OSError:
        raise PypicredsError(
            "there is no terminal to prompt for the token on",
            hint="pipe it in instead: `pypicreds ... --token-stdin < token-file`",
        ) from None
    os.close(tty)
    import getpass

    try:
        return getpass.getpass(prompt)  # prompts on /dev/tty, echo off
    except EOFError:
        raise PypicredsError("no token was entered") from None
