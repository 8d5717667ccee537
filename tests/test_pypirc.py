"""~/.pypirc reading and non-destructive editing (src/pypicreds/pypirc.py).

Golden files in tests/data/pypirc/: `<case>.before.pypirc` is the file as a user wrote it,
`<case>.after.pypirc` the exact bytes after `add_repository` with that case's arguments.
Every write is checked with twine's own reader, and add-then-remove must give back the
original bytes. The lock lives in PYPICREDS_HOME, a tmp dir (conftest's `tmp_home`).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from twine import exceptions as twine_exceptions
from twine.utils import get_config, get_repository_from_config

from pypicreds import pypirc
from pypicreds.errors import PypircError
from pypirc_gen import pypirc_texts

DATA = Path(__file__).parent / "data" / "pypirc"
TOKEN = "pypi-fake-token-for-golden-tests_0123456789abcdefABCDEF"
OTHER_TOKEN = "pypi-another-fake-token_9876543210zyxwvuXYZ"
PYPI_URL = "https://upload.pypi.org/legacy/"
TEST_URL = "https://test.pypi.org/legacy/"

# case name -> add_repository arguments that turn before into after
GOLDEN = {
    "comments_spacing": dict(name="staging", username="__token__", url="https://staging.example/legacy/"),
    "crlf_no_distutils": dict(name="private", username="__token__", url="https://private.example/legacy/"),
    "many_sections": dict(name="s7", username="user7", url="https://s7.example/legacy/"),
    "no_distutils": dict(name="testpypi", username="__token__"),
    "oneline_no_trailing_newline": dict(name="corp", username="__token__", url="https://corp.example/"),
    "multiline_tabs": dict(name="tabbed", username="__token__", url="https://tabbed.example/legacy/"),
    "handwritten_section": dict(name="private", username="__token__", url="https://private.example/legacy/"),
    "plaintext_unlisted": dict(name="testpypi", username="__token__", password=TOKEN),
}
EMPTY_PASSWORD_LINE = re.compile(r"^[ \t]*password[ \t]*[=:][ \t]*$", re.MULTILINE | re.IGNORECASE)


def twine_sees(path: Path, name: str) -> dict:
    """What twine 7 itself reads from `path` for `-r name`."""
    return get_repository_from_config(str(path), name)


def expected_url(kwargs: dict) -> str:
    return kwargs.get("url") or {"pypi": PYPI_URL, "testpypi": TEST_URL}[kwargs["name"]]


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def assert_written_ok(path: Path, kwargs: dict) -> None:
    """twine finds the section with our URL/username/password, no empty password line, 0600."""
    seen = twine_sees(path, kwargs["name"])
    assert seen["repository"] == expected_url(kwargs)
    assert seen["username"] == kwargs["username"]
    assert seen["password"] == kwargs.get("password")
    text = path.read_text(encoding="utf-8")
    assert not EMPTY_PASSWORD_LINE.search(text)
    assert mode(path) == 0o600


@pytest.fixture
def rc(tmp_path) -> Path:
    return tmp_path / ".pypirc"


# --------------------------------------------------------------------------- golden files


@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_golden_add_then_remove(case, rc):
    before = (DATA / f"{case}.before.pypirc").read_bytes()
    after = (DATA / f"{case}.after.pypirc").read_bytes()
    rc.write_bytes(before)
    os.chmod(rc, 0o644)
    kwargs = GOLDEN[case]

    record = pypirc.add_repository(rc, **kwargs)

    assert rc.read_bytes() == after
    assert_written_ok(rc, kwargs)
    stored = json.loads(json.dumps(record))  # what the index keeps
    assert TOKEN not in json.dumps(record)
    assert pypirc.remove_repository(rc, kwargs["name"], stored) is True
    assert rc.read_bytes() == before


def test_golden_files_keep_their_line_endings():
    """Guard against a checkout converting line endings (the CRLF case must stay CRLF)."""
    crlf = (DATA / "crlf_no_distutils.before.pypirc").read_bytes()
    assert crlf.count(b"\r\n") == crlf.count(b"\n") > 0
    assert not (DATA / "oneline_no_trailing_newline.before.pypirc").read_bytes().endswith(b"\n")


def test_crlf_file_gets_crlf_lines_only(rc):
    rc.write_bytes((DATA / "crlf_no_distutils.before.pypirc").read_bytes())
    pypirc.add_repository(rc, name="x", username="u", url="https://x.example/")
    data = rc.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")


def test_lone_cr_line_endings_are_kept(rc):
    before = b"[pypi]\rusername = __token__\r"
    rc.write_bytes(before)
    record = pypirc.add_repository(rc, name="x", username="u", url="https://x.example/")
    assert b"\n" not in rc.read_bytes()
    assert twine_sees(rc, "x")["repository"] == "https://x.example/"
    pypirc.remove_repository(rc, "x", record)
    assert rc.read_bytes() == before


# --------------------------------------------------------------------------- add / remove


def test_add_creates_missing_file_and_remove_deletes_it(rc):
    record = pypirc.add_repository(rc, name="private", username="__token__", url="https://p.example/legacy/")
    assert record["created_file"] is True
    text = rc.read_text()
    assert "[private]" in text and "password" not in text
    assert get_config(str(rc))["testpypi"]["repository"] == TEST_URL  # still listed
    assert_written_ok(rc, dict(name="private", username="__token__", url="https://p.example/legacy/"))
    assert pypirc.remove_repository(rc, "private", record) is True
    assert not rc.exists()


def test_add_pypi_writes_no_repository_line(rc):
    record = pypirc.add_repository(rc, name="pypi", username="__token__")
    text = rc.read_text()
    assert "repository" not in text
    assert re.search(r"index-servers =\n    pypi\n    testpypi\n\n", text)
    assert_written_ok(rc, dict(name="pypi", username="__token__"))
    pypirc.remove_repository(rc, "pypi", record)
    assert not rc.exists()


def test_add_is_idempotent(rc):
    kwargs = dict(name="private", username="__token__", url="https://p.example/legacy/")
    pypirc.add_repository(rc, **kwargs)
    first = rc.read_bytes()
    record = pypirc.add_repository(rc, **kwargs)
    assert rc.read_bytes() == first
    assert not record["created_section"] and not record["added_servers"] and not record["added_keys"]


def test_two_adds_then_two_removes(rc):
    before = (DATA / "comments_spacing.before.pypirc").read_bytes()
    rc.write_bytes(before)
    first = pypirc.add_repository(rc, name="a", username="ua", url="https://a.example/")
    second = pypirc.add_repository(rc, name="b", username="ub", url="https://b.example/", password=TOKEN)
    assert twine_sees(rc, "a")["username"] == "ua"
    assert twine_sees(rc, "b")["password"] == TOKEN
    pypirc.remove_repository(rc, "b", second)
    pypirc.remove_repository(rc, "a", first)
    assert rc.read_bytes() == before


def test_removes_in_other_order_keep_a_semantically_equal_file(rc):
    first = pypirc.add_repository(rc, name="a", username="ua", url="https://a.example/")
    second = pypirc.add_repository(rc, name="b", username="ub", url="https://b.example/")
    pypirc.remove_repository(rc, "a", first)
    pypirc.remove_repository(rc, "b", second)
    # a created the file; b was added after, so the file stays, with only what twine assumes anyway
    assert rc.exists()
    config = get_config(str(rc))
    assert set(config) == {"pypi", "testpypi"}


def test_remove_without_record_takes_section_and_entry_only(rc):
    rc.write_text(
        "[distutils]\nindex-servers =\n    pypi\n    mine\n    other\n\n"
        "# about mine\n[mine]\nrepository = https://m/\nusername = u\n\n[other]\nrepository = https://o/\n"
    )
    assert pypirc.remove_repository(rc, "mine") is True
    assert rc.read_text() == (
        "[distutils]\nindex-servers =\n    pypi\n    other\n\n# about mine\n\n[other]\nrepository = https://o/\n"
    )
    with pytest.raises(twine_exceptions.InvalidConfiguration, match="Missing 'mine' section"):
        twine_sees(rc, "mine")
    assert pypirc.remove_repository(rc, "mine") is False


def test_remove_without_record_one_line_list(rc):
    rc.write_text("[distutils]\nindex-servers = mine pypi  other\n[mine]\nrepository = https://m/\n")
    pypirc.remove_repository(rc, "mine")
    assert rc.read_text() == "[distutils]\nindex-servers = pypi  other\n"


def test_remove_without_record_keeps_pypi_listed(rc):
    rc.write_text("[distutils]\nindex-servers = pypi testpypi\n\n[testpypi]\nusername = __token__\n")
    pypirc.remove_repository(rc, "testpypi")
    assert rc.read_text() == "[distutils]\nindex-servers = pypi testpypi\n"


def test_remove_on_missing_file_is_a_no_op(rc):
    assert pypirc.remove_repository(rc, "x") is False
    assert not rc.exists()


def test_handwritten_section_is_restored_and_kept(rc):
    before = (DATA / "handwritten_section.before.pypirc").read_bytes()
    rc.write_bytes(before)
    record = pypirc.add_repository(rc, name="private", username="__token__", url="https://new.example/")
    assert record["created_section"] is False
    assert record["replaced"]["repository"]["old_lines"] == ["repository = https://old.private.example/legacy/\n"]
    pypirc.remove_repository(rc, "private", record)
    assert rc.read_bytes() == before


def test_remove_deletes_a_password_set_later_in_a_handwritten_section(rc):
    before = (DATA / "handwritten_section.before.pypirc").read_bytes()
    rc.write_bytes(before)
    record = pypirc.add_repository(rc, name="private", username="__token__", url="https://new.example/")
    pypirc.set_password(rc, "private", TOKEN)
    pypirc.remove_repository(rc, "private", record)
    assert rc.read_bytes() == before


def test_record_for_another_name_is_refused(rc):
    record = pypirc.add_repository(rc, name="a", username="u", url="https://a.example/")
    snapshot = rc.read_bytes()
    with pytest.raises(PypircError, match="record"):
        pypirc.remove_repository(rc, "b", record)
    assert rc.read_bytes() == snapshot


# --------------------------------------------------------------------------- passwords


@pytest.mark.parametrize(
    "text, where",
    [
        ("[distutils]\nindex-servers = pypi x\n[x]\nrepository = https://x/\npassword = {t}\n", "[x]"),
        ("[server-login]\nusername = a\npassword = {t}\n", "[server-login]"),
        ("[DEFAULT]\npassword = {t}\n[x]\nrepository = https://x/\n", "[DEFAULT]"),
        ("[DEFAULT]\npassword = {t}\n", "[DEFAULT]"),
    ],
)
def test_keyring_add_refuses_a_plaintext_password_in_the_way(rc, text, where):
    rc.write_text(text.format(t=TOKEN))
    snapshot = rc.read_bytes()
    with pytest.raises(PypircError) as info:
        pypirc.add_repository(rc, name="x", username="__token__", url="https://x/")
    assert where in info.value.message and "plaintext password" in info.value.message
    assert "pypicreds import" in info.value.hint
    assert TOKEN not in str(info.value) + info.value.hint
    assert rc.read_bytes() == snapshot


def test_empty_password_line_is_refused(rc):
    rc.write_text("[distutils]\nindex-servers = x\n[x]\nrepository = https://x/\npassword =\n")
    snapshot = rc.read_bytes()
    with pytest.raises(PypircError, match="empty 'password ='"):
        pypirc.add_repository(rc, name="x", username="__token__", url="https://x/")
    assert rc.read_bytes() == snapshot


def test_plaintext_add_never_replaces_another_token(rc):
    pypirc.add_repository(rc, name="x", username="u", url="https://x/", password=TOKEN)
    snapshot = rc.read_bytes()
    with pytest.raises(PypircError, match="plaintext password"):
        pypirc.add_repository(rc, name="x", username="u", url="https://x/", password=OTHER_TOKEN)
    assert rc.read_bytes() == snapshot
    pypirc.add_repository(rc, name="x", username="u", url="https://x/", password=TOKEN)  # same token: fine
    assert rc.read_bytes() == snapshot


def test_plaintext_add_wins_over_server_login_password(rc):
    rc.write_text(f"[server-login]\nusername = a\npassword = {OTHER_TOKEN}\n")
    pypirc.add_repository(rc, name="x", username="u", url="https://x/", password=TOKEN)
    assert twine_sees(rc, "x")["password"] == TOKEN


def test_set_password_replaces_and_removes(rc):
    record = pypirc.add_repository(rc, name="x", username="u", url="https://x.example/")
    original = rc.read_bytes()
    assert pypirc.set_password(rc, "x", TOKEN) is True
    assert twine_sees(rc, "x")["password"] == TOKEN
    assert pypirc.set_password(rc, "x", OTHER_TOKEN) is True
    assert twine_sees(rc, "x")["password"] == OTHER_TOKEN
    assert rc.read_text().count("password") == 1
    assert pypirc.set_password(rc, "x", None) is True
    assert rc.read_bytes() == original
    assert pypirc.set_password(rc, "x", None) is False
    pypirc.remove_repository(rc, "x", record)
    assert not rc.exists()


def test_set_password_needs_the_section(rc):
    rc.write_text("[pypi]\nusername = __token__\n")
    with pytest.raises(PypircError, match=r"no \[x\] section"):
        pypirc.set_password(rc, "x", TOKEN)


@pytest.mark.parametrize("bad", ["", " pypi-x", "pypi-x\n", "a\nb", "a\rb", "a\x00b", "a\u2028b", "a\x0bb"])
def test_values_that_could_break_the_file_are_refused(rc, bad):
    rc.write_text("[pypi]\nusername = __token__\n")
    snapshot = rc.read_bytes()
    for call in (
        lambda: pypirc.add_repository(rc, name="x", username="u", url="https://x/", password=bad),
        lambda: pypirc.add_repository(rc, name="x", username=bad, url="https://x/"),
        lambda: pypirc.add_repository(rc, name="x", username="u", url=bad or "https://x/\n"),
        lambda: pypirc.set_password(rc, "pypi", bad),
    ):
        with pytest.raises(PypircError) as info:
            call()
        assert bad.strip() == "" or bad.strip() not in str(info.value)
    assert rc.read_bytes() == snapshot


@pytest.mark.parametrize("name", ["", "a b", "a]b", "x\n[y", "DEFAULT", "distutils", "server-login", "-x"])
def test_bad_names_are_refused(rc, name):
    with pytest.raises(PypircError):
        pypirc.add_repository(rc, name=name, username="u", url="https://x/")
    assert not rc.exists()


# --------------------------------------------------------------------------- files


def test_symlink_stays_a_symlink_and_its_target_is_rewritten(tmp_path):
    target = tmp_path / "dotfiles" / "pypirc"
    target.parent.mkdir()
    target.write_text("[pypi]\nusername = __token__\n")
    os.chmod(target, 0o644)
    link = tmp_path / ".pypirc"
    link.symlink_to(target)
    pypirc.add_repository(link, name="x", username="u", url="https://x.example/")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert "[x]" in target.read_text()
    assert mode(target) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["pypirc"]  # no temp file left


def test_dangling_symlink_gets_its_target_created_and_removed(tmp_path):
    target = tmp_path / "pypirc-target"
    link = tmp_path / ".pypirc"
    link.symlink_to(target)
    record = pypirc.add_repository(link, name="x", username="u", url="https://x.example/")
    assert link.is_symlink() and target.is_file() and mode(target) == 0o600
    pypirc.remove_repository(link, "x", record)
    assert link.is_symlink() and not target.exists()


def test_written_file_is_0600_even_if_it_was_0644(rc):
    rc.write_text("[pypi]\nusername = __token__\n")
    os.chmod(rc, 0o644)
    pypirc.add_repository(rc, name="x", username="u", url="https://x.example/", password=TOKEN)
    assert mode(rc) == 0o600


BROKEN = [
    ("[pypi]\nusername = __token__\n\n[x]\nrepository = https://x/\n{t}\nusername = u\n", 6, "not a [section]"),
    ("username = u\n[pypi]\n", 1, "before the first [section]"),
    ("[a]\nx = 1\n[b]\n[a]\n", 4, "section [a] appears twice"),
    ("[a]\nPassword = {t}\npassword = {t}\n", 3, "key 'password' appears twice"),
]


@pytest.mark.parametrize("text, line, what", BROKEN)
def test_unparsable_file_gives_line_number_and_stays_untouched(rc, text, line, what):
    rc.write_text(text.format(t=TOKEN))
    os.chmod(rc, 0o644)
    snapshot = rc.read_bytes()
    calls = (
        lambda: pypirc.add_repository(rc, name="x", username="u", url="https://x/"),
        lambda: pypirc.remove_repository(rc, "x"),
        lambda: pypirc.set_password(rc, "x", OTHER_TOKEN),
        lambda: pypirc.read_repositories(rc),
    )
    for call in calls:
        with pytest.raises(PypircError) as info:
            call()
        assert f"line {line}" in info.value.message and what in info.value.message
        shown = "".join(traceback.format_exception(info.value))
        assert TOKEN not in shown and TOKEN not in (info.value.hint or "")
        assert info.value.__cause__ is None and info.value.__suppress_context__
    assert rc.read_bytes() == snapshot and mode(rc) == 0o644


def test_byte_order_mark_is_refused_like_twine_would(rc):
    rc.write_bytes(b"\xef\xbb\xbf[pypi]\nusername = __token__\n")
    snapshot = rc.read_bytes()
    with pytest.raises(PypircError, match="byte order mark"):
        pypirc.add_repository(rc, name="x", username="u", url="https://x/")
    with pytest.raises(PypircError, match="byte order mark"):
        pypirc.read_repositories(rc)
    assert rc.read_bytes() == snapshot


def test_non_utf8_is_refused(rc):
    rc.write_bytes(b"[pypi]\nusername = \xe9t\xe9\n")
    snapshot = rc.read_bytes()
    with pytest.raises(PypircError, match="line 2: not UTF-8"):
        pypirc.add_repository(rc, name="x", username="u", url="https://x/")
    assert rc.read_bytes() == snapshot


def test_directory_is_refused(tmp_path):
    with pytest.raises(PypircError, match="is a directory"):
        pypirc.add_repository(tmp_path, name="x", username="u", url="https://x/")
    with pytest.raises(PypircError, match="is a directory"):
        pypirc.read_repositories(tmp_path)


def test_unreadable_file_is_refused(tmp_path):
    """A real permission error: the file is nobody's 0600, the reader is root without its
    permission-bypassing capabilities (so the venv and src/ stay readable wherever CI clones)."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.fail("this test needs root and setpriv to drop to another user")
    shared = Path(tempfile.mkdtemp(prefix="pypicreds-perm-"))
    try:
        os.chmod(shared, 0o711)
        secret = shared / ".pypirc"
        secret.write_text(f"[pypi]\npassword = {TOKEN}\n")
        os.chmod(secret, 0o600)
        os.chown(secret, 65534, 65534)
        code = (
            "import sys; from pypicreds import pypirc; from pypicreds.errors import PypircError\n"
            "try: pypirc.read_repositories(sys.argv[1])\n"
            "except PypircError as e: print(e.message); sys.exit(3)\n"
        )
        done = subprocess.run(
            ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--", sys.executable, "-c", code,
             str(secret)],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": os.environ["PATH"], "HOME": str(shared)},
        )
        assert done.returncode == 3, done.stderr
        assert "cannot read" in done.stdout and "Permission denied" in done.stdout
        assert TOKEN not in done.stdout + done.stderr
    finally:
        shutil.rmtree(shared)


