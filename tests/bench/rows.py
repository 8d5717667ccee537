"""The benchmark's rows: each times a pypicreds command (A) against what it cannot be faster than
(B), in the configuration users have (see bench.py)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from macaroon_mint import mint
from publishing import PUBLISHERS_PYTHON
from realparts import VENV_BIN, PyPIServer, make_wheel

PYTHON = str(VENV_BIN / "python")
PYPICREDS = str(VENV_BIN / "pypicreds")
LOCAL_URL = "http://127.0.0.1:9/bench/legacy/"  # env/list/add never contact it
TESTPYPI_URL = "https://test.pypi.org/legacy/"


class Row:
    def __init__(self, key: str, command: str, baseline: str, budget: float | None, a: "Runs", b: "Runs") -> None:
        self.key, self.command, self.baseline, self.budget = key, command, baseline, budget
        self.a, self.b = a, b

    @property
    def ratio(self) -> float:
        return self.a.seconds / self.b.seconds


class Runs:
    """One side of a row: wall times of the timed runs, peak memory of the untimed ones."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.peaks_kib: list[int] = []

    @property
    def seconds(self) -> float:
        return statistics.median(self.times)

    @property
    def mib(self) -> float:
        return statistics.median(self.peaks_kib) / 1024


def token(location: str = "127.0.0.1") -> str:
    return mint([], location=location, identifier=str(uuid.uuid4()))


