"""Start-up benchmark: pypicreds' commands against what they cannot be faster than.

Run by hand (not collected by pytest; these machines are shared and noisy):

    .venv/bin/python tests/bench/bench.py [--rounds 30] [--upload-rounds 25] [--slack 2.0] [--only env-file]

Each row times whole processes, alternating A and B round after round (so drifting machine
load hits both alike), and prints both medians and A/B. Exit status 1 when any ratio is over
its budget (times --slack). Everything runs in a temporary HOME: a key-file vault, a real
gnome-keyring on a private D-Bus bus, a real pypiserver on 127.0.0.1; all stopped by PID.

PYTHONDONTWRITEBYTECODE=1 (set on this machine) would make every run compile pypicreds from
source; the bench byte-compiles src/ once and runs everything without that variable.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
sys.path.insert(0, str(TESTS / "helpers"))

from macaroon_mint import mint  # noqa: E402
from publishing import PUBLISHERS_PYTHON  # noqa: E402
from realparts import VENV_BIN, PyPIServer, SecretService, make_wheel  # noqa: E402

PYTHON = str(VENV_BIN / "python")
PYPICREDS = str(VENV_BIN / "pypicreds")
LOCAL_URL = "http://127.0.0.1:9/bench/legacy/"  # env/list/add never contact it
TESTPYPI_URL = "https://test.pypi.org/legacy/"


@dataclass
class Row:
    key: str
    command: str
    baseline: str
    budget: float
    a: list[float]
    b: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.a) / statistics.median(self.b)


def token(location: str = "127.0.0.1") -> str:
    return mint([], location=location, identifier=str(uuid.uuid4()))


def base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYPICREDS_", "TWINE_", "XDG_", "DBUS_", "PYTHON_KEYRING"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for name in ("CI", "GITHUB_ACTIONS", "GITLAB_CI"):  # they change what exec and upload do
        env.pop(name, None)
    env.update(
        HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CACHE_HOME=str(home / ".cache"), PYPICREDS_HOME=str(home / ".config/pypicreds"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", NO_COLOR="1", LANG="C.UTF-8",
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
    )
    env.pop("TERM", None)
    home.mkdir(parents=True, exist_ok=True)
    return env


def run(argv: list[str], env: dict, stdin: bytes | None = None, check: bool = True) -> float:
    """Wall time of one whole process."""
    began = time.perf_counter()
    done = subprocess.run(argv, env=env, input=stdin if stdin is not None else b"",
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - began
    if check and done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv)} failed: {done.stderr.decode(errors='replace')}")
    return elapsed


def alternate(rounds: int, a, b, before_a=None, before_b=None) -> tuple[list[float], list[float]]:
    """Time a() and b() alternately; before_* (untimed) resets state. One warm-up of each."""
    times_a, times_b = [], []
    for i in range(rounds + 1):
        for fn, before, times in ((a, before_a, times_a), (b, before_b, times_b)):
            if before:
                before()
            elapsed = fn()
            if i:  # round 0 warms caches (and writes any missing .pyc)
                times.append(elapsed)
    return times_a, times_b


def add(env: dict, name: str, secret: str, *extra: str) -> None:
    run([PYPICREDS, "add", name, "--token-stdin", *extra], env, secret.encode())


# --- rows ----------------------------------------------------------------------------------------


def row_env_file(tmp: Path, rounds: int) -> Row:
    env = {**base_env(tmp / "env-file"), "PYPICREDS_STORE": "file"}
    add(env, "testpypi", token("test.pypi.org"))
    a, b = alternate(rounds, lambda: run([PYPICREDS, "env", "testpypi"], env),
                     lambda: run([PYTHON, "-c", "pass"], env))
    return Row("env-file", "pypicreds env testpypi (file store, key-file vault)", "python -c pass", 3.0, a, b)


def row_env_keyring(tmp: Path, rounds: int, service: SecretService) -> Row:
    env = {**base_env(tmp / "env-keyring"), **service.env, "PYPICREDS_STORE": "keyring"}
    add(env, "testpypi", token("test.pypi.org"))
    script = f"import keyring; assert keyring.get_password({TESTPYPI_URL!r}, '__token__')"
    a, b = alternate(rounds, lambda: run([PYPICREDS, "env", "testpypi"], env),
                     lambda: run([PYTHON, "-c", script], env))
    return Row("env-keyring", "pypicreds env testpypi (keyring store)",
               f"keyring.get_password, PYTHON_KEYRING_BACKEND={service.env['PYTHON_KEYRING_BACKEND']}", 1.1, a, b)


def row_list(tmp: Path, rounds: int) -> Row:
    env = {**base_env(tmp / "list"), "PYPICREDS_STORE": "file"}
    for i in range(100):
        add(env, f"repo{i:03d}", token(), "--url", f"http://127.0.0.1:9/r{i}/")
    a, b = alternate(rounds, lambda: run([PYPICREDS, "list"], env), lambda: run([PYTHON, "-c", "pass"], env))
    return Row("list", "pypicreds list (100 repositories)", "python -c pass", 3.0, a, b)


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
    """A: `pypicreds add` with the file store (key-file vault: the cheapest store, so the
    .pypirc edit dominates, as in the baseline). The .pypirc, index and vault are reset
    before every run, outside the timing."""
    home = tmp / "add-big"
    env = {**base_env(home), "PYPICREDS_STORE": "file"}
    pypirc = home / ".pypirc"
    original = big_pypirc(1000)
    add(env, "seed", token(), "--url", LOCAL_URL, "--no-pypirc")  # the vault and key file exist
    pc_home = Path(env["PYPICREDS_HOME"])
    saved = {p: p.read_bytes() for p in (pc_home / "index.json", pc_home / "vault.json")}
    stdin = token().encode()

    def reset() -> None:
        pypirc.write_text(original)
        pypirc.chmod(0o600)
        for path, data in saved.items():
            path.write_bytes(data)

    a, b = alternate(
        rounds,
        lambda: run([PYPICREDS, "add", "bench-new", "--url", LOCAL_URL, "--token-stdin"], env, stdin),
        lambda: run([PYTHON, "-c", CONFIGUPDATER_SCRIPT, str(pypirc), LOCAL_URL], env),
        before_a=reset, before_b=reset,
    )
    return Row("add-big", "pypicreds add (.pypirc of 1,000 sections; file store)",
               "configupdater read + add section + write", 1.5, a, b)


def row_upload(tmp: Path, rounds: int) -> Row:
    secret = token()
    home = tmp / "upload"
    env = {**base_env(home), "PYPICREDS_STORE": "file"}
    dist = home / "dist"
    dist.mkdir(parents=True)
    wheels = iter([make_wheel(dist, "bench-upload", f"1.{i}") for i in range(2 * (rounds + 1))])
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
        )
    return Row("upload", "pypicreds upload --skip-check (one wheel, local pypiserver)",
               "python -m twine upload (same wheel kind, same credentials via TWINE_*)", 1.15, a, b)


def run_piped(argv: list[str], env: dict) -> float:
    """Wall time of one whole process whose stdout is a pipe read to the end (as a CI log is)."""
    began = time.perf_counter()
    done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv)} failed: {done.stderr.decode(errors='replace')}")
    return elapsed


def row_exec_mask(tmp: Path, rounds: int) -> Row:
    """The relay's cost: `exec --mask` running a child that prints 10 MB of log lines (the token
    in some of them) line by line, as tools print, against the same child run by `exec
    --no-mask`, which replaces itself with it: the child alone, after the same start-up and
    reading of the token. (Against a child that writes at pipe speed, such as `cat`, or against
    the child started without pypicreds at all, see the README.)"""
    import chatty_child

    secret = token()
    env = {**base_env(tmp / "exec-mask"), "PYPICREDS_STORE": "file"}
    add(env, "local", secret, "--url", LOCAL_URL)
    log = tmp / "exec-mask" / "ten-megabytes.log"
    log.write_bytes(b"".join(chatty_child.volume(secret, 10)))
    child = [PYTHON, chatty_child.__file__, "lines", str(log)]
    a, b = alternate(rounds, lambda: run_piped([PYPICREDS, "exec", "local", "--mask", "--", *child], env),
                     lambda: run_piped([PYPICREDS, "exec", "local", "--no-mask", "--", *child], env))
    return Row("exec-mask", "pypicreds exec --mask -- CHILD (prints 10 MB)",
               "pypicreds exec --no-mask -- CHILD (the child alone)", 1.10, a, b)
def row_upload_backend(tmp: Path, rounds: int) -> Row:
    """Both sides: twine of the publishers' environment (pypicreds installed beside it), keyring
    choosing by itself with no D-Bus. A finds the token through pypicreds' vault backend (nothing
    in .pypirc or the environment); B gets the same token in TWINE_PASSWORD."""
    secret = token()
    home = tmp / "upload-backend"
    env = base_env(home)
    env.pop("PYTHON_KEYRING_BACKEND")
    dist = home / "dist"
    dist.mkdir(parents=True)
    wheels = iter([make_wheel(dist, "bench-backend", f"1.{i}") for i in range(2 * (rounds + 1))])
    with PyPIServer(tmp / "pypiserver-backend", {"__token__": secret}) as server:
        add({**env, "PYPICREDS_STORE": "file"}, "local", secret, "--url", server.url)
        twine = [str(PUBLISHERS_PYTHON), "-m", "twine", "--no-color", "upload", "--non-interactive",
                 "--disable-progress-bar"]
        twine_env = {**env, "TWINE_USERNAME": "__token__", "TWINE_PASSWORD": secret, "TWINE_REPOSITORY_URL": server.url}
        a, b = alternate(rounds, lambda: run([*twine, "-r", "local", str(next(wheels))], env),
                         lambda: run([*twine, str(next(wheels))], twine_env))
    return Row("upload-backend", "twine upload -r NAME, token via pypicreds' keyring backend",
               "twine upload, the same token in TWINE_PASSWORD", 1.10, a, b)


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


def row_keyring_get(tmp: Path, rounds: int, service: SecretService) -> Row:
    """A URL pypicreds does not hold, a vault present, a real Secret Service: keyring's chainer
    asks both backends (A), or the Secret Service alone (B)."""
    env = {**base_env(tmp / "keyring-get"), **service.env}
    env.pop("PYTHON_KEYRING_BACKEND")
    add({**env, "PYPICREDS_STORE": "file"}, "local", token(), "--url", LOCAL_URL)
    argv = ["get", "https://elsewhere.example/legacy/", "__token__"]
    a, b = alternate(rounds, lambda: run([str(PUBLISHERS_PYTHON), "-c", KEYRING_GET, "keep", *argv], env, check=False),
                     lambda: run([str(PUBLISHERS_PYTHON), "-c", KEYRING_GET, "hide", *argv], env, check=False))
    return Row("keyring-get", "keyring get URL-not-held, pypicreds installed",
               "keyring get, pypicreds' entry point filtered out", 1.05, a, b)


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="timed runs of each A and B per row (default 30)")
    parser.add_argument("--upload-rounds", type=int, default=25, help="rounds for the upload row (default 25: its ratio is the closest to its budget)")
    parser.add_argument("--slack", type=float, default=1.0, help="multiply every budget (e.g. 2.0 in CI)")
    parser.add_argument("--only", action="append",
                        help="run only these rows: env-file env-keyring list add-big upload exec-mask upload-backend "
                             "keyring-get")
    args = parser.parse_args(argv)

    compileall.compile_dir(str(ROOT / "src"), quiet=1)
    print("bench: byte-compiled src/ and running without PYTHONDONTWRITEBYTECODE", file=sys.stderr)
    wanted = set(args.only or ["env-file", "env-keyring", "list", "add-big", "upload", "exec-mask", "upload-backend",
                               "keyring-get"])
    tmp = Path(tempfile.mkdtemp(prefix="pypicreds-bench-"))
    rows: list[Row] = []
    try:
        with contextlib.ExitStack() as stack:
            if "env-file" in wanted:
                rows.append(row_env_file(tmp, args.rounds))
            service = None
            if wanted & {"env-keyring", "keyring-get"}:
                service = stack.enter_context(SecretService(tmp / "secret-service"))
            if "env-keyring" in wanted:
                rows.append(row_env_keyring(tmp, args.rounds, service))
            if "list" in wanted:
                rows.append(row_list(tmp, args.rounds))
            if "add-big" in wanted:
                rows.append(row_add_big(tmp, args.rounds))
            if "upload" in wanted:
                rows.append(row_upload(tmp, args.upload_rounds))
            if "exec-mask" in wanted:
                rows.append(row_exec_mask(tmp, args.rounds))
            if "upload-backend" in wanted:
                rows.append(row_upload_backend(tmp, args.upload_rounds))
            if "keyring-get" in wanted:
                rows.append(row_keyring_get(tmp, args.rounds, service))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"{'command (A)':<58} {'baseline (B)':<44} {'A ms':>7} {'B ms':>7} {'A/B':>6} {'budget':>7}  result")
    missed = 0
    for row in rows:
        budget = row.budget * args.slack
        ok = row.ratio <= budget
        missed += not ok
        print(f"{row.command:<58} {row.baseline[:44]:<44} {statistics.median(row.a) * 1000:7.1f} "
              f"{statistics.median(row.b) * 1000:7.1f} {row.ratio:6.2f} {budget:7.2f}  {'ok' if ok else 'MISSED'}")
    print(f"medians of {args.rounds} alternating rounds ({args.upload_rounds} for upload); slack {args.slack:g}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
