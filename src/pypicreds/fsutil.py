"""Files that hold secrets: created 0600 from the first byte, written atomically, under one lock."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator

from .errors import PypicredsError

TYPE_CHECKING = False  # pathlib is imported where a Path is made: not on `env`'s read path
if TYPE_CHECKING:
    from pathlib import Path

TMP_MARK = ".pypicreds-tmp-"


def sha256(data: bytes):
    """SHA-256 (of a file's bytes) from the interpreter's built-in module when it has one:
    `hashlib` loads OpenSSL's bindings, a tenth of `pypicreds env`'s start-up, for a checksum."""
    try:
        from _sha2 import sha256 as new  # CPython 3.12+
    except ImportError:
        try:
            from _sha256 import sha256 as new  # CPython 3.11
        except ImportError:
            from hashlib import sha256 as new
    return new(data)


def ensure_private_dir(path: Path) -> Path:
    """Create `path` as 0700 if missing (parents with default mode)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(path, 0o700)
    except FileExistsError:
        if not path.is_dir():
            raise PypicredsError(f"{path} exists and is not a directory") from None
        owner = path.stat().st_uid
        if owner != os.getuid():
            # another user's directory (say under /tmp) could swap our files or read our vault
            raise PypicredsError(
                f"{path} belongs to another user (uid {owner}), so pypicreds will not keep tokens in it",
                hint="point PYPICREDS_HOME at a directory of your own",
            ) from None
    except OSError as e:
        raise PypicredsError(f"cannot create {path}: {e.strerror}") from e
    return path


def atomic_write(path: Path, data: bytes, *, follow_symlink: bool = True) -> None:
    """Replace `path` with `data`: temp file in the same directory (0600 at creation),
    fsync, rename, fsync the directory. A symlink stays a symlink; its target is rewritten."""
    from pathlib import Path

    target = Path(os.path.realpath(path)) if follow_symlink else Path(path)
    directory = target.parent
    tmp = directory / f".{target.name}{TMP_MARK}{os.getpid()}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_TRUNC, 0o600)
    except FileExistsError:
        os.unlink(tmp)  # left by a killed process with our pid: stale by definition
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_TRUNC, 0o600)
    except OSError as e:
        raise PypicredsError(f"cannot write {path}: {e.strerror}") from e
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise PypicredsError(f"cannot write {path}: {e.strerror}") from e
        raise
    with contextlib.suppress(OSError):
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def remove_stale_temps(directory: Path, name: str) -> list[Path]:
    """Delete temp files of `name` left in `directory` by killed pypicreds processes."""
    from pathlib import Path

    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            if entry.name.startswith(f".{name}{TMP_MARK}"):
                pid = entry.name.rsplit("-", 1)[-1]
                if pid.isdigit() and _alive(int(pid)) and int(pid) != os.getpid():
                    continue
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as e:
        return e.errno == errno.EPERM
    return True


_held: dict[str, int] = {}


@contextlib.contextmanager
def locked(lock_file: Path) -> Iterator[None]:
    """Serialise read-modify-write cycles between pypicreds processes (blocking flock).

    Re-entrant within one process: a nested `locked()` on the same file is a no-op,
    because a second flock on a new descriptor would wait for ourselves."""
    import fcntl

    key = os.path.abspath(lock_file)
    if _held.get(key):
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    ensure_private_dir(lock_file.parent)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _held[key] = 1
        yield
    finally:
        _held.pop(key, None)
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def try_locked(lock_file: Path) -> Iterator[bool]:
    """Like `locked`, but never waits: yields False (holding nothing) when another process
    has the lock. For reads that would tidy up only if no one else is at work."""
    import fcntl

    key = os.path.abspath(lock_file)
    if _held.get(key):
        with locked(lock_file):
            yield True
        return
    try:
        ensure_private_dir(lock_file.parent)
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    except (OSError, PypicredsError):
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        _held[key] = 1
        try:
            yield True
        finally:
            _held.pop(key, None)
    finally:
        os.close(fd)
