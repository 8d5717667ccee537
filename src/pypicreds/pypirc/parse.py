"""~/.pypirc as twine 7 reads it: loading the file, parsing it, and twine's lookup rules.

Shared by reading (read.py) and editing (edit.py, document.py); the underscore names are the
package's own helpers, not an API. Error messages name lines and sections, never
values: a malformed line may hold a token.
"""

from __future__ import annotations

import re
from collections import namedtuple
from pathlib import Path
from typing import TYPE_CHECKING

from .. import fsutil
from ..errors import PypicredsError, PypircError
from ..paths import shown
from ..repositories import BUILTIN_URLS

if TYPE_CHECKING:
    from configparser import RawConfigParser

DEFAULT_INDEX_SERVERS = ("pypi", "testpypi")  # what twine assumes when index-servers is missing
TWINE_KEYS = ("username", "repository", "password", "ca_cert", "client_cert")
RESERVED_SECTIONS = ("distutils", "server-login", "DEFAULT")

_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # the line breaks twine's open() knows
_SPEC = "https://packaging.python.org/specifications/pypirc/"


# --------------------------------------------------------------------------- twine's lookups


class KeyLocation(namedtuple("KeyLocation", "section line")):
    """Where a value comes from: its section (the repository's own, `DEFAULT` or
    `server-login`) and its 1-based line."""

    __slots__ = ()


def _effective(parser: RawConfigParser, keys: dict, name: str, key: str) -> tuple[str, KeyLocation] | None:
    """twine's lookup: the section's own key (or DEFAULT's), else [server-login] for credentials."""
    found = _lookup(parser, keys, name, key)
    if found is None and key in ("username", "password"):
        found = _lookup(parser, keys, "server-login", key)
    return found


def _lookup(parser: RawConfigParser, keys: dict, section: str, key: str) -> tuple[str, KeyLocation] | None:
    if not parser.has_section(section) or not parser.has_option(section, key):
        return None
    where = section if (section, key) in keys else "DEFAULT"
    return parser.get(section, key), KeyLocation(where, keys[(where, key)])


def index_servers(parser: RawConfigParser) -> list[str]:
    """[distutils] index-servers as twine splits it (`pypi testpypi` when missing)."""
    return parser.get("distutils", "index-servers", fallback=" ".join(DEFAULT_INDEX_SERVERS)).split()


def twine_view(parser: RawConfigParser, name: str) -> dict[str, str | None] | None:
    """`twine.utils.get_config(...)[name]`, or None where twine says "Missing section".
    (The editor checks its edits with it; doctor explains twine's choices with it.)

    twine fills a defaultdict: pypi is always there, testpypi when listed, any other listed
    name only once one of its keys is read; each starts from [server-login]'s credentials."""
    servers = index_servers(parser)
    view: dict[str, str | None] = {
        key: parser.get("server-login", key, fallback=None) for key in ("username", "password")
    }
    present = name == "pypi" or (name == "testpypi" and name in servers)
    if present:
        view["repository"] = BUILTIN_URLS[name]
    if name in servers:
        for key in TWINE_KEYS:
            if parser.has_option(name, key):
                view[key] = parser.get(name, key)
                present = True
    return view if present else None


