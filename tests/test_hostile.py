"""Hostile input: every command either does what it meant to, changing nothing else, or fails
with one `pypicreds: error:` line (exit 1 or 2, no traceback) and leaves every file as it was.

- hypothesis writes .pypirc files with comments, unicode, CRLF/CR, a BOM, duplicate keys and
  sections, indentation and junk lines; add, remove, list, show, env and audit run on them
  in-process (through pypicreds.__main__.main, fast path included).
- fixed cases through the installed CLI: tokens, names and URLs with control characters,
  newlines, NUL, 100 kB of text, non-UTF-8 stdin; a .pypirc that is a directory, unreadable
  or in a read-only directory (root's permission-bypassing capabilities dropped with setpriv);
  a vault cut short; HOME unset; a keyring that hangs or is locked.
"""

from __future__ import annotations

import configparser
import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from macaroon_mint import mint
from realparts import VENV_BIN, assert_no_secret, run_cli

from pypicreds.__main__ import main

TOKEN = mint([], location="127.0.0.1", identifier="hostile-0001")
NEW_TOKEN = mint([], location="127.0.0.1", identifier="hostile-0002")
URL = "http://127.0.0.1:9/legacy/"
NAMES = ["pypi", "testpypi", "internal", "kept", "new-repo", "distutils", "server-login", "ünï"]
KEYS = ["username", "repository", "password", "index-servers", "Username", "ca_cert", "x"]


# --- generated .pypirc files ----------------------------------------------------------------------


@st.composite
def pypirc_files(draw) -> bytes:
    line = st.one_of(
        st.sampled_from(["", "   ", "# comment", "; other comment", "#", "  # indented comment"]),
        st.builds(lambda n: f"[{n}]", st.sampled_from(NAMES + ["DEFAULT", "", "a b"])),
        st.builds(lambda k, d, v: f"{k}{d}{v}", st.sampled_from(KEYS), st.sampled_from(["=", " = ", ":", " :"]),
                  st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=20)),
        st.builds(lambda v: "    " + v, st.sampled_from(["pypi", "testpypi", "internal", "kept", "ünï", "x = y"])),
        st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=15),  # junk
    )
    lines = draw(st.lists(line, max_size=14))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    if draw(st.booleans()) and draw(st.booleans()):
        text = "\ufeff" + text
    return text.encode("utf-8")


# --- running the CLI in-process -------------------------------------------------------------------


@contextlib.contextmanager
def world(pypirc_bytes: bytes):
    """A fresh HOME and PYPICREDS_HOME with `kept` stored (file store, key-file vault, no
    .pypirc section), and the generated .pypirc."""
    base = Path(tempfile.mkdtemp(prefix="hostile-"))
    saved = dict(os.environ)
    try:
        os.environ.update(HOME=str(base), PYPICREDS_HOME=str(base / "pc"), PYPICREDS_STORE="file")
        for name in ("PYPICREDS_PYPIRC", "PYPICREDS_PASSPHRASE", "PYPICREDS_DEBUG"):
            os.environ.pop(name, None)
        code, _, err = cli(["add", "kept", "--url", URL, "--no-pypirc", "--token-stdin"], TOKEN)
        assert code == 0, err
        (base / ".pypirc").write_bytes(pypirc_bytes)
        yield base
    finally:
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(base, ignore_errors=True)


def cli(argv: list[str], stdin: str | bytes = b"") -> tuple[int, str, str]:
    """Run `pypicreds argv` in this process; returns (exit code, stdout, stderr)."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = io.TextIOWrapper(io.BytesIO(data))
    sys.stdout, sys.stderr = out, err
    try:
        code = main(argv)
    except SystemExit as e:  # click may exit on its own for usage errors
        code = e.code if isinstance(e.code, int) else 1
    finally:
        sys.stdin, sys.stdout, sys.stderr = old
    return code, out.getvalue(), err.getvalue()


def files(base: Path) -> dict[str, bytes | None]:
    """Every file of the world, by relative path (the lock file is allowed to appear)."""
    found = {}
    for path in sorted(base.rglob("*")):
        if path.is_file() and path.name != ".lock":
            found[str(path.relative_to(base))] = path.read_bytes()
    return found


def assert_clean_failure(code: int, out: str, err: str) -> None:
    assert code in (1, 2), (code, err)
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pypicreds: error: "), err


def twine_view(raw: bytes) -> dict | None:
    """Every section as twine's RawConfigParser sees it; None if it cannot parse."""
    parser = configparser.RawConfigParser()
    try:  # universal newlines, as twine's open() reads it
        parser.read_file(io.StringIO(raw.decode("utf-8"), newline=None))
    except (configparser.Error, UnicodeDecodeError):
        return None
    return {s: dict(parser.items(s, raw=True)) for s in parser.sections()}


