"""The one lock that serialises pypicreds' read-modify-write cycles (`.lock` in its directory).

Every write of the index, the vault, the key file, the journal and .pypirc happens under it.
A context manager as a class, not contextlib: this module is on `pypicreds env`'s path."""

from __future__ import annotations

import os

from . import fsutil, system
from .errors import PypicredsError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

_held: dict[str, int] = {}


class locked:
    """`with locked(path):` serialises read-modify-write cycles between pypicreds processes
    (blocking flock). With `wait=False` it never waits: `with locked(path, wait=False) as got:`
    gives False (holding nothing) when another process has the lock or the lock file cannot be
    used (see try_locked).

    Re-entrant within one process: a nested `locked()` on the same file holds nothing more,
    because a second flock on a new descriptor would wait for ourselves."""

    def __init__(self, lock_file: Path, *, wait: bool = True) -> None:
        self.lock_file, self.wait = lock_file, wait
        self.key = os.path.abspath(lock_file)
        self.fd: int | None = None
        self.nested = False

    def __enter__(self) -> bool:
        if _held.get(self.key):
            _held[self.key] += 1
            self.nested = True
            return True
        try:
            fd = _open_lock(self.lock_file)
        except PypicredsError:
            if self.wait:
                raise
            return False
        try:
            system.lock(fd, self.wait)
        except OSError as e:
            os.close(fd)
            if self.wait:
                raise fsutil.os_error("lock", "the lock file", self.lock_file, e) from None
            return False
        except BaseException:  # Ctrl-C while waiting, or right after the flock: keep no lock
            os.close(fd)
            raise
        self.fd = fd
        _held[self.key] = 1
        return True

    def __exit__(self, *exc) -> None:
        if self.nested:
            _held[self.key] -= 1
            self.nested = False
        elif self.fd is not None:
            _held.pop(self.key, None)
            os.close(self.fd)  # closing releases the lock
            self.fd = None


def _open_lock(lock_file) -> int:
    fsutil.ensure_private_dir(os.path.dirname(os.fspath(lock_file)))
    flags = os.O_RDWR | os.O_CREAT | system.O_NOFOLLOW | system.O_NONBLOCK | system.O_NOCTTY | system.O_CLOEXEC
    try:
        fd = os.open(lock_file, flags, 0o600)
    except OSError as e:
        raise fsutil.open_error("open", "the lock file", lock_file, e, None) from None
    try:
        info = os.fstat(fd)
        fsutil.check_regular(info, "the lock file", lock_file)
        fsutil.check_owner(info, "the lock file", lock_file)
    except BaseException:
        os.close(fd)
        raise
    return fd


def try_locked(lock_file: Path) -> locked:
    """`with try_locked(path) as got:` never waits: False (holding nothing) when another
    process has the lock. For reads that would tidy up only if no one else is at work."""
    return locked(lock_file, wait=False)
