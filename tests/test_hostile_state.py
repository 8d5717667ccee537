"""Hostile state on disk: files that are not what they seem, directories and key files others
own or can write, read-only places, stale temporary files. Every case is made for real (as
root where the harm needs root: a device node of our own, files given to uid 65534) and every
command either does what it meant to or fails with one line that names the file and a way out,
never blocks, and changes nothing.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest
from macaroon_mint import mint
from realparts import VENV_BIN, assert_no_secret, run_cli

TOKEN = mint([], location="127.0.0.1", identifier="hostile-state-0001")
NEW_TOKEN = mint([], location="127.0.0.1", identifier="hostile-state-0002")
URL = "http://127.0.0.1:9/legacy/"
NOBODY = 65534
UNPRIVILEGED = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]


from test_hostile import fenv  # noqa: E402,F401  (the file store with `kept` stored, its section written)


def pc_home(env) -> Path:
    return Path(env["PYPICREDS_HOME"])


def state(env) -> dict:
    """Every file under HOME (type, mode, owner, content), the lock file apart."""
    found = {}
    for path in sorted(Path(env["HOME"]).rglob("*")):
        if path.name == ".lock":
            continue
        info = path.lstat()
        content = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
        found[str(path)] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode), info.st_uid, content)
    return found


def one_line_error(done, *words) -> None:
    assert done.returncode in (1, 2), (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pypicreds: error: "), done.stderr
    assert "unexpected" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    for word in words:
        assert word in done.stderr, (word, done.stderr)


def own_null_device(where: Path) -> Path:
    """A character device of our own (like /dev/null: 1,3), so that a regression cannot
    destroy the machine's /dev/null."""
    os.mknod(where, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    os.chmod(where, 0o666)  # (mknod applied the umask)
    return where


def same_device(path: Path) -> bool:
    info = path.lstat()
    return stat.S_ISCHR(info.st_mode) and info.st_rdev == os.makedev(1, 3) and stat.S_IMODE(info.st_mode) == 0o666


# --- .pypirc that is not a regular file -------------------------------------------------------------


def test_a_pypirc_linked_to_a_device_is_never_written_chmodded_or_replaced(fenv, tmp_path):
    """`.pypirc -> /dev/null` (a way to switch it off): add, audit --fix, import, remove and
    doctor leave the device as it is; add says how to go on (--no-pypirc), which then works."""
    device = own_null_device(tmp_path / "null")
    pypirc = Path(fenv["HOME"]) / ".pypirc"
    pypirc.unlink()
    pypirc.symlink_to(device)
    before = state(fenv)
    add = run_cli(["add", "other", "--url", URL, "--token-stdin"], fenv, input=NEW_TOKEN)
    one_line_error(add, "character device", "--no-pypirc")
    assert_no_secret(NEW_TOKEN, add.stdout, add.stderr)
    for args in (["audit", "--fix"], ["import"], ["doctor"], ["remove", "kept"]):
        done = run_cli(args, fenv, timeout=30)
        assert "unexpected" not in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)
        assert same_device(device), args
        assert "fixed: chmod" not in done.stderr, done.stderr
        if args[0] == "remove":
            one_line_error(done, "character device")
    assert state(fenv) == before
    assert same_device(device)
    done = run_cli(["add", "other", "--url", URL, "--no-pypirc", "--token-stdin"], fenv, input=NEW_TOKEN)
    assert done.returncode == 0, done.stderr


def test_audit_says_a_pypirc_linked_to_dev_null_is_switched_off(fenv):
    pypirc = Path(fenv["HOME"]) / ".pypirc"
    pypirc.unlink()
    pypirc.symlink_to(os.devnull)
    done = run_cli(["audit", "--json"], fenv)
    import json

    found = {f["id"]: f for f in json.loads(done.stdout)}
    assert found["pypirc-not-a-file"]["severity"] == "info"
    assert "pypirc-permissions" not in found and "pypirc-unparsable" not in found


def test_a_pypirc_that_is_a_directory_is_not_chmodded_by_audit_fix(fenv):
    pypirc = Path(fenv["HOME"]) / ".pypirc"
    pypirc.unlink()
    pypirc.mkdir(mode=0o755)
    os.chmod(pypirc, 0o755)
    done = run_cli(["audit", "--fix", "--json"], fenv)
    assert stat.S_IMODE(pypirc.stat().st_mode) == 0o755
    import json

    finding = next(f for f in json.loads(done.stdout) if f["id"] == "pypirc-not-a-file")
    assert finding["severity"] == "error" and not finding["fixed"] and "directory" in finding["message"]


@pytest.mark.parametrize("args", [["add", "other", "--url", URL, "--token-stdin"], ["audit"], ["doctor"],
                                  ["import"], ["remove", "kept"], ["audit", "--fix"]])
