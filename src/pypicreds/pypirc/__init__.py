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

This module is the package's public face (callers use `pypirc.<name>`); the work is done in:
  parse.py     loading and parsing the file, twine's lookup rules
  read.py      what twine would read: repositories, a password
  document.py  the editable document: lines, sections, splices, verifying an edit
  edit.py      add_repository, set_password, taking a password line out and back
  remove.py    remove_repository

Error messages name lines and sections, never values: a malformed line may hold a token.
"""

from __future__ import annotations

from .edit import RECORD_VERSION, add_repository, put_password_line_back, set_password, take_password_line
from .parse import (
    DEFAULT_INDEX_SERVERS,
    RESERVED_SECTIONS,
    TWINE_KEYS,
    KeyLocation,
    ParsedFile,
    index_servers,
    parse_file,
    twine_view,
)
from .read import PypircConfig, RepositoryEntry, key_text, read_password, read_repositories
from .remove import remove_repository

__all__ = [
    "DEFAULT_INDEX_SERVERS", "RECORD_VERSION", "RESERVED_SECTIONS", "TWINE_KEYS", "KeyLocation", "ParsedFile",
    "PypircConfig", "RepositoryEntry", "add_repository", "index_servers", "key_text", "parse_file",
    "put_password_line_back",
    "read_password", "read_repositories", "remove_repository", "set_password", "take_password_line", "twine_view",
]
