"""~/.pypirc: read it exactly as twine 7 does, and edit it without touching anything else.

Reading (`read_repositories`, `read_password`) uses stdlib `configparser.RawConfigParser`
with twine's rules: no interpolation, `#`/`;` comments only on their own line (an inline
`# x` is part of the value), `[distutils] index-servers` split on whitespace and
`pypi testpypi` when missing, `[server-login]` username/password as defaults.

Editing (`add_repository`, `set_password`, `remove_repository`) lets configupdater find
where sections and options are, then splices whole lines: every byte the edit does not
need to change stays as it was (comments, spacing, key order, CRLF or CR endings, a
missing final newline). New lines use the file's own newline style. Before writing, the
result is parsed again and compared with the original as twine would see it; if anything
else changed, nothing is written. Writes are atomic and 0600 under pypicreds' lock.

`add_repository` returns a record of what it created (never a secret); handing it back to
`remove_repository` undoes exactly that, so add-then-remove restores the file byte for
byte (and deletes a file that add created). When `[NAME]` was hand-written, add updates
it in place: remove then puts back the old username/repository lines, deletes the keys
add inserted and any `password` line (the token is being removed), and keeps the section.

Error messages name lines and sections, never values: a malformed line may hold a token.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import fsutil, paths
from .errors import PypircError
from .repositories import BUILTIN_URLS

if TYPE_CHECKING:
    from configparser import RawConfigParser

DEFAULT_INDEX_SERVERS = ("pypi", "testpypi")  # what twine assumes when index-servers is missing
TWINE_KEYS = ("username", "repository", "password", "ca_cert", "client_cert")
RESERVED_SECTIONS = ("distutils", "server-login", "DEFAULT")
RECORD_VERSION = 1

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # the line breaks twine's open() knows
_KEY_PREFIX_RE = re.compile(r"[^=:]*[=:]\s*")  # configparser splits at the first '=' or ':'
_INDENT = "    "
_SPEC = "https://packaging.python.org/specifications/pypirc/"


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class KeyLocation:
    """Where a value comes from: its section (the repository's own, `DEFAULT` or
    `server-login`) and its 1-based line."""

    section: str
    line: int


@dataclass(frozen=True)
class RepositoryEntry:
    """One repository as twine would see it if asked for `name`. Holds no secret."""

    name: str
    url: str | None  # `repository`, else the built-in URL for pypi/testpypi, else None
    username: str | None
    has_password: bool  # a `password` twine would send (section or [server-login])
    password_empty: bool  # `password =`: twine sends an empty password, never asks the keyring
    listed: bool  # named in [distutils] index-servers (twine ignores unlisted sections' keys)
    section_line: int | None  # line of the `[name]` header, None without a section
    keys: dict[str, KeyLocation] = field(default_factory=dict)  # username/repository/password/...


@dataclass(frozen=True)
class PypircConfig:
    path: Path
    exists: bool
    index_servers: tuple[str, ...]  # as twine uses it (`pypi testpypi` when missing)
    index_servers_line: int | None  # None: no index-servers key
    repositories: dict[str, RepositoryEntry]  # pypi, then listed names (with or without a section), then other sections

    def get(self, name: str) -> RepositoryEntry | None:
        return self.repositories.get(name)


def read_repositories(path: str | os.PathLike) -> PypircConfig:
    """Everything twine would read from `path`; a missing file is an empty config."""
    path = Path(path)
    text = _load(path)
    lines = _split(text or "")
    parser = _parse(lines, _shown(path))
    headers, keys = _locate(lines)
    servers = _index_servers(parser)
    names = list(dict.fromkeys(["pypi", *servers, *(s for s in parser.sections() if s not in RESERVED_SECTIONS)]))
    repositories = {}
    for name in names:
        found = {key: _effective(parser, keys, name, key) for key in TWINE_KEYS}
        found = {key: value for key, value in found.items() if value is not None}
        url = found["repository"][0] if "repository" in found else BUILTIN_URLS.get(name)
        password = found.get("password")
        repositories[name] = RepositoryEntry(
            name=name,
            url=url,
            username=found["username"][0] if "username" in found else None,
            has_password=password is not None,
            password_empty=password is not None and password[0] == "",
            listed=name in servers,
            section_line=headers.get(name),
            keys={key: location for key, (_, location) in found.items()},
        )
    return PypircConfig(
        path=path,
        exists=text is not None,
        index_servers=tuple(servers),
        index_servers_line=keys.get(("distutils", "index-servers")),
        repositories=repositories,
    )


def read_password(path: str | os.PathLike, name: str) -> str | None:
    """The plaintext password twine would take from `path` for `name` (its section, else
    [server-login]), or None. For `pypicreds import`; the caller must not print it."""
    path = Path(path)
    lines = _split(_load(path) or "")
    parser = _parse(lines, _shown(path))
    found = _effective(parser, _locate(lines)[1], name, "password")
    return found[0] if found else None


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


def _index_servers(parser: RawConfigParser) -> list[str]:
    return parser.get("distutils", "index-servers", fallback=" ".join(DEFAULT_INDEX_SERVERS)).split()


def _twine_view(parser: RawConfigParser, name: str) -> dict[str, str | None] | None:
    """`twine.utils.get_config(...)[name]`, or None where twine says "Missing section"."""
    servers = _index_servers(parser)
    if name != "pypi" and name not in servers:
        return None
    view: dict[str, str | None] = {
        key: parser.get("server-login", key, fallback=None) for key in ("username", "password")
    }
    if name in BUILTIN_URLS and (name == "pypi" or name in servers):
        view["repository"] = BUILTIN_URLS[name]
    if name in servers:
        for key in TWINE_KEYS:
            if parser.has_option(name, key):
                view[key] = parser.get(name, key)
    return view


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


# --------------------------------------------------------------------------- files and parsing


def _shown(path: Path) -> str:
    """The path as the user knows it: `~/.pypirc` rather than /home/me/.pypirc."""
    home = os.environ.get("HOME")
    if home:
        try:
            return "~/" + str(path.relative_to(home))
        except ValueError:
            pass
    return str(path)


def _load(path: Path) -> str | None:
    """The file's text, or None when it does not exist (a dangling symlink counts as missing)."""
    shown = _shown(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise PypircError(f"{shown} is a directory, not a file", hint="pass the file with --pypirc PATH") from None
    except OSError as e:
        raise PypircError(f"cannot read {shown}: {e.strerror}", hint="check the file's owner and permissions") from e
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


# --------------------------------------------------------------------------- the editable document


@dataclass
class _Option:
    key: str  # lower-cased, as configparser and twine see it
    start: int  # index of the `key = value` line
    value_end: int  # index after the last line of the value (trailing comments/blank lines excluded)

    def shift(self, delta: int) -> None:
        self.start += delta
        self.value_end += delta


@dataclass
class _Section:
    name: str
    start: int  # index of the [header] line
    content_end: int  # index after the header or the last option's value
    indent: str  # leading whitespace of its last option line, for keys we add
    options: dict[str, _Option] = field(default_factory=dict)

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
        self.parser = _parse(self.lines, shown)  # the file as twine sees it before the edit
        self.newline = _newline_style(self.lines)
        self._sections: dict[str, _Section] | None = None
        self._stale = True

    @property
    def text(self) -> str:
        return "".join(self.lines)

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def section(self, name: str) -> _Section | None:
        if self._sections is None or (self._stale and name not in self._sections):
            self._sections = _structure(self.lines, self.shown)
            self._stale = False
        return self._sections.get(name)

    def set_content(self, index: int, content: str) -> None:
        """Replace one line's text, keeping its ending."""
        self.lines[index] = content + _ending(self.lines[index])

    def restore_line(self, index: int, old_lines: list[str]) -> None:
        """Put back lines exactly as they were (endings included) where one line now is.
        Only the end of the file decides the last one's ending: none there, else one."""
        ending = _ending(self.lines[index])
        last = old_lines[-1] if ending and _ending(old_lines[-1]) else _content(old_lines[-1]) + ending
        old = [*old_lines[:-1], last]
        self.lines[index : index + 1] = old
        self._reposition(index, index + 1, len(old) - 1)

    def splice(self, start: int, end: int, contents: list[str]) -> None:
        """Replace lines[start:end] with `contents` (texts without endings).

        A file without a final newline keeps that style: lines inserted at the end move the
        missing newline to the new last line, and deleting the end gives it back. So an
        insert and the matching delete are exact inverses."""
        new = [text + self.newline for text in contents]
        at_eof = end == len(self.lines)
        unterminated = bool(self.lines) and not _ending(self.lines[-1])
        if at_eof and unterminated:
            if new:
                new[-1] = contents[-1]
                if start == end:
                    self.lines[start - 1] += self.newline
            elif start > 0:
                self.lines[start - 1] = _content(self.lines[start - 1])
        self.lines[start:end] = new
        self._reposition(start, end, len(new) - (end - start))

    def _reposition(self, start: int, end: int, delta: int) -> None:
        for name, section in list((self._sections or {}).items()):
            if section.content_end < start:
                continue
            if section.start >= end:
                section.shift(delta)
            else:  # the splice touched this section: find it again when asked
                del self._sections[name]
                self._stale = True


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


def _structure(lines: list[str], shown: str) -> dict[str, _Section]:
    """Where each section and option is, from configupdater's blocks (which keep the lines)."""
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
    index = 0
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
    if index != len(lines):
        raise PypircError(f"cannot edit {shown}: it could not be mapped line by line", hint="edit it by hand")
    return sections


# --------------------------------------------------------------------------- checks


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name) or name in RESERVED_SECTIONS:
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


