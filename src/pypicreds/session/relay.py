"""`exec --mask`: run a command as a child and relay its stdout and stderr with every token
replaced by `pypi-****` (any other secret by `****`).

What holds:
- No secret reaches our stdout or stderr, also when the child writes it in pieces: each stream
  holds back only the shortest tail that could be the start of a secret, so a secret split
  across reads is joined before it is replaced, while lines (and partial lines such as prompts)
  go out as soon as they are read. The held tail is written when the stream ends.
- The base64 forms of a secret are masked too (`****`), whatever bytes stand before it: a
  verbose HTTP client that logs `Authorization: Basic <base64 of __token__:pypi-...>` shows
  only a few characters at each end, none of which is the token's own.
- Every other byte passes unchanged and in order within each stream. When our stdout and
  stderr are the same file (`2>&1`, one terminal), the child gets one channel for both, so
  their order is kept too.
- A terminal stays a terminal: a stream of ours that is a tty is a pseudo-terminal for the
  child (with the terminal's settings and window size, kept on SIGWINCH), with output
  post-processing off so its bytes reach our terminal as they left the child. Others are pipes.
- stdin is the child's own (inherited); the child stays in our process group, so Ctrl-C and
  Ctrl-Z from the terminal reach it directly.
- Signals sent to pypicreds (TERM, HUP, INT, QUIT, USR1, USR2, WINCH) are passed on; INT and
  QUIT only when the terminal did not already send them to the child as well.
- The child's status comes back as subprocess reports it: its exit code, or minus the number
  of the signal that killed it.
- Unlike `exec --no-mask`, pypicreds stays alive beside the child, holding the tokens and (in
  its environment) the vault's passphrase. So it first makes itself non-dumpable (Linux
  prctl): a child of the same user can then read neither its memory nor /proc/PID/environ, and
  no core dump of it is written. (root can read any process: nothing helps there.)

Standard library only, and only what costs nothing to import (posix_spawn, not subprocess):
the relay's cost is measured against `exec --no-mask` (tests/bench/bench.py, row exec-mask).
Imported only when masking.
"""

from __future__ import annotations

import binascii
import os
import select
import signal
import time
from collections.abc import Iterable

from .ci import MIN_MASKED

TOKEN_MASK = b"pypi-****"
OTHER_MASK = b"****"
READ_SIZE = 1 << 20
PIPE_SIZE = 1 << 20  # a child that prints fast fills it while we relay: fewer, larger reads
LINGER = 0.2  # after the child exits, how long a silent grandchild may keep our pipes open
FORWARDED = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
             signal.SIGWINCH)
FROM_TERMINAL = (signal.SIGINT, signal.SIGQUIT, signal.SIGWINCH)  # sent to the whole foreground group


def needles_for(secrets: Iterable[str]) -> dict[bytes, bytes]:
    """Each secret's bytes (and its base64 forms) mapped to what replaces them."""
    needles: dict[bytes, bytes] = {}
    for secret in secrets:
        raw = secret.encode("utf-8", "surrogateescape")
        if len(raw) < MIN_MASKED:  # (see ci.py) every token is far longer
            continue
        needles[raw] = TOKEN_MASK if raw.startswith(b"pypi-") else OTHER_MASK
        for form in base64_forms(raw):
            needles.setdefault(form, OTHER_MASK)
    return needles


def base64_forms(raw: bytes) -> list[bytes]:
    """The base64 characters that depend on `raw` alone, for each of the three positions it can
    start at inside a 3-byte group (the characters shared with the bytes around it vary)."""
    forms = []
    for shift, start in ((0, 0), (1, 2), (2, 3)):
        end = (shift + len(raw)) // 3 * 4  # whole groups only: the last partial one mixes in what follows
        form = binascii.b2a_base64(b"\0" * shift + raw, newline=False)[start:end]
        if len(form) >= 16:  # shorter ones could match ordinary text
            forms.append(form)
    return forms


class Masker:
    """Streaming replacement for one output stream: feed() what was read, write what it returns."""

    def __init__(self, needles: dict[bytes, bytes]) -> None:
        self._needles = sorted(needles.items(), key=lambda item: len(item[0]), reverse=True)
        self._pending = b""

    def feed(self, data: bytes) -> bytes:
        buf = self._pending + data if self._pending else data
        for needle, mask in self._needles:
            if needle in buf:
                buf = buf.replace(needle, mask)
        keep = self._unfinished(buf)
        if keep:
            self._pending = buf[-keep:]
            return buf[:-keep]
        self._pending = b""
        return buf

    def finish(self) -> bytes:
        """What is held back at the end of the stream (the start of a secret that never came)."""
        rest, self._pending = self._pending, b""
        return rest

    def _unfinished(self, buf: bytes) -> int:
        """The length of the longest tail of `buf` that is the start of a secret (0: none)."""
        size = len(buf)
        longest = 0
        for needle, _ in self._needles:
            first = needle[:1]
            # only tails shorter than the needle (whole ones were replaced) and longer than found
            i = buf.find(first, max(0, size - len(needle) + 1), size - longest)
            while i != -1:
                if buf.startswith(needle[: size - i], i):
                    longest = size - i
                    break
                i = buf.find(first, i + 1, size - longest)
        return longest


def relay(program: str, argv: list[str], env: dict[str, str], secrets: Iterable[str]) -> int:
    """Run `argv` (`program` is its executable) with `env`, relaying its output masked.

    Returns its exit code, or minus the signal that killed it. Raises OSError when it cannot
    be started."""
    _not_dumpable()
    needles = needles_for(secrets)
    channels = _Channels()
    try:
        child = _Child(program, argv, env, channels)
    except BaseException:
        channels.close_all()
        raise
    channels.close_child_ends()
    forwarder = _Forwarder(child, channels.terminal)
    try:
        _pump(channels, child, {fd: Masker(needles) for fd in channels.routes})
        return child.wait()
    finally:
        forwarder.restore()
        channels.close_all()
        child.wait()


