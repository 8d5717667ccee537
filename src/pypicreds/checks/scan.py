"""`pypicreds scan`: find PyPI API tokens in files, without ever printing one.

A candidate is `pypi-AgE` and at least 80 URL-safe base64 characters (every PyPI token's
macaroon starts with the same bytes, so its base64 starts `AgE`); it counts only when the
token reader decodes it, so lookalikes (a wrong prefix, a truncated token, broken base64)
are not reported. A token glued to more URL-safe characters (`pypi-…_old`) is cut where its
macaroon ends. Reads bytes, so any ASCII-compatible encoding works, and UTF-16 (PowerShell's
default) is decoded first; skips `.git/` (and other VCS directories) and binary files; follows
symlinks to files (each file is read once, however many links lead to it), not to directories. Files are read in
blocks, without blocking on a FIFO, and a token cut by a block's end is found whole.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .. import fsutil, tokens
from ..errors import PypicredsError, UsageError

CANDIDATE = re.compile(rb"pypi-AgE[A-Za-z0-9_-]{80,}")
MARK = b"pypi-AgE"
SKIP_DIRS = frozenset({".git", ".hg", ".svn"})
BINARY_SNIFF = 8192  # bytes looked at for a NUL, as git and grep do
CHUNK = 1 << 24  # bytes read at a time
_TOKEN_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_UTF16 = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}
_UTF16_MARKS = {"utf-16-le": MARK.decode().encode("utf-16-le"), "utf-16-be": MARK.decode().encode("utf-16-be")}


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
    unknown_caveats: int = 0

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
            "unknown_caveats": self.unknown_caveats,
        }


@dataclass
class ScanResult:
    hits: list[Hit]
    files: int  # files read
    skipped_binary: int
    unreadable: list[str]
    seen: set = field(default_factory=set, repr=False)  # (device, inode) of every file read

    @property
    def files_with_tokens(self) -> int:
        return len({hit.path for hit in self.hits})


def scan(roots: Iterable[str | os.PathLike]) -> ScanResult:
    result = ScanResult([], 0, 0, [])
    for path in _files([Path(r) for r in roots] or [Path(".")], result):
        try:
            found = scan_file(path, result.seen)
        except (OSError, PypicredsError) as e:
            result.unreadable.append(e.message if isinstance(e, PypicredsError) else f"{path}: {e.strerror or e}")
            continue
        if found is None:
            continue  # read already (through another link)
        if found is False:
            result.skipped_binary += 1
            continue
        result.files += 1
        result.hits.extend(found)
    return result


def _files(roots: list[Path], result: ScanResult) -> Iterator[Path]:
    for root in roots:
        try:
            info = os.stat(root)
        except FileNotFoundError:
            raise UsageError(f"{root}: no such file or directory") from None
        except OSError as e:
            result.unreadable.append(f"{root}: {e.strerror or e}")
            continue
        if stat.S_ISDIR(info.st_mode):
            yield from _walk(root, result)
        else:
            yield root  # named on the command line: read even through a symlink


def _walk(top: Path, result: ScanResult) -> Iterator[Path]:
    """Files under `top` and the files its symlinks point to (a `.env` linked to a secrets file
    elsewhere is what leaks); symlinked directories are not entered (no loops)."""
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
                        elif entry.is_symlink() and entry.is_file():
                            yield Path(entry.path)  # a link to a file (here or elsewhere): read once
                    except OSError:
                        continue
        except OSError as e:
            result.unreadable.append(f"{directory}: {e.strerror or e}")
            continue
        stack.extend(sorted(subdirs, reverse=True))


def scan_file(path: Path, seen: set | None = None) -> list[Hit] | bool | None:
    """Tokens in one file; False for a binary file; None for one read already (`seen`)."""
    with fsutil.open_regular(path, "", hint="scan reads regular files") as f:
        info = os.fstat(f.fileno())
        if seen is not None:
            if (info.st_dev, info.st_ino) in seen:
                return None
            seen.add((info.st_dev, info.st_ino))
        head = f.read(CHUNK)
        encoding = _utf16(head)
        if encoding is None and b"\0" in head[:BINARY_SNIFF]:
            return False
        blocks = _blocks(f, head) if encoding is None else _decoded(f, head, encoding)
        return _scan_blocks(blocks, str(path))


def _utf16(head: bytes) -> str | None:
    """The UTF-16 byte order of a file that is UTF-16 text (by its BOM, or a token's
    prefix in it), else None."""
    encoding = _UTF16.get(head[:2])
    if encoding is None:
        encoding = next((enc for enc, mark in _UTF16_MARKS.items() if mark in head), None)
    return encoding


def _blocks(f, head: bytes) -> Iterator[bytes]:
    yield head
    while block := f.read(CHUNK):
        yield block


def _decoded(f, head: bytes, encoding: str) -> Iterator[bytes]:
    """The file's text as UTF-8 blocks (a BOM dropped; undecodable units replaced)."""
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    if head[:2] in _UTF16:
        head = head[2:]
    for block in _blocks(f, head):
        yield decoder.decode(block).encode("utf-8", "surrogateescape")
    yield decoder.decode(b"", final=True).encode("utf-8", "surrogateescape")


