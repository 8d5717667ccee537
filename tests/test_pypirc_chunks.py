"""The editor reads only parts of a big .pypirc (pypirc_parse._chunks): configupdater maps
just the chunks that may hold a section, and an edit is checked by parsing just the chunks it
changed plus those twine reads for the repository. These tests hold the partial readings
against whole-file ones on generated files and random line splices, so a wrong cut (say,
at an indented header, which can continue a value) shows up as a difference.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pypirc_gen import VALUES, pypirc_texts

from pypicreds.errors import PypircError
from pypicreds.pypirc.document import _compare_all, _compare_nearby, _Doc, _find_section, _structure
from pypicreds.pypirc.parse import _chunks, _split, twine_view

NAMES = ["mine", "pypi", "testpypi", "a", "distutils", "server-login", "DEFAULT"]
INSERTED = st.one_of(
    st.builds(lambda indent, name: f"{indent}[{name}]", st.sampled_from(["", " ", "\t"]), st.sampled_from(NAMES)),
    st.builds(
        lambda indent, key, value: f"{indent}{key} = {value}",
        st.sampled_from(["", "  ", "    "]),
        st.sampled_from(["username", "repository", "password", "index-servers", "x"]),
        VALUES,
    ),
    st.builds(lambda indent, value: f"{indent}{value or 'v'}", st.sampled_from(["  ", "\t", "      "]), VALUES),
    st.sampled_from(["", "# note", "  ; note"]),
)


def _doc(text: str) -> _Doc:
    try:
        return _Doc(text, "~/.pypirc")
    except PypircError:
        assume(False)


def _others_differ(before: dict, after: dict, name: str) -> bool:
    """_verify's test: does anything but `name` and the index-servers list differ?"""
    before, after = {k: dict(v) for k, v in before.items()}, {k: dict(v) for k, v in after.items()}
    for views in (before, after):
        views.pop(name, None)
        views.get("distutils", {}).pop("index-servers", None)
        if not views.get("distutils"):
            views.pop("distutils", None)
    return before != after


def _shape(section):
    if section is None:
        return None
    options = {key: (o.start, o.value_end) for key, o in section.options.items()}
    return section.name, section.start, section.content_end, section.indent, options


def test_chunks_cut_only_at_unindented_headers():
    lines = _split("# top\n  [early]\n[a]\nkey = 1\n  [b]\n[c]\n\tvalue\n#[d]\n[e] trailing\n")
    assert _chunks(lines) == [
        (0, 2, frozenset({"early"})),
        (2, 5, frozenset({"a", "b"})),
        (5, 8, frozenset({"c"})),
        (8, 9, frozenset({"e"})),
    ]
    assert _chunks([]) == [(0, 0, frozenset())]


@settings(max_examples=300, deadline=None)
@given(text=pypirc_texts(), name=st.sampled_from(NAMES[:-1]))
def test_a_section_is_found_where_the_whole_file_mapping_has_it(text, name):
    lines = _doc(text).lines
    try:
        whole = _structure(lines, "~/.pypirc")
    except PypircError:
        assume(False)
    assert _shape(_find_section(lines, "~/.pypirc", name)) == _shape(whole.get(name))


@st.composite
def spliced(draw, lines: list[str]) -> list[str]:
    new = list(lines)
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, len(new)))
        end = draw(st.integers(start, min(len(new), start + 3)))
        new[start:end] = [line + "\n" for line in draw(st.lists(INSERTED, max_size=3))]
    return new


@settings(max_examples=500, deadline=None)
@given(data=st.data(), text=pypirc_texts(), name=st.sampled_from(NAMES[:-1]))
def test_checking_only_nearby_chunks_agrees_with_parsing_the_whole_file(data, text, name):
    doc = _doc(text)
    lines = data.draw(spliced(doc.lines))
    nearby = _compare_nearby(doc, lines, name)
    assume(nearby is not None)
    whole = _compare_all(doc, lines)  # the partial parse passed, so the whole file must parse
    (near, near_before, near_after), (full, full_before, full_after) = nearby, whole
    assert _others_differ(near_before, near_after, name) == _others_differ(full_before, full_after, name)
    assert near.defaults() == full.defaults()
    for section in (name, "distutils", "server-login"):
        assert near.has_section(section) == full.has_section(section)
        if full.has_section(section):
            assert near.items(section, raw=True) == full.items(section, raw=True)
    assert twine_view(near, name) == twine_view(full, name)


def test_an_edit_that_duplicates_a_far_section_is_left_to_the_whole_file_parse():
    text = "[distutils]\nindex-servers = far\n\n[far]\nusername = u\n\n[mine]\nusername = m\n"
    doc = _doc(text)
    lines = doc.lines + ["[far]\n", "username = other\n"]
    assert _compare_nearby(doc, lines, "mine") is None
    with pytest.raises(PypircError, match=r"cannot edit ~/.pypirc safely: the result would not parse "
                                          r"\(line 9: section \[far\] appears twice\)") as raised:
        _compare_all(doc, lines)
    assert "fix that line" not in (raised.value.hint or "")  # the user's file is fine: no blame


def test_an_add_to_a_big_file_parses_only_the_chunks_it_touched():
    """add lists the name at the top ([distutils]) and appends its section at the end: every
    chunk between is unchanged, wherever it now stands, and is not parsed again."""
    text = "[distutils]\nindex-servers =\n" + "".join(f"    s{i}\n" for i in range(300))
    text += "".join(f"\n[s{i}]\nrepository = https://s{i}.example/\nusername = u{i}\n" for i in range(300))
    doc = _doc(text)
    distutils = doc.section("distutils")
    doc.splice(len(doc.lines), len(doc.lines), ["", "[new]", "repository = https://new.example/", "username = u"])
    doc.splice(distutils.content_end, distutils.content_end, ["    new"])
    parser, before, after = _compare_nearby(doc, _split(doc.text), "new")
    assert set(parser.sections()) == {"distutils", "s299", "new"}  # s299's chunk gained the blank line
    assert not _others_differ(before, after, "new")