def _views(parser: RawConfigParser) -> dict[str, dict[str, str]]:
    """Each section's keys; those equal to [DEFAULT]'s are left out (twine cannot tell them apart)."""
    defaults = dict(parser.defaults())
    views = {
        name: {k: v for k, v in parser.items(name, raw=True) if defaults.get(k) != v} for name in parser.sections()
    }
    views["DEFAULT"] = defaults
    return views


def _verify(doc: _Doc, name: str, check) -> RawConfigParser:
    """Parse the edited text and make sure twine sees only the intended change.

    `check(after_parser)` returns a reason when the change to `name` is not as intended;
    every other section (and [distutils] apart from index-servers) must be unchanged."""
    after = _parse(_split(doc.text), doc.shown)
    before_views, after_views = _views(doc.parser), _views(after)
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


def _save(path: Path, doc: _Doc) -> None:
    fsutil.atomic_write(path, doc.text.encode("utf-8"))


# --------------------------------------------------------------------------- add


def add_repository(
    path: str | os.PathLike,
    *,
    name: str,
    username: str,
    url: str | None = None,
    password: str | None = None,
) -> dict[str, Any]:
    """Write `[name]` (username, and `repository` unless it is the built-in URL) and list
    `name` in index-servers. `password` only for the plaintext store; never an empty one.

    Returns a JSON-serialisable record of what was created, for `remove_repository`.
    Raises PypircError if the section (or [server-login]/[DEFAULT]) already holds a password
    that this would ignore or destroy."""
    _check_name(name)
    _check_value("username", username)
    url = url or BUILTIN_URLS.get(name)
    if url is None:
        raise PypircError(f"repository {name!r} needs a URL", hint="pass --url")
    _check_value("repository URL", url)
    if password is not None:
        _check_value("token", password)
    path = Path(path)
    with fsutil.locked(paths.lock_path()):
        doc = _Doc(_load(path), _shown(path))
        _refuse_hidden_password(doc, name, password)
        record: dict[str, Any] = {
            "version": RECORD_VERSION,
            "name": name,
            "created_file": not doc.existed,
            "created_distutils": False,
            "blank_after_distutils": False,
            "created_index_servers": False,
            "added_servers": [],
            "created_section": False,
            "blank_before_section": False,
            "added_keys": [],
            "written": {},
            "replaced": {},
        }
        want = {}
        if url != BUILTIN_URLS.get(name) or _twine_url(doc.parser, name) not in (None, url):
            want["repository"] = url
        want["username"] = username
        if password is not None:
            want["password"] = password
        # Edit bottom-up so the second edit's positions are still valid.
        section, distutils = doc.section(name), doc.section("distutils")
        section_first = section is None or distutils is None or section.start > distutils.start
        steps = [lambda: _write_section(doc, name, want, record), lambda: _ensure_listed(doc, name, record)]
        for step in steps if section_first else reversed(steps):
            step()
        record["written"] = {key: _digest(value) for key, value in want.items() if key != "password"}
        if doc.changed:
            _verify(doc, name, lambda after: _check_added(after, name, url, username, password))
        if doc.changed or password is not None:
            _save(path, doc)  # also when unchanged with a token: the file holding it becomes 0600
        return record