def test_a_fifo_at_pypirc_never_blocks(fenv, args):
    pypirc = Path(fenv["HOME"]) / ".pypirc"
    pypirc.unlink()
    os.mkfifo(pypirc)
    before = state(fenv)
    done = run_cli(args, fenv, input=NEW_TOKEN if args[0] == "add" else None, timeout=20)
    assert "FIFO" in done.stderr + done.stdout, done.stderr
    assert "unexpected" not in done.stderr and "Traceback" not in done.stderr
    if args[0] in ("add", "remove", "doctor", "import"):
        one_line_error(done, "FIFO")
    assert state(fenv) == before


@pytest.mark.parametrize("target", ["/dev/zero", "big"])
def test_an_endless_or_huge_pypirc_is_refused_at_once(fenv, tmp_path, target):
    pypirc = Path(fenv["HOME"]) / ".pypirc"
    pypirc.unlink()
    if target == "big":
        big = tmp_path / "big"
        with open(big, "wb") as f:
            f.truncate(200 * 1024 * 1024)  # sparse: 200 MB that take no disk
        pypirc.symlink_to(big)
    else:
        pypirc.symlink_to(target)
    for args in (["doctor"], ["import"], ["add", "other", "--url", URL, "--token-stdin"]):
        done = run_cli(args, fenv, input=NEW_TOKEN if args[0] == "add" else None, timeout=20)
        one_line_error(done, "character device" if target == "/dev/zero" else "larger than")
    audit = run_cli(["audit", "--json"], fenv, timeout=20)
    assert audit.returncode == 1 and "unexpected" not in audit.stderr


def test_a_socket_at_pypirc_is_named_as_one(fenv, tmp_path):
    pypirc = Path(fenv["HOME"]) / ".pypirc"
    pypirc.unlink()
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(pypirc))
        done = run_cli(["doctor"], fenv, timeout=20)
        one_line_error(done, "socket")
    finally:
        server.close()


def test_a_dangling_pypirc_symlink_is_explained(fenv, tmp_path):
    """add names the link and its missing directory; audit reports it; doctor mentions it."""
    pypirc = Path(fenv["HOME"]) / ".pypirc"
    pypirc.unlink()
    pypirc.symlink_to(tmp_path / "gone" / "pypirc")
    before = state(fenv)
    add = run_cli(["add", "other", "--url", URL, "--token-stdin"], fenv, input=NEW_TOKEN)
    one_line_error(add, "symbolic link", str(tmp_path / "gone"))
    assert state(fenv) == before
    import json

    audit = json.loads(run_cli(["audit", "--json"], fenv).stdout)
    assert any(f["id"] == "pypirc-dangling-symlink" for f in audit)
    doctor = run_cli(["doctor", "kept"], fenv)
    assert "does not exist" in doctor.stdout


# --- pypicreds' own files that are not what they seem -----------------------------------------------


@pytest.mark.parametrize("name", ["index.json", "vault.json", "vault.key"])
@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
def test_special_files_among_pypicreds_own_are_refused(fenv, tmp_path, name, kind):
    path = pc_home(fenv) / name
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        path.symlink_to(own_null_device(tmp_path / "null"))
    before = state(fenv)
    for args, stdin in ((["env", "kept"], None), (["list"], None),
                        (["add", "other", "--url", URL, "--no-pypirc", "--token-stdin"], NEW_TOKEN)):
        if name != "index.json" and args[0] == "list":
            continue  # list reads only the index
        done = run_cli(args, fenv, input=stdin, timeout=20)
        one_line_error(done, "not a regular file")
        assert_no_secret(NEW_TOKEN, done.stdout, done.stderr)
    assert state(fenv) == before
    if kind == "device":
        assert same_device(tmp_path / "null")


@pytest.mark.parametrize("kind", ["fifo", "device-link"])
def test_a_lock_file_that_is_not_a_file_is_refused(fenv, tmp_path, kind):
    lock = pc_home(fenv) / ".lock"
    lock.unlink()
    if kind == "fifo":
        os.mkfifo(lock)
    else:
        lock.symlink_to(own_null_device(tmp_path / "null"))
    before = state(fenv)
    done = run_cli(["add", "other", "--url", URL, "--no-pypirc", "--token-stdin"], fenv, input=NEW_TOKEN, timeout=20)
    one_line_error(done, "lock file")
    assert state(fenv) == before
    assert run_cli(["env", "kept"], fenv).returncode == 0  # reads need no lock


def test_a_journal_that_is_a_fifo_is_set_aside_and_commands_go_on(fenv):
    journal = pc_home(fenv) / "journal.json"
    os.mkfifo(journal)
    done = run_cli(["list"], fenv, timeout=20)
    assert done.returncode == 0 and "kept" in done.stdout, done.stderr
    assert "journal" in done.stderr and "damaged" in done.stderr
    assert not journal.exists() and stat.S_ISFIFO((pc_home(fenv) / "journal.json.damaged-1").lstat().st_mode)


