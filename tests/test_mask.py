"""`exec --mask`: the child's stdout and stderr are relayed with every token of the run replaced
by `pypi-****`, and nothing else changes: bytes, exit status, signals, stdin, terminals.

Children are real processes (tests/helpers/chatty_child.py, sh) that print the token whole,
split across writes, with and without a newline, at volume, on pipes and on a pseudo-terminal;
each output is compared byte for byte with what the child wrote, the token replaced.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chatty_child
from macaroon_mint import mint
from realparts import VENV_BIN, assert_no_secret, read_terminal, run_cli, stop_pid, stop_process

from pypicreds import credentials
from pypicreds.session.relay import Masker, needles_for

TOKEN = mint([], location="pypi.org", identifier="mask-canary-0001")
MASK = b"pypi-****"
CHILD = [sys.executable, chatty_child.__file__]
PYPICREDS = str(VENV_BIN / "pypicreds")


@pytest.fixture
def env(cli_env):
    credentials.add(name="local", token=TOKEN, url="http://127.0.0.1:9/", store="file", write_pypirc=False)
    return cli_env


def masked(data: bytes, *tokens: str) -> bytes:
    for token in tokens:
        data = data.replace(token.encode(), MASK)
    return data


def write_plan(tmp_path: Path, plan: list) -> str:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    return str(path)


def planned(plan: list, fd: int, token: str = TOKEN) -> bytes:
    return b"".join(chatty_child.expand(text, token) for where, text, _ in plan if where == fd)


def run_bytes(args: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([PYPICREDS, *args], env=env, capture_output=True, timeout=120, **kwargs)


# --- the streaming replacement itself ---------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(st.sampled_from([b"a", b"\n", b"p", b"py", b"pypi-", b"xyz ", b"TOKEN", b"HALF", b"\x00\xff"]),
                   max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=12),
)
def test_masker_output_is_the_whole_text_masked_however_it_is_cut(parts, cuts):
    """Fed in any pieces, the masker writes exactly the text with each token replaced, and
    holds back no more than the start of a token (a line or prompt goes out at once)."""
    token = TOKEN.encode()
    text = b"".join(token if p == b"TOKEN" else token[:50] if p == b"HALF" else p for p in parts)
    masker = Masker(needles_for([TOKEN]))
    out = b""
    previous = 0
    for cut in sorted({c % (len(text) + 1) for c in cuts}) + [len(text)]:
        piece = masker.feed(text[previous:cut])
        out += piece
        previous = cut
        written = text[:cut]
        expected = masked(written, TOKEN)
        assert expected.startswith(out)
        assert token.startswith(expected[len(out):]) and len(expected) - len(out) < len(token), "held too much"
    out += masker.finish()
    assert out == masked(text, TOKEN)


def test_masker_masks_every_token_and_base64_forms():
    """Two tokens (a stored one and one derived from it) are both masked; so is the token inside
    base64 (an HTTP Basic header a verbose client logs), at any offset."""
    import base64

    other = mint([], location="pypi.org", identifier="mask-canary-0002")
    masker = Masker(needles_for([TOKEN, other]))
    header = b"Authorization: Basic " + base64.b64encode(f"__token__:{TOKEN}".encode()) + b"\n"
    text = f"a {TOKEN} b {other}\n".encode() + header
    out = masker.feed(text) + masker.finish()
    assert out.startswith(b"a pypi-**** b pypi-****\nAuthorization: Basic ")
    shown = out.split(b"Basic ")[1].strip()
    # what is left: the characters of `__token__:` and a few that mix in the bytes around the token
    assert shown.count(b"****") == 1 and len(shown.replace(b"****", b"")) <= 20, shown


# --- exec --mask on pipes ----------------------------------------------------------------------


PLAN = [
    [1, "whole on stdout: {:}\n", 0],
    [2, "whole on stderr: {:}\n", 0],
    [1, "split in two: {:30}", 0.05],
    [1, "{30:} and more\n", 0],
    [2, "split on stderr {:-1}", 0.05],
    [2, "{-1:}", 0],
    [1, "byte by byte: ", 0],
    *[[1, f"{{{i}:{i + 1}}}", 0.002] for i in range(len(TOKEN))],
    [1, "\n", 0],
    [1, "a start that never completes: {:40}\n", 0],
    [2, "prompt without a newline: ", 0.05],
    [2, "answer\n", 0],
    [1, "two at once {:}{:} end", 0],
    [1, "\nlast, no newline: {:}", 0],
]


def test_pipes_mask_the_token_in_every_shape_and_keep_every_other_byte(env, tmp_path):
    """stdout and stderr each carry exactly what the child wrote, the token replaced."""
    plan = write_plan(tmp_path, PLAN)
    result = run_bytes(["exec", "local", "--mask", "--", *CHILD, "plan", plan], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == masked(planned(PLAN, 1), TOKEN)
    assert result.stderr == masked(planned(PLAN, 2), TOKEN)
    assert_no_secret(TOKEN, result.stdout, result.stderr)
    assert chatty_child.expand("{:40}", TOKEN) in result.stdout  # a near miss passes unchanged


def test_a_derived_token_and_its_parent_are_both_masked(env, tmp_path):
    """With --ttl the child holds a derived token; that one, and the stored one, are masked."""
    plan = [[1, "child: {:}\n", 0]]
    result = run_bytes(["exec", "local", "--ttl", "5m", "--mask", "--", "sh", "-c",
                        f'echo "$TWINE_PASSWORD"; printf "%s\\n" "{TOKEN}" >&2; {" ".join(CHILD)} plan {write_plan(tmp_path, plan)}'],
                       env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"pypi-****\nchild: pypi-****\n"
    assert result.stderr == b"pypi-****\n"


def test_high_volume_is_byte_identical_but_for_the_tokens(env):
    """12 MB cut into writes of 1 byte to 64 KiB, tokens straddling them."""
    result = run_bytes(["exec", "local", "--mask", "--", *CHILD, "volume", "12"], env)
    assert result.returncode == 0, result.stderr
    expected = b"".join(chatty_child.volume(TOKEN, 12))
    assert expected.count(TOKEN.encode()) > 20
    assert result.stdout == masked(expected, TOKEN)


def test_ci_turns_masking_on_and_no_mask_turns_it_off(env):
    """The issue's own example: under CI, `exec -- sh -c 'echo $TWINE_PASSWORD'` prints pypi-****."""
    script = ["sh", "-c", "echo $TWINE_PASSWORD"]
    assert run_bytes(["exec", "local", "--", *script], {**env, "CI": "true"}).stdout == b"pypi-****\n"
    assert run_bytes(["exec", "local", "--mask", "--", *script], env).stdout == b"pypi-****\n"
    assert run_bytes(["exec", "local", "--", *script], env).stdout == TOKEN.encode() + b"\n"
    assert run_bytes(["exec", "local", "--no-mask", "--", *script], {**env, "CI": "true"}).stdout == TOKEN.encode() + b"\n"
    assert run_bytes(["exec", "local", "--", *script], {**env, "CI": "false"}).stdout == TOKEN.encode() + b"\n"
    both = run_cli(["exec", "local", "--mask", "--no-mask", "--", "true"], env)
    assert both.returncode == 2 and both.stderr.startswith("pypicreds: error: --mask and --no-mask contradict")