def _twine_url(parser: RawConfigParser, name: str) -> str | None:
    """The URL twine would use for `name` once it is listed."""
    if parser.has_section(name) and parser.has_option(name, "repository"):
        return parser.get(name, "repository")
    return BUILTIN_URLS.get(name)


def _refuse_hidden_password(doc: _Doc, name: str, password: str | None) -> None:
    """Never destroy a token in the file, nor leave one twine would use instead of ours."""
    keys = _locate(doc.lines)[1]
    found = _effective(doc.parser, keys, name, "password")
    if found is None and ("DEFAULT", "password") in keys:  # it will apply to a section we create
        found = doc.parser.defaults()["password"], KeyLocation("DEFAULT", keys[("DEFAULT", "password")])
    if found is None:
        return
    value, where = found
    if password is not None and (where.section != name or value == password):
        return  # our own password line wins over [server-login]/[DEFAULT]; the same token is no change
    if where.section == name:
        what = f"[{name}] in {doc.shown} (line {where.line})"
    else:
        what = f"[{where.section}] in {doc.shown} (line {where.line}), which twine uses for [{name}],"
    if value == "":
        raise PypircError(
            f"{what} has an empty 'password =' line: twine would send an empty password and never ask the keyring",
            hint="delete that line, then run this again",
        )
    raise PypircError(
        f"{what} holds a plaintext password",
        hint="run `pypicreds import` to move it into the store first (or delete the line by hand)",
    )


