"""The editable .pypirc document: lines that keep their own endings, where sections and
options are (found by configupdater), line splices, and the check that an edit changed only
what it meant to (the result is parsed again and compared as twine would see it).

Both configupdater and the check read only the chunks of the file (parse._chunks)
that matter: a 1,000-section file is edited in about the time configupdater takes to read it
once, while the whole file is still parsed (once, before the edit) as twine would.

Internal to edit.py and remove.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from .. import fsutil
from ..errors import PypircError
from ..repositories import NAME_RE
from .parse import RESERVED_SECTIONS, _chunks, _content, _ending, _is_value_line, _parse, _split

if TYPE_CHECKING:
    from configparser import RawConfigParser

_KEY_PREFIX_RE = re.compile(r"[^=:]*[=:]\s*")  # configparser splits at the first '=' or ':'


# --------------------------------------------------------------------------- the editable document


class _Option:
    __slots__ = ("key", "start", "value_end")

    def __init__(self, key: str, start: int, value_end: int) -> None:
        self.key = key  # lower-cased, as configparser and twine see it
        self.start = start  # index of the `key = value` line
        self.value_end = value_end  # index after the value's last line (trailing comments/blank lines excluded)

    def shift(self, delta: int) -> None:
        self.start += delta
        self.value_end += delta


class _Section:
    __slots__ = ("name", "start", "content_end", "indent", "options")

    def __init__(self, name: str, start: int, content_end: int, indent: str) -> None:
        self.name = name
        self.start = start  # index of the [header] line
        self.content_end = content_end  # index after the header or the last option's value
        self.indent = indent  # leading whitespace of its last option line, for keys we add
        self.options: dict[str, _Option] = {}

    def shift(self, delta: int) -> None:
        self.start += delta
        self.content_end += delta
        for option in self.options.values():
            option.shift(delta)


class _Doc:
    """The file as a list of lines (each with its own ending) plus where its sections are.

    Edits are line splices. A splice keeps the positions of sections wholly before or after
    it valid (shifting the latter), so several edits made bottom-up need one parse."""

    def __init__(self, text: str | None, shown: str) -> None:
        self.existed = text is not None
        self.original = text or ""
        self.shown = shown
        self.lines = _split(self.original)
        self.original_lines = self.lines[:]
        self.original_chunks = _chunks(self.lines)  # for the lookups before any edit, and _verify
        self.parser = _parse(self.lines, shown)  # the whole file as twine sees it before the edit
        self.newline = _newline_style(self.lines)
        self._sections: dict[str, _Section | None] = {}  # found so far, None: not in the file
        self._edited = False

    @property
    def text(self) -> str:
        return "".join(self.lines)

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def section(self, name: str) -> _Section | None:
        if name not in self._sections:
            chunks = _chunks(self.lines) if self._edited else self.original_chunks
            self._sections[name] = _find_section(self.lines, self.shown, name, chunks)
        return self._sections[name]

    def bottom_up(self, name: str, section_step, listing_step) -> None:
        """Run an edit of `[name]` and one of [distutils] in the order that keeps the second's
        positions valid: the one lower in the file first."""
        section, distutils = self.section(name), self.section("distutils")
        section_first = section is None or distutils is None or section.start > distutils.start
        for step in (section_step, listing_step) if section_first else (listing_step, section_step):
            step()

    def set_content(self, index: int, content: str) -> None:
        """Replace one line's text, keeping its ending."""
        self.lines[index] = content + _ending(self.lines[index])
        self._edited = True

    def restore_line(self, index: int, old_lines: list[str]) -> None:
        """Put back lines exactly as they were (endings included) where one line now is.
        Only the end of the file decides the last one's ending: none there, else one."""
        ending = _ending(self.lines[index])
        last = old_lines[-1] if ending and _ending(old_lines[-1]) else _content(old_lines[-1]) + ending
        old = [*old_lines[:-1], last]
        self.lines[index : index + 1] = old
        self._edited = True
        self._reposition(index, index + 1, len(old) - 1)

    def splice(self, start: int, end: int, contents: list[str], *, rejoin: bool = True) -> None:
        """Replace lines[start:end] with `contents` (texts without endings).

        A file without a final newline keeps that style: lines inserted at the end move the
        missing newline to the new last line. Deleting the end gives it back to the line
        before when `rejoin` (undoing such an insert: an exact inverse); without it, the
        line before keeps its bytes and the file now ends with its newline (deleting a line
        of the user's, such as a password, touches no other line)."""
        new = [text + self.newline for text in contents]
        at_eof = end == len(self.lines)
        unterminated = bool(self.lines) and not _ending(self.lines[-1])
        if at_eof and unterminated:
            if new:
                new[-1] = contents[-1]
                if start == end:
                    self.lines[start - 1] += self.newline
            elif start > 0 and rejoin:
                self.lines[start - 1] = _content(self.lines[start - 1])
        self.lines[start:end] = new
        self._edited = True
        self._reposition(start, end, len(new) - (end - start))

    def _reposition(self, start: int, end: int, delta: int) -> None:
        for name, section in list(self._sections.items()):
            if section is None:  # the splice may have created it
                del self._sections[name]
            elif section.content_end < start:
                continue
            elif section.start >= end:
                section.shift(delta)
            else:  # the splice touched this section: find it again when asked
                del self._sections[name]


