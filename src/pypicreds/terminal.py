"""Hidden prompts on a terminal (a token, the vault's passphrase): echo off, and a line that
always ends.

getpass leaves the cursor on the prompt's line when Ctrl-C or Ctrl-D ends the prompt, so the
next message lands after the prompt. Here the line is ended in every case: Ctrl-C raises
errors.Interrupted, Ctrl-D on an empty line EOFError, each after the newline."""

from __future__ import annotations

import os

from .errors import Interrupted, PypicredsError

MAX_BYTES = 64 * 1024  # a token is a few hundred bytes; a terminal line holds at most 4,096


def hidden_input(prompt: str, device: str = "/dev/tty") -> str:
    """One line typed on the terminal `device` (the controlling terminal by default) with echo
    off, without its newline. Raises OSError when `device` is not a terminal that can be opened."""
    fd = os.open(device, os.O_RDWR | os.O_NOCTTY)
    try:
        return _read_hidden(fd, prompt)
    finally:
        os.close(fd)


def _read_hidden(fd: int, prompt: str) -> str:
    import termios

    try:
        old = termios.tcgetattr(fd)
    except termios.error as e:
        raise OSError(f"not a terminal: {e}") from None
    quiet = list(old)
    quiet[3] &= ~termios.ECHO  # lflags
    data = b""
    try:
        termios.tcsetattr(fd, termios.TCSAFLUSH, quiet)
        try:
            os.write(fd, prompt.encode("utf-8", "replace"))
            while not data.endswith(b"\n") and len(data) <= MAX_BYTES:
                chunk = os.read(fd, 4096)
                if not chunk:  # Ctrl-D
                    break
                data += chunk
        finally:
            termios.tcsetattr(fd, termios.TCSAFLUSH, old)
    except KeyboardInterrupt:
        os.write(fd, b"\n")
        raise Interrupted(line_ended=True) from None
    os.write(fd, b"\n")  # echo was off: Enter did not move the cursor
    if not data:
        raise EOFError
    try:
        return data.removesuffix(b"\n").decode("utf-8")
    except UnicodeDecodeError:
        raise PypicredsError("what was typed is not UTF-8 text", hint="check the terminal's encoding") from None