def test_concurrent_adds_from_two_processes_both_land(rc, tmp_home):
    """The lock serialises read-modify-write between processes."""
    code = (
        "import sys; from pypicreds import pypirc\n"
        "for i in range(15):\n"
        "    pypirc.add_repository(sys.argv[1], name=f'{sys.argv[2]}{i}', username='u', url='https://x.example/')\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(rc), prefix]) for prefix in ("a", "b")]
    try:
        for proc in procs:
            assert proc.wait(timeout=120) == 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    config = get_config(str(rc))
    assert {f"{p}{i}" for p in "ab" for i in range(15)} <= set(config)


# --------------------------------------------------------------------------- reading


def test_read_repositories_follows_twine(rc):
    rc.write_text(
        "# header\n"  # 1
        "[distutils]\n"  # 2
        "index-servers =\n"  # 3
        "    pypi\n"  # 4
        "    private\n"  # 5
        "    ghost\n"  # 6
        "\n"  # 7
        "[server-login]\n"  # 8
        "username = fallback\n"  # 9
        "\n"  # 10
        "[private]\n"  # 11
        "repository = https://p.example/%(x)s  # not a comment\n"  # 12
        "  ; indented comment\n"  # 13
        f"password = {TOKEN}\n"  # 14
        "\n"  # 15
        "[unlisted]\n"  # 16
        "repository = https://u.example/\n"  # 17
        "username = nobody\n"  # 18
        "[testpypi]\n"  # 19
        "password =\n"  # 20
    )
    config = pypirc.read_repositories(rc)
    assert config.exists and config.index_servers == ("pypi", "private", "ghost")
    assert config.index_servers_line == 3
    assert list(config.repositories) == ["pypi", "private", "ghost", "unlisted", "testpypi"]

    private = config.get("private")
    assert private.url == "https://p.example/%(x)s  # not a comment"  # no interpolation, no inline comments
    assert private.username == "fallback" and private.keys["username"] == pypirc.KeyLocation("server-login", 9)
    assert private.has_password and not private.password_empty and private.listed
    assert private.section_line == 11
    assert private.keys["repository"].line == 12 and private.keys["password"] == pypirc.KeyLocation("private", 14)
    assert TOKEN not in repr(config)

    assert config.get("pypi").url == PYPI_URL and config.get("pypi").section_line is None
    ghost = config.get("ghost")
    assert ghost.listed and ghost.url is None and ghost.section_line is None
    unlisted = config.get("unlisted")
    assert not unlisted.listed and unlisted.url == "https://u.example/" and unlisted.section_line == 16
    testpypi = config.get("testpypi")
    assert not testpypi.listed and testpypi.password_empty and testpypi.url == TEST_URL

    twine = get_config(str(rc))
    for name in ("pypi", "private"):
        assert twine[name].get("repository") == config.get(name).url
        assert twine[name]["username"] == config.get(name).username
        assert (twine[name]["password"] is not None) == config.get(name).has_password
    assert pypirc.read_password(rc, "private") == TOKEN
    assert pypirc.read_password(rc, "pypi") is None


def test_read_missing_file_is_empty_config(rc):
    config = pypirc.read_repositories(rc)
    assert not config.exists
    assert config.index_servers == ("pypi", "testpypi") and config.index_servers_line is None
    assert list(config.repositories) == ["pypi", "testpypi"]
    assert config.get("testpypi").listed and config.get("testpypi").url == TEST_URL


def test_read_default_section_values_point_at_default(rc):
    rc.write_text("[DEFAULT]\nusername = everyone\n\n[distutils]\nindex-servers = x\n[x]\nrepository = https://x/\n")
    entry = pypirc.read_repositories(rc).get("x")
    assert entry.username == "everyone" and entry.keys["username"] == pypirc.KeyLocation("DEFAULT", 2)
    assert twine_sees(rc, "x")["username"] == "everyone"


# --------------------------------------------------------------------------- generated files

def _parses_like_twine(text: str) -> bool:
    import configparser

    try:
        configparser.RawConfigParser().read_string(text.replace("\r\n", "\n").replace("\r", "\n"))
    except configparser.Error:
        return False
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=pypirc_texts(),
    name=st.sampled_from(["mine", "pypi", "testpypi", "a"]),
    password=st.sampled_from([None, TOKEN]),
)
def test_generated_files_add_then_remove_is_exact(tmp_path, text, name, password):
    rc = tmp_path / f"gen-{random.getrandbits(64):x}.pypirc"
    data = text.encode("utf-8")
    rc.write_bytes(data)
    kwargs = dict(name=name, username="__token__", url=f"https://{name}.example/legacy/", password=password)
    try:
        record = pypirc.add_repository(rc, **kwargs)
    except PypircError as e:
        assert rc.read_bytes() == data  # refused: nothing written
        assert TOKEN not in str(e)
        assume(False)
    assert _parses_like_twine(text)
    seen = twine_sees(rc, name)
    assert seen["repository"] == kwargs["url"] and seen["username"] == "__token__"
    assert seen["password"] == password
    assert not EMPTY_PASSWORD_LINE.search(rc.read_text())
    assert pypirc.remove_repository(rc, name, json.loads(json.dumps(record))) in (True, False)
    assert rc.read_bytes() == data
    rc.unlink()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=pypirc_texts())
