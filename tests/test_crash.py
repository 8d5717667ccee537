"""SIGKILL `pypicreds add`, `rotate` and `remove` at random moments, hundreds of times.

After every kill, `.pypirc`, the index and the vault each parse and each hold the state from
before the command or the state after it (never a mix inside one file, never a truncated
file). The next command (never killed) then leaves all three agreeing with each other, on
one side or the other, and says on stderr that it repaired something whenever the kill had
left them disagreeing. Temporary files of killed writes are gone after it.

The expected `.pypirc` bytes come from running the editor (pypirc.py) on a scratch copy: the
editor's own exactness is tested in test_pypirc.py; here the question is atomicity.

Seeds: CRASH_SEED picks the random sequence (in every failure message); CRASH_KILLS and
CRASH_KEYRING_KILLS change how many kills (260 and 40; runs that finish before their kill
do not count).
"""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from macaroon_mint import mint
from realparts import VENV_BIN

from pypicreds import fsutil
from pypicreds import pypirc as pypirc_edit
from pypicreds.store.base import TokenKey
from pypicreds.tokens import fingerprint

def url_for(name: str) -> str:
    """Each repository its own URL: the keyring keys tokens by URL and username, as twine does."""
    return f"http://127.0.0.1:9/{name}/legacy/"  # never contacted
HANDWRITTEN = (
    "# publishing setup, kept by hand\r\n"
    "[distutils]\r\n"
    "index-servers =\r\n"
    "    pypi\r\n"
    "    internal\r\n"
    "\r\n"
    "[internal]\r\n"
    "repository = https://example.invalid/legacy/   \r\n"
    "username=alice\r\n"
    "; a comment that must survive\r\n"
)


def new_token() -> str:
    return mint([], location="127.0.0.1", identifier=str(uuid.uuid4()))


# --- reading the three files --------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    pypirc: bytes | None
    index: tuple  # sorted (name, fingerprint)
    store: tuple  # sorted (name, fingerprint of the stored token)

    def consistent(self) -> bool:
        return self.index == self.store


@dataclass
class World:
    """One PYPICREDS_HOME and .pypirc driven through the real CLI."""

    env: dict
    home: Path
    pypirc: Path
    scratch: Path
    keyring: object | None = None  # a SecretService for the keyring store
    tokens: dict = field(default_factory=dict)  # name -> token, the model

    def state(self, names) -> State:
        """Read and parse all three files (failing the test if any does not parse)."""
        raw = self.pypirc.read_bytes() if self.pypirc.exists() else None
        pypirc_edit.read_repositories(self.pypirc)  # must parse
        index_file = self.home / "index.json"
        index = {}
        if index_file.exists():
            data = json.loads(index_file.read_bytes())  # a truncated file fails here
            index = {e["name"]: e["fingerprint"] for e in data["entries"]}
        return State(raw, tuple(sorted(index.items())), tuple(sorted(self.stored(set(names) | set(index)).items())))

    def stored(self, names) -> dict:
        keys = {n: TokenKey(n, url_for(n), "__token__") for n in names}
        if self.keyring is None:
            from pypicreds.store.file import FileStore, parse_vault

            vault_file = self.home / "vault.json"
            if not vault_file.exists():
                return {}
            vault = parse_vault(vault_file.read_bytes(), vault_file)  # damaged or truncated: VaultError
            store = FileStore(vault_file, self.home / "vault.key", self.scratch / "lock")
            assert all(k.url == url_for(k.repository) for k in vault.entries)
            return {k.repository: fingerprint(store.get(k)) for k in vault.entries}
        found = {n: _keyring_get(k) for n, k in keys.items()}
        return {n: fingerprint(t) for n, t in found.items() if t is not None}

    def expected(self, tokens: dict, pypirc: bytes | None) -> State:
        fps = tuple(sorted((n, fingerprint(t)) for n, t in tokens.items()))
        return State(pypirc, fps, fps)

    def record_of(self, name: str) -> dict | None:
        data = json.loads((self.home / "index.json").read_bytes())
        return next(e["pypirc_record"] for e in data["entries"] if e["name"] == name)

    def pypirc_after(self, op: str, name: str, before: bytes | None, record=None) -> bytes | None:
        """What the editor makes of `before` for this op (on a scratch copy)."""
        if op == "rotate":
            return before
        copy = self.scratch / "pypirc"
        copy.unlink(missing_ok=True)
        if before is not None:
            copy.write_bytes(before)
        if op == "add":
            pypirc_edit.add_repository(copy, name=name, username="__token__", url=url_for(name))
        else:
            pypirc_edit.remove_repository(copy, name, record)
        return copy.read_bytes() if copy.exists() else None

    def temps(self) -> list[str]:
        found = []
        for directory in (self.home, self.pypirc.parent):
            found += [p.name for p in directory.iterdir() if fsutil.TMP_MARK in p.name]
        return found


