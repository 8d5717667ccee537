"""Helpers that start and stop the real parts tests run against.

Every process started here is stopped by its PID (never by name), also when a test fails:
callers use these as context managers, normally through the fixtures in conftest.py.

- `SecretService`: a private D-Bus session bus with a real gnome-keyring Secret Service.
- `HungSecretService`: a private bus where `org.freedesktop.secrets` is owned by a process
  that never answers, like a wedged desktop keyring.
- `PyPIServer`: a real pypiserver on 127.0.0.1 with htpasswd upload auth.
- `run_cli()`, `assert_no_secret()`: run the installed `pypicreds` and check what leaked.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path

SECRETS_NAME = "org.freedesktop.secrets"
KEYRING_PASSWORD = "pypicreds-test-login-password"
VENV_BIN = Path(sys.executable).parent


# --- processes ------------------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    """True while `pid` is a running (not zombie) process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (dead but not yet reaped) counts as gone
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def stop_pid(pid: int, timeout: float = 5.0) -> None:
    """SIGTERM `pid`, then SIGKILL if it is still there after `timeout` seconds."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, timeout)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # reap it when it is our child
            if not pid_alive(pid):
                return
            time.sleep(0.02)


def stop_process(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    """Stop a child started with Popen, by its PID, and reap it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


def wait_until(check, timeout: float, what: str, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def read_terminal(fd: int, timeout: float, *, until: bytes | None = None, exited=None,
                  answer: tuple[bytes, bytes] | None = None) -> bytes:
    """What a pseudo-terminal (its controlling side `fd`) shows until `until` appears, every
    process holding the other side has closed it (EOF or EIO), `exited()` is true while
    nothing is waiting to be read, or `timeout` passes. With `answer=(prompt, reply)`, types
    `reply` once `prompt` has appeared."""
    seen, answered = b"", answer is None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not (until is not None and until in seen):
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: every process holding the terminal has closed it
                break
            if not chunk:
                break
            seen += chunk
        elif exited is not None and exited():
            break
        if not answered and answer[0] in seen:
            os.write(fd, answer[1])
            answered = True
    return seen


# A SIGINT whose handler ran while the main thread's blocking call was not interrupted. Python
# runs a signal's handler in two halves: a C one the moment the signal arrives (it notes the
# signal), the Python one at the interpreter's next check. A signal whose C half runs after the
# last check and before a call blocks (sent the instant a prompt appears or a request is sent, on
# a loaded machine) is noted, and the call goes on waiting. That instant cannot be hit on purpose;
# the same state can: the SIGINT is taken by another thread while the main thread waits.
_SIGINT_ELSEWHERE = """
import os, signal, threading

def take_sigint():
    with open(os.environ["SIGINT_TRIGGER"], "rb") as trigger:
        trigger.read(1)
    signal.pthread_kill(threading.get_ident(), signal.SIGINT)

threading.Thread(target=take_sigint, daemon=True).start()
"""


class SigintElsewhere:
    """A sitecustomize (`env`) that starts a thread in the child; send() has that thread take a
    SIGINT once the child's main thread waits in the kernel. Linux (/proc/PID/wchan) only."""

    def __init__(self, base: Path) -> None:
        spy = base / "sigint-elsewhere"
        spy.mkdir()
        (spy / "sitecustomize.py").write_text(_SIGINT_ELSEWHERE)
        self.trigger = spy / "trigger"
        os.mkfifo(self.trigger)
        self.env = {"PYTHONPATH": str(spy), "SIGINT_TRIGGER": str(self.trigger)}

    def send(self, pid: int) -> None:
        wait_until(lambda: waiting_in_the_kernel(pid), 10, f"process {pid} to wait in the kernel")
        writer = os.open(self.trigger, os.O_WRONLY | os.O_NONBLOCK)  # the thread has it open to read
        os.write(writer, b"!")
        os.close(writer)


def waiting_in_the_kernel(pid: int) -> bool:
    """Whether the main thread of `pid` sleeps in a system call (read, recv, select ...)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rpartition(")")[2].split()[0] == "S" and Path(f"/proc/{pid}/wchan").read_text() not in ("", "0")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it back)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- D-Bus and the Secret Service ------------------------------------------------------------


def _private_runtime(base: Path) -> dict[str, str]:
    """Environment for a private bus under `base` (XDG_RUNTIME_DIR must be 0700)."""
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o700)
    return {
        "DBUS_SESSION_BUS_ADDRESS": f"unix:path={base / 'bus'}",
        "XDG_RUNTIME_DIR": str(base),
    }


def private_home_env(home: Path, extra: dict[str, str]) -> dict[str, str]:
    """This process's environment with HOME/XDG dirs moved to `home`, plus `extra`."""
    home.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        **extra,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }


