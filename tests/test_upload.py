"""Tokens reach a real package index through real twine: `pypicreds upload`, `exec`, `env` in
real shells, and plain twine reading what `pypicreds add` wrote (keyring or .pypirc).

One pypiserver per xdist worker serves this module (it takes one request at a time); every
test uploads its own package name, so tests never collide on it. twine runs as itself
(`twine` from the venv, or twine's main taking over pypicreds' process) with `--no-color
--disable-progress-bar`, so its output can be compared.
"""

from __future__ import annotations

import base64
import json
import contextlib
import os
import signal
import socket
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from realparts import (
    PyPIServer, assert_no_secret, free_port, make_wheel, run_cli, stop_process,
)

from pypicreds import credentials

TOKEN = "pypi-AgEIcHlwaS5vcmcCJDEyMzQ1Njc4LTEyMzQtMTIzNC0xMjM0LTEyMzQ1Njc4OTBhYgACKlsz_-Q"
WRONG_TOKEN = TOKEN[:-1] + "R"  # differs in the last character only: apr1 checks all of it
USER = "alice"
PASSWORD = "p@ss'w\"0rd$HOME&;`id`*?[a]#\\!~"  # a private index user's password
TWINE_FLAGS = ["--disable-progress-bar"]  # after `upload`; --no-color goes before it


def twine(*args: str) -> list[str]:
    """Plain twine from the venv, as a user runs it: `twine --no-color upload ...`."""
    return ["twine", "--no-color", args[0], *TWINE_FLAGS, *args[1:]]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """A real pypiserver for this module on this worker: `__token__` with TOKEN, USER with PASSWORD."""
    with PyPIServer(tmp_path_factory.mktemp("index"), {"__token__": TOKEN, USER: PASSWORD}) as server:
        yield server


def project(base: Path, name: str, version: str = "1.0") -> Path:
    """A project directory whose dist/ holds one real wheel of `name`."""
    work = base / f"{name}-{version}"
    make_wheel(work / "dist", name, version)
    return work


def wheel_name(name: str, version: str) -> str:
    return f"{name.replace('-', '_')}-{version}-py3-none-any.whl"


def uploaded(server: PyPIServer, name: str, version: str) -> bool:
    return (server.packages / wheel_name(name, version)).is_file()


def posts(server: PyPIServer) -> int:
    return server.log_text().count('"POST /')


def sh(script: str, env, cwd, shell: str = "bash") -> subprocess.CompletedProcess:
    argv = ["fish", "--no-config", "-c", script] if shell == "fish" else [shell, "-c", script]
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


def add_cli(name: str, url: str, env, secret: str = TOKEN, *options: str) -> subprocess.CompletedProcess:
    result = run_cli(["add", name, "--url", url, "--token-stdin", *options], env, input=secret + "\n")
    assert result.returncode == 0, result.stderr
    return result


def store(name: str, url: str, token: str = TOKEN, username: str | None = None) -> None:
    """Stored in-process in the file store, no .pypirc: only pypicreds can hand it to twine."""
    credentials.add(name=name, token=token, url=url, username=username, store="file", write_pypirc=False)


def without_launcher(stderr: str) -> str:
    """stderr of `python -m twine` less the frames above twine's main (runpy's, and the module
    level of twine/__main__.py): twine taking over pypicreds' process has no launcher."""
    kept, in_frame = [], False
    for line in stderr.splitlines(keepends=True):
        if line.startswith('  File "<frozen runpy>"') or (
                line.startswith("  File ") and "twine" in line and line.rstrip().endswith(", in <module>")):
            in_frame = True
            continue
        if in_frame and line.startswith("    "):  # the frame's source line and its ^^^ marks
            continue
        in_frame = False
        kept.append(line)
    return "".join(kept)


def no_leak(secret: str, home: Path, server: PyPIServer, *results) -> None:
    """The secret is in no output, nowhere in pypicreds' files, and nowhere on the index."""
    for result in results:
        assert_no_secret(secret, result.stdout, result.stderr)
    assert_no_secret(secret, home / ".config/pypicreds", server.packages, server.log)


