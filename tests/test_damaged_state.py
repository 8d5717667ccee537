"""Damaged state: index.json and journal.json with values of the wrong type, mutated many ways.

Every command run on a mutated file either works or fails with one `pypicreds: error:` line
(a damaged index is named as damaged, with the way to recover); none may end in the generic
"unexpected" error. A damaged journal is set aside (kept for a look) and reported once, and
the commands go on.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from macaroon_mint import current, mint
from test_hostile import cli

TOKEN = mint([current([1, ["demo"]])], location="127.0.0.1", identifier="damaged-0001")
NEW_TOKEN = mint([], location="127.0.0.1", identifier="damaged-0002")
URL = "http://127.0.0.1:9/legacy/"
VALUES = [None, 0, -1, 1.5, True, "", "x", "http://u:p@h/", [], [1], ["a"], {}, {"a": 1}, "pypi", "9999-99-99"]
COMMANDS = [
    ["list"], ["list", "--json"], ["env", "kept"], ["show", "kept"], ["show", "kept", "--json"], ["audit"],
    ["doctor"], ["remove", "kept"], ["rotate", "kept", "--token-stdin"], ["inspect", "kept"],
    ["add", "other", "--url", URL, "--token-stdin"], ["upload", "kept", "missing.whl"],
]


@pytest.fixture
def world(tmp_home, monkeypatch):
    monkeypatch.setenv("PYPICREDS_STORE", "file")
    for name, project in (("kept", None), ("kept", "demo"), ("second", None)):
        args = ["add", name, "--url", URL, "--token-stdin"] + (["--project", project] if project else [])
        code, _, err = cli(args, TOKEN)
        assert code == 0, err
    return tmp_home


def paths_in(value, prefix=()):
    """Every path (tuple of keys and indexes) into a JSON value."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths_in(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths_in(item, (*prefix, index))


def mutate(document, rng: random.Random):
    """A copy with one value replaced by one of another type, or one key deleted."""
    doc = json.loads(json.dumps(document))
    where = rng.choice([p for p in paths_in(doc) if p])
    parent = doc
    for step in where[:-1]:
        parent = parent[step]
    if isinstance(parent, dict) and rng.random() < 0.25:
        del parent[where[-1]]
    else:
        parent[where[-1]] = rng.choice([v for v in VALUES if type(v) is not type(parent[where[-1]])])
    return doc


def assert_no_unexpected(args, code, out, err):
    assert "unexpected" not in err and "Traceback" not in err, (args, err)
    assert code in (0, 1, 2, 127), (args, code, err)
    if code and args[0] not in ("audit", "doctor"):  # (those two exit 1 for what they found)
        assert err.strip().splitlines()[-1].startswith("pypicreds: error: "), (args, err)


def test_a_mutated_index_never_gives_an_unexpected_error(world):
    index = Path(world) / ".config/pypicreds/index.json"
    original = json.loads(index.read_bytes())
    rng = random.Random(20261207)
    damaged_seen = 0
    for round_ in range(120):
        index.write_text(json.dumps(mutate(original, rng)))
        args = COMMANDS[round_ % len(COMMANDS)]
        code, out, err = cli(args, NEW_TOKEN)
        assert_no_unexpected(args, code, out, err)
        damaged_seen += "is damaged" in err
        assert NEW_TOKEN not in err and TOKEN not in err  # (env prints one on stdout: it was asked to)
    assert damaged_seen > 10  # the mutations did reach the checks


def test_a_damaged_index_says_where_and_how_to_recover(world):
    index = Path(world) / ".config/pypicreds/index.json"
    doc = json.loads(index.read_bytes())
    doc["entries"][0]["url"] = 1
    index.write_text(json.dumps(doc))
    code, out, err = cli(["list"])
    assert code == 1 and str(index) in err and "damaged" in err and "backup" in err
    code, out, err = cli(["audit", "--json"])
    assert any(f["id"] == "index-damaged" for f in json.loads(out))


