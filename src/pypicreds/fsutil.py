"""The files pypicreds reads and writes, and what it refuses.

- Reads open without blocking and check what they opened: only a regular file is read (a
  FIFO, a device, a directory or a socket is refused, and a dangling symlink counts as
  missing), and never more than a limit.
- Writes replace a regular file (or create one) atomically: a temporary file in the same
  directory, 0600 from its first byte, fsynced, renamed over the target. A target that is
  anything but a regular file is refused, so a `.pypirc -> /dev/null` stays as it is.
- pypicreds' own directory must be the user's and writable by no one else; a key file must be
  the user's and readable by no one else (as ssh treats ~/.ssh).
- Every failure is a PypicredsError that names the file and a way out: no state of the
  filesystem reaches the user as an "unexpected" error.

The lock that serialises writers is in lock.py.
"""

from __future__ import annotations

import os
import stat

from . import system
from .errors import PypicredsError
from .paths import shown

TYPE_CHECKING = False  # pathlib is imported where a Path is made: not on `env`'s read path
if TYPE_CHECKING:
    from pathlib import Path

TMP_MARK = ".pypicreds-tmp-"
MAX_READ = 4 * 1024 * 1024  # pypicreds' own files and a .pypirc are a few KiB
HOME_HINT = "point PYPICREDS_HOME at a directory of your own"

