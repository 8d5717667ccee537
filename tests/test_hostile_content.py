"""Hostile content: what pypicreds prints that came from somewhere else (a scanned file, a
token's fields, a file name), credentials inside URLs, and passphrases that are not UTF-8.

- Everything printed is inert on a terminal: no escape sequence, carriage return or forged line
  reaches stdout or stderr raw; --json stays plain JSON that reads back to the same text.
- A URL holding `user:password@` never reaches the index, .pypirc (by pypicreds' hand), any
  output, or the argv of any child (checked in every Python process twine runs as).
- A passphrase that is not UTF-8 is used as the bytes it is; no part of it is ever printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from macaroon_mint import current, mint
from realparts import VENV_BIN, assert_no_secret, make_wheel, run_cli

ESC = "\x1b"
NASTY_ID = f"evil{ESC}]0;pwned\x07\nFAKE: line{ESC}[2J\u202eok"
NASTY_CAVEAT = '[1,["demo\\u001b[31m\\nforged"]]'  # a project name with an escape and a newline
UNKNOWN_CAVEAT = "[9,1]"  # a kind of caveat pypicreds cannot read
URL = "http://127.0.0.1:9/legacy/"


def inert(*texts: str) -> None:
    for text in texts:
        assert ESC not in text and "\x07" not in text and "\r" not in text and "\u202e" not in text, repr(text)


def test_scan_prints_token_fields_and_file_names_escaped(cli_env, tmp_path):
    token = mint([NASTY_CAVEAT, UNKNOWN_CAVEAT], location="pypi.org", identifier=NASTY_ID)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "bad\nname\x1b[1m.txt").write_text(f"TOKEN={token}\n")
    human = run_cli(["scan", str(tree)], cli_env)
    assert human.returncode == 1
    inert(human.stdout, human.stderr)
    assert len(human.stdout.splitlines()) == 1, human.stdout  # one hit, one line: nothing forged
    assert "\\x1b" in human.stdout and "\\n" in human.stdout
    as_json = run_cli(["scan", "--json", str(tree)], cli_env)
    inert(as_json.stdout)
    [hit] = json.loads(as_json.stdout)
    assert hit["token_id"] == NASTY_ID and hit["path"].endswith("bad\nname\x1b[1m.txt")
    assert hit["projects"] == ["demo\x1b[31m\nforged"] and hit["unknown_caveats"] == 1
    assert_no_secret(token, human.stdout, human.stderr, as_json.stdout)


def test_every_command_that_prints_token_fields_escapes_them(cli_env):
    token = mint([UNKNOWN_CAVEAT], location="pypi.org", identifier=NASTY_ID)
    other = mint([NASTY_CAVEAT], location="pypi.org", identifier=NASTY_ID + "2")
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    added = run_cli(["add", "pypi", "--no-pypirc", "--token-stdin"], env, input=token)
    assert added.returncode == 0, added.stderr
    project = run_cli(["add", "pypi", "--project", "demo", "--no-pypirc", "--token-stdin"], env, input=other)
    runs = [added, project] + [run_cli(args, env) for args in (["list"], ["show", "pypi"], ["inspect", "pypi"], ["audit"])]
    runs.append(run_cli(["inspect", "--token-stdin"], env, input=token))
    for done in runs:
        inert(done.stdout, done.stderr)
    for args in (["list", "--json"], ["show", "pypi", "--json"], ["inspect", "pypi", "--json"], ["audit", "--json"]):
        done = run_cli(args, env)
        inert(done.stdout)
        json.loads(done.stdout)
    inspected = json.loads(run_cli(["inspect", "pypi", "--json"], env).stdout)
    assert inspected["token_id"] == NASTY_ID and inspected["unknown_caveats"] == 1
    assert "restricted in a way pypicreds cannot read" in run_cli(["inspect", "pypi"], env).stdout


def test_an_undecodable_file_name_does_not_crash_the_output(cli_env, tmp_path):
    token = mint([], location="pypi.org", identifier=str(uuid.uuid4()))
    tree = tmp_path / "tree"
    tree.mkdir()
    fd = os.open(os.fsencode(tree) + b"/\xff\xfe.txt", os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, token.encode())
    os.close(fd)
    done = run_cli(["scan", str(tree)], cli_env)
    assert done.returncode == 1 and "unexpected" not in done.stderr, done.stderr
    assert "\\udcff" in done.stdout


# --- URLs holding credentials -------------------------------------------------------------------------


SECRET = "Sup3r-Secret-Pa55"


def test_import_and_audit_keep_a_url_with_credentials_out_of_every_place(cli_env):
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    home = Path(env["HOME"])
    pypirc = home / ".pypirc"
    pypirc.write_text(f"[distutils]\nindex-servers =\n    corp\n\n[corp]\nrepository = http://alice:{SECRET}@127.0.0.1:9/x/\n"
                      "username = alice\npassword = another-password\n")
    pypirc.chmod(0o600)
    before = pypirc.read_bytes()
    imported = run_cli(["import"], env)
    assert imported.returncode == 1 and "corp" in imported.stderr, imported.stderr
    assert pypirc.read_bytes() == before
    audit = run_cli(["audit", "--json"], env)
    fixed = run_cli(["audit", "--fix"], env)
    found = {f["id"] for f in json.loads(audit.stdout)}
    assert "url-credentials" in found
    outputs = [imported.stdout, imported.stderr, audit.stdout, audit.stderr, fixed.stdout, fixed.stderr]
    for args in (["list"], ["list", "--json"], ["doctor"], ["doctor", "--json"]):
        done = run_cli(args, env)
        outputs += [done.stdout, done.stderr]
    assert_no_secret(SECRET, *outputs)
    for path in Path(env["PYPICREDS_HOME"]).rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_add_and_the_editor_refuse_a_url_with_credentials(cli_env):
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    done = run_cli(["add", "corp", "--url", f"https://bob:{SECRET}@example.org/x/", "--token-stdin"], env,
                   input="password")
    assert done.returncode == 2 and SECRET not in done.stderr
    from pypicreds import pypirc
    from pypicreds.errors import PypircError

    with pytest.raises(PypircError):
        pypirc.add_repository(Path(env["HOME"]) / "x.pypirc", name="corp", username="bob",
                              url=f"https://bob:{SECRET}@example.org/x/")


# Records the argv of every Python process started with it on PYTHONPATH (pypicreds, exec's child).
SITECUSTOMIZE = """
import os
with open("/proc/self/cmdline", "rb") as cmdline, open(os.environ["ARGV_LOG"], "ab") as log:
    log.write(cmdline.read().replace(b"\\0", b" ") + b"\\n")