def _keyring_get(key: TokenKey) -> str | None:
    from pypicreds.store.keyring import KeyringStore  # re-reads the backend when the env changed

    return KeyringStore().get(key)


def command(op: str, name: str) -> list[str]:
    if op == "add":
        return ["add", name, "--url", url_for(name), "--token-stdin"]
    if op == "rotate":
        return ["rotate", name, "--token-stdin"]
    return ["remove", name]


def start(world: World, op: str, name: str, token: str | None) -> subprocess.Popen:
    stdin = world.scratch / "stdin"
    stdin.write_text(token or "")  # a file, not a pipe: a killed reader cannot block us
    with open(stdin, "rb") as source:
        return subprocess.Popen(
            [str(VENV_BIN / "pypicreds"), *command(op, name)],
            env=world.env,
            stdin=source,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )


def run_to_end(world: World, op: str, name: str, token: str | None) -> subprocess.CompletedProcess:
    proc = start(world, op, name, token)
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, b"", err)


def kill_after(world: World, op: str, name: str, token: str | None, delay: float) -> bool:
    """Start the command, SIGKILL it after `delay` seconds; True if it died by the kill."""
    proc = start(world, op, name, token)
    try:
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stderr.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode == -signal.SIGKILL


def typical_runtimes(world: World) -> dict[str, float]:
    """Median wall time of each command, measured on this world (ends where it began)."""
    times: dict[str, list[float]] = {"add": [], "rotate": [], "remove": []}
    for _ in range(3):
        for op in ("add", "rotate", "remove"):
            token = new_token() if op != "remove" else None
            began = time.monotonic()
            done = run_to_end(world, op, "timing", token)
            times[op].append(time.monotonic() - began)
            assert done.returncode == 0, done.stderr.decode(errors="replace")
    return {op: statistics.median(t) for op, t in times.items()}


# --- the kill loop --------------------------------------------------------------------------------


def pick(rng: random.Random, world: World, avoid: str | None, counter: list[int]) -> tuple[str, str]:
    names = [n for n in world.tokens if n != avoid]
    weights = {"add": 3 if len(names) < 6 else 1, "rotate": 3 if names else 0, "remove": 2 if len(names) > 2 else 0}
    op = rng.choices(list(weights), weights=list(weights.values()))[0]
    if op == "add":
        counter[0] += 1
        return op, f"r{counter[0]}"
    return op, rng.choice(sorted(names))