def start_dbus(runtime_dir: Path, env: dict[str, str]) -> int:
    """Start a private session dbus-daemon with its socket in `runtime_dir`; returns its PID.

    `env` must have a private HOME: services the bus activates on demand (gnome-keyring's
    prompter, say) inherit it and must not see the real home.
    """
    bus = runtime_dir / "bus"
    with contextlib.suppress(FileNotFoundError):
        bus.unlink()
    out = subprocess.run(
        ["dbus-daemon", "--session", "--fork", f"--address=unix:path={bus}", "--print-pid=1"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env=env,
    )
    return int(out.stdout.split()[0])


def name_has_owner(env: dict[str, str], name: str = SECRETS_NAME) -> bool:
    out = subprocess.run(
        [
            "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", f"string:{name}",
        ],
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=10,
    )
    return "boolean true" in out.stdout


@dataclass
class SecretService:
    """A private D-Bus bus with gnome-keyring's Secret Service on it.

    `env` is what a process needs to use it through python-keyring. With `unlock=False` the
    daemon starts without a password, so an existing login keyring stays locked (and reads
    fail with a real `KeyringLocked`).
    """

    base: Path
    unlock: bool = True
    env: dict[str, str] = field(init=False)
    dbus_pid: int | None = field(init=False, default=None)
    daemon: subprocess.Popen | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.runtime_dir = self.base / "run"
        self.home = self.base / "home"  # the daemon's HOME: its keyrings live here
        self.log_path = self.base / "gnome-keyring.log"
        self.env = {
            **_private_runtime(self.runtime_dir),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
        }

    @property
    def pids(self) -> list[int]:
        return [p for p in (self.dbus_pid, self.daemon and self.daemon.pid) if p]

    def start(self) -> SecretService:
        daemon_env = private_home_env(self.home, self.env)
        self.dbus_pid = start_dbus(self.runtime_dir, daemon_env)
        with open(self.log_path, "ab") as log:
            self.daemon = subprocess.Popen(
                ["gnome-keyring-daemon", "--foreground", "--components=secrets"]
                + (["--unlock"] if self.unlock else []),
                stdin=subprocess.PIPE if self.unlock else subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=daemon_env,
            )
        if self.unlock:  # --unlock reads the login password from stdin until EOF
            self.daemon.stdin.write(KEYRING_PASSWORD.encode())
            self.daemon.stdin.close()
        wait_until(self._ready, 20, "gnome-keyring to own org.freedesktop.secrets")
        return self

    def _ready(self) -> bool:
        if self.daemon.poll() is not None:
            raise RuntimeError(
                f"gnome-keyring-daemon exited with {self.daemon.returncode}: "
                + self.log_path.read_text(errors="replace")[-2000:]
            )
        return name_has_owner(self.env)

    def stop(self) -> None:
        if self.daemon is not None:
            stop_process(self.daemon)
        if self.dbus_pid is not None:
            stop_pid(self.dbus_pid)

    def ensure_running(self) -> bool:
        """Restart the daemon (and its bus) if it died; True when it had to. gnome-keyring aborts
        on a GLib assertion when a client is SIGKILLed while a property read is pending
        (`invoke_get_property_in_idle_cb: assertion failed`, in its log): a fault of the daemon
        that the kill tests provoke, not of pypicreds. Its keyrings live on disk, so a restart
        (unlocked again) has every item it had, as after a session restart."""
        if self.daemon is not None and self.daemon.poll() is None and name_has_owner(self.env):
            return False
        self.stop()  # the bus too: it may have activated a locked daemon of its own meanwhile
        with open(self.log_path, "ab") as log:
            log.write(b"\n--- restarted by the tests after the daemon died ---\n")
        self.start()
        return True

    def __enter__(self) -> SecretService:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    def _connect(self):
        from jeepney.io.blocking import open_dbus_connection

        return open_dbus_connection(bus=self.env["DBUS_SESSION_BUS_ADDRESS"])

    def clear(self) -> None:
        """Delete every item in every unlocked collection (tests share one daemon per worker)."""
        import secretstorage

        with contextlib.closing(self._connect()) as conn:
            for collection in secretstorage.get_all_collections(conn):
                if not collection.is_locked():
                    for item in collection.get_all_items():
                        item.delete()

    def item_count(self) -> int:
        """How many items the unlocked collections hold."""
        import secretstorage

        with contextlib.closing(self._connect()) as conn:
            return sum(
                len(list(c.get_all_items()))
                for c in secretstorage.get_all_collections(conn)
                if not c.is_locked()
            )


def make_locked_keyring(base: Path) -> SecretService:
    """A Secret Service whose login keyring exists but is locked.

    Starts gnome-keyring once with --unlock so it creates the login keyring, stops it, and
    returns a service configured to start again without --unlock (call start() or use `with`).
    """
    with SecretService(base, unlock=True) as first:
        first.clear()  # touching the collection makes sure it is written to disk
    keyrings = base / "home/.local/share/keyrings"
    wait_until(lambda: (keyrings / "login.keyring").exists(), 10, "the login keyring file")
    return SecretService(base, unlock=False)


# A process that takes the Secret Service name and then reads (and ignores) every call,
# like a desktop keyring stuck behind an unanswered prompt.
_HUNG_SERVICE = r"""
import sys
from jeepney import DBusAddress, new_method_call
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

conn = open_dbus_connection(bus="SESSION")
reply = conn.send_and_get_reply(message_bus.RequestName(sys.argv[1], 0x4))
if reply.body[0] != 1:  # 1 = primary owner
    sys.exit(f"could not own {sys.argv[1]}: {reply.body[0]}")
print("ready", flush=True)
while True:
    conn.receive()  # never reply
"""


@dataclass
class HungSecretService:
    """A private bus where `org.freedesktop.secrets` belongs to a process that never answers."""

    base: Path
    env: dict[str, str] = field(init=False)
    dbus_pid: int | None = field(init=False, default=None)
    owner: subprocess.Popen | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.runtime_dir = self.base / "run"
        self.env = {
            **_private_runtime(self.runtime_dir),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
        }

    @property
    def pids(self) -> list[int]:
        return [p for p in (self.dbus_pid, self.owner and self.owner.pid) if p]

    def __enter__(self) -> HungSecretService:
        try:
            env = private_home_env(self.base / "home", self.env)
            self.dbus_pid = start_dbus(self.runtime_dir, env)
            self.owner = subprocess.Popen(
                [sys.executable, "-c", _HUNG_SERVICE, SECRETS_NAME],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )
            line = self.owner.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"the hung Secret Service did not start (exit {self.owner.poll()})")
            wait_until(lambda: name_has_owner(self.env), 10, "the hung service to own its name")
            return self
        except BaseException:
            self.__exit__()
            raise

    def __exit__(self, *exc) -> None:
        if self.owner is not None:
            stop_process(self.owner)
            self.owner.stdout.close()
        if self.dbus_pid is not None:
            stop_pid(self.dbus_pid)