def _write_section(doc: _Doc, name: str, want: dict[str, str], record: dict) -> None:
    section = doc.section(name)
    if section is None:
        blank = bool(doc.lines) and not _blank(doc.lines[-1])
        contents = ([""] if blank else []) + [f"[{name}]"] + [f"{key} = {value}" for key, value in want.items()]
        doc.splice(len(doc.lines), len(doc.lines), contents)
        record.update(created_section=True, blank_before_section=blank)
        return
    missing = [key for key in want if key not in section.options]
    changes = []
    for key, value in want.items():
        option = section.options.get(key)
        if option is not None and _option_value(doc, option) != value:
            changes.append((option, key, value))
    # Inserted keys go after the last option; replacements above them keep their positions.
    if missing:
        indent = _key_indent(doc, section.content_end, section.indent)
        doc.splice(section.content_end, section.content_end, [f"{indent}{key} = {want[key]}" for key in missing])
        record["added_keys"] = missing
    for option, key, value in sorted(changes, key=lambda c: -c[0].start):
        old_lines = doc.lines[option.start : option.value_end]
        if not _secretish("".join(old_lines)):
            record["replaced"][key] = {"old_lines": old_lines, "new_value": _digest(value)}
        _set_value(doc, option, value)


def _set_value(doc: _Doc, option: _Option, value: str) -> None:
    """Make the option one line `<its own key and delimiter spacing><value>`."""
    if option.value_end - option.start > 1:
        doc.splice(option.start + 1, option.value_end, [])
    old = _content(doc.lines[option.start])
    doc.set_content(option.start, old[: _value_offset(old)] + value)


def _digest(value: str) -> str:
    """How the record remembers what add wrote, to tell later whether it is still there
    (a digest: a URL could carry credentials)."""
    import hashlib

    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def _secretish(text: str) -> bool:
    """Old lines are kept in the record only if they cannot hold a secret."""
    return "pypi-" in text or "@" in text


