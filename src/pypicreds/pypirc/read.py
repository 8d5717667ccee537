"""Reading ~/.pypirc as twine does: every repository twine would see, and a password.

Holds no secret in its results but `read_password`'s, which the caller must not print.
"""

from __future__ import annotations

import os
from collections import namedtuple
from pathlib import Path

from ..repositories import BUILTIN_URLS
from .parse import RESERVED_SECTIONS, TWINE_KEYS, ParsedFile, _content, _effective, _load, _split, index_servers, parse_file

# Named tuples, not dataclasses: `add` is timed against a bare configupdater script, and the
# dataclasses import costs a noticeable share of that.


class RepositoryEntry(namedtuple(
    "RepositoryEntry", "name url username has_password password_empty listed section_line keys"
)):
    """One repository as twine would see it if asked for `name`. Holds no secret.

    url: `repository`, else the built-in URL for pypi/testpypi, else None; has_password: a
    `password` twine would send (section or [server-login]); password_empty: `password =`, so
    twine sends an empty password and never asks the keyring; listed: named in [distutils]
    index-servers (twine ignores unlisted sections' keys); section_line: the `[name]` header's
    line, None without a section; keys: where username/repository/password/... come from
    (KeyLocation by key)."""

    __slots__ = ()


class PypircConfig(namedtuple("PypircConfig", "path exists index_servers index_servers_line repositories")):
    """index_servers: as twine uses it (`pypi testpypi` when missing); index_servers_line: None
    without an index-servers key; repositories: pypi, then listed names (with or without a
    section), then other sections."""

    __slots__ = ()

    def get(self, name: str) -> RepositoryEntry | None:
        return self.repositories.get(name)


def read_repositories(path: str | os.PathLike, parsed: ParsedFile | None = None) -> PypircConfig:
    """Everything twine would read from `path`; a missing file is an empty config. `parsed`:
    parse_file(path), for a caller that needs the parser too (one reading of the file)."""
    path = Path(path)
    parser, headers, keys, exists = parsed or parse_file(path)
    servers = index_servers(parser)
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
        exists=exists,
        index_servers=tuple(servers),
        index_servers_line=keys.get(("distutils", "index-servers")),
        repositories=repositories,
    )


def read_password(path: str | os.PathLike, name: str, parsed: ParsedFile | None = None) -> str | None:
    """The plaintext password twine would take from `path` for `name` (its section, else
    [server-login]), or None. For `pypicreds import`; the caller must not print it."""
    parsed = parsed or parse_file(Path(path))
    found = _effective(parsed.parser, parsed.keys, name, "password")
    return found[0] if found else None


def key_text(path: str | os.PathLike, line: int) -> str | None:
    """The key and its delimiter as the file writes them on `line` (`password =`, `password:`),
    to quote in a message: never the value. None when the line is not there."""
    lines = _split(_load(Path(path)) or "")
    return key_part(lines[line - 1]) if 0 < line <= len(lines) else None


def key_part(line: str) -> str | None:
    """`line` up to its first delimiter ('=' or ':', as configparser splits), as written."""
    import re

    match = re.match(r"[^=:]*[=:]", _content(line))
    return match.group().strip() if match else None