def test_impossible_dates_in_the_index_give_no_unexpected_error(world):
    """A time of the right shape but no real date (month 99) passes the shape check on env's
    path; audit, which reads dates, takes it as unknown."""
    index = Path(world) / ".config/pypicreds/index.json"
    doc = json.loads(index.read_bytes())
    doc["entries"][0]["added"] = "2026-99-99T99:99:99Z"
    doc["entries"][0]["token_info"]["expires"] = "2026-02-31T00:00:00Z"
    index.write_text(json.dumps(doc))
    for args in (["audit"], ["list"], ["show", doc["entries"][0]["name"]], ["doctor"]):
        assert_no_unexpected(args, *cli(args))


def test_an_index_holding_a_url_with_credentials_is_damaged(world):
    index = Path(world) / ".config/pypicreds/index.json"
    doc = json.loads(index.read_bytes())
    doc["entries"][0]["url"] = "http://alice:SECRET-PASSWORD@127.0.0.1:9/legacy/"
    index.write_text(json.dumps(doc))
    for args in (["list"], ["env", doc["entries"][0]["name"]], ["upload", doc["entries"][0]["name"], "x.whl"]):
        code, out, err = cli(args)
        assert code == 1 and "damaged" in err and "SECRET-PASSWORD" not in out + err, (args, err)


def start_journal(world) -> Path:
    """A real journal: the one `add` writes before its first change."""
    from pypicreds.recovery.journal import begin
    from pypicreds.store.index import Entry

    entry = Entry("journaled", URL, "__token__", "file", "0123abcd", "pypi-AgE…xyz", "2026-01-01T00:00:00Z")
    begin("add", entry, pypirc=None)
    return Path(world) / ".config/pypicreds/journal.json"


def test_a_mutated_journal_is_set_aside_and_commands_go_on(world):
    journal = start_journal(world)
    original = json.loads(journal.read_bytes())
    rng = random.Random(7)
    set_aside = 0
    for round_ in range(60):
        journal.write_text(json.dumps(mutate(original, rng)))
        args = [["list"], ["env", "kept"], ["add", f"n{round_}", "--url", URL, "--no-pypirc", "--token-stdin"],
                ["audit"]][round_ % 4]
        code, out, err = cli(args, NEW_TOKEN)
        assert_no_unexpected(args, code, out, err)
        if "damaged" in err:
            set_aside += 1
            assert "journal.json.damaged-" in err and err.count("damaged (") == 1, err
            assert args[0] not in ("list", "env") or code == 0, err
        assert not journal.exists() or code == 1
        journal.unlink(missing_ok=True)
    home = Path(world) / ".config/pypicreds"
    assert set_aside > 10 and len(list(home.glob("journal.json.damaged-*"))) == set_aside


def test_the_journal_protocol_still_repairs_a_sound_journal(world):
    journal = start_journal(world)
    code, out, err = cli(["list"])
    assert code == 0 and not journal.exists() and "damaged" not in err


# --- a damaged vault beside tokens kept in the keyring -------------------------------------------------


@pytest.mark.parametrize("harm", ["damaged", "another user's"])
def test_a_damaged_vault_does_not_stop_changes_to_keyring_tokens(cli_env, keyring_service, harm):
    """The index records the vault's generation on every save; a vault that cannot be read
    (damaged, or another user's) must not make remove or add of a token kept in the keyring fail
    half way: both complete, leave no journal, and the index keeps the generation it recorded."""
    from realparts import run_cli

    env = {**cli_env, **keyring_service.env}
    done = run_cli(["add", "filed", "--url", URL, "--store", "file", "--no-pypirc", "--token-stdin"], env, TOKEN)
    assert done.returncode == 0, done.stderr
    done = run_cli(["add", "kept", "--url", URL, "--store", "keyring", "--token-stdin"], env, NEW_TOKEN)
    assert done.returncode == 0, done.stderr
    home = Path(env["PYPICREDS_HOME"])
    generation = json.loads((home / "index.json").read_bytes())["vault_generation"]
    if harm == "damaged":
        (home / "vault.json").write_text('{"format": "pypicreds-vault", "damaged')
    else:
        os.chown(home / "vault.json", 65534, 65534)  # (the suite runs as root: test_hostile_state.py)

    done = run_cli(["remove", "kept"], env)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert not (home / "journal.json").exists()
    assert "[kept]" not in (Path(env["HOME"]) / ".pypirc").read_text()
    assert keyring_service.item_count() == 0
    index = json.loads((home / "index.json").read_bytes())
    assert [e["name"] for e in index["entries"]] == ["filed"] and index["vault_generation"] == generation

    done = run_cli(["add", "other", "--url", URL, "--store", "keyring", "--token-stdin"], env, NEW_TOKEN)
    assert done.returncode == 0, done.stderr
    assert not (home / "journal.json").exists() and keyring_service.item_count() == 1
    listed = json.loads(run_cli(["list", "--json"], env).stdout)
    assert sorted(e["name"] for e in listed) == ["filed", "other"]