COMMANDS = [
    ["add", "new-repo", "--url", URL, "--token-stdin"],
    ["add", "internal", "--url", URL, "--token-stdin"],
    ["add", "testpypi-like", "--url", URL, "--token-stdin"],
    ["remove", "kept", "--pypirc", "{pypirc}"],
    ["list"],
    ["show", "kept"],
    ["env", "kept"],
    ["audit"],
]


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=pypirc_files(), which=st.integers(0, len(COMMANDS) - 1))
def test_generated_pypirc_is_changed_only_as_meant_or_not_at_all(text, which):
    argv = COMMANDS[which]
    with world(text) as base:
        pypirc = base / ".pypirc"
        argv = [a.format(pypirc=pypirc) for a in argv]
        before = files(base)
        code, out, err = cli(argv, TOKEN if argv[0] == "add" else b"")
        assert "Traceback" not in err
        after = files(base)
        if argv[0] in ("list", "show", "env", "audit"):
            assert after == before, f"{argv[0]} changed a file"
            if code != 0 and argv[0] != "audit":  # audit exits 1 when it finds something
                assert_clean_failure(code, out, err)
            return
        if code != 0:
            assert_clean_failure(code, out, err)
            assert after == before, "a failed command changed a file"
            return
        old_view, new_view = twine_view(text), twine_view(pypirc.read_bytes()) if pypirc.exists() else {}
        name = argv[1]
        if argv[0] == "add":
            assert old_view is not None, "add wrote into a file twine cannot parse"
            assert new_view[name]["repository"] == URL and new_view[name]["username"] == "__token__"
            others = lambda view: {s: v for s, v in view.items() if s not in (name, "distutils")}  # noqa: E731
            assert others(new_view) == others(old_view)
            # and what add changed, remove takes back byte for byte
            code, out, err = cli(["remove", name])
            assert code == 0, err
            assert pypirc.read_bytes() == text
        else:
            assert name not in (new_view or {})
            others = lambda view: {s: v for s, v in (view or {}).items() if s not in (name, "distutils")}  # noqa: E731
            assert others(new_view) == others(old_view)


# --- fixed cases through the installed CLI ---------------------------------------------------------


@pytest.fixture
def fenv(cli_env):
    """cli_env with the file store and `kept` stored, and a hand-written .pypirc."""
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    done = run_cli(["add", "kept", "--url", URL, "--token-stdin"], env, input=TOKEN)
    assert done.returncode == 0, done.stderr
    return env


def snapshot(env: dict) -> dict:
    return files(Path(env["HOME"]))


def fails_cleanly(done: subprocess.CompletedProcess, secret: str | None = None) -> None:
    out = done.stdout if isinstance(done.stdout, str) else done.stdout.decode(errors="replace")
    err = done.stderr if isinstance(done.stderr, str) else done.stderr.decode(errors="replace")
    assert_clean_failure(done.returncode, out, err)
    if secret:
        assert_no_secret(secret, out, err)


BAD_TOKENS = {
    "newline inside": TOKEN[:20] + "\n" + TOKEN[20:],
    "control character": TOKEN[:20] + "\x1b[2J" + TOKEN[20:],
    "NUL": TOKEN[:20] + "\x00" + TOKEN[20:],
    "100 kB": TOKEN + "A" * 100_000,
    "spaces": TOKEN[:20] + " " + TOKEN[20:],
}


@pytest.mark.parametrize("what", BAD_TOKENS)
def test_bad_tokens_on_stdin(fenv, what):
    before = snapshot(fenv)
    done = run_cli(["add", "other", "--url", URL, "--token-stdin"], fenv, input=BAD_TOKENS[what])
    fails_cleanly(done, BAD_TOKENS[what] if what != "100 kB" else TOKEN)
    assert snapshot(fenv) == before


def test_non_utf8_stdin(fenv):
    before = snapshot(fenv)
    done = run_cli(["rotate", "kept", "--token-stdin"], fenv, input=b"pypi-\xff\xfe\x80abc")
    fails_cleanly(done)
    assert snapshot(fenv) == before


@pytest.mark.parametrize("argv", [
    ["add", "bad\nname", "--url", URL],
    ["add", "bad\x1bname", "--url", URL],
    ["add", "other", "--url", URL + "\n[evil]\npassword = x"],
    ["add", "other", "--url", "http://127.0.0.1:9/\x07bell"],
    ["add", "other", "--url", URL, "--username", "a\nb"],
    ["add", "other", "--url", URL, "--project", "bad\nproject"],
    ["show", "ünï\r\n"],
    ["env", "kept\x00".replace("\x00", "\x01")],
])
def test_bad_names_and_urls(fenv, argv):
    before = snapshot(fenv)
    done = run_cli([*argv, "--token-stdin"] if argv[0] == "add" else argv, fenv, input=NEW_TOKEN)
    fails_cleanly(done, NEW_TOKEN)
    assert snapshot(fenv) == before


def test_nul_in_argv_never_reaches_pypicreds():
    # The OS cannot pass a NUL in argv at all; say so, so no one thinks it untested.
    with pytest.raises(ValueError):
        subprocess.run([str(VENV_BIN / "pypicreds"), "show", "a\x00b"], capture_output=True)