# --- pypiserver --------------------------------------------------------------------------------


@dataclass
class PyPIServer:
    """A real pypiserver on 127.0.0.1 that requires a login for uploads.

    `users` maps user names to passwords (apr1 htpasswd: bcrypt would ignore everything past
    72 bytes). Its output, one line per request (-v), goes to `log`, so a test can tell
    whether a request reached it (e.g. `"POST /" in server.log_text()`).
    """

    base: Path
    users: dict[str, str]
    port: int = field(init=False, default=0)
    proc: subprocess.Popen | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.packages = self.base / "packages"
        self.htpasswd = self.base / "htpasswd"
        self.log = self.base / "pypiserver.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def simple_url(self) -> str:
        return f"{self.url}simple/"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def __enter__(self) -> PyPIServer:
        with warnings.catch_warnings():  # passlib imports the deprecated stdlib `crypt`
            warnings.simplefilter("ignore", DeprecationWarning)
            from passlib.apache import HtpasswdFile

        self.packages.mkdir(parents=True, exist_ok=True)
        ht = HtpasswdFile(str(self.htpasswd), new=True, default_scheme="apr_md5_crypt")
        for user, password in self.users.items():
            ht.set_password(user, password)
        ht.save()
        try:
            for _attempt in range(3):  # the free port can be taken between bind and listen
                self.port = free_port()
                with open(self.log, "ab") as log:
                    self.proc = subprocess.Popen(
                        [
                            str(VENV_BIN / "pypi-server"), "run", "-v", "-i", "127.0.0.1",
                            "-p", str(self.port), "-P", str(self.htpasswd), "-a", "update",
                            "--disable-fallback", str(self.packages),
                        ],
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=log,
                        env={**os.environ, "PYTHONUNBUFFERED": "1"},
                    )
                try:
                    wait_until(self._healthy, 30, "pypiserver /health")
                    return self
                except RuntimeError:
                    if self.proc.poll() is None:
                        raise
                    self.proc = None
            raise RuntimeError(f"pypiserver did not start:\n{self.log_text()[-2000:]}")
        except BaseException:
            self.__exit__()
            raise

    def _healthy(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"pypiserver exited with {self.proc.returncode}")
        try:
            with urllib.request.urlopen(f"{self.url}health", timeout=2) as resp:
                return resp.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            stop_process(self.proc)