# --- values no file name can hold, and keys another version wrote ------------------------------------

# a NUL, and a lone surrogate that is no undecodable byte (os calls raise ValueError and
# UnicodeEncodeError on them); "\udc80" stands for the byte 0x80 in a non-UTF-8 name and is a real path
NOT_PATHS = {"NUL": "\u0000", "lone surrogate": "\ud800"}


@pytest.mark.parametrize("bad", NOT_PATHS.values(), ids=NOT_PATHS.keys())
def test_an_index_path_no_file_can_have_is_reported_as_damage(world, bad):
    """A .pypirc path holding a NUL or an unencodable character is damage in the index, named as
    such by every command that reads the entry; nothing is changed."""
    index = Path(world) / ".config/pypicreds/index.json"
    doc = json.loads(index.read_bytes())
    for entry in doc["entries"]:
        entry["pypirc"] = str(Path(world) / f".py{bad}pirc")
    index.write_text(json.dumps(doc))
    before = index.read_bytes()
    for args in (["remove", "kept"], ["list"], ["show", "kept"], ["rotate", "kept", "--token-stdin"]):
        code, out, err = cli(args, NEW_TOKEN)
        assert_no_unexpected(args, code, out, err)
        assert code == 1 and "is damaged" in err and "'pypirc'" in err, (args, err)
    assert index.read_bytes() == before


def test_an_index_path_with_an_undecodable_byte_is_a_path(world):
    """"\\udc80" is how Python spells the byte 0x80 of a non-UTF-8 file name: such a .pypirc path is
    no damage, and remove goes through it."""
    index = Path(world) / ".config/pypicreds/index.json"
    doc = json.loads(index.read_bytes())
    doc["entries"][0]["pypirc"] = str(Path(world) / ".py\udc80pirc")
    index.write_text(json.dumps(doc))
    code, out, err = cli(["remove", doc["entries"][0]["name"], *(["--project", doc["entries"][0]["project"]]
                                                                 if doc["entries"][0].get("project") else [])])
    assert code == 0, err


@pytest.mark.parametrize("field", ["pypirc", "entry.pypirc"])
@pytest.mark.parametrize("bad", NOT_PATHS.values(), ids=NOT_PATHS.keys())
def test_a_journal_path_no_file_can_have_is_set_aside_as_damaged(world, field, bad):
    journal = start_journal(world)
    data = json.loads(journal.read_bytes())
    where = data["entry"] if field == "entry.pypirc" else data
    where["pypirc"] = str(Path(world) / f".py{bad}pirc")
    journal.write_text(json.dumps(data))
    for args in (["list"], ["add", "other", "--url", URL, "--no-pypirc", "--token-stdin"]):
        code, out, err = cli(args, NEW_TOKEN)
        assert_no_unexpected(args, code, out, err)
        assert code == 0 and "journal.json.damaged-" in err and "'pypirc'" in err, (args, err)
        assert not journal.exists()
        journal.write_text(json.dumps(data))


def test_a_journal_entry_with_a_key_this_version_does_not_know_is_still_repaired(world):
    """A journal written by another version may carry entry fields this one does not know: the
    repair reads the fields it knows (as the index does) and finishes, with no TypeError."""
    journal = start_journal(world)
    data = json.loads(journal.read_bytes())
    data["entry"]["from_a_later_version"] = 1
    journal.write_text(json.dumps(data))
    for args in (["list"], ["add", "other", "--url", URL, "--no-pypirc", "--token-stdin"]):
        code, out, err = cli(args, NEW_TOKEN)
        assert code == 0 and "unexpected" not in err and "damaged" not in err, (args, err)
        assert not journal.exists()
        journal.write_text(json.dumps(data))


