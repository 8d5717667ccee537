"""Hidden prompts on a terminal (a token, the vault's passphrase): echo off, and a line that
always ends.

getpass leaves the cursor on the prompt's line when Ctrl-C or Ctrl-D ends the prompt, so the
next message lands after the prompt. Here the line is ended in every case: Ctrl-C raises
errors.Interrupted, Ctrl-D on an empty line EOFError, each after the newline.

Ctrl-C is never lost at a prompt: the prompt waits in select() on the terminal and on a wakeup
pipe (signal.set_wakeup_fd), never in a bare read(). Python runs a signal's handler between
bytecodes; a SIGINT handled after the interpreter's last check and before read() blocks (a
Ctrl-C typed as the prompt appears, on a loaded machine) would leave read() waiting for Enter.
The wakeup pipe is written by the C-level handler itself, so select() returns at once."""

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
            wake = _wakeup_pipe()  # before the prompt: a Ctrl-C typed at it lands in the pipe
            try:
                os.write(fd, prompt.encode("utf-8", "replace"))
                while not data.endswith(b"\n") and len(data) <= MAX_BYTES:
                    _wait_readable(fd, wake)
                    chunk = os.read(fd, 4096)
                    if not chunk:  # Ctrl-D
                        break
                    data += chunk
            finally:
                _close_wakeup_pipe(wake)
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


def _wakeup_pipe() -> tuple[int, int, int] | None:
    """(read end, write end, the wakeup fd it replaced): a pipe the C-level signal handler writes
    a byte to for every signal Python handles; None outside the main thread, where Python runs no
    signal handler (and set_wakeup_fd cannot be called)."""
    import signal

    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    try:
        previous = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    except ValueError:  # not the main thread
        os.close(r)
        os.close(w)
        return None
    return r, w, previous


def _close_wakeup_pipe(wake: tuple[int, int, int] | None) -> None:
    if wake is None:
        return
    import signal

    r, w, previous = wake
    signal.set_wakeup_fd(previous, warn_on_full_buffer=False)
    os.close(r)
    os.close(w)


def _wait_readable(fd: int, wake: tuple[int, int, int] | None) -> None:
    """Until `fd` has something to read. A signal's byte in the wakeup pipe ends the wait too:
    its handler runs as soon as select() returns (for SIGINT: KeyboardInterrupt); a handler that
    returns (another signal's) leaves the wait to go on."""
    import select

    if wake is None:
        return  # os.read blocks: the main thread handles the signals
    while True:
        # select, not poll: macOS's poll cannot wait on a terminal
        ready, _, _ = select.select([fd, wake[0]], [], [])
        if wake[0] in ready:
            try:
                os.read(wake[0], 512)
            except BlockingIOError:
                pass
        if fd in ready:
            return
