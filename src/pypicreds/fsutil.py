"""Files that hold secrets: created 0600 from the first byte, written atomically, under one lock."""

from __future__ import annotations

import errno
import os

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


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data`: temp file in the same directory (0600 at creation),
    fsync, rename, fsync the directory. A symlink stays a symlink; its target is rewritten."""
    from pathlib import Path

    target = Path(os.path.realpath(path))
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
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise PypicredsError(f"cannot write {path}: {e.strerror}") from e
        raise
    try:
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass  # the rename is done; a directory that cannot be synced is no reason to fail


def remove_stale_temps(directory: Path, names) -> None:
    """Delete temp files of the files `names` left in `directory` by killed pypicreds processes
    (one listing of the directory for all of them)."""
    prefixes = tuple(f".{name}{TMP_MARK}" for name in names)
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(prefixes):
            pid = entry.name.rsplit("-", 1)[-1]
            if pid.isdigit() and _alive(int(pid)) and int(pid) != os.getpid():
                continue
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as e:
        return e.errno == errno.EPERM
    return True


_held: dict[str, int] = {}


# Context managers as classes, not contextlib: this module is on `pypicreds env`'s path, and
# importing contextlib costs a noticeable share of its start-up.


class locked:
    """`with locked(path):` serialises read-modify-write cycles between pypicreds processes
    (blocking flock). With `wait=False` it never waits: `with locked(path, wait=False) as got:`
    gives False (holding nothing) when another process has the lock or the lock file cannot be
    opened (see try_locked).

    Re-entrant within one process: a nested `locked()` on the same file holds nothing more,
    because a second flock on a new descriptor would wait for ourselves."""

    def __init__(self, lock_file: Path, *, wait: bool = True) -> None:
        self.lock_file, self.wait = lock_file, wait
        self.key = os.path.abspath(lock_file)
        self.fd: int | None = None
        self.nested = False

    def __enter__(self) -> bool:
        import fcntl

        if _held.get(self.key):
            _held[self.key] += 1
            self.nested = True
            return True
        try:
            ensure_private_dir(self.lock_file.parent)
            fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        except (OSError, PypicredsError):
            if self.wait:
                raise
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if self.wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            if self.wait:
                raise
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


def try_locked(lock_file: Path) -> locked:
    """`with try_locked(path) as got:` never waits: False (holding nothing) when another
    process has the lock. For reads that would tidy up only if no one else is at work."""
    return locked(lock_file, wait=False)