@pytest.mark.parametrize("bad", NOT_PATHS.values(), ids=NOT_PATHS.keys())
def test_fsutil_turns_a_name_no_file_can_have_into_a_pypicreds_error(tmp_path, bad):
    """Each of fsutil's calls on a name with a NUL or an unencodable character fails as a
    PypicredsError that shows the name escaped (no NUL reaches the terminal)."""
    from pypicreds import fsutil
    from pypicreds.errors import PypicredsError

    place = tmp_path / "place"
    place.mkdir()
    name = place / f"a{bad}b"
    calls = [lambda: fsutil.read_file(name, "the file"), lambda: fsutil.open_regular(name, "the file"),
             lambda: fsutil.check_writable(name, "the file"), lambda: fsutil.atomic_write(name, b"x", "the file"),
             lambda: fsutil.ensure_private_dir(name), lambda: fsutil.narrow_mode(name, 0o600, "the file")]
    for call in calls:
        with pytest.raises(PypicredsError) as caught:
            call()
        message = caught.value.message + (caught.value.hint or "")
        assert "\x00" not in message and repr(bad)[1:-1] in message, message
    fsutil.remove_stale_temps(name, ["x"])  # (nothing to remove in a directory that cannot exist)
    assert list(place.iterdir()) == []


def test_a_rotate_that_cannot_read_the_old_token_leaves_no_journal(world):
    """rotate reads the old token (to put it back on failure) before it records its intent: when
    that read fails (a damaged vault) nothing is left for the next command to repair."""
    home = Path(world) / ".config/pypicreds"
    vault = home / "vault.json"
    sound = vault.read_bytes()
    vault.write_bytes(sound[: len(sound) // 2])
    before = {p.name: p.read_bytes() for p in home.iterdir() if p.is_file() and p.name != ".lock"}
    code, out, err = cli(["rotate", "kept", "--token-stdin"], NEW_TOKEN)
    assert code == 1 and "damaged" in err and "unexpected" not in err, err
    assert not (home / "journal.json").exists()
    assert {p.name: p.read_bytes() for p in home.iterdir() if p.is_file() and p.name != ".lock"} == before
    vault.write_bytes(sound)
    code, out, err = cli(["list"])
    assert code == 0 and "repair" not in err and "interrupted" not in err, err


# --- the index checked all at once (store/schema.py fine_entries) ---------------------------------

_SOUND = {"added": "2026-12-07T05:09:14Z", "fingerprint": "a8f090d2", "masked": "pypi-AgEJ\u2026w9w", "name": "repo0",
          "store": "file", "url": "http://127.0.0.1:9/r0/", "username": "__token__",
          "token_info": {"host": "127.0.0.1", "scope": "unrestricted", "token_id": "f371cfa3"}}
_ODD = [None, 0, True, 1.5, [], ["a"], {}, {"scope": 1}, "", "x", "a\0b", "\0", "é", "a b", "-x", "x@y", "\udc80",
        "http://a:b@h/", "http://h/", "https://", "ftp://h/", "HTTPS://h/x", "http://h x/", "http://\x1b/",
        "2026-12-07T05:09:14", "2026-12-07T05:09:14ZZ", "2026-12-07T05:09:1xZ", "keyring", "file", "Z2026-12-07T05:09:14Z",
        {"host": None}, {"token_id": 5}, {"scope": ["x"]}, {"expires": "2026-12-07T05:09:14"}, {"expires": 1},
        {"projects": "a"}, {"projects": [1]}, {"project_ids": ["a", None]}, {"unknown_caveats": -1},
        {"unknown_caveats": True}, {"scope": "project", "projects": ["a"], "expires": "2026-12-07T05:09:14Z"},
        {"added_servers": "x"}, {"written": {"a": 1}}, {"replaced": {"a": {"old_lines": ["x"]}}}, {"version": -1}]


_FIELDS = [*_SOUND, "rotated", "project", "plaintext", "pypirc", "pypirc_record"]


def _agree(items: list) -> None:
    from pypicreds.store.schema import entry_problem, fine_entries

    if fine_entries(items):
        assert all(entry_problem(item) is None for item in items), items


def test_the_index_checked_at_once_never_passes_a_field_one_by_one_refuses():
    """fine_entries (the whole index, column by column) may say "not sure", never "sound" for an
    index in which entry_problem finds a problem: every field of the middle of three entries set
    to each odd value, or dropped."""
    from pypicreds.store.schema import fine_entries

    sound = [{**_SOUND, "name": f"repo{i}"} for i in range(3)]
    assert fine_entries(sound)  # pypicreds' own entries take the quick way
    for field in _FIELDS:
        for value in [*_ODD, "<drop>"]:
            items = [dict(item) for item in sound]
            if value == "<drop>":
                items[1].pop(field, None)
            else:
                items[1][field] = value
            _agree(items)
    short_then_long = [dict(item) for item in sound]  # one column: together they look like two times
    short_then_long[0]["added"], short_then_long[1]["added"] = "2026-12-07T05:09:14", "Z2026-12-07T05:09:14Z"
    _agree(short_then_long)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from(_FIELDS), st.sampled_from([*_ODD, "<drop>"])),
                min_size=1, max_size=4))