def sandbox(home: Path, **named: str) -> dict[str, str]:
    """The environment of a timed command: this one's without PYPICREDS_*, TWINE_*, XDG_*,
    DBUS_*, keyring or CI variables, a fresh HOME, and exactly the `named` variables a row adds."""
    drop = ("PYPICREDS_", "TWINE_", "XDG_", "DBUS_", "PYTHON_KEYRING", "KEYRING_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    for name in ("PYTHONDONTWRITEBYTECODE", "CI", "GITHUB_ACTIONS", "GITLAB_CI", "TERM"):
        env.pop(name, None)
    env.update(HOME=str(home), NO_COLOR="1", LANG="C.UTF-8",
               PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}", **named)
    home.mkdir(parents=True, exist_ok=True)
    return env


def check_sandbox(env: dict[str, str], named: tuple[str, ...]) -> None:
    extra = sorted(k for k in env if k.startswith("PYPICREDS_") and k not in named)
    if extra:
        raise SystemExit(f"bench: a timed command would inherit {', '.join(extra)}, which its row does not name")


# Peak memory comes from GNU time (`%M`: the max RSS wait4 reports), in runs of their own after
# the timed ones. Not from our own wait4: a child forked from this Python starts with its pages
# counted, and Linux keeps that high-water mark across exec, so every row would read ~25 MiB.
MEMORY_RUNS = 3
GNU_TIME = "/usr/bin/time"
_measure_memory = False


def runs_needed(rounds: int) -> int:
    """How many times alternate() calls each side (for rows that need a fresh wheel per run)."""
    return rounds + 1 + MEMORY_RUNS


def run(argv: list[str], env: dict, stdin: bytes | None = None, check: bool = True,
        read_stdout: bool = False) -> float:
    """Wall time of one whole process, or (while alternate() measures memory) its peak RSS in
    KiB. `read_stdout`: stdout is a pipe read to the end (as a CI log is), else /dev/null."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as peak:
        if _measure_memory:
            argv = [GNU_TIME, "-f", "%M", "-o", peak.name, *argv]
        began = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stderr=err,
                                stdout=subprocess.PIPE if read_stdout else subprocess.DEVNULL)
        with proc.stdin:
            if stdin:
                proc.stdin.write(stdin)
        if read_stdout:
            while proc.stdout.read(1 << 20):
                pass
            proc.stdout.close()
        proc.wait()
        elapsed = time.perf_counter() - began
        if check and proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"bench: {' '.join(argv)} failed: {err.read().decode(errors='replace')}")
        if _measure_memory:
            return int(peak.read().split()[-1])
    return elapsed


def alternate(rounds: int, a, b, before_a=None, before_b=None, named: tuple = (), envs=()) -> tuple[Runs, Runs]:
    """Time a() and b() alternately; before_* (untimed) resets state. One warm-up of each, then
    `rounds` timed rounds, then MEMORY_RUNS untimed ones under GNU time."""
    global _measure_memory
    for env in envs:
        check_sandbox(env, named)
    runs_a, runs_b = Runs(), Runs()
    try:
        for i in range(rounds + 1 + MEMORY_RUNS):
            _measure_memory = i > rounds
            for fn, before, runs in ((a, before_a, runs_a), (b, before_b, runs_b)):
                if before:
                    before()
                measured = fn()
                if _measure_memory:
                    runs.peaks_kib.append(measured)
                elif i:  # round 0 warms caches (and writes any missing .pyc)
                    runs.times.append(measured)
    finally:
        _measure_memory = False
    return runs_a, runs_b


def add(env: dict, name: str, secret: str, *extra: str, store: str = "file") -> None:
    run([PYPICREDS, "add", name, "--token-stdin", "--store", store, *extra], env, secret.encode())


BULK = """
import sys, uuid
sys.path.insert(0, sys.argv[2])
from macaroon_mint import mint
from pypicreds import tokens
from pypicreds.store.file import FileStore
from pypicreds.store.index import Entry, Index, now_iso
store, index = FileStore(), Index.load()
for i in range(int(sys.argv[1])):
    token = mint([], location="127.0.0.1", identifier=str(uuid.uuid4()))
    entry = Entry(f"repo{i:04d}", f"http://127.0.0.1:9/r{i}/", "__token__", "file", tokens.fingerprint(token),
                  tokens.mask(token), now_iso(), token_info={k: v for k, v in tokens.inspect(token).to_json().items()
                                                              if k != "caveats"})
    store.set(entry.key, token)
    index.add(entry)
index.save()
"""


def many(env: dict, count: int) -> None:
    """`count` repositories in the file store, as `add --no-pypirc` would leave them (written in
    one process: a thousand `pypicreds add` would take minutes to set a row up)."""
    run([PYTHON, "-c", BULK, str(count), str(Path(__file__).resolve().parents[1] / "helpers")], env)


# --- env and list ----------------------------------------------------------------------------------


def row_env_file(tmp: Path, rounds: int) -> Row:
    env = sandbox(tmp)
    add(env, "testpypi", token("test.pypi.org"))
    a, b = alternate(rounds, lambda: run([PYPICREDS, "env", "testpypi"], env), lambda: run([PYTHON, "-c", "pass"], env),
                     envs=[env])
    return Row("env-file", "pypicreds env testpypi (key-file vault)", "python -c pass", 2.5, a, b)


def row_env_file_home(tmp: Path, rounds: int) -> Row:
    """Labelled: PYPICREDS_HOME set (for comparison; few users set it)."""
    env = sandbox(tmp, PYPICREDS_HOME=str(tmp / "pc"))
    add(env, "testpypi", token("test.pypi.org"))
    a, b = alternate(rounds, lambda: run([PYPICREDS, "env", "testpypi"], env), lambda: run([PYTHON, "-c", "pass"], env),
                     named=("PYPICREDS_HOME",), envs=[env])
    return Row("env-file-home", "pypicreds env testpypi (key-file vault), PYPICREDS_HOME set", "python -c pass",
               2.5, a, b)


def row_env_keyring(tmp: Path, rounds: int, service) -> Row:
    env = sandbox(tmp, **service.env)  # the backend named, as the baseline names it
    add(env, "testpypi", token("test.pypi.org"), store="keyring")
    script = f"import keyring; assert keyring.get_password({TESTPYPI_URL!r}, '__token__')"
    a, b = alternate(rounds, lambda: run([PYPICREDS, "env", "testpypi"], env), lambda: run([PYTHON, "-c", script], env),
                     envs=[env])
    return Row("env-keyring", "pypicreds env testpypi (keyring store: gnome-keyring)",
               "keyring.get_password, the same backend named", 1.05, a, b)


def row_env_growth(tmp: Path, rounds: int) -> Row:
    """env of one token from a vault of 1,000 against the same from a vault of one."""
    big, small = sandbox(tmp / "big"), sandbox(tmp / "small")
    add(small, "testpypi", token("test.pypi.org"))
    many(big, 999)
    add(big, "testpypi", token("test.pypi.org"))
    a, b = alternate(rounds, lambda: run([PYPICREDS, "env", "testpypi"], big),
                     lambda: run([PYPICREDS, "env", "testpypi"], small), envs=[big, small])
    return Row("env-growth", "pypicreds env testpypi, 1,000 tokens in the vault", "the same, 1 token in the vault",
               1.3, a, b)


def row_list(tmp: Path, rounds: int) -> Row:
    env = sandbox(tmp)
    many(env, 100)
    a, b = alternate(rounds, lambda: run([PYPICREDS, "list"], env), lambda: run([PYTHON, "-c", "pass"], env),
                     envs=[env])
    return Row("list", "pypicreds list (100 repositories)", "python -c pass", 2.0, a, b)


def row_list_growth(tmp: Path, rounds: int) -> Row:
    big, small = sandbox(tmp / "big"), sandbox(tmp / "small")
    many(big, 1000)
    many(small, 10)
    a, b = alternate(rounds, lambda: run([PYPICREDS, "list"], big), lambda: run([PYPICREDS, "list"], small),
                     envs=[big, small])
    return Row("list-growth", "pypicreds list (1,000 repositories)", "pypicreds list (10 repositories)", 1.5, a, b)


# --- add -------------------------------------------------------------------------------------------

CONFIGUPDATER_SCRIPT = """
import sys
from configupdater import ConfigUpdater
updater = ConfigUpdater()
updater.read(sys.argv[1])
updater.add_section("bench-new")
updater["bench-new"]["repository"] = sys.argv[2]
updater["bench-new"]["username"] = "__token__"
updater["distutils"]["index-servers"].append("bench-new")
updater.update_file()
"""


def big_pypirc(sections: int) -> str:
    names = [f"index{i:04d}" for i in range(sections)]
    lines = ["# a large hand-kept file", "[distutils]", "index-servers ="] + [f"    {n}" for n in names] + [""]
    for n in names:
        lines += [f"[{n}]", f"repository = https://{n}.example.invalid/legacy/", "username = someone", ""]
    return "\n".join(lines)


def row_add_big(tmp: Path, rounds: int) -> Row:
    """A: `pypicreds add --store file` (key-file vault: the cheapest store, so the .pypirc edit
    dominates, as in the baseline). The .pypirc, index and vault are reset before every run,
    outside the timing."""
    env = sandbox(tmp)
    pypirc = tmp / ".pypirc"
    original = big_pypirc(1000)
    add(env, "seed", token(), "--url", LOCAL_URL, "--no-pypirc")  # the vault and key file exist
    pc_home = tmp / ".config/pypicreds"
    saved = {p: p.read_bytes() for p in (pc_home / "index.json", pc_home / "vault.json")}
    stdin = token().encode()

    def reset() -> None:
        pypirc.write_text(original)
        pypirc.chmod(0o600)
        for path, data in saved.items():
            path.write_bytes(data)

    a, b = alternate(
        rounds,
        lambda: run([PYPICREDS, "add", "bench-new", "--url", LOCAL_URL, "--store", "file", "--token-stdin"], env, stdin),
        lambda: run([PYTHON, "-c", CONFIGUPDATER_SCRIPT, str(pypirc), LOCAL_URL], env),
        before_a=reset, before_b=reset, envs=[env],
    )
    return Row("add-big", "pypicreds add (.pypirc of 1,000 sections; file store)",
               "configupdater read + add section + write", 1.25, a, b)


# --- handing a token over ----------------------------------------------------------------------------


def row_upload(tmp: Path, rounds: int) -> Row:
    secret = token()
    env = sandbox(tmp)
    dist = tmp / "dist"
    dist.mkdir(parents=True)
    wheels = iter([make_wheel(dist, "bench-upload", f"1.{i}") for i in range(2 * runs_needed(rounds))])
    with PyPIServer(tmp / "pypiserver", {"__token__": secret}) as server:
        add(env, "local", secret, "--url", server.url)
        twine_env = {**env, "TWINE_USERNAME": "__token__", "TWINE_PASSWORD": secret,
                     "TWINE_REPOSITORY_URL": server.url}
        flags = ["--no-color", "--disable-progress-bar"]
        a, b = alternate(
            rounds,
            lambda: run([PYPICREDS, "upload", "local", "--skip-check", str(next(wheels)), "--", *flags], env),
            lambda: run([PYTHON, "-m", "twine", "--no-color", "upload", "--non-interactive",
                         "--disable-progress-bar", str(next(wheels))], twine_env),
            envs=[env, twine_env],
        )
    return Row("upload", "pypicreds upload --skip-check (one wheel, local pypiserver)",
               "python -m twine upload (same credentials via TWINE_*)", 1.08, a, b)


def row_exec_mask(tmp: Path, rounds: int) -> Row:
    """The relay's cost: `exec --mask` running a child that prints 10 MB of log lines (the token
    in some of them) line by line, as tools print, against the same child run by `exec
    --no-mask`, which replaces itself with it: the child alone, after the same start-up and
    reading of the token. (Against a child that writes at pipe speed, such as `cat`, or against
    the child started without pypicreds at all, see docs/performance.md.)"""
    import chatty_child

    secret = token()
    env = sandbox(tmp)
    add(env, "local", secret, "--url", LOCAL_URL)
    log = tmp / "ten-megabytes.log"
    log.write_bytes(b"".join(chatty_child.volume(secret, 10)))
    child = [PYTHON, chatty_child.__file__, "lines", str(log)]
    a, b = alternate(rounds, lambda: run([PYPICREDS, "exec", "local", "--mask", "--", *child], env, read_stdout=True),
                     lambda: run([PYPICREDS, "exec", "local", "--no-mask", "--", *child], env, read_stdout=True),
                     envs=[env])
    return Row("exec-mask", "pypicreds exec --mask -- CHILD (prints 10 MB)",
               "pypicreds exec --no-mask -- CHILD (the child alone)", 1.10, a, b)


def publisher_twine(tmp: Path, rounds: int, secret: str, env: dict, b_env: dict, b_args: list[str],
                    a_args: tuple[str, ...] = ("-r", "local")):
    """Upload wheels with the publishers' twine: A as `twine upload -r local`, B as given."""
    dist = tmp / "dist"
    dist.mkdir(parents=True, exist_ok=True)
    wheels = iter([make_wheel(dist, "bench-backend", f"1.{i}") for i in range(2 * runs_needed(rounds))])
    twine = [str(PUBLISHERS_PYTHON), "-m", "twine", "--no-color", "upload", "--non-interactive",
             "--disable-progress-bar"]
    return alternate(rounds, lambda: run([*twine, *a_args, str(next(wheels))], env),
                     lambda: run([*twine, *b_args, str(next(wheels))], b_env), envs=[env, b_env])