# --- the done-when ------------------------------------------------------------------


def test_done_when_a_new_user_reaches_the_index_in_all_three_ways(cli_env, keyring_service, index, tmp_path, tmp_home):
    env = {**cli_env, **keyring_service.env}
    added = add_cli("local", index.url, env)  # a new user; the real keyring is usable, so it is chosen
    listed = run_cli(["list", "--json"], env)
    assert [(e["name"], e["store"]) for e in json.loads(listed.stdout)] == [("local", "keyring")]
    assert keyring_service.item_count() == 1
    assert "password" not in (tmp_home / ".pypirc").read_text()

    # 1. eval $(pypicreds env NAME), then twine upload dist/*
    way1 = sh("eval $(pypicreds env local) && twine --no-color upload --disable-progress-bar dist/*",
              env, project(tmp_path, "done-when", "1.0"))
    # 2. pypicreds upload NAME
    way2 = subprocess.run(["pypicreds", "upload", "local", "--", "--no-color", "--disable-progress-bar"],
                          env=env, cwd=project(tmp_path, "done-when", "2.0"), capture_output=True, text=True,
                          timeout=60)
    # 3. plain twine upload -r NAME dist/*: twine finds the keyring entry by itself
    way3 = sh("twine --no-color upload --disable-progress-bar -r local dist/*", env,
              project(tmp_path, "done-when", "3.0"))

    for version, result in (("1.0", way1), ("2.0", way2), ("3.0", way3)):
        assert result.returncode == 0, f"{version}: {result.stdout}{result.stderr}"
        assert uploaded(index, "done-when", version)
    assert "PASSED" in way2.stdout  # twine check ran first

    simple = urllib.request.urlopen(f"{index.simple_url}done-when/", timeout=10).read().decode()
    for version in ("1.0", "2.0", "3.0"):
        assert wheel_name("done-when", version) in simple
    target = tmp_path / "installed"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-input", "--no-cache-dir", "--disable-pip-version-check",
         "--no-deps", "--target", str(target), "--index-url", index.simple_url, "done-when==2.0"],
        env=cli_env, capture_output=True, text=True, timeout=120,
    )
    assert pip.returncode == 0, pip.stderr
    assert (target / "done_when/__init__.py").is_file()
    assert (target / "done_when-2.0.dist-info").is_dir()
    no_leak(TOKEN, tmp_home, index, added, listed, way2, way3)
    assert_no_secret(TOKEN, way1.stderr, tmp_home / ".pypirc")


# --- pypicreds upload --------------------------------------------------------------------------