_KINDS = ((stat.S_ISREG, "a regular file"), (stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link"))


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


def kind(mode: int) -> str:
    """What a file of this mode is, in words ("a directory", "a FIFO (named pipe)", ...)."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def named(what: str, path) -> str:
    """`the index /home/me/.config/pypicreds/index.json`, or the path as the user knows it
    (`~/.pypirc`) when `what` is empty."""
    return f"{what} {os.fspath(path)}" if what else shown(path)


def os_error(action: str, what: str, path, error: OSError | ValueError, hint: str | None = None) -> PypicredsError:
    """A failed filesystem call on `what` (e.g. "the index") as one line with a way out."""
    if isinstance(error, ValueError):  # (UnicodeError too) a NUL or lone surrogate, from a damaged file
        return PypicredsError(f"cannot {action} {what or 'the file'} {os.fspath(path)!r}: no file name can hold "
                              "a NUL or that character", hint=hint or "check where that path comes from")
    reason = error.strerror or type(error).__name__
    if hint is None:
        if isinstance(error, PermissionError):
            hint = f"check the permissions of {shown(os.path.dirname(os.fspath(path)) or '.')}, or {HOME_HINT}"
        elif getattr(error, "errno", None) == 30:  # EROFS
            hint = f"that file system is read-only; {HOME_HINT}"
        elif isinstance(error, FileNotFoundError):
            hint = f"check that {shown(os.path.dirname(os.fspath(path)) or '.')} exists"
    return PypicredsError(f"cannot {action} {named(what, path)}: {reason}", hint=hint)


# --------------------------------------------------------------------------- reading


def read_file(path, what: str, *, limit: int = MAX_READ, private: bool = False,
              foreign_ok: bool = True, hint: str | None = None) -> bytes | None:
    """The bytes of the regular file at `path` (symlinks followed), or None when there is none.

    Never blocks and never reads more than `limit` bytes. `private`: the file must belong to
    the user and be readable by no one else (a key file). `foreign_ok=False`: it must belong to
    the user (a file another user planted is refused)."""
    try:
        fd = os.open(path, os.O_RDONLY | system.O_NONBLOCK | system.O_NOCTTY | system.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise open_error("read", what, path, e, hint) from None
    try:
        info = os.fstat(fd)
        check_regular(info, what, path, hint)
        if private:
            check_private(info, what, path)
        elif not foreign_ok:
            check_owner(info, what, path)
        if info.st_size > limit:
            raise _too_large(what, path, limit)
        chunks, total = [], 0
        while True:
            block = os.read(fd, limit + 1 - total)
            if not block:
                return b"".join(chunks)
            chunks.append(block)
            total += len(block)
            if total > limit:  # it grew while we read
                raise _too_large(what, path, limit)
    except OSError as e:
        raise os_error("read", what, path, e, hint) from None
    finally:
        os.close(fd)


def open_regular(path, what: str, hint: str | None = None):
    """A binary file object for reading the regular file at `path` (any size): for scan."""
    try:
        fd = os.open(path, os.O_RDONLY | system.O_NONBLOCK | system.O_NOCTTY | system.O_CLOEXEC)
    except (OSError, ValueError) as e:
        raise open_error("read", what, path, e, hint) from None
    try:
        check_regular(os.fstat(fd), what, path, hint)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def check_regular(info: os.stat_result, what: str, path, hint: str | None = None) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise PypicredsError(
            f"{named(what, path)} is {kind(info.st_mode)}, not a regular file",
            hint=hint or f"move it away, or {HOME_HINT}",
        )


def check_owner(info: os.stat_result, what: str, path) -> None:
    if info.st_uid != system.uid():
        raise PypicredsError(
            f"{named(what, path)} belongs to another user (uid {info.st_uid}), so pypicreds will not trust it",
            hint=f"if it is yours, `chown` it back; else move it away, or {HOME_HINT}",
        )


def check_private(info: os.stat_result, what: str, path) -> None:
    """The user's own, and no one else may read or write it."""
    check_owner(info, what, path)
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise PypicredsError(
            f"{named(what, path)} has mode {mode:04o}: other users can read it",
            hint=f"`chmod 600 {shown(path)}`, then consider the secret it protects exposed",
        )


def open_error(action: str, what: str, path, error: OSError | ValueError, hint: str | None) -> PypicredsError:
    """Opening failed: say what the file is when that is the reason (a socket cannot be opened)."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return os_error(action, what, path, error, hint)
    if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
        return PypicredsError(f"{named(what, path)} is {kind(info.st_mode)}, not a regular file",
                              hint=hint or f"move it away, or {HOME_HINT}")
    return os_error(action, what, path, error, hint)


def _too_large(what: str, path, limit: int) -> PypicredsError:
    return PypicredsError(
        f"{named(what, path)} is larger than {limit // (1024 * 1024)} MiB, far more than it can hold",
        hint="check that the path points at the right file",
    )


# --------------------------------------------------------------------------- directories


def ensure_private_dir(path: Path, what: str = "pypicreds' directory") -> Path:
    """Create `path` as 0700 if missing (parents with default mode). An existing one must be a
    directory of the user's that no one else can write: another user could swap or plant files."""
    try:
        try:
            os.mkdir(path, 0o700)
        except FileNotFoundError:  # a missing parent: made with the default mode
            os.makedirs(os.path.dirname(os.fspath(path)), exist_ok=True)
            os.mkdir(path, 0o700)
        return path
    except FileExistsError:
        pass
    except (OSError, ValueError) as e:
        raise os_error("create", what, path, e) from None
    try:
        info = os.stat(path)
    except OSError as e:
        raise os_error("use", what, path, e) from None
    if not stat.S_ISDIR(info.st_mode):
        raise PypicredsError(f"{named(what, path)} is {kind(info.st_mode)}, not a directory", hint=HOME_HINT)
    if info.st_uid != system.uid():
        # another user's directory (say under /tmp) could swap our files or read our vault
        raise PypicredsError(
            f"{named(what, path)} belongs to another user (uid {info.st_uid}), so pypicreds will not keep tokens in it",
            hint=HOME_HINT,
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o022:
        raise PypicredsError(
            f"{named(what, path)} has mode {mode:04o}: other users can write in it, and so plant or swap files",
            hint=f"`chmod 700 {shown(path)}`, then check the files in it (`pypicreds audit`)",
        )
    return path


# --------------------------------------------------------------------------- writing


def check_writable(path, what: str, hint: str | None = None, *, directory_may_come: bool = False) -> str:
    """Where a write of `path` would land (symlinks resolved), refusing when that is anything
    but a regular file or a new file in an existing directory. `directory_may_come`: a missing
    directory is left for the write itself to report (it may be created before), unless `path`
    is a symlink whose target's directory is missing (a dangling link)."""
    try:
        target = os.path.realpath(path)
        info = os.lstat(target)
    except FileNotFoundError:
        info = None
    except (OSError, ValueError) as e:
        raise os_error("write", what, path, e) from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise PypicredsError(
            f"{named(what, path)}" + (f" (a symlink to {target})" if target != os.path.abspath(path) else "")
            + f" is {kind(info.st_mode)}, not a regular file; pypicreds will not replace it",
            hint=hint or "remove it or point pypicreds elsewhere; nothing was changed",
        )
    if info is None and not os.path.isdir(os.path.dirname(target)):
        if not directory_may_come or os.path.islink(path):
            raise _missing_directory(path, target, what)
    return target


def atomic_write(path: Path, data: bytes, what: str = "the file") -> None:
    """Replace `path` with `data`: a temporary file in the same directory (0600 at creation),
    fsync, rename, fsync the directory. A symlink stays a symlink; its target is rewritten.
    Refused when the target exists and is not a regular file."""
    target = check_writable(path, what)
    directory = os.path.dirname(target)
    fd, tmp = _create_temp(directory, os.path.basename(target), path, what)
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
            raise os_error("write", what, path, e) from None
        raise
    try:
        dfd = os.open(directory, os.O_RDONLY | system.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass  # the rename is done; a directory that cannot be synced is no reason to fail


def _create_temp(directory: str, name: str, path, what: str) -> tuple[int, str]:
    """A new file only we can have made: a random name, created exclusively, never through a link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | system.O_NOFOLLOW | system.O_CLOEXEC
    for _ in range(8):
        tmp = os.path.join(directory, f".{name}{TMP_MARK}{os.getpid()}-{os.urandom(8).hex()}")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
        except OSError as e:
            raise os_error("write", what, path, e) from None
    raise PypicredsError(f"cannot write {named(what, path)}: no free temporary name in {shown(directory)}")


def _missing_directory(path, target: str, what: str) -> PypicredsError:
    if os.path.islink(path):
        return PypicredsError(
            f"cannot write {named(what, path)}: it is a symbolic link to {target}, "
            f"and {shown(os.path.dirname(target))} does not exist",
            hint=f"create {shown(os.path.dirname(target))}, or point the link at an existing place, "
            "or remove the link",
        )
    return PypicredsError(f"cannot write {named(what, path)}: {shown(os.path.dirname(target))} does not exist",
                          hint="create that directory first")


def narrow_mode(path, mode: int, what: str) -> int | None:
    """chmod a regular file (or, for 0o700, a directory) of the user's to `mode`, through the
    descriptor of what was actually opened; symlinks are followed (the target holds the
    secrets). Returns the old mode, or None when it already had `mode`. Never touches another
    user's file, a device or a FIFO."""
    want_dir = mode == 0o700
    flags = os.O_RDONLY | system.O_NONBLOCK | system.O_NOCTTY | system.O_CLOEXEC
    try:
        fd = os.open(path, flags | (system.O_DIRECTORY if want_dir else 0))
    except (OSError, ValueError) as e:
        raise open_error("change the mode of", what, path, e, None) from None
    try:
        info = os.fstat(fd)
        if not (stat.S_ISDIR(info.st_mode) if want_dir else stat.S_ISREG(info.st_mode)):
            raise PypicredsError(f"{named(what, path)} is {kind(info.st_mode)}; its mode is left alone",
                                 hint="fix it by hand")
        check_owner(info, what, path)
        current = stat.S_IMODE(info.st_mode)
        if current == mode:
            return None
        os.fchmod(fd, mode)
        return current
    except OSError as e:
        raise os_error("change the mode of", what, path, e) from None
    finally:
        os.close(fd)


STALE_AFTER = 600  # seconds: no write takes this long, so an older temporary file is stale


def remove_stale_temps(directory, names) -> None:
    """Delete the temporary files of `names` in `directory` that killed pypicreds processes
    left (`.NAME.pypicreds-tmp-PID-RANDOM`). Call under the lock, under which every write of
    these files happens: a file whose process is gone, or that is older than any write takes
    (its PID may have been reused), is stale. Only the user's own regular files go, checked by
    inode before removal."""
    import time

    prefixes = tuple(f".{name}{TMP_MARK}" for name in names)
    try:
        entries = list(os.scandir(directory))
    except (OSError, ValueError):
        return
    for entry in entries:
        if not entry.name.startswith(prefixes):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != system.uid():
                continue  # not ours to remove (another user's, in a shared directory)
            pid = entry.name.rpartition(TMP_MARK)[2].split("-")[0]
            fresh = time.time() - info.st_mtime < STALE_AFTER
            if fresh and pid.isdigit() and _alive(int(pid)) and int(pid) != os.getpid():
                continue  # a live writer under another PYPICREDS_HOME (another lock)
            fd = os.open(entry.path, os.O_RDONLY | system.O_NOFOLLOW | system.O_NONBLOCK | system.O_CLOEXEC)
            try:
                same = os.path.samestat(os.fstat(fd), info)
            finally:
                os.close(fd)
            if same:
                os.unlink(entry.path)
        except OSError:
            continue


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True
    except OSError:
        return False
    return True
