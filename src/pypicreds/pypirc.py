"""~/.pypirc: read it exactly as twine 7 does, and edit it without touching anything else.

Reading (`read_repositories`, `read_password`) uses stdlib `configparser.RawConfigParser`
with twine's rules: no interpolation, `#`/`;` comments only on their own line (an inline
`# x` is part of the value), `[distutils] index-servers` split on whitespace and
`pypi testpypi` when missing, `[server-login]` username/password as defaults.

Editing (`add_repository`, `set_password`, `remove_repository`) splices whole lines, so
every byte the edit does not need to change stays as it was, and writes nothing unless the
result, parsed again as twine would, differs from the original only as intended.
`add_repository` returns a record of what it created (never a secret); handing it back to
`remove_repository` undoes exactly that.

This module is the public face; the work is done in:
  pypirc_parse.py   loading and parsing the file, twine's lookup rules
  pypirc_doc.py     the editable document: lines, sections, splices, verifying an edit
  pypirc_edit.py    add_repository, set_password
  pypirc_remove.py  remove_repository

Error messages name lines and sections, never values: a malformed line may hold a token.
"""

from __future__ import annotations

import os
from collections import namedtuple
from pathlib import Path

from .pypirc_parse import (
    RESERVED_SECTIONS,
    TWINE_KEYS,
    KeyLocation,
    ParsedFile,
    _effective,
    _index_servers,
    parse_file,
)
from .repositories import BUILTIN_URLS

# Re-exported: callers use them as pypirc.<name>.
from .errors import PypircError  # noqa: F401
from .pypirc_edit import (  # noqa: F401
    RECORD_VERSION,
    add_repository,
    put_password_line_back,
    set_password,
    take_password_line,
)
from .pypirc_parse import DEFAULT_INDEX_SERVERS  # noqa: F401
from .pypirc_remove import remove_repository  # noqa: F401


# --------------------------------------------------------------------------- reading


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
