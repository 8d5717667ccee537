"""Editing ~/.pypirc: `add_repository` and `set_password`.

configupdater finds where sections and options are, then whole lines are spliced: every
byte the edit does not need to change stays as it was (comments, spacing, key order, CRLF
or CR endings, a missing final newline). New lines use the file's own newline style. Before
writing, the result is parsed again and compared with the original as twine would see it;
if anything else changed, nothing is written. Writes are atomic and 0600 under pypicreds'
lock.

`add_repository` returns a record of what it created (never a secret) for
`remove_repository` (remove.py), which undoes exactly that.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import fsutil, paths
from ..errors import PypircError
from ..lock import locked
from ..repositories import BUILTIN_URLS, url_problem
from .document import (
    _check_name,
    _check_value,
    _Doc,
    _key_indent,
    _Option,
    _option_value,
    _save,
    _value_offset,
    _verify,
)
from .parse import (
    DEFAULT_INDEX_SERVERS,
    KeyLocation,
    _blank,
    _content,
    _effective,
    _ending,
    _is_value_line,
    _load,
    _locate,
    _shown,
    _split,
    twine_view,
)
from .read import key_part

if TYPE_CHECKING:
    from configparser import RawConfigParser

RECORD_VERSION = 1
_INDENT = "    "


# --------------------------------------------------------------------------- add


def add_repository(
    path: str | os.PathLike,
    *,
    name: str,
    username: str,
    url: str | None = None,
    password: str | None = None,
    url_line: bool = False,
) -> dict[str, Any]:
    """Write `[name]` (username, and `repository` unless it is the built-in URL, or with
    `url_line` always: flit and hatch find a built-in index's section only by it) and list
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
    if url_problem(url):
        raise PypircError(f"refusing to write the URL for [{name}] into .pypirc: {url_problem(url)}")
    if password is not None:
        _check_value("token", password)
    path = Path(path)
    with locked(paths.lock_path()):
        doc = _Doc(_load(path), _shown(path))
        _refuse_hidden_password(doc, name, password)
        record: dict[str, Any] = {
            "version": RECORD_VERSION,
            "name": name,
            "created_file": not doc.existed,
            "created_distutils": False,
            "blank_after_distutils": False,
            "createdindex_servers": False,
            "added_servers": [],
            "created_section": False,
            "blank_before_section": False,
            "added_keys": [],
            "written": {},
            "replaced": {},
            # the file had no final newline, so lines added at its end gave one to the line before
            "terminated_end": bool(doc.lines) and not _ending(doc.lines[-1]),
        }
        want = {}
        if url_line or url != BUILTIN_URLS.get(name) or _twine_url(doc.parser, name) not in (None, url):
            want["repository"] = url
        want["username"] = username
        if password is not None:
            want["password"] = password
        doc.bottom_up(name, lambda: _write_section(doc, name, want, record), lambda: _ensure_listed(doc, name, record))
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
    parser = doc.parser
    own = (parser.has_section(s) and parser.has_option(s, "password") for s in (name, "server-login"))
    if "password" not in parser.defaults() and not any(own):
        return  # no password anywhere twine would look (so no lines to find)
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
        written = key_part(doc.lines[where.line - 1]) or "password ="
        raise PypircError(
            f"{what} has an empty '{written}' line: twine would send an empty password and never ask the keyring",
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
    return fsutil.sha256(value.encode("utf-8")).hexdigest()[:16]


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
            created_distutils=True, blank_after_distutils=blank, createdindex_servers=True, added_servers=added
        )
        return
    option = distutils.options.get("index-servers")
    if option is None:
        indent = _key_indent(doc, distutils.content_end, distutils.indent)
        contents = [f"{indent}index-servers ="] + [indent + _INDENT + e for e in entries]
        doc.splice(distutils.content_end, distutils.content_end, contents)
        record.update(createdindex_servers=True, added_servers=added)
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
    view = twine_view(after, name)
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
    with locked(paths.lock_path()):
        doc = _Doc(_load(path), _shown(path))
        _edit_password(doc, name, password)
        if doc.changed or password is not None:
            _save(path, doc)  # with a token in there, also to make sure the file is 0600
        return doc.changed


def _edit_password(doc: _Doc, name: str, password: str | None) -> None:
    """set_password's edit of `doc`, verified; raises PypircError when it cannot be done safely."""
    section = doc.section(name)
    if section is None:
        raise PypircError(f"{doc.shown} has no [{name}] section", hint="add the repository first")
    option = section.options.get("password")
    if password is None and option is not None:
        doc.splice(option.start, option.value_end, [], rejoin=False)  # no other line changes
    elif password is not None and option is None:
        indent = _key_indent(doc, section.content_end, section.indent)
        doc.splice(section.content_end, section.content_end, [f"{indent}password = {password}"])
    elif password is not None and _option_value(doc, option) != password:
        _set_value(doc, option, password)
    if not doc.changed:
        return

    def check(after: RawConfigParser) -> str | None:
        own = after.get(name, "password", fallback=None) if after.has_section(name) else None
        if own != password:
            return f"[{name}] would not hold the intended password"
        before_rest = {k: v for k, v in doc.parser.items(name, raw=True) if k != "password"}
        after_rest = {k: v for k, v in after.items(name, raw=True) if k != "password"}
        return None if before_rest == after_rest else f"other keys of [{name}] would change"

    _verify(doc, name, check)


# --------------------------------------------------------------------------- taking a password line out and back


def take_password_line(path: str | os.PathLike, name: str) -> dict[str, Any] | None:
    """Delete `[name]`'s own `password` option (as set_password(path, name, None) does) and
    return where it stood, for `put_password_line_back`: the index of its first line, its text
    split around the password (so the record holds no secret), and `joined` (always "" now:
    a line ending the deletion took from the line before, in records of older versions).
    Every other line keeps its bytes: a password on the last line without a newline leaves the
    file ending with the newline of the line before it. None when `[name]` has no password line."""
    _check_name(name)
    path = Path(path)
    with locked(paths.lock_path()):
        doc = _Doc(_load(path), _shown(path))
        section = doc.section(name)
        option = section.options.get("password") if section is not None else None
        if option is None:
            return None
        password = _option_value(doc, option)
        old = doc.lines[option.start : option.value_end]
        parts = "".join(old).split(password) if password else None
        if parts is not None and (len(parts) != 2 or len(old) != 1 or any("pypi-" in part for part in parts)):
            # only a one-line `password = X` is kept, as the text around X: for anything else
            # (a value over several lines, a comment that looks like a token) no copy is kept
            parts = None
        where = {"line": option.start, "parts": parts, "joined": ""}
        _edit_password(doc, name, None)
        _save(path, doc)
        return where


def put_password_line_back(
    path: str | os.PathLike, name: str, password: str, where: dict[str, Any], original_sha256: str
) -> bool:
    """Undo `take_password_line` byte for byte: the lines go back where they stood. Writes only
    when the result is exactly the file as it was (its SHA-256 is `original_sha256`); returns
    False otherwise (the file changed since), and the caller falls back to set_password."""
    _check_name(name)
    path = Path(path)
    parts, at, joined = where.get("parts"), where.get("line"), where.get("joined", "")
    with locked(paths.lock_path()):
        lines = _split(_load(path) or "")
        if parts is None or not isinstance(at, int) or not 0 < at <= len(lines) or joined and _ending(lines[at - 1]):
            return False
        lines[at - 1] += joined
        lines[at:at] = [password.join(parts)]
        data = "".join(lines).encode("utf-8")
        if fsutil.sha256(data).hexdigest() != original_sha256:
            return False
        fsutil.atomic_write(path, data, "")
        return True