def crash_loop(world: World, kills: int, seed: int) -> dict:
    rng = random.Random(seed)
    runtimes = typical_runtimes(world)
    counter = [0]
    stats = {"kills": 0, "finished_anyway": 0, "mixed": 0, "journal_left": 0, "temps_left": 0,
             "rolled_forward": 0, "runtimes": runtimes}
    recent = {op: [t] * 3 for op, t in runtimes.items()}  # kept current: the machine's load drifts
    i = -1
    while stats["kills"] < kills:
        i += 1
        assert i < 3 * kills, f"only {stats['kills']} of {i} runs died by the kill: {stats}"
        runtime = {op: statistics.median(t[-9:]) for op, t in recent.items()}
        # --- a command killed at a random moment
        op, name = pick(rng, world, None, counter)
        token = new_token() if op != "remove" else None
        old_tokens = dict(world.tokens)
        new_tokens = dict(old_tokens)
        if op == "remove":
            new_tokens.pop(name)
        else:
            new_tokens[name] = token
        names = set(old_tokens) | set(new_tokens)
        before = world.state(names)
        assert before == world.expected(old_tokens, before.pypirc), f"kill {i}: state drifted before the kill"
        record = world.record_of(name) if op == "remove" else None
        new_pypirc = world.pypirc_after(op, name, before.pypirc, record)
        old, new = before, world.expected(new_tokens, new_pypirc)

        # half the kills anywhere in the run, half in its second half, where the writes are
        low = 0 if i % 2 else 0.5 * runtime[op]
        killed = kill_after(world, op, name, token, rng.uniform(low, runtime[op]))
        stats["kills" if killed else "finished_anyway"] += 1
        after_kill = world.state(names)
        where = f"kill {i} of `{op} {name}` (seed {seed})"
        assert after_kill.pypirc in (old.pypirc, new.pypirc), f"{where}: .pypirc is neither old nor new"
        assert after_kill.index in (old.index, new.index), f"{where}: the index is neither old nor new"
        assert after_kill.store in (old.store, new.store), f"{where}: the store is neither old nor new"
        mixed = after_kill not in (old, new)
        stats["mixed"] += mixed
        stats["journal_left"] += (world.home / "journal.json").exists()
        stats["temps_left"] += bool(world.temps())
        for temp in world.temps():  # a temp file never looks like a .pypirc
            assert temp.startswith(".") and ".pypicreds-tmp-" in temp and not temp.startswith(".pypirc"), temp

        # --- the next command, never killed, on something else; it must repair first
        op2, name2 = pick(rng, world, name, counter)
        token2 = new_token() if op2 != "remove" else None
        record2 = world.record_of(name2) if op2 == "remove" else None  # the same on both sides
        began = time.monotonic()
        done = run_to_end(world, op2, name2, token2)
        recent[op2].append(time.monotonic() - began)
        err = done.stderr.decode(errors="replace")
        assert done.returncode == 0, f"{where}: the next command `{op2} {name2}` failed: {err}"
        final = world.state(set(names) | {name2})
        matched = None
        for side_index, (side_tokens, side) in enumerate(((old_tokens, old), (new_tokens, new))):
            after_tokens = dict(side_tokens)
            if op2 == "remove":
                after_tokens.pop(name2)
            else:
                after_tokens[name2] = token2
            if final == world.expected(after_tokens, world.pypirc_after(op2, name2, side.pypirc, record2)):
                matched = side_index
                world_tokens = after_tokens
                break
        assert matched is not None, f"{where}: after `{op2} {name2}` the files are not one consistent state\n{err}"
        assert final.consistent()
        if mixed:
            assert "interrupted" in err, f"{where}: the repair was not reported: {err}"
        stats["rolled_forward"] += matched == 1 and mixed
        assert not (world.home / "journal.json").exists(), f"{where}: the journal was left after {op2}"
        assert not world.temps(), f"{where}: temporary files were not cleaned: {world.temps()}"
        world.tokens = world_tokens
    return stats


def make_world(cli_env, tmp_path, store: str, keyring=None) -> World:
    home = Path(cli_env["PYPICREDS_HOME"])
    pypirc = Path(cli_env["HOME"]) / ".pypirc"
    pypirc.write_bytes(HANDWRITTEN.encode())
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**cli_env, "PYPICREDS_STORE": store}
    if keyring is not None:
        env.update(keyring.env)
    world = World(env=env, home=home, pypirc=pypirc, scratch=scratch, keyring=keyring)
    token = new_token()
    done = run_to_end(world, "add", "base", token)
    assert done.returncode == 0, done.stderr
    world.tokens["base"] = token
    return world


@pytest.fixture
def scratch_home(monkeypatch, tmp_path):
    """This process's own PYPICREDS_HOME (its lock), apart from the world's."""
    monkeypatch.setenv("PYPICREDS_HOME", str(tmp_path / "test-process-home"))


def seed() -> int:
    return int(os.environ.get("CRASH_SEED") or random.randrange(1 << 30))


def test_kills_with_the_file_store(cli_env, tmp_path, scratch_home):
    world = make_world(cli_env, tmp_path, "file")
    s = seed()
    stats = crash_loop(world, kills=int(os.environ.get("CRASH_KILLS", "260")), seed=s)
    print(f"seed {s}: {stats}")
    assert stats["mixed"] > 0, f"no kill landed between two writes: the test proves little ({stats})"


def test_kills_with_the_keyring_store(cli_env, tmp_path, scratch_home, keyring_service):
    world = make_world(cli_env, tmp_path, "keyring", keyring=keyring_service)
    s = seed()
    stats = crash_loop(world, kills=int(os.environ.get("CRASH_KEYRING_KILLS", "40")), seed=s)
    print(f"seed {s}: {stats}")
    # nothing but our entries in the keyring
    assert keyring_service.item_count() == len(world.tokens)