def _not_dumpable() -> None:
    """prctl(PR_SET_DUMPABLE, 0) where there is one (Linux); elsewhere nothing."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # 4: PR_SET_DUMPABLE
    except (OSError, AttributeError):
        pass


class _Child:
    """The command, started with posix_spawn: its stdout and stderr on our channels, stdin and
    process group ours, and the signals Python ignores (SIGPIPE, SIGXFSZ) back to their defaults."""

    def __init__(self, program: str, argv: list[str], env: dict[str, str], channels: _Channels) -> None:
        actions = [(os.POSIX_SPAWN_DUP2, channels.child_fd(fd), fd) for fd in (1, 2)]
        self.pid = os.posix_spawn(program, argv, env, file_actions=actions, setsigmask=(),
                                  setsigdef=(signal.SIGPIPE, signal.SIGXFSZ))
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        while self.returncode is None:
            try:
                _, status = os.waitpid(self.pid, 0)
            except ChildProcessError:  # reaped already (cannot happen: we are its only waiter)
                return -signal.SIGKILL
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:  # never a reaped pid (it may belong to someone else now)
            os.kill(self.pid, signum)


class _Channels:
    """The child's stdout and stderr: one channel per distinct file of ours (a pty for a tty)."""

    def __init__(self) -> None:
        self.routes: dict[int, int] = {}  # our read end -> our fd it is written to
        self.terminal: int | None = None  # the pty master, if any
        self._child: dict[int, int] = {}  # 1, 2 -> the fd the child gets
        self._child_ends: set[int] = set()
        same = _same_file(1, 2)
        for fd in (1, 2):
            if fd == 2 and same:
                self._child[2] = self._child[1]
                continue
            if _isatty(fd):
                read, write = _open_terminal(like=fd)
                self.terminal = read
            else:
                read, write = os.pipe()
                _widen(write)
            self.routes[read] = fd
            self._child[fd] = write
            self._child_ends.add(write)

    def child_fd(self, fd: int) -> int:
        return self._child[fd]

    def close_child_ends(self) -> None:
        for fd in self._child_ends:
            os.close(fd)
        self._child_ends.clear()

    def close(self, read: int) -> None:
        self.routes.pop(read, None)
        os.close(read)

    def close_all(self) -> None:
        self.close_child_ends()
        for read in list(self.routes):
            self.close(read)


def _pump(channels: _Channels, child: _Child, maskers: dict[int, Masker]) -> None:
    # select, not poll: macOS's poll cannot wait on a pty (and we have two fds, both small)
    last_data = time.monotonic()
    while channels.routes:
        ready, _, _ = select.select(list(channels.routes), [], [], 0.05)
        if not ready:
            # the child is gone but something it started still holds the pipes open
            if child.poll() is not None and time.monotonic() - last_data >= LINGER:
                break
            continue
        last_data = time.monotonic()
        for read in ready:
            data = _read(read)
            target = channels.routes[read]
            if not data:
                channels.close(read)
                _write(target, maskers[read].finish())
            elif not _write(target, maskers[read].feed(data)):
                channels.close(read)  # our side is gone (`| head`): the child finds out as it would have
    for read, masker in maskers.items():
        if read in channels.routes:
            _write(channels.routes[read], masker.finish())


def _widen(pipe: int) -> None:
    import fcntl

    try:
        fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    except (OSError, AttributeError):  # over the user's limit, or not Linux: the default will do
        pass


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, READ_SIZE)
    except OSError:  # EIO: a pty whose other side every process has closed
        return b""


def _write(fd: int, data: bytes) -> bool:
    """Write all of `data`; False when the reader is gone."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view):]
        except OSError:  # EPIPE, EBADF: nobody reads this stream any more
            return False
    return True


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def _same_file(a: int, b: int) -> bool:
    try:
        sa, sb = os.fstat(a), os.fstat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino, sa.st_rdev) == (sb.st_dev, sb.st_ino, sb.st_rdev)


def _open_terminal(like: int) -> tuple[int, int]:
    """A pseudo-terminal with the settings and size of the terminal at `like`, output
    post-processing off (our terminal does it once). Returns (master, slave)."""
    import termios

    master, slave = os.openpty()
    try:
        attrs = termios.tcgetattr(like)
        attrs[1] &= ~termios.OPOST
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
    except termios.error:
        pass
    _copy_size(like, master)
    return master, slave


def _copy_size(source: int, target: int) -> None:
    import fcntl
    import termios

    try:
        size = fcntl.ioctl(source, termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(target, termios.TIOCSWINSZ, size)
    except OSError:
        pass


class _Forwarder:
    """Signal handlers that pass signals on to the child while it runs; restore() undoes them."""

    def __init__(self, child: _Child, terminal: int | None) -> None:
        self._child = child
        self._terminal = terminal
        self._previous = {sig: signal.signal(sig, self._forward) for sig in FORWARDED}

    def _forward(self, signum: int, _frame) -> None:
        if signum == signal.SIGWINCH and self._terminal is not None:
            _copy_size(1 if _isatty(1) else 2, self._terminal)
            # and on to the child, which may have read its size before the copy
        elif signum in FROM_TERMINAL and _in_foreground():
            return  # the terminal sent it to our whole process group: the child has it already
        self._child.send_signal(signum)

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _in_foreground() -> bool:
    """Whether we are in the foreground process group of our controlling terminal."""
    for fd in (0, 1, 2):
        try:
            return os.tcgetpgrp(fd) == os.getpgrp()
        except OSError:
            continue
    return False