def _locate(lines: list[str]) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Line numbers of section headers and keys, following RawConfigParser._read's rules
    (comments and blank lines skipped, deeper-indented lines continue a value)."""
    import configparser

    cls = configparser.RawConfigParser
    nonspace = getattr(cls, "NONSPACECRE", re.compile(r"\S"))
    headers: dict[str, int] = {}
    keys: dict[tuple[str, str], int] = {}
    section: str | None = None
    option: str | None = None
    indent_level = 0
    for number, line in enumerate(lines, start=1):
        text = _content(line)
        value = text.strip()
        if not value or value.startswith(("#", ";")):
            continue
        first = nonspace.search(text)
        indent = first.start() if first else 0
        if section is not None and option and indent > indent_level:
            continue  # continuation of a multi-line value
        indent_level = indent
        header = cls.SECTCRE.match(value)
        if header:
            section, option = header.group("header"), None
            headers.setdefault(section, number)
            continue
        match = cls.OPTCRE.match(value)
        if match and section is not None:
            option = match.group("option").rstrip().lower()
            keys.setdefault((section, option), number)
    return headers, keys


def _chunks(lines: list[str]) -> list[tuple[int, int, frozenset[str]]]:
    """The file cut where configparser starts afresh: before every `[header]` line that is not
    indented. Such a line is never a value's continuation, so no line before it changes how
    any line after it is read (beyond duplicate names). Each chunk is (first line, end, names):
    the names of every line in it that could be a header, indented or not, so a superset of
    the sections it defines. The first chunk (what precedes the first such header, maybe
    nothing) is always there."""
    import configparser

    sectcre = configparser.RawConfigParser.SECTCRE
    chunks = []
    start, names = 0, set()
    for index, line in enumerate(lines):
        if "[" not in line or line.lstrip()[:1] != "[":
            continue
        match = sectcre.match(line.strip())
        if match is None:
            continue
        if line[0] == "[":
            chunks.append((start, index, frozenset(names)))
            start, names = index, set()
        names.add(match.group("header"))
    chunks.append((start, len(lines), frozenset(names)))
    return chunks


# --------------------------------------------------------------------------- files and parsing


_shown = shown  # the name the editing modules use


MAX_BYTES = 4 * 1024 * 1024  # a real .pypirc is a few KiB; a 1,000-section one about 70 KiB


def _load(path: Path) -> str | None:
    """The file's text, or None when it does not exist (a dangling symlink counts as missing).
    Only a regular file is read, without blocking and up to MAX_BYTES."""
    shown = _shown(path)
    try:
        data = fsutil.read_file(path, "", limit=MAX_BYTES,
                                hint="pass another file with --pypirc PATH, or leave .pypirc alone with --no-pypirc")
    except PypicredsError as e:
        raise PypircError(e.message, e.hint) from None
    if data is None:
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        raise PypircError(
            f"{shown} starts with a UTF-8 byte order mark (BOM), which twine cannot read",
            hint="save the file as UTF-8 without BOM; pypicreds left it unchanged",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise PypircError(
            f"cannot read {shown} line {line}: not UTF-8 text",
            hint="save the file as UTF-8; pypicreds left it unchanged",
        ) from None


def _split(text: str) -> list[str]:
    """Lines, each keeping its own ending ('\\r\\n', '\\r', '\\n', or '' for a last line without one)."""
    return _LINE_RE.findall(text)


def _content(line: str) -> str:
    return line.rstrip("\r\n")


def _ending(line: str) -> str:
    return line[len(_content(line)) :]


def _blank(line: str) -> bool:
    return not line.strip()


def _is_value_line(line: str) -> bool:
    """Whether configparser takes this line into a value (not blank, not a comment)."""
    value = line.strip()
    return bool(value) and not value.startswith(("#", ";"))


class ParsedFile(namedtuple("ParsedFile", "parser headers keys exists")):
    """The file read once as twine reads it: its parser, the lines of section headers (by
    name) and of keys (by (section, key)), and whether it exists (missing: an empty config)."""

    __slots__ = ()


def parse_file(path: Path) -> ParsedFile:
    text = _load(path)
    lines = _split(text or "")
    headers, keys = _locate(lines)
    return ParsedFile(_parse(lines, _shown(path)), headers, keys, text is not None)


def _parse(lines: list[str], shown: str) -> RawConfigParser:
    """Parse as twine does. Errors give the line number, never the line: it may hold a token
    (so no exception chaining either: configparser's messages quote the line)."""
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read_file((_content(line) + "\n" for line in lines), source=shown)
    except configparser.MissingSectionHeaderError as e:
        raise _unparsable(shown, e.lineno, "a line before the first [section] header") from None
    except configparser.DuplicateSectionError as e:
        raise _unparsable(shown, e.lineno, f"section [{_safe(e.section)}] appears twice") from None
    except configparser.DuplicateOptionError as e:
        raise _unparsable(shown, e.lineno, f"key '{_safe(e.option)}' appears twice in [{_safe(e.section)}]") from None
    except configparser.ParsingError as e:
        raise _unparsable(shown, e.errors[0][0], "not a [section] header, a 'key = value' line or a comment") from None
    except configparser.Error:
        raise PypircError(f"cannot parse {shown}", hint=f"twine cannot read it either; see {_SPEC}") from None
    return parser


def _unparsable(shown: str, line: int, what: str) -> PypircError:
    return PypircError(
        f"cannot parse {shown} line {line}: {what}",
        hint=f"fix that line by hand (twine cannot read the file either); see {_SPEC}",
    )


def _safe(text: str) -> str:
    """A name from the file, shown in a message: hidden if it looks like a token, cut if long."""
    if "pypi-" in text:
        return "(hidden)"
    return text if len(text) <= 40 else text[:37] + "..."