def test_the_index_checked_at_once_never_passes_what_one_by_one_refuses(mutations):
    """The same, with odd values in several entries at once (columns that only fail together:
    a time one character short beside one a character long)."""
    items = [{**_SOUND, "name": f"repo{i}"} for i in range(4)]
    for at, field, value in mutations:
        if value == "<drop>":
            items[at].pop(field, None)
        else:
            items[at][field] = value
    _agree(items)


def test_entries_pypicreds_writes_take_the_quick_way(world):
    """What `add` wrote (names, URLs, times, projects, token_info, a .pypirc record) passes the
    check at once: otherwise `list` of a large index would silently take the slow way."""
    from pypicreds.store.schema import entry_problem, fine_entries

    index = json.loads(next(Path(world).rglob("index.json")).read_text())
    assert index["entries"] and all(entry_problem(item) is None for item in index["entries"])
    assert fine_entries(index["entries"])


# --- the index read for one entry (Index.reading: env, exec, upload) ----------------------------

_TRICKY_NAMES = ["kept", "kept2", "a", "a.b", "a-b", "a_b", "A", "name", "x" * 60]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_TRICKY_NAMES), st.sampled_from([None, "demo", "other"]),
                          st.sampled_from(["__token__", 'x"name":"kept"', "u\\n", '"name":"a",']),
                          st.booleans()), max_size=8),
       st.sampled_from(_TRICKY_NAMES + ["missing"]), st.sampled_from([None, "demo", "nope"]))
def test_reading_one_entry_finds_what_the_whole_index_finds(tmp_path_factory, entries, name, project):
    """Index.reading().find and .named parse only the lines that hold `"name":NAME`: for any
    index save() wrote (names that are prefixes of others, usernames and records holding the
    text `"name":"kept"`), they find exactly what Index.load()'s do."""
    import os

    from pypicreds.store.index import Entry, Index

    home = tmp_path_factory.mktemp("index")
    old = os.environ.get("PYPICREDS_HOME")
    os.environ["PYPICREDS_HOME"] = str(home)
    try:
        index = Index.load()
        for entry_name, entry_project, username, recorded in entries:
            if index.find(entry_name, entry_project) is None:
                index.add(Entry(entry_name, "http://127.0.0.1:9/x/", username, "file", "abcd1234", "pypi-…x",
                                "2026-12-07T05:09:14Z", project=entry_project,
                                pypirc_record={"version": 1, "name": "kept"} if recorded else None))
        index.save()
        whole, reading = Index.load().find(name, project), Index.reading().find(name, project)
        assert (whole is None) == (reading is None)
        if whole is not None:
            assert whole.to_dict() == reading.to_dict()
        named = ([e.to_dict() for e in Index.load().named(name)], [e.to_dict() for e in Index.reading().named(name)])
        assert named[0] == named[1]  # upload: every entry of the repository, in the index's order
    finally:
        os.environ.pop("PYPICREDS_HOME") if old is None else os.environ.__setitem__("PYPICREDS_HOME", old)