def row_upload_backend(tmp: Path, rounds: int) -> Row:
    """twine of the publishers' environment (pypicreds installed beside it), keyring choosing by
    itself with no D-Bus: A finds the token through pypicreds' vault backend (nothing in .pypirc
    or the environment); B gets the same token in TWINE_PASSWORD, and so never starts keyring."""
    secret = token()
    env = sandbox(tmp)
    with PyPIServer(tmp / "pypiserver", {"__token__": secret}) as server:
        add(env, "local", secret, "--url", server.url)
        b_env = {**env, "TWINE_USERNAME": "__token__", "TWINE_PASSWORD": secret, "TWINE_REPOSITORY_URL": server.url}
        a, b = publisher_twine(tmp, rounds, secret, env, b_env, [])
    return Row("upload-backend", "twine upload -r NAME, token via pypicreds' keyring backend",
               "twine upload, the same token in TWINE_PASSWORD", 1.10, a, b)


# A keyring backend that answers from memory, found by keyring's own discovery (a distribution on
# PYTHONPATH with a `keyring.backends` entry point): what any keyring lookup costs twine, and no more.
FLOOR_BACKEND = """
from keyring.backend import KeyringBackend

class FloorKeyring(KeyringBackend):
    priority = 1  # above pypicreds' 0.25: keyring's chainer asks it first
    def get_password(self, service, username):
        return {token!r} if username == "__token__" else None
    def set_password(self, service, username, password):
        raise NotImplementedError
    def delete_password(self, service, username):
        raise NotImplementedError
"""