# --- running the CLI and checking for leaks -----------------------------------------------------


def pypirc_of(env: dict[str, str]) -> Path:
    """The .pypirc that pypicreds and twine read in the sandbox `env` (in its HOME)."""
    return Path(env["HOME"]) / ".pypirc"


def write_pypirc(env: dict[str, str], text: str, mode: int = 0o600) -> Path:
    """`text` as the sandbox's .pypirc (UTF-8, as given), with `mode`."""
    path = pypirc_of(env)
    path.write_bytes(text.encode())
    path.chmod(mode)
    return path


def run_cli(
    args: list[str],
    env: dict[str, str],
    input: str | bytes | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess:
    """Run the installed `pypicreds` with exactly `env`, stdin from `input` (else /dev/null).

    stdout and stderr are captured apart (text when `input` is text or None, else bytes).
    """
    text = not isinstance(input, bytes)
    return subprocess.run(
        [str(VENV_BIN / "pypicreds"), *args],
        env=env,
        input=input,
        stdin=subprocess.DEVNULL if input is None else None,
        capture_output=True,
        text=text,
        timeout=timeout,
    )


def assert_no_secret(secret: str, *places: str | bytes | os.PathLike) -> None:
    """Fail when `secret` appears in any given text, or in any file under a given path.

    Strings and bytes are checked as text; Paths (files or directories, walked) as file bytes.
    """
    needle = secret.encode()
    for place in places:
        if isinstance(place, os.PathLike):
            root = Path(place)
            files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
            for path in files:
                if needle in path.read_bytes():
                    raise AssertionError(f"the secret was found in {path}")
        else:
            data = place if isinstance(place, bytes) else place.encode()
            if needle in data:
                raise AssertionError(f"the secret was found in output: {_around(data, needle)}")


def _around(data: bytes, needle: bytes) -> str:
    """Where the secret sits, with the secret itself masked (so the failure does not leak it)."""
    i = data.index(needle)
    return (data[max(0, i - 40) : i] + b"<SECRET>" + data[i + len(needle) : i + len(needle) + 40]).decode(
        errors="replace"
    )


# --- something to upload ------------------------------------------------------------------------


def make_wheel(dest: Path, name: str = "demo-pkg", version: str = "0.1") -> Path:
    """Write a minimal valid pure-Python wheel into `dest` (faster than a real build)."""
    import base64
    import hashlib
    import zipfile

    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    files = {
        f"{dist}/__init__.py": b"",
        f"{info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: a pypicreds test package\n"
        ).encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: pypicreds-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return wheel
