"""What an index entry (and a journal, which carries entries) must look like when read back.

index.json and journal.json are pypicreds' own files, but anything read may be damaged or
hostile: a value of the wrong type would otherwise surface later as a TypeError deep inside a
command. `entry_problem` and `journal_problem` return what is wrong (never a value: a damaged
field might hold a token), or None. Standard library only, and cheap: on `env`'s path.
"""

from __future__ import annotations

import os
from itertools import chain
from operator import itemgetter

_TEXT, _OPTIONAL_TEXT, _FLAG, _PATH = "text", "text or null", "true or false", "a path or null"
# (string methods, not `re`: compiling patterns is a noticeable share of `pypicreds env`)
_NAME_CHARS = str.maketrans("", "", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def _is_name(text: str) -> bool:
    """repositories.NAME_RE: `[A-Za-z0-9][A-Za-z0-9._-]*`."""
    return text.isascii() and text[:1].isalnum() and not text.translate(_NAME_CHARS)


_DIGITS_AS_D = str.maketrans("0123456789", "dddddddddd")


def _is_time(text: str) -> bool:
    """`YYYY-MM-DDTHH:MM:SSZ`, as pypicreds writes times."""
    return len(text) == 20 and text.translate(_DIGITS_AS_D) == "dddd-dd-ddTdd:dd:ddZ"


def _is_path(text: str) -> bool:
    """A name a file can have: no NUL, and nothing the file system encoding cannot write (a lone
    surrogate; "\\udc80" is an undecodable byte of a real name and passes). os calls raise
    ValueError on the others."""
    if "\0" in text:
        return False
    if text.isascii():
        return True
    try:
        os.fsencode(text)
    except UnicodeError:
        return False
    return True


def _is_plain_url(url: str) -> bool:
    """An http(s) URL with a host, no credentials, and nothing that is not a URL character in it."""
    scheme, sep, rest = url.partition("://")
    host = rest.partition("/")[0].partition("?")[0].partition("#")[0]
    return (bool(sep) and scheme.lower() in ("http", "https") and bool(host) and "@" not in host
            and url.isprintable() and " " not in url)


ENTRY_FIELDS = {  # field -> (kind, required)
    "name": (_TEXT, True), "url": (_TEXT, True), "username": (_TEXT, True), "store": (_TEXT, True),
    "fingerprint": (_TEXT, True), "masked": (_TEXT, True), "added": (_TEXT, True),
    "rotated": (_OPTIONAL_TEXT, False), "project": (_OPTIONAL_TEXT, False), "plaintext": (_FLAG, False),
    "pypirc": (_OPTIONAL_TEXT, False), "pypirc_record": ("object or null", False), "token_info": ("object", False),
}
_TOKEN_INFO = {"scope": _OPTIONAL_TEXT, "host": _OPTIONAL_TEXT, "token_id": _OPTIONAL_TEXT,
               "expires": "time", "not_before": "time", "projects": "list", "project_ids": "list",
               "unknown_caveats": "count"}
_RECORD = {"version": "count", "name": _TEXT, "created_file": _FLAG, "created_distutils": _FLAG,
           "blank_after_distutils": _FLAG, "created_index_servers": _FLAG, "added_servers": "list",
           "created_section": _FLAG, "blank_before_section": _FLAG, "added_keys": "list",
           "written": "strings", "replaced": "replaced"}
STORES = ("keyring", "file")


_TYPES = {_TEXT: (str,), _OPTIONAL_TEXT: (str, type(None)), _FLAG: (bool,), "object": (dict,),
          "object or null": (dict, type(None))}


def _fits(kind: str, value: object) -> bool:
    allowed = _TYPES.get(kind)
    if allowed is not None:
        return type(value) in allowed
    if kind == "count":
        return type(value) is int and value >= 0
    if kind == _PATH:
        return value is None or type(value) is str and _is_path(value)
    if kind == "time":
        return value is None or (type(value) is str and _is_time(value))
    if kind == "list":
        return value is None or (type(value) is list and all(type(v) is str for v in value))
    if kind == "strings":
        return type(value) is dict and all(type(v) is str for v in value.values())
    if kind == "replaced":
        return type(value) is dict and all(
            type(v) is dict and _fits("list", v.get("old_lines")) and type(v.get("new_value")) is str
            for v in value.values())
    if kind == "object":
        return type(value) is dict
    return value is None or type(value) is dict  # "object or null"


_MISSING = object()
# (field, the types it may have, required): checked by type alone, the common case, fast (`list`
# checks every entry of the index)
_ENTRY_CHECKS = tuple((field, _TYPES[kind], required) for field, (kind, required) in ENTRY_FIELDS.items())


def fine_entry(item: dict) -> bool:
    """The common case, quickly: a sound entry (what pypicreds writes) passes every check here in
    one expression; anything else goes through the checks below, which say what is wrong."""
    get, text, none = item.get, str, None
    info, record, rotated, pypirc = get("token_info"), get("pypirc_record"), get("rotated"), get("pypirc", "")
    return (type(get("name")) is text and type(get("username")) is text and type(get("fingerprint")) is text
            and type(get("masked")) is text and get("store") in STORES
            and type(get("url")) is text and _is_plain_url(item["url"])
            and type(get("added")) is text and _is_time(item["added"])
            and (rotated is none or type(rotated) is text and _is_time(rotated))
            and type(get("project", "")) is text and type(pypirc) is text and _is_path(pypirc)
            and type(get("plaintext", False)) is bool and _is_name(item["name"])
            and (record is none or type(record) is dict and _fine_fields(record, _RECORD))
            and (info is none or type(info) is dict and _fine_fields(info, _TOKEN_INFO)))


_REQUIRED_TEXT = ("name", "url", "username", "fingerprint", "masked", "added")
_STR, _NO_STR = {str}, {str, type(None)}


def fine_entries(items: list) -> bool:
    """True only when entry_problem finds nothing in any of `items`: the index's entries, checked
    column by column in C where it can (`list` of a thousand). False also when it is not sure (a
    name, URL or field unlike pypicreds' own): then each entry is checked by itself."""
    if set(map(type, items)) - {dict}:
        return False
    try:
        columns = list(zip(*map(itemgetter(*_REQUIRED_TEXT, "store"), items)))
    except KeyError:
        return False
    if not columns:
        return True
    names, urls, _users, _prints, _masks, added, stores = columns
    if any(set(map(type, column)) - _STR for column in columns) or set(stores) - set(STORES):
        return False
    # names: [A-Za-z0-9][A-Za-z0-9._-]*, all at once (a NUL of their own would be one NUL too many)
    if not (all(names) and "".join(name[:1] for name in names).isalnum()
            and "\0".join(names).translate(_NAME_CHARS) == "\0" * (len(names) - 1)):
        return False
    if set(map(len, added)) != {20} or "".join(added).translate(_DIGITS_AS_D) != "dddd-dd-ddTdd:dd:ddZ" * len(added):
        return False
    joined = "\n".join(urls)
    if "@" in joined or " " in joined or not all(map(str.isprintable, urls)):
        return False  # (credentials, or something odd: the entry by entry check says which)
    for url in urls:
        scheme, sep, rest = url.partition("://")
        if not (sep and scheme.lower() in ("http", "https") and rest[:1] not in ("", "/", "?", "#")):
            return False
    return _fine_optional(items)


_PLAIN_INFO = {"scope", "host", "token_id"}  # the token_info fields that are text or null


def _fine_optional(items: list) -> bool:
    """fine_entries for the optional fields, a column at a time."""
    rotated = [t for item in items if (t := item.get("rotated")) is not None]
    if rotated and (set(map(type, rotated)) - _STR or set(map(len, rotated)) != {20}
                    or "".join(rotated).translate(_DIGITS_AS_D) != "dddd-dd-ddTdd:dd:ddZ" * len(rotated)):
        return False
    if set(type(item.get("project")) for item in items) - _NO_STR:
        return False
    if set(type(item.get("plaintext", False)) for item in items) != {bool}:
        return False
    pypircs = [p for item in items if (p := item.get("pypirc")) is not None]
    if set(map(type, pypircs)) - _STR or not all(map(_is_path, pypircs)):
        return False
    records = [r for item in items if (r := item.get("pypirc_record")) is not None]
    if not all(type(r) is dict and _fine_fields(r, _RECORD) for r in records):
        return False
    infos = [i for item in items if (i := item.get("token_info", _MISSING)) is not _MISSING]
    if set(map(type, infos)) - {dict}:
        return False
    if set(chain.from_iterable(infos)) <= _PLAIN_INFO:  # the common case: text values only
        return not set(map(type, chain.from_iterable(map(dict.values, infos)))) - _NO_STR
    return all(_fine_fields(info, _TOKEN_INFO) for info in infos)


def _fine_fields(obj: dict, fields: dict[str, str]) -> bool:
    for key, value in obj.items():
        kind = fields.get(key)
        if kind is not None and not (type(value) is str if kind == _TEXT or kind == _OPTIONAL_TEXT else _fits(kind, value)):
            return False
    return True


def entry_problem(item: object) -> str | None:
    """What is wrong with one entry as read from JSON, or None."""
    if type(item) is not dict:
        return "an entry is not an object"
    if fine_entry(item):
        return None
    get = item.get
    for field, allowed, required in _ENTRY_CHECKS:
        value = get(field, _MISSING)
        if value is _MISSING:
            if required:
                return f"an entry has no {field!r}"
        elif type(value) not in allowed:
            return f"an entry's {field!r} is not {ENTRY_FIELDS[field][0]}"
    if not _is_name(item["name"]):
        return "an entry's name is not a repository name"
    if item["store"] not in STORES:
        return "an entry names an unknown store"
    if not _is_plain_url(item["url"]):
        return "an entry's URL is not an http(s) URL without credentials"
    for field in ("added", "rotated"):
        if item.get(field) is not None and not _is_time(item[field]):
            return f"an entry's {field!r} is not a time"
    if not _fits(_PATH, item.get("pypirc")):
        return "an entry's 'pypirc' is not a path (a NUL, or a character no file name can hold)"
    return (_fields_problem(item.get("token_info"), _TOKEN_INFO, "an entry's token_info")
            or _fields_problem(item.get("pypirc_record"), _RECORD, "an entry's pypirc_record"))


def _fields_problem(obj: dict | None, fields: dict[str, str], what: str) -> str | None:
    """The first of `fields` (name -> kind) that `obj` has with a value of another kind."""
    if not obj:
        return None
    for key, value in obj.items():
        kind = fields.get(key)
        if kind is not None and not _fits(kind, value):
            return f"{what} {key!r} is not {kind}"
    return None


JOURNAL_FIELDS = {"op": _TEXT, "phase": _TEXT, "pid": "count", "pypirc": _PATH,
                  "pypirc_before": _OPTIONAL_TEXT, "pypirc_after": _OPTIONAL_TEXT, "pypirc_url": _OPTIONAL_TEXT,
                  "already_stored": _FLAG, "record": "object or null", "password_line": "object or null"}
_PASSWORD_LINE = {"line": "count", "parts": "list", "joined": _TEXT}


def journal_problem(data: object, ops) -> str | None:
    """What is wrong with a journal as read from JSON (`ops`: the changes it may record), or None."""
    if type(data) is not dict:
        return "not an object"
    if type(data.get("op")) is not str or data["op"] not in ops:
        return "an unknown change"
    problem = _fields_problem(data, JOURNAL_FIELDS, "the journal's")
    if problem:
        return problem
    for field in ("entry", "old"):
        if field == "entry" or data.get(field) is not None:
            problem = entry_problem(data.get(field))
            if problem:
                return f"{field}: {problem}"
    return (_fields_problem(data.get("password_line"), _PASSWORD_LINE, "the journal's password_line")
            or _fields_problem(data.get("record"), _RECORD, "the journal's record"))