def test_generated_files_read_like_twine_with_true_line_numbers(tmp_path, text):
    rc = tmp_path / f"gen-{random.getrandbits(64):x}.pypirc"
    rc.write_bytes(text.encode("utf-8"))
    assume(_parses_like_twine(text))
    config = pypirc.read_repositories(rc)
    twine = get_config(str(rc))
    lines = re.split(r"\r\n|\r|\n", text)
    for name, entry in config.repositories.items():
        if entry.listed and name in twine:  # twine ignores unlisted sections' keys
            assert twine[name].get("repository") == entry.url
            assert twine[name]["username"] == entry.username
            assert (twine[name]["password"] is not None) == entry.has_password
        elif entry.listed:  # twine: "Missing section"; nothing in the file for it
            assert not entry.keys or set(entry.keys) <= {"username", "password"}
        for key, where in entry.keys.items():
            assert lines[where.line - 1].strip().lower().startswith(key)
        if entry.section_line:
            assert lines[entry.section_line - 1].strip() == f"[{name}]"
    rc.unlink()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=pypirc_texts(), name=st.sampled_from(["pypi", "testpypi", "mine", "a", "b.c", "x_1", "nowhere"]))
def test_twine_view_is_what_twine_get_config_gives(tmp_path, text, name):
    """pypirc_parse.twine_view (the editor's check, doctor's explanation) against twine itself."""
    from pypicreds.pypirc.parse import _parse, _split, twine_view

    rc = tmp_path / f"gen-{random.getrandbits(64):x}.pypirc"
    rc.write_bytes(text.encode("utf-8"))
    assume(_parses_like_twine(text))
    assert twine_view(_parse(_split(text), "x"), name) == get_config(str(rc)).get(name)
    rc.unlink()


# --------------------------------------------------------------------------- large files (speed: tests/bench)


def test_add_and_remove_in_a_file_of_1000_sections(rc):
    """The chunked edit (only the chunks that matter are read by configupdater and checked)
    on a big file: the new section lands at the end, its name at the end of the list, and
    remove gives back the bytes."""
    text = "[distutils]\nindex-servers =\n" + "".join(f"    s{i}\n" for i in range(1000))
    for i in range(1000):
        text += f"\n# server {i}\n[s{i}]\nrepository = https://s{i}.example/\nusername = u{i}\n"
    rc.write_text(text)
    record = pypirc.add_repository(rc, name="new", username="u", url="https://new.example/")
    edited = rc.read_text()
    assert edited == text.replace("    s999\n", "    s999\n    new\n") + "\n[new]\nrepository = https://new.example/\nusername = u\n"
    assert twine_sees(rc, "new")["repository"] == "https://new.example/"
    assert pypirc.remove_repository(rc, "new", record)
    assert rc.read_text() == text