def keyring_env(fenv) -> dict:
    """fenv with keyring left to its own choice (no PYTHON_KEYRING_BACKEND), so that pypicreds reads
    keyring's configuration file, and a short keyring timeout (keyring itself waits on a FIFO there)."""
    env = {k: v for k, v in fenv.items() if k != "PYTHON_KEYRING_BACKEND"}
    return {**env, "PYPICREDS_KEYRING_TIMEOUT": "1"}


def test_a_fifo_as_keyrings_configuration_never_blocks_add_or_doctor(fenv):
    """keyringrc.cfg (read to tell whether keyring asks pypicreds' backend) as a FIFO: add and
    doctor finish, and say the backend's reach is unknown because of it."""
    env = keyring_env(fenv)
    rc = Path(env["XDG_CONFIG_HOME"]) / "python_keyring" / "keyringrc.cfg"
    rc.parent.mkdir(parents=True)
    os.mkfifo(rc)
    add = run_cli(["add", "other", "--url", URL, "--no-pypirc", "--token-stdin"], env, input=NEW_TOKEN, timeout=30)
    assert add.returncode == 0 and "FIFO" in add.stderr and "unknown" in add.stderr, add.stderr
    doctor = run_cli(["doctor", "kept"], env, timeout=30)
    assert "FIFO" in doctor.stdout + doctor.stderr and "Traceback" not in doctor.stderr, doctor.stderr
    assert "unexpected" not in doctor.stderr and stat.S_ISFIFO(rc.lstat().st_mode)


def test_a_fifo_as_the_vault_never_blocks_doctor(fenv):
    env = keyring_env(fenv)
    vault = pc_home(env) / "vault.json"
    vault.unlink()
    os.mkfifo(vault)
    before = state(env)
    doctor = run_cli(["doctor", "kept"], env, timeout=30)
    assert "FIFO" in doctor.stdout + doctor.stderr and "Traceback" not in doctor.stderr, doctor.stderr
    assert "unexpected" not in doctor.stderr and state(env) == before


def test_a_fifo_named_like_the_publisher_on_path_never_blocks_doctor(fenv, tmp_path):
    """doctor reads the `#!` line of the publisher on PATH (is pypicreds' backend beside it?): a
    FIFO there (executable, so `which` finds it) is no Python script, not a wait."""
    env = keyring_env(fenv)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.mkfifo(bin_dir / "twine")
    os.chmod(bin_dir / "twine", 0o755)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    doctor = run_cli(["doctor", "kept"], env, timeout=30)
    assert "kept" in doctor.stdout and "Traceback" not in doctor.stderr, doctor.stderr
    assert "unexpected" not in doctor.stderr


# --- directories and key files others own or can write ----------------------------------------------


TEST_PYPI_TOKEN = mint([], location="test.pypi.org", identifier="hostile-state-0003")


def test_a_pypicreds_directory_others_can_write_is_refused_and_left_as_it_is(cli_env):
    home = pc_home(cli_env)
    home.mkdir(parents=True)
    os.chmod(home, 0o777)
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    done = run_cli(["add", "testpypi", "--no-pypirc", "--token-stdin"], env, input=TEST_PYPI_TOKEN)
    one_line_error(done, "chmod 700", "other users can write")
    assert stat.S_IMODE(home.stat().st_mode) == 0o777 and list(home.iterdir()) == []


def test_a_planted_vault_and_key_do_not_get_our_token(cli_env):
    """Another user plants vault.json and vault.key (a vault of theirs, under their key) in a
    pypicreds directory that was left writable: the victim's add must not encrypt the new
    token under the planted key, neither while the directory is writable nor after it is fixed."""
    import json

    attacker_home = pc_home(cli_env).parent / "attacker"
    planted = {**cli_env, "PYPICREDS_HOME": str(attacker_home), "PYPICREDS_STORE": "file"}
    assert run_cli(["add", "decoy", "--url", URL, "--no-pypirc", "--token-stdin"], planted,
                   input=TOKEN).returncode == 0
    home = pc_home(cli_env)
    home.mkdir(parents=True)
    os.chmod(home, 0o777)
    for name in ("vault.json", "vault.key"):
        (home / name).write_bytes((attacker_home / name).read_bytes())
        os.chown(home / name, NOBODY, NOBODY)
        os.chmod(home / name, 0o600)
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    for mode in (0o777, 0o700):  # writable by others; then fixed, with the planted files still there
        os.chmod(home, mode)
        vault_before = (home / "vault.json").read_bytes()
        done = run_cli(["add", "pypi", "--no-pypirc", "--token-stdin"], env, input=mint([], location="pypi.org"))
        one_line_error(done)
        assert "another user" in done.stderr or "other users can write" in done.stderr, done.stderr
        assert (home / "vault.json").read_bytes() == vault_before
        assert len(json.loads(vault_before)["entries"]) == 1