def floor_backend(where: Path, secret: str) -> str:
    """A directory to put on PYTHONPATH that installs FLOOR_BACKEND, answering with `secret`."""
    info = where / "bench_floor_keyring-0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: bench-floor-keyring\nVersion: 0\n")
    (info / "entry_points.txt").write_text("[keyring.backends]\nfloor = bench_floor_keyring\n")
    (where / "bench_floor_keyring.py").write_text(FLOOR_BACKEND.format(token=secret))
    return str(where)


def row_upload_backend_floor(tmp: Path, rounds: int) -> Row:
    """What pypicreds' backend adds to the least any keyring lookup costs: the same twine, keyring
    choosing by itself, the token from pypicreds' vault (A) or from a backend that answers from
    memory (B), with pypicreds installed on both sides (B's keyring loads it, and asks the other
    backend first). The rest of the upload-backend row is keyring's start (see keyring-floor)."""
    secret = token()
    (tmp / "nothing").mkdir(parents=True)
    env = sandbox(tmp, PYTHONPATH=str(tmp / "nothing"))  # the same sys.path length on both sides
    with PyPIServer(tmp / "pypiserver", {"__token__": secret}) as server:
        add(env, "local", secret, "--url", server.url)
        b_env = {**env, "PYTHONPATH": floor_backend(tmp / "floor", secret)}
        a, b = publisher_twine(tmp, rounds, secret, env, b_env, ["-r", "local"])
    return Row("upload-backend-floor", "twine upload -r NAME, token via pypicreds' keyring backend",
               "twine upload -r NAME, token from a backend in memory", 1.10, a, b)