def test_reading_one_entry_reports_its_own_damage_and_lets_others_be(world):
    """env reads only its entry's line: a damaged line of another entry does not stop it (list,
    which shows them all, says the index is damaged); its own damaged line is damage, as
    before; an index not in save()'s shape is read whole."""
    index = next(Path(world).rglob("index.json"))
    good = index.read_text()
    lines = good.split("\n")
    second = next(i for i, line in enumerate(lines) if '"name":"second"' in line)
    lines[second] = lines[second].replace('"url":"', '"url":1,"x":"')
    index.write_text("\n".join(lines))
    code, out, err = cli(["env", "kept", "--shell", "json"])
    assert code == 0 and json.loads(out)["TWINE_PASSWORD"] == TOKEN, err
    code, out, err = cli(["list"])
    assert code == 1 and "is damaged" in err, err
    code, out, err = cli(["env", "second"])
    assert code == 1 and "is damaged" in err and "Traceback" not in err, err
    index.write_text(json.dumps(json.loads(good), indent=2))  # another shape: the whole file, as before
    code, out, err = cli(["env", "kept", "--shell", "json"])
    assert code == 0 and json.loads(out)["TWINE_PASSWORD"] == TOKEN, err
    index.write_text(good.replace("\n]}", ",{}\n]}"))  # not JSON as a whole, but its line is fine
    assert cli(["env", "kept"])[0] == 0
    index.write_text(good[:-3])  # truncated: the shape is gone, and so is the JSON
    code, out, err = cli(["env", "kept"])
    assert code == 1 and "is damaged" in err, err


def test_an_index_read_for_one_entry_is_never_saved(world):
    from pypicreds.store.index import Index

    with pytest.raises(RuntimeError):
        Index.reading().save()


def test_an_index_crafted_around_its_lines_is_read_whole(world):
    """Files not in save()'s shape (a second "entries" list, an extra key between entry lines, a
    name spelled with an escape or a space, CRLF) are read whole by Index.reading: its answer is
    Index.load()'s (or both say damaged), never an entry the whole file does not hold."""
    from pypicreds.errors import PypicredsError
    from pypicreds.store.index import Index

    index = next(Path(world).rglob("index.json"))
    good = index.read_text()
    head, *lines, close = good.rstrip("\n").split("\n")
    kept = next(line.rstrip(",") for line in lines if "\"name\":\"kept\"" in line and "\"project\":" not in line)
    evil = kept.replace('"url":"http://127.0.0.1:9/legacy/"', '"url":"http://127.0.0.1:9/evil/"')
    second = next(line.rstrip(",") for line in lines if '"name":"second"' in line)
    crafted = {
        "a second entries list": "\n".join([head, evil, '],"entries":[', second, close]) + "\n",
        "a key between entry lines": "\n".join([head, second + ",", '{}],"junk":[', evil, close]) + "\n",
        "a version after the entries": "\n".join([head, kept + ",", '{}],"version":2,"z":[', second, close]) + "\n",
        "an escaped name": "\n".join([head, evil.replace('"name":"kept"', '"name":"\\u006bept"') + ",", kept, close]) + "\n",
        "a spaced name": "\n".join([head, evil.replace('"name":"kept"', '"name": "kept"') + ",", kept, close]) + "\n",
        "CRLF": good.replace("\n", "\r\n"),
    }
    for what, text in crafted.items():
        index.write_text(text)
        answers = []
        for read in (Index.load, Index.reading):
            try:
                found = read().find("kept")
                answers.append(None if found is None else found.url)
            except PypicredsError as e:
                answers.append("damaged" if "damaged" in e.message else e.message)
        assert answers[0] == answers[1], (what, answers)
        assert answers[1] != "http://127.0.0.1:9/evil/" or answers[0] == answers[1], what