"""


def test_no_child_argv_holds_a_token_or_url_credentials(cli_env, pypiserver, tmp_path):
    token = mint([], location="127.0.0.1", identifier="argv-canary-0001")
    index = pypiserver(token)
    spy = tmp_path / "spy"
    spy.mkdir()
    (spy / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "argv.log"
    env = {**cli_env, "PYPICREDS_STORE": "file", "PYTHONPATH": str(spy), "ARGV_LOG": str(log)}
    assert run_cli(["add", "local", "--url", index.url, "--token-stdin"], env, input=token).returncode == 0
    wheel = make_wheel(tmp_path / "dist", "argv-demo", "1.0")
    done = run_cli(["upload", "local", str(wheel)], env, timeout=120)
    assert done.returncode == 0, done.stderr
    exec_ = run_cli(["exec", "local", "--", sys.executable, "-c", "pass"], env)
    assert exec_.returncode == 0, exec_.stderr
    argvs = log.read_text()
    assert " upload local " in argvs and " exec local " in argvs and " -c pass" in argvs, argvs  # the spy saw all
    assert "twine" not in argvs  # upload starts no twine process: twine takes pypicreds' own over
    assert_no_secret(token, argvs)
    assert_no_secret(token[9:41], argvs)


# --- passphrases ------------------------------------------------------------------------------------


def test_a_passphrase_that_is_not_utf8_is_used_as_bytes_and_never_shown(cli_env):
    token = mint([], location="127.0.0.1", identifier="passphrase-0001")
    raw = b"p\xffss\xfe-\xc3(phrase"
    env = {k.encode(): v.encode() for k, v in cli_env.items()}
    env.update({b"PYPICREDS_STORE": b"file", b"PYPICREDS_PASSPHRASE": raw})
    pypicreds = str(VENV_BIN / "pypicreds")
    added = subprocess.run([pypicreds, "add", "local", "--url", URL, "--no-pypirc", "--token-stdin"], env=env,
                           input=token.encode(), capture_output=True, timeout=60)
    assert added.returncode == 0, added.stderr
    shown = subprocess.run([pypicreds, "env", "local"], env=env, capture_output=True, timeout=60)
    assert shown.returncode == 0 and token.encode() in shown.stdout
    wrong = subprocess.run([pypicreds, "env", "local"], env={**env, b"PYPICREDS_PASSPHRASE": raw[:-1] + b"\xfa"},
                           capture_output=True, timeout=60)
    assert wrong.returncode == 1 and b"wrong passphrase" in wrong.stderr
    for output in (added.stderr, shown.stderr, wrong.stdout, wrong.stderr):
        assert b"\xff" not in output and b"\\udcff" not in output and b"phrase" not in output.replace(b"passphrase", b"")


# --- tokens that claim more than they can do ---------------------------------------------------------


def test_inspect_says_when_a_token_is_not_yet_valid(cli_env):
    import time

    later = int(time.time()) + 7200
    token = mint([current([0, later + 3600, later])], location="pypi.org")
    done = run_cli(["inspect", "--token-stdin"], cli_env, input=token)
    assert done.returncode == 0 and "not valid until then" in done.stdout, done.stdout


def test_upload_refuses_a_token_that_is_not_yet_valid_and_warns_on_unknown_caveats(cli_env, pypiserver, tmp_path):
    import time

    later = int(time.time()) + 7200
    early = mint([current([0, later + 3600, later])], location="127.0.0.1")
    unknown = mint(["[9,1]"], location="127.0.0.1")
    index = pypiserver(unknown)
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    wheel = make_wheel(tmp_path / "dist", "early-demo", "1.0")
    assert run_cli(["add", "early", "--url", index.url, "--no-pypirc", "--token-stdin"], env, input=early).returncode == 0
    done = run_cli(["upload", "early", str(wheel), "--skip-check"], env)
    assert done.returncode == 1 and "not valid until" in done.stderr, done.stderr
    assert run_cli(["add", "local", "--url", index.url, "--no-pypirc", "--token-stdin"], env,
                   input=unknown).returncode == 0
    done = run_cli(["upload", "local", str(wheel), "--skip-check"], env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "restricted in a way pypicreds cannot read" in done.stderr