def test_pypirc_that_is_a_directory(fenv):
    pypirc = Path(fenv["HOME"]) / ".pypirc"
    pypirc.unlink()
    pypirc.mkdir()
    before = snapshot(fenv)
    done = run_cli(["add", "other", "--url", URL, "--token-stdin"], fenv, input=NEW_TOKEN)
    fails_cleanly(done, NEW_TOKEN)
    assert snapshot(fenv) == before
    assert run_cli(["list"], fenv).stdout.count("kept") == 1  # the store and index lost nothing


UNPRIVILEGED = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]  # root without its bypass


def run_unprivileged(args, env, input=None):
    return subprocess.run([*UNPRIVILEGED, str(VENV_BIN / "pypicreds"), *args], env=env, input=input,
                          capture_output=True, text=True, timeout=60)


def test_unreadable_pypirc(fenv):
    pypirc = Path(fenv["HOME"]) / ".pypirc"
    pypirc.chmod(0)
    before = snapshot(fenv)
    for args, stdin in ((["add", "other", "--url", URL, "--token-stdin"], NEW_TOKEN), (["remove", "kept"], None)):
        done = run_unprivileged(args, fenv, stdin)
        fails_cleanly(done, NEW_TOKEN)
        assert "permission denied" in done.stderr.lower(), done.stderr
        assert snapshot(fenv) == before


def test_pypirc_in_a_read_only_directory(fenv):
    home = Path(fenv["HOME"])
    before = snapshot(fenv)
    home.chmod(0o555)  # no temp file can be created beside .pypirc
    try:
        done = run_unprivileged(["add", "other", "--url", URL, "--token-stdin"], fenv, NEW_TOKEN)
    finally:
        home.chmod(0o755)
    fails_cleanly(done, NEW_TOKEN)
    assert snapshot(fenv) == before, "the token was kept in the store or index though the add failed"


def test_vault_cut_short(fenv):
    vault = Path(fenv["PYPICREDS_HOME"]) / "vault.json"
    vault.write_bytes(vault.read_bytes()[: len(vault.read_bytes()) // 2])
    before = snapshot(fenv)
    for args, stdin in ((["env", "kept"], None), (["add", "other", "--url", URL, "--token-stdin"], NEW_TOKEN),
                        (["show", "kept", "--reveal"], None), (["remove", "kept"], None)):
        done = run_cli(args, fenv, input=stdin)
        fails_cleanly(done, NEW_TOKEN)
        assert "damaged" in done.stderr
        assert snapshot(fenv) == before


def test_home_unset(tmp_home, monkeypatch):
    """HOME unset and no passwd entry to fall back on (as in a bare container). The passwd
    lookup is the one thing faked: a uid without an entry could not run this venv's Python."""
    import pwd

    monkeypatch.setenv("PYPICREDS_STORE", "file")
    code, _, err = cli(["add", "kept", "--url", URL, "--no-pypirc", "--token-stdin"], TOKEN)
    assert code == 0, err
    before = files(tmp_home)
    monkeypatch.delenv("HOME")

    def no_entry(uid):
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    code, out, err = cli(["add", "other", "--url", URL, "--token-stdin"], NEW_TOKEN)
    assert_clean_failure(code, out, err)
    assert "HOME" in err
    assert_no_secret(NEW_TOKEN, out, err)
    assert files(tmp_home) == before
    code, out, err = cli(["list"])
    assert code == 0 and "kept" in out  # reads need no HOME when PYPICREDS_HOME is set


def test_hung_keyring(cli_env, hung_secret_service):
    env = {**cli_env, **hung_secret_service.env, "PYPICREDS_KEYRING_TIMEOUT": "1"}
    before = snapshot(env)
    done = run_cli(["add", "other", "--url", URL, "--store", "keyring", "--token-stdin"], env, input=NEW_TOKEN,
                   timeout=30)
    fails_cleanly(done, NEW_TOKEN)
    assert "did not answer" in done.stderr
    assert snapshot(env) == before


def test_locked_keyring(cli_env, locked_secret_service):
    env = {**cli_env, **locked_secret_service.env}
    before = snapshot(env)
    done = run_cli(["add", "other", "--url", URL, "--store", "keyring", "--token-stdin"], env, input=NEW_TOKEN)
    fails_cleanly(done, NEW_TOKEN)
    assert "locked" in done.stderr
    assert snapshot(env) == before


def test_pypicreds_home_owned_by_another_user_is_refused(cli_env, tmp_path):
    """A PYPICREDS_HOME someone else owns (a shared /tmp, say) is never used for tokens."""
    foreign = tmp_path / "foreign"
    foreign.mkdir(mode=0o777)
    os.chown(foreign, 65534, 65534)
    env = {**cli_env, "PYPICREDS_HOME": str(foreign), "PYPICREDS_STORE": "file"}
    done = run_cli(["add", "other", "--url", URL, "--no-pypirc", "--token-stdin"], env, input=NEW_TOKEN)
    fails_cleanly(done, NEW_TOKEN)
    assert "belongs to another user" in done.stderr
    assert list(foreign.iterdir()) == []
