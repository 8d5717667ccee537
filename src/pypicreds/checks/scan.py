"""`pypicreds scan`: find PyPI API tokens in files, without ever printing one.

A candidate is `pypi-AgE` and at least 80 URL-safe base64 characters (every PyPI token's
macaroon starts with the same bytes, so its base64 starts `AgE`); it counts only when the
token reader decodes it, so lookalikes (a wrong prefix, a truncated token, broken base64)
are not reported. Reads bytes, so any encoding works; skips `.git/` (and other VCS
directories) and binary files. A file is only searched line by line once a fast byte search
has found the prefix in it, so large trees are cheap.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .. import tokens
from ..errors import PypicredsError, UsageError

CANDIDATE = re.compile(rb"pypi-AgE[A-Za-z0-9_-]{80,}")
MARK = b"pypi-AgE"
SKIP_DIRS = frozenset({".git", ".hg", ".svn"})
BINARY_SNIFF = 8192  # bytes looked at for a NUL, as git and grep do
CHUNK = 1 << 24  # files larger than this are read in overlapping chunks


@dataclass(frozen=True)
class Hit:
    path: str
    line: int
    column: int
    host: str
    token_id: str
    scope: str
    projects: list[str] | None
    expires: str | None
    fingerprint: str

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "host": self.host,
            "token_id": self.token_id,
            "scope": self.scope,
            "projects": self.projects,
            "expires": self.expires,
            "fingerprint": self.fingerprint,
        }


@dataclass
class ScanResult:
    hits: list[Hit]
    files: int  # files read
    skipped_binary: int
    unreadable: list[str]


def scan(roots: Iterable[str | os.PathLike]) -> ScanResult:
    result = ScanResult([], 0, 0, [])
    for path in _files([Path(r) for r in roots] or [Path(".")], result):
        try:
            found = scan_file(path)
        except OSError as e:
            result.unreadable.append(f"{path}: {e.strerror or e}")
            continue
        if found is None:
            result.skipped_binary += 1
            continue
        result.files += 1
        result.hits.extend(found)
    return result


def _files(roots: list[Path], result: ScanResult) -> Iterator[Path]:
    for root in roots:
        if root.is_dir():
            yield from _walk(root, result)
        elif root.exists():
            yield root  # named on the command line: read even through a symlink
        else:
            raise UsageError(f"{root}: no such file or directory")


def _walk(top: Path, result: ScanResult) -> Iterator[Path]:
    stack = [str(top)]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as entries:
                subdirs = []
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            if entry.name not in SKIP_DIRS:
                                subdirs.append(entry.path)
                        elif entry.is_file(follow_symlinks=False):
                            yield Path(entry.path)
                    except OSError:
                        continue
        except OSError as e:
            result.unreadable.append(f"{directory}: {e.strerror or e}")
            continue
        stack.extend(sorted(subdirs, reverse=True))


def scan_file(path: Path) -> list[Hit] | None:
    """Tokens in one file; None for a binary file."""
    with open(path, "rb") as f:
        head = f.read(CHUNK)
        if b"\0" in head[:BINARY_SNIFF]:
            return None
        if len(head) < CHUNK:
            return scan_bytes(head, str(path)) if MARK in head else []
        return _scan_large(f, head, str(path))


def _scan_large(f, data: bytes, shown: str) -> list[Hit]:
    """A big file (a CI log) in chunks; each chunk is cut at a line end so no token is split."""
    hits: list[Hit] = []
    line_offset = 0
    while data:
        more = f.read(CHUNK)
        if more:
            cut = data.rfind(b"\n") + 1 or len(data)
            block, data = data[:cut], data[cut:] + more
        else:
            block, data = data, b""
        if MARK in block:
            hits.extend(scan_bytes(block, shown, line_offset))
        line_offset += block.count(b"\n")
    return hits


def scan_bytes(data: bytes, shown: str, line_offset: int = 0) -> list[Hit]:
    hits = []
    line, last = 1 + line_offset, 0
    for match in CANDIDATE.finditer(data):
        text = match.group().decode("ascii")
        try:
            info = tokens.inspect(text)
        except PypicredsError:
            continue  # a lookalike: not a token PyPI would accept
        line += data.count(b"\n", last, match.start())
        last = match.start()
        column = match.start() - (data.rfind(b"\n", 0, match.start()) + 1) + 1
        hits.append(Hit(
            path=shown, line=line, column=column, host=info.host, token_id=info.token_id, scope=info.scope,
            projects=info.projects, expires=tokens.iso(info.expires), fingerprint=tokens.fingerprint(text),
        ))
    return hits

