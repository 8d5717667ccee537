"""Undoing `add_repository` (edit.py): `remove_repository`.

With add's record it removes exactly what add created or changed, so add-then-remove
restores the file byte for byte (and deletes a file that add created, unless told to keep
it). When `[NAME]` was hand-written, add updated it in place: remove then puts back the old
username/repository lines, deletes the keys add inserted and any `password` line (the token
is being removed), and keeps the section. A line add did not write is deleted without
touching any other line's bytes. Like add, it splices lines, verifies the result as twine
would read it, and writes atomically under pypicreds' lock.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import paths
from ..errors import PypircError
from ..lock import locked
from ..repositories import BUILTIN_URLS
from .document import _check_name, _Doc, _option_value, _save, _verify
from .edit import _digest
from .parse import DEFAULT_INDEX_SERVERS, _blank, _content, _is_value_line, _load, _shown, index_servers

if TYPE_CHECKING:
    from configparser import RawConfigParser


# --------------------------------------------------------------------------- remove


def remove_repository(path: str | os.PathLike, name: str, record: dict[str, Any] | None = None, *,
                      keep_empty: bool = False) -> bool:
    """Undo `add_repository`. With its record: exactly what add created or changed (a file
    add created is deleted once nothing else is in it, unless `keep_empty`: then it stays,
    empty). Without: delete `[name]` and its index-servers entry (pypi/testpypi stay listed:
    twine lists them by default). Returns whether the file changed."""
    _check_name(name)
    rec = record or {}
    if record is not None and record.get("name", name) != name:
        raise PypircError(f"the .pypirc record given is for {record.get('name')!r}, not {name!r}")
    path = Path(path)
    with locked(paths.lock_path()):
        text = _load(path)
        if text is None:
            return False
        doc = _Doc(text, _shown(path))
        drop_entry = name in rec.get("added_servers", []) if record is not None else name not in BUILTIN_URLS
        doc.bottom_up(
            name,
            lambda: _undo_section(doc, name, record),
            lambda: _undo_listing(doc, name, rec, drop_entry, exact=record is not None),
        )
        if not doc.changed:
            return False
        _verify(doc, name, lambda after: _check_removed(after, doc.parser, name, record, drop_entry))
        if rec.get("created_file") and doc.text == "" and not keep_empty:
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
    ours = _rejoin(record)
    if record is None or rec.get("created_section"):
        start = section.start
        tidy = record is None or rec.get("blank_before_section")
        if tidy and start > 0 and _blank(doc.lines[start - 1]):
            start -= 1
        doc.splice(start, section.content_end, [], rejoin=ours)
        return
    # A hand-written section add only updated: put it back as it was, minus any password.
    written, replaced = rec.get("written", {}), rec.get("replaced", {})
    edits = []  # (option, old lines or None to delete, added by add); applied bottom-up so positions stay valid
    for key, option in section.options.items():
        value = _option_value(doc, option)
        added = key in rec.get("added_keys", []) and (key == "password" or written.get(key) == _digest(value))
        if key == "password" or added:
            edits.append((option, None, added))
        elif key in replaced and replaced[key].get("new_value") == _digest(value):
            if option.value_end == option.start + 1:  # still the one line add wrote
                edits.append((option, replaced[key]["old_lines"], True))
    for option, old_lines, added in sorted(edits, key=lambda edit: -edit[0].start):
        if old_lines is None:
            doc.splice(option.start, option.value_end, [], rejoin=added and ours)
        else:
            doc.restore_line(option.start, old_lines)


def _undo_listing(doc: _Doc, name: str, rec: dict, drop_entry: bool, exact: bool) -> None:
    if drop_entry:
        _unlist(doc, name, exact)
    distutils = doc.section("distutils")
    option = distutils.options.get("index-servers") if distutils else None
    if rec.get("createdindex_servers") and option is not None:
        if _option_value(doc, option).split() == list(DEFAULT_INDEX_SERVERS):
            doc.splice(option.start, option.value_end, [], rejoin=_rejoin(rec))  # the same as no list, for twine
            distutils = doc.section("distutils")
    if rec.get("created_distutils") and distutils is not None and not distutils.options:
        end = distutils.content_end
        if rec.get("blank_after_distutils") and end < len(doc.lines) and _blank(doc.lines[end]):
            end += 1
        doc.splice(distutils.start, end, [], rejoin=_rejoin(rec))


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
                doc.splice(index, index + 1, [], rejoin=exact)
                continue
        offset = re.search("[=:]", line).end() if index == option.start else 0  # configparser's first delimiter
        value = line[offset:]
        for match in reversed(list(token.finditer(value))):
            value = _drop_token(value, match.start(), match.end(), exact)
        doc.set_content(index, line[:offset] + value)


def _rejoin(record: dict | None) -> bool:
    """Whether deleting add's lines at the end of a file without a final newline takes the
    newline back from the line before: add gave it one there (records of older versions
    did not say, and add always did)."""
    return record is not None and bool(record) and record.get("terminated_end", True)


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
    expected = index_servers(before)
    if dropped:
        expected = [server for server in expected if server != name]
    if index_servers(after) != expected:
        return "index-servers would not be as intended"
    if after.has_section(name) and after.has_option(name, "password") and "password" not in after.defaults():
        return f"[{name}] would keep a password"
    if (record is None or record.get("created_section")) and after.has_section(name):
        return f"[{name}] would not be removed"
    return None
