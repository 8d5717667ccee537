"""SIGKILL `pypicreds add`, `rotate`, `remove`, `import` and `audit --fix` at random moments,
hundreds of times.

After every kill, `.pypirc`, the index and the vault each parse and each hold the state from
before the command or the state after it (never a mix inside one file, never a truncated
file). The next command (never killed) then leaves all three agreeing with each other, on
one side or the other, and says on stderr that it repaired something whenever the kill had
left them disagreeing. Temporary files of killed writes are gone after it.

The expected `.pypirc` bytes come from running the editor (pypirc.py) on a scratch copy: the
editor's own exactness is tested in test_pypirc.py; here the question is atomicity.

`import` and `audit --fix` are killed while they move plaintext tokens out of a hand-written
.pypirc (the second half of this file): after every kill each repository's `password =` line is
still there, or gone with its token in the store; no other byte of .pypirc changed; and the
next command leaves every line there or gone with its token in both the store and the index.

Seeds: CRASH_SEED picks the random sequence (in every failure message); CRASH_KILLS,
CRASH_KEYRING_KILLS and CRASH_IMPORT_KILLS change how many kills (260, 40, and 60 per
command with the file store, 20 with the keyring, scaled together; runs that finish before
their kill do not count).
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
from pypicreds import pypirc
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

    env: dict = field(repr=False)
    home: Path
    pypirc: Path
    scratch: Path
    keyring: object | None = None  # a SecretService for the keyring store
    tokens: dict = field(default_factory=dict, repr=False)  # name -> token, the model (never in a failure message)

    def state(self, names) -> State:
        """Read and parse all three files (failing the test if any does not parse)."""
        raw = self.pypirc.read_bytes() if self.pypirc.exists() else None
        pypirc.read_repositories(self.pypirc)  # must parse
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
        # the index leaves out a field at its default (None): absent is "no record"
        return next(e.get("pypirc_record") for e in data["entries"] if e["name"] == name)

    def pypirc_after(self, op: str, name: str, before: bytes | None, record=None) -> bytes | None:
        """What the editor makes of `before` for this op (on a scratch copy)."""
        if op == "rotate":
            return before
        copy = self.scratch / "pypirc"
        copy.unlink(missing_ok=True)
        if before is not None:
            copy.write_bytes(before)
        if op == "add":
            pypirc.add_repository(copy, name=name, username="__token__", url=url_for(name))
        else:
            pypirc.remove_repository(copy, name, record)
        return copy.read_bytes() if copy.exists() else None

    def temps(self) -> list[str]:
        found = []
        for directory in (self.home, self.pypirc.parent):
            found += [p.name for p in directory.iterdir() if fsutil.TMP_MARK in p.name]
        return found


def assert_harmless_temps(world: World) -> None:
    """A killed write's temp file is hidden and never named like a file twine reads (twine
    reads exactly ~/.pypirc: `.pypirc.pypicreds-tmp-PID-RANDOM` is not it)."""
    import re

    for temp in world.temps():
        assert re.fullmatch(r"\..+" + re.escape(fsutil.TMP_MARK) + r"[0-9]+-[0-9a-f]{16}", temp), temp
        assert temp not in (".pypirc", "pypirc", ".pypirc~"), temp


def _keyring_get(key: TokenKey) -> str | None:
    from pypicreds.store.keyring import KeyringStore  # re-reads the backend when the env changed

    return KeyringStore().get(key)


def command(op: str, name: str) -> list[str]:
    if op in WHOLE_FILE_COMMANDS:
        return WHOLE_FILE_COMMANDS[op]
    if op == "add":
        return ["add", name, "--url", url_for(name), "--token-stdin"]
    if op == "rotate":
        return ["rotate", name, "--token-stdin"]
    return ["remove", name]


WHOLE_FILE_COMMANDS = {"import": ["import"], "audit-fix": ["audit", "--fix"], "list": ["list"]}


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
        if world.keyring is not None:
            world.keyring.ensure_running()  # gnome-keyring may abort on a client killed mid-call
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
        assert_harmless_temps(world)

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


# --- import and audit --fix: plaintext tokens leave a hand-written .pypirc ------------------------

PLAINTEXT = ("alpha", "beta", "gamma", "delta")


def plaintext_pypirc(tokens: dict[str, str]) -> bytes:
    """A hand-kept .pypirc with a token in each section, written in the styles twine accepts:
    comments around and between keys, CRLF and LF lines, ':' and '=', spaces and a tab, a
    password first in its section, and one that ends the file without a newline."""
    a, b, c, d = (tokens[name] for name in PLAINTEXT)
    return (
        "# publishing setup, kept by hand\r\n"
        "[distutils]\r\n"
        "index-servers =\r\n"
        "    alpha\r\n"
        "    beta\r\n"
        "    gamma\r\n"
        "    delta\r\n"
        "\r\n"
        "[alpha]\r\n"
        f"password = {a}\r\n"
        f"repository = {url_for('alpha')}\r\n"
        "username = __token__\r\n"
        "; alpha's token came from the CI admin\r\n"
        "\r\n"
        "[beta]\n"
        "# LF lines in a CRLF file\n"
        f"repository:{url_for('beta')}\n"
        "username=__token__\n"
        f"password:{b}   \n"
        "# after beta's password\n"
        "\n"
        "[gamma]\r\n"
        f"repository = {url_for('gamma')}\r\n"
        f"password\t=  {c}\r\n"
        "username = __token__\r\n"
        "\r\n"
        "[delta]\r\n"
        f"repository = {url_for('delta')}\r\n"
        "username = __token__\r\n"
        f"password = {d}"
    ).encode()


@dataclass
class Plaintext:
    """One round: the tokens written into .pypirc, and that file as it started."""

    world: World = field(repr=False)
    tokens: dict[str, str] = field(repr=False)
    original: bytes = field(repr=False)
    _without: dict = field(default_factory=dict, repr=False)

    def pypirc_without(self, gone) -> bytes:
        """The original with the `password =` lines of `gone` deleted (by the editor, on a copy)."""
        gone = frozenset(gone)
        if gone not in self._without:
            copy = self.world.scratch / "pypirc"
            copy.write_bytes(self.original)
            for name in sorted(gone):
                pypirc.set_password(copy, name, None)
            self._without[gone] = copy.read_bytes()
        return self._without[gone]

    def check(self, where: str) -> tuple[set, bool]:
        """Check the invariants that hold after every kill; returns the names whose line is
        still there, and whether the files disagree (the next command must repair them)."""
        world = self.world
        state = world.state(PLAINTEXT)  # all three parse
        fps = {name: fingerprint(token) for name, token in self.tokens.items()}
        lines = {name: pypirc.read_password(world.pypirc, name) for name in PLAINTEXT}
        present = {name for name, value in lines.items() if value is not None}
        for name in present:
            assert fingerprint(lines[name]) == fps[name], f"{where}: [{name}] holds another password"
        assert state.pypirc == self.pypirc_without(set(PLAINTEXT) - present), (
            f"{where}: .pypirc changed beyond deleting whole `password =` lines"
        )
        index, store = dict(state.index), dict(state.store)
        assert set(store) <= set(PLAINTEXT) and all(store[n] == fps[n] for n in store), f"{where}: store {store}"
        for name in set(PLAINTEXT) - present:
            assert store.get(name) == fps[name], f"{where}: the token of [{name}] is lost: not in .pypirc or the store"
        for name in index:
            assert index[name] == fps[name] and name in store and name not in present, f"{where}: index {index}"
        for kept in ("index.json", "journal.json"):
            data = (world.home / kept).read_bytes() if (world.home / kept).exists() else b""
            assert not any(token.encode() in data for token in self.tokens.values()), f"{where}: a token in {kept}"
        return present, index != store or bool(present & set(store))

    def check_repaired(self, where: str, mutating: bool) -> set:
        """After a command that was not killed: every line is there, or gone with its token in
        the store and the index; store and index agree; no journal is left, and after a command
        that writes (reads leave them: they cost one stat), no temporary files."""
        present, disagree = self.check(where)
        state = self.world.state(PLAINTEXT)
        assert not disagree and set(dict(state.index)) == set(PLAINTEXT) - present, f"{where}: {state.index}"
        assert not (self.world.home / "journal.json").exists(), f"{where}: the journal was left"
        assert not (mutating and self.world.temps()), f"{where}: temporary files left: {self.world.temps()}"
        return present


def new_round(world: World) -> Plaintext:
    """Empty store and index, a .pypirc with fresh tokens in every section."""
    for name in ("index.json", "vault.json", "vault.key"):
        (world.home / name).unlink(missing_ok=True)
    if world.keyring is not None:
        world.keyring.clear()
    tokens = {name: new_token() for name in PLAINTEXT}
    round_ = Plaintext(world, tokens, plaintext_pypirc(tokens))
    world.pypirc.write_bytes(round_.original)
    world.pypirc.chmod(0o600)  # else audit --fix also chmods it
    return round_


def import_crash_loop(world: World, op: str, kills: int, seed: int) -> dict:
    rng = random.Random(seed)
    times = []
    for _ in range(3):  # a whole run, all four tokens to move
        new_round(world)
        began = time.monotonic()
        done = run_to_end(world, op, "", None)
        times.append(time.monotonic() - began)
        assert done.returncode == 0, done.stderr.decode(errors="replace")
    stats = {"kills": 0, "finished_anyway": 0, "mixed": 0, "journal_left": 0, "rounds": 0,
             "runtime": statistics.median(times)}
    round_, present = new_round(world), set(PLAINTEXT)
    i = -1
    while stats["kills"] < kills or not stats["mixed"]:  # until one kill at least fell between two writes
        i += 1
        assert i < 3 * kills, f"{i} runs: too few died by the kill, or none between two writes: {stats}"
        where = f"kill {i} of `{op}` (seed {seed})"
        runtime = statistics.median(times[-9:])  # kept current: the machine's load drifts
        # a quarter of the kills anywhere in the run, the rest late in it, where the writes are
        # (start-up takes most of a run)
        low, high = (0, runtime) if i % 4 == 0 else (0.6 * runtime, 1.05 * runtime)
        killed = kill_after(world, op, "", None, rng.uniform(low, high))
        stats["kills" if killed else "finished_anyway"] += 1
        stats["journal_left"] += (world.home / "journal.json").exists()
        assert_harmless_temps(world)
        after_kill, disagree = round_.check(where)
        assert after_kill <= present, f"{where}: a `password =` line came back"
        stats["mixed"] += disagree

        # the next command, never killed: mostly `list` (a read that repairs), else the same
        # command run to its end (which repairs first, then moves what is left)
        op2 = "list" if rng.random() < 0.8 else op
        began = time.monotonic()
        done = run_to_end(world, op2, "", None)
        if op2 == op:
            times.append(time.monotonic() - began)
        err = done.stderr.decode(errors="replace")
        assert done.returncode == 0, f"{where}: the next command `{op2}` failed: {err}"
        present = round_.check_repaired(f"{where}, after `{op2}`", mutating=op2 != "list")
        assert present <= after_kill, f"{where}: after `{op2}` a `password =` line came back"
        if disagree:
            assert "interrupted" in err, f"{where}: the repair was not reported: {err}"
        if op2 != "list":
            assert not present, f"{where}: `{op2}` left passwords in .pypirc: {sorted(present)}\n{err}"
        for token in round_.tokens.values():
            assert token not in err, f"{where}: a token in the output of `{op2}`"
        if not present:
            stats["rounds"] += 1
            round_, present = new_round(world), set(PLAINTEXT)
    return stats


@pytest.mark.parametrize(
    "op, store, kills",
    [("import", "file", 60), ("audit-fix", "file", 60), ("import", "keyring", 20), ("audit-fix", "keyring", 20)],
)
def test_kills_while_moving_plaintext_tokens(request, cli_env, tmp_path, scratch_home, op, store, kills):
    keyring = request.getfixturevalue("keyring_service") if store == "keyring" else None
    home = Path(cli_env["PYPICREDS_HOME"])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**cli_env, "PYPICREDS_STORE": store, **(keyring.env if keyring else {})}
    world = World(env=env, home=home, pypirc=Path(cli_env["HOME"]) / ".pypirc", scratch=scratch, keyring=keyring)
    home.mkdir(parents=True, exist_ok=True)
    s = seed()
    scale = float(os.environ.get("CRASH_IMPORT_KILLS", "60")) / 60
    stats = import_crash_loop(world, op, kills=max(1, round(kills * scale)), seed=s)
    print(f"seed {s}: {stats}")
    assert stats["mixed"] > 0, f"no kill landed between two writes: the test proves little ({stats})"
