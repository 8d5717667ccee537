"""The calls that differ between platforms, kept in one place.

pypicreds runs on Linux and macOS (POSIX): it locks with flock, prompts on /dev/tty (with
termios, in terminal.py: the other platform-specific module), compares file owners with the
process's uid, and opens files with O_NOFOLLOW and O_NONBLOCK. A Windows port would start here
and in terminal.py (msvcrt.locking, the console, ACLs instead of modes); until then, every
command stops at once on a platform without these (`check_supported`).
"""

from __future__ import annotations

import os
import sys

from .errors import PypicredsError

SUPPORTED_PLATFORMS = "Linux and macOS"

# Flags for opening files we did not create: never follow a symlink where none belongs, never
# block on a FIFO or a device, never make a terminal our controlling one.
O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
O_NOCTTY = getattr(os, "O_NOCTTY", 0)
O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def supported() -> bool:
    return os.name == "posix"


def check_supported() -> None:
    """Stop before doing anything on a platform pypicreds does not run on."""
    if not supported():
        raise PypicredsError(
            f"pypicreds runs on {SUPPORTED_PLATFORMS}, not on {sys.platform}",
            hint="use it from WSL on Windows; see the README's 'Platforms' section",
        )


def uid() -> int:
    """The user whose files pypicreds trusts."""
    return os.getuid()


def lock(fd: int, wait: bool) -> None:
    """Take an exclusive lock on an open file: wait for it, or raise OSError at once if held."""
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)


def open_terminal() -> int:
    """A descriptor for the controlling terminal (for prompts); OSError when there is none."""
    return os.open("/dev/tty", os.O_RDWR | O_NOCTTY)