def row_keyring_floor(tmp: Path, rounds: int) -> Row:
    """For orientation, no budget: the least a keyring lookup costs twine (a backend that answers
    from memory) against the token in TWINE_PASSWORD, with which twine never starts keyring. On
    Linux most of it is keyring importing every backend: its macOS one runs ctypes' find_library
    (ldconfig, gcc) three times, its Secret Service one imports secretstorage and cryptography."""
    secret = token()
    (tmp / "nothing").mkdir(parents=True)
    env = sandbox(tmp, PYTHONPATH=str(tmp / "nothing"))
    with PyPIServer(tmp / "pypiserver", {"__token__": secret}) as server:
        pypirc = f"[distutils]\nindex-servers = local\n\n[local]\nrepository = {server.url}\nusername = __token__\n"
        (tmp / ".pypirc").write_text(pypirc)
        a_env = {**env, "PYTHONPATH": floor_backend(tmp / "floor", secret)}
        b_env = {**env, "TWINE_USERNAME": "__token__", "TWINE_PASSWORD": secret, "TWINE_REPOSITORY_URL": server.url}
        a, b = publisher_twine(tmp, rounds, secret, a_env, b_env, [], a_args=["-r", "local"])
    return Row("keyring-floor", "twine upload -r NAME, token from a backend in memory",
               "twine upload, the same token in TWINE_PASSWORD", None, a, b)