def test_a_password_too_short_to_mask_is_left_alone_and_a_longer_one_masked(cli_env):
    """Masking a 5-letter password would blank out words; 8 characters and more are masked (as
    `****`: it is not a PyPI token)."""
    credentials.add(name="short", token="hunt2", url="http://127.0.0.1:9/s/", store="file", write_pypirc=False)
    credentials.add(name="long", token="hunter2-hunter2", url="http://127.0.0.1:9/l/", store="file",
                    write_pypirc=False)
    script = ["sh", "-c", 'echo "pw=$TWINE_PASSWORD; hunt2"']
    assert run_bytes(["exec", "short", "--mask", "--", *script], cli_env).stdout == b"pw=hunt2; hunt2\n"
    assert run_bytes(["exec", "long", "--mask", "--", *script], cli_env).stdout == b"pw=****; hunt2\n"


def test_exit_codes_stdin_and_merged_streams_are_kept(env):
    """The child's exit code comes back; stdin is its own; with 2>&1 the order of its writes is kept."""
    script = 'read line; echo "got $line"; echo "err $TWINE_PASSWORD" >&2; echo out; exit 7'
    result = subprocess.run([PYPICREDS, "exec", "local", "--mask", "--", "sh", "-c", script], env=env,
                            input=b"hello\n", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    assert result.returncode == 7
    assert result.stdout == b"got hello\nerr pypi-****\nout\n"
    missing = run_cli(["exec", "local", "--mask", "--", "no-such-command-xyz"], env)
    assert (missing.returncode, missing.stdout) == (127, "")


def test_a_child_killed_by_a_signal_kills_pypicreds_the_same_way(env):
    """A child dead of SIGTERM: pypicreds dies of SIGTERM too, so a shell sees 143."""
    direct = subprocess.run([PYPICREDS, "exec", "local", "--mask", "--", "sh", "-c", "kill -TERM $$"], env=env,
                            capture_output=True, timeout=60)
    assert direct.returncode == -signal.SIGTERM, direct.stderr
    shell = subprocess.run(["sh", "-c", f'{PYPICREDS} exec local --mask -- sh -c "kill -USR1 \\$\\$"; echo "status $?"'],
                           env=env, capture_output=True, text=True, timeout=60)
    assert shell.stdout.strip().endswith(f"status {128 + signal.SIGUSR1}")
    # a Python child: sh cannot undo a SIGQUIT ignored on entry (as `cmd &` without job control leaves it)
    quit_self = "import os, signal; signal.signal(signal.SIGQUIT, signal.SIG_DFL); os.kill(os.getpid(), signal.SIGQUIT)"
    core = run_bytes(["exec", "local", "--mask", "--", sys.executable, "-c", quit_self], env)
    assert core.returncode == 128 + signal.SIGQUIT  # no core dump of a process holding tokens


SIGNAL_CHILD = """
import signal, sys, time
def handler(signum, frame):
    print(f"got {signal.Signals(signum).name}", flush=True)
    if signum == signal.SIGTERM:
        sys.exit(5)
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGHUP):
    signal.signal(sig, handler)
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""


def test_signals_sent_to_pypicreds_reach_the_child(env):
    """kill -INT/-USR1/-HUP/-TERM on pypicreds: the child gets each once, and its exit code comes back."""
    proc = subprocess.Popen([PYPICREDS, "exec", "local", "--mask", "--", sys.executable, "-c", SIGNAL_CHILD],
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b"ready\n"
        for sig in (signal.SIGINT, signal.SIGUSR1, signal.SIGHUP):
            os.kill(proc.pid, sig)
            assert proc.stdout.readline() == f"got {sig.name}\n".encode()
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.stdout.readline() == b"got SIGTERM\n"
        assert proc.wait(timeout=30) == 5
    finally:
        stop_process(proc)
        proc.communicate()


def test_a_closed_reader_stops_the_child_as_it_would_without_the_relay(env):
    """`exec --mask -- yes | head -1`: the relay closes the child's pipe, the child dies of
    SIGPIPE, and so does pypicreds, promptly."""
    proc = subprocess.Popen([PYPICREDS, "exec", "local", "--mask", "--", "yes"], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.read(2) == b"y\n"
        proc.stdout.close()
        assert proc.wait(timeout=30) == -signal.SIGPIPE
    finally:
        stop_process(proc)


def test_a_grandchild_holding_the_pipes_does_not_keep_pypicreds_waiting(env):
    """The child exits while a background process it started keeps stdout open: pypicreds
    ends soon after the child, with the child's exit code."""
    began = time.monotonic()
    result = run_bytes(["exec", "local", "--mask", "--", "sh", "-c", 'sleep 30 & echo "$!"; exit 3'], env)
    grandchild = int(result.stdout.split()[0])
    try:
        assert result.returncode == 3
        assert time.monotonic() - began < 10
    finally:
        stop_pid(grandchild)


# --- exec --mask on a terminal -----------------------------------------------------------------


def run_on_terminal(argv: list[str], env: dict, *, typing: tuple[tuple[bytes, bytes], ...] = (),
                    timeout: float = 60) -> tuple[int, bytes]:
    """Run argv as the session leader of a new 100x30 pseudo-terminal (stdin, stdout and stderr
    on it); for each (shown, keys) of `typing`, once `shown` has appeared, type `keys`.
    Returns (exit status, everything shown)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, b"\x1e\x00\x64\x00\x00\x00\x00\x00")  # rows 30, cols 100

    def controlling_terminal():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
                            preexec_fn=controlling_terminal)
    os.close(slave)
    try:
        shown = b""
        for until, keys in typing:
            shown += read_terminal(master, timeout, until=until)
            os.write(master, keys)
        shown += read_terminal(master, timeout, exited=lambda: proc.poll() is not None)
        return proc.wait(timeout=timeout), shown
    finally:
        stop_process(proc)
        os.close(master)


def test_on_a_terminal_the_child_gets_a_terminal_and_the_same_bytes(env, tmp_path):
    """On a pty, --mask shows exactly what --no-mask shows, the token replaced: the child still
    sees terminals of the same size on stdout and stderr, and its bytes are not processed twice."""
    plan = write_plan(tmp_path, PLAN)
    shown = {}
    for mode in ("--mask", "--no-mask"):
        code, shown[mode] = run_on_terminal(
            [PYPICREDS, "exec", "local", mode, "--", "sh", "-c", f"{' '.join(CHILD)} tty; {' '.join(CHILD)} plan {plan}"],
            env)
        assert code == 0, shown[mode]
    assert b"fd 1: isatty True size (100, 30)" in shown["--mask"]
    assert b"fd 2: isatty True size (100, 30)" in shown["--mask"]
    assert TOKEN.encode() in shown["--no-mask"]
    assert shown["--mask"] == masked(shown["--no-mask"], TOKEN)
    assert_no_secret(TOKEN, shown["--mask"])


def test_on_a_terminal_high_volume_is_byte_identical_but_for_the_tokens(env):
    """3 MB in writes of 1 byte to 64 KiB through a pty: what --mask shows is what --no-mask
    shows, tokens replaced (the terminal's own newline translation included, once)."""
    shown = {}
    for mode in ("--mask", "--no-mask"):
        code, shown[mode] = run_on_terminal([PYPICREDS, "exec", "local", mode, "--", *CHILD, "volume", "3"], env)
        assert code == 0
    expected = b"".join(chatty_child.volume(TOKEN, 3)).replace(b"\n", b"\r\n")
    assert shown["--no-mask"] == expected
    assert shown["--mask"] == masked(expected, TOKEN)


def test_on_a_terminal_stdin_is_the_childs_and_ctrl_c_reaches_it_once(env):
    """Typed input goes to the child; Ctrl-C from the terminal reaches the child once (the
    relay does not send it a second time) and the child decides what happens."""
    script = ("import signal, sys\n"
              "hits = []\n"
              "signal.signal(signal.SIGINT, lambda *a: hits.append(1))\n"
              "print('name?', flush=True)\n"
              "line = sys.stdin.readline().strip()\n"
              "print('read it', flush=True)\n"
              "import time; time.sleep(1)\n"
              "print(f'hello {line}, interrupts: {len(hits)}', flush=True)\n")
    code, shown = run_on_terminal([PYPICREDS, "exec", "local", "--mask", "--", sys.executable, "-c", script], env,
                                  typing=((b"name?", b"world\n"), (b"read it", b"\x03")))
    assert code == 0, shown
    assert b"hello world, interrupts: 1" in shown


def test_the_child_cannot_read_the_relays_environment_or_memory(tmp_path):
    """pypicreds stays beside the child while it relays, with the vault's passphrase in its
    environment and the token in its memory: a child of the same (non-root) user can read
    neither, as it could not after `exec --no-mask` replaced pypicreds."""
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="pypicreds-nobody-"))
    try:
        os.chown(work, 65534, 65534)
        env = {"HOME": str(work), "PYPICREDS_HOME": str(work / "pc"), "PYPICREDS_STORE": "file",
               "PYPICREDS_PASSPHRASE": "passphrase-canary-1234", "LANG": "C.UTF-8",
               "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
               "PATH": f"{VENV_BIN}:/usr/bin:/bin"}
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        added = subprocess.run([*as_nobody, PYPICREDS, "add", "local", "--url", "http://127.0.0.1:9/", "--no-pypirc",
                                "--token-stdin"], env=env, input=TOKEN, capture_output=True, text=True, timeout=60,
                               cwd=work)
        assert added.returncode == 0, added.stderr
        probe = ('id -u; cat /proc/$PPID/environ 2>&1 | tr "\\0" "\\n" | grep -c PASSPHRASE; '
                 'head -c 100 /proc/$PPID/mem > /dev/null 2>&1 || echo "no memory"')
        done = subprocess.run([*as_nobody, PYPICREDS, "exec", "local", "--mask", "--", "sh", "-c", probe], env=env,
                              capture_output=True, text=True, timeout=60, cwd=work)
        assert done.stdout.split() == ["65534", "0", "no", "memory"], done.stdout + done.stderr
    finally:
        shutil.rmtree(work, ignore_errors=True)