def test_a_key_file_others_can_read_is_refused_until_audit_fix_narrows_it(fenv):
    key = pc_home(fenv) / "vault.key"
    os.chmod(key, 0o644)
    done = run_cli(["env", "kept"], fenv)
    one_line_error(done, "chmod 600", str(key))
    assert done.stdout == ""
    fix = run_cli(["audit", "--fix"], fenv)
    assert "chmod 600" in fix.stderr, fix.stderr
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert run_cli(["env", "kept"], fenv).returncode == 0


def test_audit_fix_never_takes_over_another_users_file(fenv):
    key = pc_home(fenv) / "vault.key"
    os.chown(key, NOBODY, NOBODY)
    os.chmod(key, 0o644)
    done = run_cli(["audit", "--fix"], fenv)
    assert done.returncode == 1
    info = key.stat()
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (NOBODY, 0o644)
    env = run_cli(["env", "kept"], fenv)
    one_line_error(env, "another user")


# --- read-only places ---------------------------------------------------------------------------------


def run_unprivileged(args, env, input=None):
    return subprocess.run([*UNPRIVILEGED, str(VENV_BIN / "pypicreds"), *args], env=env, input=input,
                          capture_output=True, text=True, timeout=60)


def test_a_read_only_pypicreds_directory_gives_one_line_with_a_way_out(fenv):
    home = pc_home(fenv)
    before = state(fenv)
    os.chmod(home, 0o500)
    try:
        for args, stdin in ((["add", "other", "--url", URL, "--no-pypirc", "--token-stdin"], NEW_TOKEN),
                            (["rotate", "kept", "--token-stdin"], NEW_TOKEN), (["remove", "kept"], None)):
            done = run_unprivileged(args, fenv, stdin)
            one_line_error(done, str(home), "PYPICREDS_HOME")
            assert_no_secret(NEW_TOKEN, done.stdout, done.stderr)
        assert run_unprivileged(["list"], fenv).returncode == 0
    finally:
        os.chmod(home, 0o700)
    assert state(fenv) == before


def test_a_read_only_home_on_first_use_names_the_way_out(cli_env):
    home = Path(cli_env["HOME"])
    os.chmod(home, 0o555)
    try:
        env = {**cli_env, "PYPICREDS_STORE": "file"}
        done = run_unprivileged(["add", "testpypi", "--no-pypirc", "--token-stdin"], env, TEST_PYPI_TOKEN)
    finally:
        os.chmod(home, 0o755)
    one_line_error(done, "cannot create", "Permission denied", "PYPICREDS_HOME")


# --- temporary files ----------------------------------------------------------------------------------


def test_stale_temporary_files_go_even_when_their_pid_is_alive_again(fenv):
    """A temp file named with a live PID (pid 1 stands for a reused one) but older than any
    write goes; one that is fresh is left to its (possibly live) writer; another user's stays."""
    home = pc_home(fenv)
    old = home / ".index.json.pypicreds-tmp-1-0123456789abcdef"
    fresh = home / ".index.json.pypicreds-tmp-1-fedcba9876543210"
    foreign = home / f".index.json.pypicreds-tmp-{os.getpid() + 10**6}-00112233445566ff"
    for path in (old, fresh, foreign):
        path.write_bytes(b"half written")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    os.chown(foreign, NOBODY, NOBODY)
    done = run_cli(["add", "other", "--url", URL, "--no-pypirc", "--token-stdin"], fenv, input=NEW_TOKEN)
    assert done.returncode == 0, done.stderr
    assert not old.exists() and fresh.exists() and foreign.exists()


def test_a_foreign_temporary_file_in_a_shared_sticky_directory_is_harmless(fenv, tmp_path):
    """.pypirc in a world-writable sticky directory where another user left files named like
    ours: writes and clean-ups go on without touching them."""
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    pypirc = shared / ".pypirc"
    env = {**fenv, "PYPICREDS_PYPIRC": str(pypirc)}
    planted = [shared / f".{pypirc.name}.pypicreds-tmp-{n}-0000000000000000" for n in range(1, 40)]
    planted.append(shared / f".{pypirc.name}.pypicreds-tmp-{os.getpid()}")
    for path in planted:
        path.write_bytes(b"theirs")
        os.chown(path, NOBODY, NOBODY)
    done = run_unprivileged(["add", "other", "--url", URL, "--token-stdin"], env, NEW_TOKEN)
    assert done.returncode == 0, done.stderr
    assert "[other]" in pypirc.read_text()
    assert all(path.read_bytes() == b"theirs" for path in planted)