def row_upload_backend_keyring(tmp: Path, rounds: int, service) -> Row:
    """The same twine, keyring choosing by itself beside a real Secret Service: A finds the token
    in pypicreds' vault (through its backend), B the same token in the Secret Service (as twine
    found tokens before pypicreds kept them in the vault). What pypicreds' backend adds."""
    secret = token()
    a_env = sandbox(tmp / "vault", **{k: v for k, v in service.env.items() if k != "PYTHON_KEYRING_BACKEND"})
    b_env = sandbox(tmp / "keyring", **service.env)
    with PyPIServer(tmp / "pypiserver", {"__token__": secret}) as server:
        add(a_env, "local", secret, "--url", server.url)
        add(b_env, "local", secret, "--url", server.url, store="keyring")
        b_env.pop("PYTHON_KEYRING_BACKEND")  # keyring chooses by itself on both sides
        a, b = publisher_twine(tmp, rounds, secret, a_env, b_env, ["-r", "local"])
    return Row("upload-backend-keyring", "twine upload -r NAME, token via pypicreds' keyring backend",
               "twine upload -r NAME, the same token in gnome-keyring", 1.10, a, b)


# `keyring get` as the keyring command runs it, with pypicreds' entry point kept (A) or filtered
# out (B): the cost every program that uses keyring pays for pypicreds being installed.
KEYRING_GET = """
import sys, importlib.metadata as std
import importlib_metadata as backport
hide = sys.argv.pop(1) == "hide"
for module in (std, backport):
    def entry_points(*args, _real=module.entry_points, **kwargs):
        found = _real(*args, **kwargs)
        return type(found)(ep for ep in found if not (hide and ep.value.startswith("pypicreds")))
    module.entry_points = entry_points
from keyring.cli import main
sys.exit(main())
"""


def row_keyring_get(tmp: Path, rounds: int, service) -> Row:
    """A URL pypicreds does not hold, a vault present, a real Secret Service: keyring's chainer
    asks both backends (A), or the Secret Service alone (B)."""
    env = sandbox(tmp, **{k: v for k, v in service.env.items() if k != "PYTHON_KEYRING_BACKEND"})
    add(env, "local", token(), "--url", LOCAL_URL)
    argv = ["get", "https://elsewhere.example/legacy/", "__token__"]
    a, b = alternate(rounds, lambda: run([str(PUBLISHERS_PYTHON), "-c", KEYRING_GET, "keep", *argv], env, check=False),
                     lambda: run([str(PUBLISHERS_PYTHON), "-c", KEYRING_GET, "hide", *argv], env, check=False),
                     envs=[env])
    return Row("keyring-get", "keyring get URL-not-held, pypicreds installed",
               "keyring get, pypicreds' entry point filtered out", 1.05, a, b)


# key -> (row maker, needs the Secret Service, slow: runs twine or keyring, so --upload-rounds)
ROWS = {
    "env-file": (row_env_file, False, False),
    "env-file-home": (row_env_file_home, False, False),
    "env-keyring": (row_env_keyring, True, False),
    "env-growth": (row_env_growth, False, False),
    "list": (row_list, False, False),
    "list-growth": (row_list_growth, False, False),
    "add-big": (row_add_big, False, False),
    "upload": (row_upload, False, True),
    "exec-mask": (row_exec_mask, False, False),
    "upload-backend": (row_upload_backend, False, True),
    "upload-backend-floor": (row_upload_backend_floor, False, True),
    "keyring-floor": (row_keyring_floor, False, True),
    "upload-backend-keyring": (row_upload_backend_keyring, True, True),
    "keyring-get": (row_keyring_get, True, True),
}

if __name__ == "__main__":
    sys.exit("run tests/bench/bench.py")