def _ensure_listed(doc: _Doc, name: str, record: dict) -> None:
    entries = list(DEFAULT_INDEX_SERVERS) + ([] if name in DEFAULT_INDEX_SERVERS else [name])
    added = [] if name in DEFAULT_INDEX_SERVERS else [name]
    distutils = doc.section("distutils")
    if distutils is None:
        blank = bool(doc.lines)
        indent = _key_indent(doc, 0, "")
        contents = ["[distutils]", f"{indent}index-servers ="] + [indent + _INDENT + e for e in entries]
        contents += [""] if blank else []
        doc.splice(0, 0, contents)
        record.update(
            created_distutils=True, blank_after_distutils=blank, created_index_servers=True, added_servers=added
        )
        return
    option = distutils.options.get("index-servers")
    if option is None:
        indent = _key_indent(doc, distutils.content_end, distutils.indent)
        contents = [f"{indent}index-servers ="] + [indent + _INDENT + e for e in entries]
        doc.splice(distutils.content_end, distutils.content_end, contents)
        record.update(created_index_servers=True, added_servers=added)
        return
    if name in _option_value(doc, option).split():
        return
    continuation = [i for i in range(option.start + 1, option.value_end) if _is_value_line(doc.lines[i])]
    if continuation:
        last = doc.lines[continuation[-1]]
        doc.splice(continuation[-1] + 1, continuation[-1] + 1, [last[: len(last) - len(last.lstrip())] + name])
    else:
        doc.set_content(option.start, _content(doc.lines[option.start]) + " " + name)
    record["added_servers"] = [name]


def _check_added(after: RawConfigParser, name: str, url: str, username: str, password: str | None) -> str | None:
    view = _twine_view(after, name)
    if view is None:
        return f"twine would not find [{name}]"
    if view.get("repository") != url:
        return f"twine would not use the URL for [{name}]"
    if view.get("username") != username:
        return f"twine would not use the username for [{name}]"
    if view.get("password") != password:
        return f"twine would not use the intended password for [{name}]"
    return None


# --------------------------------------------------------------------------- set_password


def set_password(path: str | os.PathLike, name: str, password: str | None) -> bool:
    """Put `password = TOKEN` into the existing `[name]` (plaintext store, e.g. rotate), or
    with None delete its password line. Returns whether the file changed."""
    _check_name(name)
    if password is not None:
        _check_value("token", password)
    path = Path(path)
    with fsutil.locked(paths.lock_path()):
        doc = _Doc(_load(path), _shown(path))
        section = doc.section(name)
        if section is None:
            raise PypircError(f"{doc.shown} has no [{name}] section", hint="add the repository first")
        option = section.options.get("password")
        if password is None and option is not None:
            doc.splice(option.start, option.value_end, [])
        elif password is not None and option is None:
            indent = _key_indent(doc, section.content_end, section.indent)
            doc.splice(section.content_end, section.content_end, [f"{indent}password = {password}"])
        elif password is not None and _option_value(doc, option) != password:
            _set_value(doc, option, password)
        if not doc.changed and password is None:
            return False

        def check(after: RawConfigParser) -> str | None:
            own = after.get(name, "password", fallback=None) if after.has_section(name) else None
            if own != password:
                return f"[{name}] would not hold the intended password"
            before_rest = {k: v for k, v in doc.parser.items(name, raw=True) if k != "password"}
            after_rest = {k: v for k, v in after.items(name, raw=True) if k != "password"}
            return None if before_rest == after_rest else f"other keys of [{name}] would change"

        if doc.changed:
            _verify(doc, name, check)
        _save(path, doc)  # a token is in there: make sure the file is 0600
        return doc.changed


# --------------------------------------------------------------------------- remove


def remove_repository(path: str | os.PathLike, name: str, record: dict[str, Any] | None = None) -> bool:
    """Undo `add_repository`. With its record: exactly what add created or changed (a file
    add created is deleted once nothing else is in it). Without: delete `[name]` and its
    index-servers entry (pypi/testpypi stay listed: twine lists them by default).
    Returns whether the file changed."""
    _check_name(name)
    rec = record or {}
    if record is not None and record.get("name", name) != name:
        raise PypircError(f"the .pypirc record given is for {record.get('name')!r}, not {name!r}")
    path = Path(path)
    with fsutil.locked(paths.lock_path()):
        text = _load(path)
        if text is None:
            return False
        doc = _Doc(text, _shown(path))
        section, distutils = doc.section(name), doc.section("distutils")
        drop_entry = name in rec.get("added_servers", []) if record is not None else name not in BUILTIN_URLS
        steps = [
            lambda: _undo_section(doc, name, record),
            lambda: _undo_listing(doc, name, rec, drop_entry, exact=record is not None),
        ]
        section_first = section is None or distutils is None or section.start > distutils.start
        for step in steps if section_first else reversed(steps):
            step()
        if not doc.changed:
            return False
        _verify(doc, name, lambda after: _check_removed(after, doc.parser, name, record, drop_entry))
        if rec.get("created_file") and doc.text == "":
            try:
                os.unlink(os.path.realpath(path))
            except OSError as e:
                raise PypircError(f"cannot delete {doc.shown}: {e.strerror}") from e
            return True
        _save(path, doc)
        return True


