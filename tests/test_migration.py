"""Per-project tokens that an older pypicreds kept in the keyring under "__token__:project:NAME"
move to flit's "pypi_token:project:NAME" on the next write command, once, journaled
(recovery/migrate.py). SIGKILLed at random moments of that command, nothing is lost: every token
is under one name or both after each kill, the next command (a read) finishes an interrupted
move and says so, and the next write command leaves every token under flit's name only and says
so once. Runs against a real gnome-keyring Secret Service.
"""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import subprocess
import time
from pathlib import Path

import pytest

from publishing import new_token
from realparts import VENV_BIN, run_cli

URL = "http://127.0.0.1:9/migrate/legacy/"
PROJECTS = [f"proj-{i}" for i in range(6)]
MOVED_NOTE = "per-project token(s) in the keyring to the names flit looks up"


def new_name(project: str) -> str:
    return f"pypi_token:project:{project}"


def old_name(project: str) -> str:
    return f"__token__:project:{project}"


@pytest.fixture
def world(cli_env, keyring_service, tmp_path):
    """`local` with six per-project tokens in the keyring, then put back the way an older
    pypicreds kept them (old names, no mark in the index). Returns (env, tokens, age)."""
    import keyring.backends.SecretService as secret_service

    backend = secret_service.Keyring()
    env = {**cli_env, **keyring_service.env, "PYPICREDS_STORE": "keyring"}
    tokens = {}
    assert run_cli(["add", "local", "--url", URL, "--token-stdin"], env, input=new_token()).returncode == 0
    for project in PROJECTS:
        tokens[project] = new_token()
        done = run_cli(["add", "local", "--project", project, "--token-stdin"], env, input=tokens[project])
        assert done.returncode == 0, done.stderr
    index = Path(env["PYPICREDS_HOME"]) / "index.json"

    def age() -> None:
        for project, token in tokens.items():
            backend.set_password(URL, old_name(project), token)
            if backend.get_password(URL, new_name(project)) is not None:
                backend.delete_password(URL, new_name(project))
        data = json.loads(index.read_text())
        data.pop("keyring_project_names", None)
        index.write_text(json.dumps(data))

    def where(project: str) -> set[str]:
        """Which names hold the project's token (failing on any other token there)."""
        found = set()
        for label, user in (("new", new_name(project)), ("old", old_name(project))):
            value = backend.get_password(URL, user)
            assert value in (None, tokens[project]), f"{label} name of {project} holds another token"
            if value is not None:
                found.add(label)
        return found

    age()
    return env, age, where


def run_write(env, name: str, kill_after: float | None = None) -> subprocess.CompletedProcess | None:
    """`pypicreds add NAME` (a write command); SIGKILLed after `kill_after` seconds when given.
    None when it died by the kill."""
    stdin = Path(env["HOME"]) / "token.txt"
    stdin.write_text(new_token())
    with open(stdin, "rb") as source:
        proc = subprocess.Popen([str(VENV_BIN / "pypicreds"), "add", name, "--url", f"{URL}{name}/", "--token-stdin"],
                                env=env, stdin=source, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if kill_after is not None:
            time.sleep(kill_after)
            proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode == -signal.SIGKILL:
        return None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_a_write_command_moves_old_entries_once_and_reads_find_them_meanwhile(world):
    env, age, where = world
    shown = run_cli(["show", "local", "--project", PROJECTS[0], "--reveal"], env)
    assert shown.returncode == 0 and shown.stdout.strip()  # found under the old name
    assert all(where(p) == {"old"} for p in PROJECTS)
    first = run_write(env, "first")
    assert first.returncode == 0, first.stderr
    assert first.stderr.count(MOVED_NOTE) == 1
    assert all(where(p) == {"new"} for p in PROJECTS)
    second = run_write(env, "second")
    assert second.returncode == 0 and MOVED_NOTE not in second.stderr  # once


def test_kills_during_the_move_lose_nothing_and_the_next_command_finishes_it(world, keyring_service):
    env, age, where = world
    rng = random.Random(int(os.environ.get("CRASH_SEED") or random.randrange(1 << 30)))
    times = []
    for i in range(3):
        began = time.monotonic()
        done = run_write(env, f"timing{i}")
        times.append(time.monotonic() - began)
        assert done.returncode == 0, done.stderr
        age()
    runtime = statistics.median(times)
    kills = int(os.environ.get("CRASH_MIGRATE_KILLS", "16"))
    stats = {"kills": 0, "journal": 0, "half_moved": 0}
    i = 0
    while stats["kills"] < kills or not stats["journal"]:
        i += 1
        assert i < 4 * kills, f"no kill fell inside the move: {stats}"
        died = run_write(env, f"k{i}", kill_after=rng.uniform(0.3 * runtime, 1.0 * runtime)) is None
        keyring_service.ensure_running()  # gnome-keyring may abort on a client killed mid-call
        stats["kills"] += died
        places = {p: where(p) for p in PROJECTS}
        assert all(places.values()), f"kill {i}: a token is under neither name: {places}"
        journal = Path(env["PYPICREDS_HOME"]) / "journal.json"
        journal_was = journal.exists()
        stats["journal"] += journal_was
        stats["half_moved"] += any(len(found) == 2 for found in places.values())
        read = run_cli(["list"], env)  # a read repairs what the kill left
        assert read.returncode == 0, read.stderr
        assert not journal.exists(), f"kill {i}: the journal is still there after a read"
        if any(len(found) == 2 for found in places.values()) and stats["journal"]:
            assert "interrupted" in read.stderr or not journal_was, f"kill {i}: the repair was not reported"
        assert all({p: where(p) for p in PROJECTS}.values())
        done = run_write(env, f"w{i}")
        assert done.returncode == 0, done.stderr
        assert all(where(p) == {"new"} for p in PROJECTS), f"kill {i}: not all moved: {places}"
        assert done.stderr.count(MOVED_NOTE) <= 1
        age()
    print(f"migration kills: {stats}")