def _scan_blocks(blocks: Iterable[bytes], shown: str) -> list[Hit]:
    """Tokens in a stream of blocks. A block's tail that could be the start of a token (a run
    of token characters) is carried into the next, so no token is cut in two."""
    hits: list[Hit] = []
    carry, line_offset, column_offset = b"", 0, 0
    for block in blocks:
        data = carry + block
        cut = len(data)
        while cut > 0 and data[cut - 1] in _TOKEN_BYTES:
            cut -= 1
        if len(data) - cut > 2 * tokens.MAX_TOKEN_CHARS:  # no token is that long
            cut = len(data)
        done, carry = data[:cut], data[cut:]
        if MARK in done:
            hits.extend(scan_bytes(done, shown, line_offset, column_offset))
        line_offset += done.count(b"\n")
        last_break = done.rfind(b"\n")
        column_offset = len(done) - last_break - 1 if last_break >= 0 else column_offset + len(done)
    if carry and MARK in carry:
        hits.extend(scan_bytes(carry, shown, line_offset, column_offset))
    return hits


def scan_bytes(data: bytes, shown: str, line_offset: int = 0, column_offset: int = 0) -> list[Hit]:
    """Tokens in `data`, which starts on line `line_offset + 1`, `column_offset` bytes into it."""
    hits = []
    line, last, position = 1 + line_offset, 0, 0
    while match := CANDIDATE.search(data, position):
        text = match.group().decode("ascii")
        info, length = _read_token(text)
        if info is None:
            position = match.end()
            continue  # a lookalike: not a token PyPI would accept
        start = match.start()
        line += data.count(b"\n", last, start)
        last = start
        line_start = data.rfind(b"\n", 0, start) + 1
        column = start - line_start + 1 + (column_offset if line_start == 0 else 0)
        hits.append(Hit(
            path=shown, line=line, column=column, host=info.host, token_id=info.token_id, scope=info.scope,
            projects=info.projects, expires=tokens.iso(info.expires), fingerprint=tokens.fingerprint(text[:length]),
            unknown_caveats=info.unknown,
        ))
        position = start + length  # a token glued to the next one: look on after this one
    return hits


def _read_token(text: str) -> tuple[tokens.TokenInfo | None, int]:
    """The token at the start of `text` and its length: all of `text`, or the part a macaroon
    takes when more URL-safe characters follow it."""
    for length in dict.fromkeys((len(text), tokens.token_length(text))):
        if length is None:
            continue
        try:
            return tokens.inspect(text[:length]), length
        except PypicredsError:
            continue
    return None, len(text)