def test_upload_runs_twine_check_first_and_stops_when_it_fails(cli_env, index, tmp_path, tmp_home):
    store("local", index.url)
    work = tmp_path / "broken"
    broken = work / "dist" / wheel_name("broken-rst", "1.0")
    broken.parent.mkdir(parents=True)
    metadata = ("Metadata-Version: 2.1\nName: broken-rst\nVersion: 1.0\nSummary: x\n"
                "Description-Content-Type: text/x-rst\n\n.. image::\n   :bad: option\n")
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr("broken_rst/__init__.py", "")
        zf.writestr("broken_rst-1.0.dist-info/METADATA", metadata)
        zf.writestr("broken_rst-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr("broken_rst-1.0.dist-info/RECORD", "")
    before = posts(index)
    checked = subprocess.run(["pypicreds", "upload", "local", "--", "--no-color"], env=cli_env, cwd=work,
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 1
    assert "FAILED" in checked.stdout  # twine check's own report
    assert checked.stderr.endswith(
        "pypicreds: error: twine check failed, so nothing was uploaded "
        "(hint: fix the package metadata, or pass --skip-check)\n")
    assert posts(index) == before and not uploaded(index, "broken-rst", "1.0")

    skipped = subprocess.run(["pypicreds", "upload", "local", "--skip-check", "--", "--no-color", *TWINE_FLAGS],
                             env=cli_env, cwd=work, capture_output=True, text=True, timeout=60)
    assert skipped.returncode == 0, skipped.stderr
    assert "Checking" not in skipped.stdout
    assert uploaded(index, "broken-rst", "1.0")

    good = project(tmp_path, "checked-ok")
    passed = run_cli(["upload", "local", str(good / "dist" / wheel_name("checked-ok", "1.0")),
                      "--", "--no-color", *TWINE_FLAGS], cli_env)
    assert passed.returncode == 0, passed.stderr
    assert passed.stdout.index("PASSED") < passed.stdout.index("Uploading distributions")
    assert uploaded(index, "checked-ok", "1.0")
    no_leak(TOKEN, tmp_home, index, checked, skipped, passed)


def test_upload_errors_before_twine_starts(cli_env, index, tmp_path, tmp_home):
    store("local", index.url)
    empty = tmp_path / "empty"
    empty.mkdir()
    before = posts(index)
    cases = [
        (["upload", "local"], 1, "no files match dist/*"),
        (["upload", "local", "dist/missing-1.0.tar.gz"], 1, "no such file: dist/missing-1.0.tar.gz"),
        (["upload", "local", "."], 1, ". is a directory"),
        (["upload", "nosuch"], 1, "no token stored for nosuch"),
        (["upload", "local", "--", "-p", "secret"], 2, "twine option -p cannot be passed"),
        (["upload", "local", "--", "--repository-url=http://elsewhere/"], 2, "twine option --repository-url"),
        (["upload", "local", "--", "-rpypi"], 2, "twine option -r cannot be passed"),
        # argparse takes unambiguous prefixes, and clusters of short options
        (["upload", "local", "--", "--repository-u", "http://elsewhere/"], 2, "twine option --repository-u cannot"),
        (["upload", "local", "--", "--pass", "x"], 2, "twine option --pass cannot"),
        (["upload", "local", "--", "--repo=pypi"], 2, "twine option --repo cannot"),
        (["upload", "local", "--", "-vp", "x"], 2, "twine option -v cannot"),
    ]
    for args, code, message in cases:
        result = subprocess.run(["pypicreds", *args], env=cli_env, cwd=empty, capture_output=True, text=True,
                                timeout=60)
        assert (result.returncode, result.stdout) == (code, ""), (args, result.stderr)  # twine printed nothing
        assert result.stderr.startswith(f"pypicreds: error: {message}"), result.stderr
        assert result.stderr.count("\n") == 1
        assert_no_secret(TOKEN, result.stderr)
    assert posts(index) == before


def test_twine_errors_reach_the_user_unchanged(cli_env, index, tmp_path, tmp_home):
    """403 for a wrong token, 400 for a file that exists, connection refused: twine's own
    output and exit code, exactly as plain twine gives them, and no traceback of pypicreds."""
    down_url = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    store("wrong", index.url, WRONG_TOKEN)
    store("local", index.url)
    store("down", down_url)
    work = project(tmp_path, "twine-errors")
    wheel = f"dist/{wheel_name('twine-errors', '1.0')}"
    first = subprocess.run(["pypicreds", "upload", "local", "--", "--no-color", *TWINE_FLAGS], env=cli_env,
                           cwd=work, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr

    def both(name: str, url: str, secret: str) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
        ours = subprocess.run(["pypicreds", "upload", name, "--skip-check", "--", "--no-color", *TWINE_FLAGS],
                              env=cli_env, cwd=work, capture_output=True, text=True, timeout=60)
        plain_env = {**cli_env, "TWINE_USERNAME": "__token__", "TWINE_PASSWORD": secret}
        # the same twine as pypicreds runs (its own environment), so even its tracebacks compare
        plain = subprocess.run([sys.executable, "-m", *twine("upload", "--non-interactive", "--repository-url",
                                                             url, wheel)],
                               env=plain_env, cwd=work, capture_output=True, text=True, timeout=60)
        return ours, plain

    for name, url, secret, expected in [
        ("wrong", index.url, WRONG_TOKEN, "HTTPError: 403 Forbidden"),
        ("local", index.url, TOKEN, "HTTPError: 400"),
        ("down", down_url, TOKEN, "Connection refused"),
    ]:
        ours, plain = both(name, url, secret)
        assert ours.returncode == plain.returncode != 0, name
        assert expected in ours.stderr + ours.stdout, name
        assert (ours.stdout, ours.stderr) == (plain.stdout, without_launcher(plain.stderr)), name
        if name == "down":  # twine lets this one out as a traceback: the same, less the launcher
            assert "<frozen runpy>" in plain.stderr and "Traceback" in ours.stderr
        assert "pypicreds" not in ours.stderr  # neither its error line nor a frame of its traceback
        assert_no_secret(secret, ours.stdout, ours.stderr)
    no_leak(TOKEN, tmp_home, index, first)
    assert_no_secret(WRONG_TOKEN, tmp_home / ".config/pypicreds", index.log)


def test_upload_reports_a_repair_before_twine_takes_over(cli_env, index, tmp_path, tmp_home):
    """twine replaces pypicreds, so a repair of a killed command's leftovers (here an `add` that
    died after storing its token, before the index listed it: the next command finishes it) must
    be reported before the exec, or never."""
    from pypicreds.recovery import journal as recovery
    from pypicreds.store.index import Entry, Index
    from pypicreds.store import open_store
    from pypicreds.tokens import fingerprint

    store("local", index.url)
    entry = Entry(name="half-added", url="http://127.0.0.1:9/h/", username="__token__", store="file",
                  fingerprint=fingerprint(WRONG_TOKEN), masked="p…0", added="2024-01-01T00:00:00Z")
    recovery.begin("add", entry)
    open_store("file").set(entry.key, WRONG_TOKEN)
    work = project(tmp_path, "repair-then-upload")
    result = subprocess.run(["pypicreds", "upload", "local", "--skip-check", "--", "--no-color", *TWINE_FLAGS],
                            env=cli_env, cwd=work, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "finished adding half-added, which an interrupted `pypicreds add` had left half done" in result.stderr
    assert uploaded(index, "repair-then-upload", "1.0")
    assert not (tmp_home / ".config/pypicreds/journal.json").exists()
    assert Index.load().find("half-added", None) is not None
    assert_no_secret(WRONG_TOKEN, result.stdout, result.stderr)


def stalled_upload(name: str, cli_env, tmp_path: Path, **popen) -> tuple[subprocess.Popen, socket.socket]:
    """`pypicreds upload NAME` to an 'index' that accepts the connection and never answers, which
    holds twine mid-upload: (the process, the listener to accept it on)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(30)
    store(name, f"http://127.0.0.1:{listener.getsockname()[1]}/")
    proc = subprocess.Popen(["pypicreds", "upload", name, "--skip-check", "--", "--no-color", *TWINE_FLAGS],
                            env=cli_env, cwd=project(tmp_path, name), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)
    return proc, listener


def request_head(listener: socket.socket) -> tuple[socket.socket, bytes]:
    conn, _ = listener.accept()
    conn.settimeout(30)
    request = b""
    while b"\r\n\r\n" not in request:
        request += conn.recv(65536)
    return conn, request


def test_twine_takes_the_process_over_with_the_token_in_no_argv(cli_env, tmp_path, tmp_home):
    """While twine holds the credentials mid-upload, the whole of /proc is read: twine is the
    process started as `pypicreds upload` (no child), the token is in no process's argv nor in
    the environment block the kernel shows for it, it writes no core file, pypicreds' lock is
    free for other commands, and a signal reaches twine itself."""
    proc, listener = stalled_upload("stalled", cli_env, tmp_path)
    try:
        conn, request = request_head(listener)
        with conn:
            # twine sent the stored credentials ...
            auth = next(line for line in request.split(b"\r\n") if line.lower().startswith(b"authorization:"))
            assert base64.b64decode(auth.split()[-1]) == f"__token__:{TOKEN}".encode()
            # ... from the process started as pypicreds, which started no other ...
            argv = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
            assert argv[1].endswith(b"/pypicreds") and argv[2:4] == [b"upload", b"stalled"]
            assert Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split() == []
            assert TOKEN.encode() not in Path(f"/proc/{proc.pid}/environ").read_bytes()
            # it held the vault's key: no core file of it
            core = next(line for line in Path(f"/proc/{proc.pid}/limits").read_text().splitlines()
                        if line.startswith("Max core file size"))
            assert core.split()[4:6] == ["0", "0"], core
            # ... and, while it waits for the answer, no process has the token in its argv
            for entry in os.scandir("/proc"):
                if entry.name.isdigit():
                    with contextlib.suppress(OSError):
                        if TOKEN.encode() in Path(entry.path, "cmdline").read_bytes():
                            pytest.fail(f"the token is in the argv of process {entry.name}")  # not shown
            # pypicreds holds no lock while twine works
            added = run_cli(["add", "meanwhile", "--url", "http://127.0.0.1:9/m/", "--store", "file",
                             "--no-pypirc", "--token-stdin"], cli_env, input=WRONG_TOKEN + "\n", timeout=20)
            assert added.returncode == 0, added.stderr
            proc.terminate()  # a signal reaches twine itself
            assert proc.wait(20) == -signal.SIGTERM
    finally:
        stop_process(proc)
        listener.close()
        out, err = proc.communicate()
    assert_no_secret(TOKEN, out, err)


# A fault no index can cause: the HTTP library failing with the password in its message.
LEAKY_POST = """
import os, requests
def post(self, *args, **kwargs):
    raise RuntimeError("the index refused " + os.environ["TWINE_PASSWORD"])
requests.Session.post = post
"""


@pytest.mark.parametrize("secret, username", [(TOKEN, None), (PASSWORD, USER)], ids=["token", "password"])
def test_a_traceback_twine_lets_out_holds_no_token(secret, username, cli_env, tmp_path, tmp_home):
    """An error twine does not handle is printed as Python prints it, but with the secret
    scrubbed (a token, or a private index's password, which looks like no token), which an exec
    of twine could not do."""
    spy = tmp_path / "leaky"
    spy.mkdir()
    (spy / "sitecustomize.py").write_text(LEAKY_POST)
    store("leaky", "http://127.0.0.1:9/leaky/", secret, username)
    result = subprocess.run(["pypicreds", "upload", "leaky", "--skip-check", "--", "--no-color", *TWINE_FLAGS],
                            env={**cli_env, "PYTHONPATH": str(spy)}, cwd=project(tmp_path, "leaky"),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("Traceback (most recent call last):\n")
    assert result.stderr.endswith("RuntimeError: the index refused <token>\n"), result.stderr[-300:]
    assert "pypicreds" not in result.stderr
    assert_no_secret(secret, result.stdout, result.stderr)


# What a compromised twine dependency could reach once twine runs: the secrets pypicreds
# remembers (if pypicreds is loaded in its process) and the environment block /proc shows.
REACH_SPY = """
import json, os, sys, requests
def post(self, *args, **kwargs):
    redact = sys.modules.get("pypicreds.redact")
    with open("/proc/self/environ", "rb") as f:
        block = f.read().decode(errors="replace").split("\\0")
    seen = {"remembered": redact.remembered() if redact else [], "environ": block,
            "given": os.environ.get("TWINE_PASSWORD"), "argv": open("/proc/self/cmdline", "rb").read().decode()}
    with open(os.environ["REACH_LOG"], "w") as log:
        json.dump(seen, log)
    raise RuntimeError("stopped before sending")
requests.Session.post = post
"""


@pytest.mark.parametrize("case", ["key file", "passphrase", "ttl"])
def test_twine_can_reach_no_secret_it_is_not_given(case, cli_env, tmp_path, tmp_home):
    """twine runs in pypicreds' process only when the token it gets is the only secret that
    process handled. With the vault's passphrase (which /proc/PID/environ shows for the life of
    the process) or the long-lived token behind --ttl, it gets a process of its own, in which
    neither can be found; and never a core file."""
    from macaroon_mint import mint

    parent = mint([], location="127.0.0.1", identifier=f"reach-{case}")
    passphrase = "correct horse battery staple"
    env = {**cli_env, **({"PYPICREDS_PASSPHRASE": passphrase} if case == "passphrase" else {})}
    add_cli("reach", "http://127.0.0.1:9/reach/", env, parent, "--store", "file", "--no-pypirc")
    spy = tmp_path / "spy"
    spy.mkdir()
    (spy / "sitecustomize.py").write_text(REACH_SPY)
    log = tmp_path / "reach.json"
    ttl = ["--ttl", "15m"] if case == "ttl" else []
    result = subprocess.run(["pypicreds", "upload", "reach", "--skip-check", *ttl, "--", "--no-color", *TWINE_FLAGS],
                            env={**env, "PYTHONPATH": str(spy), "REACH_LOG": str(log)},
                            cwd=project(tmp_path, "reach"), capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "stopped before sending" in result.stderr, result.stderr
    seen = json.loads(log.read_text())
    given = seen["given"]
    assert given.startswith("pypi-") and (given == parent) == (case != "ttl")
    reachable = set(seen["remembered"]) | {line.split("=", 1)[-1] for line in seen["environ"]}
    assert passphrase not in reachable and (case == "ttl") == (parent not in reachable)
    assert set(seen["remembered"]) <= {given}
    in_own_process = case != "key file"
    assert ("\0-P\0-m\0twine\0" in seen["argv"]) == in_own_process, seen["argv"]
    assert_no_secret(parent, result.stdout, result.stderr)
    assert passphrase not in result.stdout + result.stderr


# A fault no package can cause on purpose: twine's check itself failing.
BROKEN_CHECK = """
import twine.commands.check
def broken(*args, **kwargs):
    raise RuntimeError("a bug in twine check")
twine.commands.check._check_file = broken
"""


def test_a_check_that_breaks_stops_the_upload_with_twine_s_report(cli_env, index, tmp_path, tmp_home):
    """An exception twine's check lets out is reported as Python reports it (no pypicreds frame),
    then pypicreds says nothing was uploaded: not an "unexpected error" of pypicreds'."""
    store("local", index.url)
    spy = tmp_path / "broken"
    spy.mkdir()
    (spy / "sitecustomize.py").write_text(BROKEN_CHECK)
    before = posts(index)
    result = subprocess.run(["pypicreds", "upload", "local", "--", "--no-color", *TWINE_FLAGS],
                            env={**cli_env, "PYTHONPATH": str(spy)}, cwd=project(tmp_path, "broken-check"),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    report, _, last = result.stderr.rstrip("\n").rpartition("\n")
    assert "Traceback (most recent call last):" in report and report.endswith("RuntimeError: a bug in twine check")
    assert "pypicreds" not in report and "unexpected" not in result.stderr
    assert last == ("pypicreds: error: twine check failed, so nothing was uploaded "
                    "(hint: fix the package metadata, or pass --skip-check)")
    assert posts(index) == before


def ctrl_c_works(stdout: str):
    """For the child: SIGINT as at a terminal (the suite may run as a background job, which
    starts with it ignored), and stdout closed when `stdout` is "closed" (`>&-`)."""
    def preexec() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if stdout == "closed":
            os.close(1)
    return preexec


@pytest.mark.parametrize("stdout", ["open", "closed"])
def test_ctrl_c_ends_an_upload_as_it_ends_plain_twine(stdout, cli_env, tmp_path, tmp_home):
    """Ctrl-C mid-upload: Python's report of twine's KeyboardInterrupt, with no frame of
    pypicreds', and death by SIGINT (a shell running a script stops too), as plain twine ends;
    also with stdout closed."""
    proc, listener = stalled_upload("interrupted", cli_env, tmp_path, preexec_fn=ctrl_c_works(stdout))
    try:
        conn, _ = request_head(listener)
        with conn:
            proc.send_signal(signal.SIGINT)
            try:
                code = proc.wait(5)
            except subprocess.TimeoutExpired:
                # Python's (and so plain twine's) race: a SIGINT noted just before recv() blocks is
                # acted on only when the call is interrupted again; a user presses Ctrl-C again.
                proc.send_signal(signal.SIGINT)
            try:
                code = proc.wait(20)
            except subprocess.TimeoutExpired:  # say where it hangs, not only that it did
                wchan = Path(f"/proc/{proc.pid}/wchan").read_text()
                proc.kill()
                pytest.fail(f"still running 20 s after Ctrl-C (wchan {wchan}): {proc.communicate()[1][-3000:]!r}")
            assert code == -signal.SIGINT
    finally:
        stop_process(proc)
        listener.close()
        out, err = proc.communicate()
    text = err.decode()
    if stdout == "open":  # (with it closed, rich first reports each line it could not print)
        assert text.startswith("Traceback (most recent call last):\n")
    assert "Traceback (most recent call last):\n" in text and text.endswith("KeyboardInterrupt\n"), text[-2000:]
    assert "/twine/" in text and "pypicreds" not in text
    assert_no_secret(TOKEN, out, err)


def test_a_twine_package_in_the_working_directory_is_not_run(cli_env, index, tmp_path, tmp_home):
    """`python -m twine` would run a `twine` package in the working directory (a checkout, a
    hostile repository) with the token in its environment; upload runs the twine installed
    beside pypicreds, for the check and the upload alike."""
    store("local", index.url)
    work = project(tmp_path, "shadowed-twine")
    marker = tmp_path / "impostor-ran"
    fake = work / "twine"
    fake.mkdir()
    (fake / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('imported')\n")
    (fake / "__main__.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    result = subprocess.run(["pypicreds", "upload", "local", "--", "--no-color", *TWINE_FLAGS], env=cli_env,
                            cwd=work, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "PASSED" in result.stdout  # the real twine's check
    assert uploaded(index, "shadowed-twine", "1.0")
    # `python -m pypicreds` puts the working directory first on sys.path: still the real twine
    second = make_wheel(work / "later", "shadowed-twine", "2.0")
    again = subprocess.run([sys.executable, "-m", "pypicreds", "upload", "local", str(second), "--", "--no-color",
                            *TWINE_FLAGS], env=cli_env, cwd=work, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "PASSED" in again.stdout, again.stderr
    assert uploaded(index, "shadowed-twine", "2.0")
    assert not marker.exists()
    subprocess.run([sys.executable, "-m", "twine", "--version"], env=cli_env, cwd=work,
                   capture_output=True, text=True, timeout=60)
    assert marker.read_text() == "ran"  # what `python -m twine` would have done instead


# --- a private index user with a real username and password ------------------------------------


def test_private_user_and_password_work_every_way(cli_env, keyring_service, index, tmp_path, tmp_home):
    env = {**cli_env, **keyring_service.env}
    added = add_cli("private", index.url, env, PASSWORD, "--username", USER, "--store", "keyring")
    upload = "twine --no-color upload --disable-progress-bar dist/*"
    results = {
        "env": sh(f"eval $(pypicreds env private) && {upload}", env, project(tmp_path, "private-user", "1")),
        "exec": sh(f"pypicreds exec private -- {upload}", env, project(tmp_path, "private-user", "2")),
        "upload": subprocess.run(["pypicreds", "upload", "private", "--", "--no-color", *TWINE_FLAGS], env=env,
                                 cwd=project(tmp_path, "private-user", "3"), capture_output=True, text=True,
                                 timeout=60),
        # plain twine: the username from .pypirc, the password from the keyring under (URL, alice)
        "plain -r": sh("twine --no-color upload --disable-progress-bar -r private dist/*", env,
                       project(tmp_path, "private-user", "4")),
    }
    for version, (how, result) in enumerate(results.items(), start=1):
        assert result.returncode == 0, f"{how}: {result.stdout}{result.stderr}"
        assert uploaded(index, "private-user", str(version)), how
    assert f"username = {USER}" in (tmp_home / ".pypirc").read_text()
    no_leak(PASSWORD, tmp_home, index, added, results["exec"], results["upload"], results["plain -r"])
    assert_no_secret(PASSWORD, results["env"].stderr, tmp_home / ".pypirc")


# --- twine finds what pypicreds wrote, with no pypicreds in the loop ------------------------


def test_plain_twine_reads_a_plaintext_pypirc(cli_env, index, tmp_path, tmp_home):
    # the file store and no keyring backend: twine can only have the token from .pypirc
    added = add_cli("local", index.url, cli_env, TOKEN, "--plaintext", "--store", "file")
    result = sh("twine --no-color upload --disable-progress-bar -r local dist/*", cli_env,
                project(tmp_path, "plaintext-pypirc"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert uploaded(index, "plaintext-pypirc", "1.0")
    no_leak(TOKEN, tmp_home, index, added, result)


ENV_THEN_TWINE = {
    "bash": "eval $(pypicreds env local) && twine --no-color upload --disable-progress-bar dist/*",
    "zsh": "eval $(pypicreds env local) && twine --no-color upload --disable-progress-bar dist/*",
    "fish": "pypicreds env local --shell fish | source; and twine --no-color upload --disable-progress-bar dist/*",
}


@pytest.mark.parametrize("shell", ENV_THEN_TWINE)
def test_env_then_plain_twine_upload_in_real_shells(shell, cli_env, index, tmp_path, tmp_home):
    store("local", index.url)  # no .pypirc: twine can only have it from the variables
    result = sh(ENV_THEN_TWINE[shell], cli_env, project(tmp_path, f"env-{shell}"), shell)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Uploading distributions to {index.url}" in result.stdout
    assert uploaded(index, f"env-{shell}", "1.0")
    assert "twine ignores -r" in result.stderr
    no_leak(TOKEN, tmp_home, index, result)


# --- the plain functions, in-process ----------------------------------------------------------


def test_find_files_expands_like_a_shell_and_keeps_literal_names(tmp_path, monkeypatch):
    from pypicreds.errors import PypicredsError
    from pypicreds.session.upload import find_files

    monkeypatch.chdir(tmp_path)
    (tmp_path / "dist").mkdir()
    for name in ("b-1.0.tar.gz", "a-1.0-py3-none-any.whl", "odd[1].whl", ".hidden"):
        (tmp_path / "dist" / name).write_text("")
    assert find_files([]) == ["dist/a-1.0-py3-none-any.whl", "dist/b-1.0.tar.gz", "dist/odd[1].whl"]
    assert find_files(["dist/odd[1].whl"]) == ["dist/odd[1].whl"]  # not a glob class here
    assert find_files(["dist/*.whl", "dist/a-1.0-py3-none-any.whl"]) == [
        "dist/a-1.0-py3-none-any.whl", "dist/odd[1].whl"]  # each file once
    with pytest.raises(PypicredsError, match=r"no files match dist/\*\.zip"):
        find_files(["dist/*.whl", "dist/*.zip"])


def test_split_twine_options_puts_global_ones_first_and_refuses_credentials():
    from pypicreds.errors import UsageError
    from pypicreds.session.upload import split_twine_options

    assert split_twine_options(["--skip-existing", "--no-color", "--verbose"]) == (
        ["--no-color"], ["--skip-existing", "--verbose"])
    for option in ("-u", "--username=x", "-pxyz", "--password", "-r", "--repository=pypi", "--repository-url"):
        with pytest.raises(UsageError) as caught:
            split_twine_options(["--verbose", option])
        assert "xyz" not in str(caught.value)  # an inline password is never echoed


def test_twine_is_found_by_every_import_finder(monkeypatch):
    """Found by review: asking only the path finder missed packages installed in editable
    mode through a finder of their own on sys.meta_path (setuptools does that)."""
    import importlib.machinery

    from pypicreds.session import upload

    class EditableFinder:
        @staticmethod
        def find_spec(name, path=None, target=None):
            return importlib.machinery.ModuleSpec(name, None) if name == "editable_only_pkg" else None

    assert not upload._findable("editable_only_pkg")
    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, EditableFinder()])
    assert upload._findable("editable_only_pkg")
    assert importlib.machinery.PathFinder.find_spec("editable_only_pkg") is None
    assert upload._findable("twine") and not upload._findable("no_such_module_anywhere")