def _key_indent(doc: _Doc, index: int, base: str) -> str:
    """Indentation for a key line inserted at `index`: at least that of the next line
    configparser reads, or that line would continue our value (an indented [header])."""
    for line in doc.lines[index:]:
        if _is_value_line(line):
            lead = line[: len(line) - len(line.lstrip())]
            return lead if len(lead) > len(base) else base
    return base


def _newline_style(lines: list[str]) -> str:
    counts: dict[str, int] = {}
    for line in lines:
        ending = _ending(line)
        if ending:
            counts[ending] = counts.get(ending, 0) + 1
    return max(counts, key=lambda e: counts[e]) if counts else "\n"


def _for_configupdater(line: str) -> str:
    """The line as configupdater must see it to split the file as configparser does: it
    treats indented comments as values and adds lines of its own after a bare '\r'."""
    text = line.strip()
    if not text:
        return "\n"
    if text.startswith(("#", ";")):
        return "#\n"
    return _content(line) + "\n"


def _find_section(lines: list[str], shown: str, name: str, chunks=None) -> _Section | None:
    """Where `[name]` and its options are, from configupdater reading only the chunks that
    could hold it (a chunk reads the same alone as within the file). `chunks`: _chunks(lines)
    when already known."""
    for start, end, names in _chunks(lines) if chunks is None else chunks:
        if name in names:
            found = _structure(lines[start:end], shown, start).get(name)
            if found is not None:
                return found
    return None


def _structure(lines: list[str], shown: str, offset: int = 0) -> dict[str, _Section]:
    """Where each section and option of `lines` is (`offset`: the index of its first line in
    the file), from configupdater's blocks (which keep the lines)."""
    from configupdater import ConfigUpdater, Option, Section

    updater = ConfigUpdater(strict=False)  # configparser already rejected real duplicates
    try:
        updater.read_file([_for_configupdater(line) for line in lines], source=shown)
    except Exception:  # configupdater differs from configparser on odd indentation
        raise PypircError(
            f"cannot edit {shown}: its layout is too unusual to change safely",
            hint="edit the file by hand; pypicreds left it unchanged",
        ) from None
    sections: dict[str, _Section] = {}
    index = offset
    for block in updater.iter_blocks():
        if not isinstance(block, Section):
            index += len(block.lines)
            continue
        section = _Section(block.name, index, index + 1, "")
        index += len(block.lines)
        for sub in block.iter_blocks():
            if isinstance(sub, Option):
                last = max(i for i, line in enumerate(sub.lines) if i == 0 or _is_value_line(line))
                option = _Option(sub.raw_key.lower(), index, index + last + 1)
                section.options.setdefault(option.key, option)
                section.content_end = option.value_end
                section.indent = sub.lines[0][: len(sub.lines[0]) - len(sub.lines[0].lstrip())]
            index += len(sub.lines)
        sections.setdefault(section.name, section)
    if index != offset + len(lines):
        raise PypircError(f"cannot edit {shown}: it could not be mapped line by line", hint="edit it by hand")
    return sections


# --------------------------------------------------------------------------- checks


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not NAME_RE.fullmatch(name) or name in RESERVED_SECTIONS:
        raise PypircError(
            "invalid repository name for .pypirc",
            hint="use letters, digits, '.', '_' and '-'; not distutils, server-login or DEFAULT",
        )


def _check_value(what: str, value: object) -> str:
    """Defence in depth: a value must stay one line and read back as written."""
    if (
        not isinstance(value, str)
        or not value
        or value != value.strip()
        or value.splitlines() != [value]
        or "\x00" in value
    ):
        raise PypircError(
            f"refusing to write the {what} into .pypirc: it is empty, has surrounding spaces, "
            "or contains a line break or NUL"
        )
    return value


def _option_value(doc: _Doc, option: _Option) -> str:
    """An option's value the way configparser joins it (lines stripped, comments skipped)."""
    first = _content(doc.lines[option.start])
    parts = [first[_value_offset(first) :].strip()]
    parts += [doc.lines[i].strip() for i in range(option.start + 1, option.value_end) if _is_value_line(doc.lines[i])]
    return "\n".join(parts).strip()