def _undo_section(doc: _Doc, name: str, record: dict | None) -> None:
    section = doc.section(name)
    if section is None:
        return
    rec = record or {}
    if record is None or rec.get("created_section"):
        start = section.start
        tidy = record is None or rec.get("blank_before_section")
        if tidy and start > 0 and _blank(doc.lines[start - 1]):
            start -= 1
        doc.splice(start, section.content_end, [])
        return
    # A hand-written section add only updated: put it back as it was, minus any password.
    written, replaced = rec.get("written", {}), rec.get("replaced", {})
    edits = []  # (option, old lines or None to delete); applied bottom-up so positions stay valid
    for key, option in section.options.items():
        value = _option_value(doc, option)
        if key == "password" or (key in rec.get("added_keys", []) and written.get(key) == _digest(value)):
            edits.append((option, None))
        elif key in replaced and replaced[key].get("new_value") == _digest(value):
            if option.value_end == option.start + 1:  # still the one line add wrote
                edits.append((option, replaced[key]["old_lines"]))
    for option, old_lines in sorted(edits, key=lambda edit: -edit[0].start):
        if old_lines is None:
            doc.splice(option.start, option.value_end, [])
        else:
            doc.restore_line(option.start, old_lines)


def _undo_listing(doc: _Doc, name: str, rec: dict, drop_entry: bool, exact: bool) -> None:
    if drop_entry:
        _unlist(doc, name, exact)
    distutils = doc.section("distutils")
    option = distutils.options.get("index-servers") if distutils else None
    if rec.get("created_index_servers") and option is not None:
        if _option_value(doc, option).split() == list(DEFAULT_INDEX_SERVERS):
            doc.splice(option.start, option.value_end, [])  # the same as no list, for twine
            distutils = doc.section("distutils")
    if rec.get("created_distutils") and distutils is not None and not distutils.options:
        end = distutils.content_end
        if rec.get("blank_after_distutils") and end < len(doc.lines) and _blank(doc.lines[end]):
            end += 1
        doc.splice(distutils.start, end, [])


def _unlist(doc: _Doc, name: str, exact: bool) -> None:
    """Take `name` out of index-servers. `exact`: we appended it as ' NAME', so remove just that."""
    distutils = doc.section("distutils")
    option = distutils.options.get("index-servers") if distutils else None
    if option is None:
        return
    token = re.compile(r"(?<!\S)" + re.escape(name) + r"(?!\S)")
    for index in reversed(range(option.start, option.value_end)):
        line = _content(doc.lines[index])
        if index > option.start:
            if not _is_value_line(line):
                continue
            if line.split() == [name]:
                doc.splice(index, index + 1, [])
                continue
        offset = re.search("[=:]", line).end() if index == option.start else 0  # configparser's first delimiter
        value = line[offset:]
        for match in reversed(list(token.finditer(value))):
            value = _drop_token(value, match.start(), match.end(), exact)
        doc.set_content(index, line[:offset] + value)


def _drop_token(value: str, start: int, end: int, exact: bool) -> str:
    if exact and start > 0 and value[start - 1] == " ":
        return value[: start - 1] + value[end:]
    before = value[:start].rstrip()
    if before:  # not the first entry: take the spaces before it
        return before + value[end:]
    rest = value[end:].lstrip()
    return value[:start] + rest if rest else ""


def _check_removed(
    after: RawConfigParser, before: RawConfigParser, name: str, record: dict | None, dropped: bool
) -> str | None:
    expected = _index_servers(before)
    if dropped:
        expected = [server for server in expected if server != name]
    if _index_servers(after) != expected:
        return "index-servers would not be as intended"
    if after.has_section(name) and after.has_option(name, "password") and "password" not in after.defaults():
        return f"[{name}] would keep a password"
    if (record is None or record.get("created_section")) and after.has_section(name):
        return f"[{name}] would not be removed"
    return None