def _value_offset(key_line: str) -> int:
    match = _KEY_PREFIX_RE.match(key_line)
    return match.end() if match else len(key_line)


def _verify(doc: _Doc, name: str, check) -> RawConfigParser:
    """Parse the edited text and make sure twine sees only the intended change.

    `check(after_parser)` returns a reason when the change to `name` is not as intended;
    every other section (and [distutils] apart from index-servers) must be unchanged."""
    lines = _split(doc.text)
    after, before_views, after_views = _compare_nearby(doc, lines, name) or _compare_all(doc, lines)
    for views in (before_views, after_views):
        views.pop(name, None)
        views.get("distutils", {}).pop("index-servers", None)
        if not views.get("distutils"):
            views.pop("distutils", None)
    reason = check(after)
    if reason is None and before_views != after_views:
        reason = "other sections would change"
    if reason is not None:
        raise PypircError(
            f"cannot edit {doc.shown} safely: {reason}",
            hint="its layout (probably unusual indentation) defeats a safe edit; edit it by hand. "
            "pypicreds left it unchanged",
        )
    return after


def _compare_all(doc: _Doc, lines: list[str]) -> tuple[RawConfigParser, dict, dict]:
    """The edited file parsed whole: (its parser, every section's view before, and after)."""
    try:
        after = _parse(lines, doc.shown)
    except PypircError as e:  # the user's file parsed: it is the edit that would break it
        detail = e.message.removeprefix(f"cannot parse {doc.shown} ")
        raise PypircError(
            f"cannot edit {doc.shown} safely: the result would not parse"
            + (f" ({detail})" if detail != e.message else ""),
            hint="its layout (probably unusual indentation) defeats a safe edit; edit it by hand. "
            "pypicreds left it unchanged",
        ) from None
    return after, _views(doc.parser), _views(after)


def _compare_nearby(doc: _Doc, lines: list[str], name: str) -> tuple[RawConfigParser, dict, dict] | None:
    """What `_compare_all` finds, parsing only the chunks the edit changed (those without an
    identical partner on the other side: an edit at the top and one at the end leave all the
    chunks between unchanged), those that may hold `name`, [distutils] or [server-login]
    (what twine reads for `name`) and the first.

    Sound because a chunk reads the same wherever it stands: every section outside these
    chunks is byte-identical and has the same [DEFAULT]. None (parse it all) when that does
    not hold or cannot be shown cheaply: the edit touched a [DEFAULT] header, a parsed
    section's name also occurs in a chunk left out, or the parse fails (the whole-file parse
    then reports the error with its true line number)."""
    import configparser
    from collections import Counter

    old, new = doc.original_lines, lines
    before, after = doc.original_chunks, _chunks(new)
    texts_before = [tuple(old[start:end]) for start, end, _ in before]
    texts_after = [tuple(new[start:end]) for start, end, _ in after]
    unchanged = Counter(texts_before) & Counter(texts_after)
    wanted = {name, "distutils", "server-login"}
    for texts, chunks in ((texts_before, before), (texts_after, after)):
        partners = Counter(unchanged)
        for text, chunk in zip(texts, chunks):
            if partners[text] > 0:
                partners[text] -= 1
            else:
                wanted |= chunk[2]
    if "DEFAULT" in wanted:
        return None
    read, left_out = [], set()
    for index, (start, end, names) in enumerate(after):
        if index == 0 or names & wanted:
            read += new[start:end]
        else:
            left_out |= names
    parser = configparser.RawConfigParser(defaults=doc.parser.defaults())
    try:
        parser.read_file((_content(line) + "\n" for line in read), source=doc.shown)
    except configparser.Error:
        return None
    if left_out.intersection(parser.sections()):
        return None
    names = wanted.union(parser.sections())
    return parser, _views(doc.parser, names), _views(parser, names)


def _views(parser: RawConfigParser, names=None) -> dict[str, dict[str, str]]:
    """Each section's keys (of `names` only, if given); those equal to [DEFAULT]'s are left
    out (twine cannot tell them apart)."""
    defaults = dict(parser.defaults())
    sections = parser.sections() if names is None else [n for n in names if parser.has_section(n)]
    views = {name: {k: v for k, v in parser.items(name, raw=True) if defaults.get(k) != v} for name in sections}
    views["DEFAULT"] = defaults
    return views


def _save(path: Path, doc: _Doc) -> None:
    fsutil.atomic_write(path, doc.text.encode("utf-8"), "")
