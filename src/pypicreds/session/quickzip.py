"""One small member of a zip file (a wheel's METADATA), read without the zipfile module.

`pypicreds upload` is timed against plain twine, and importing zipfile (which brings pathlib,
shutil, threading, bz2 and lzma) was a fifth of what upload adds. A METADATA file needs only
the central directory, one local header and zlib. Anything past that plain case (zip64,
encryption, a compression other than stored or deflate, bytes before the archive, a spanned
archive, an end record zipfile would not find first, a member over the limit) raises Unusual,
and the caller reads the file with zipfile instead. A damaged file raises BadZip. Checks as
zipfile does: the name in the local header, the size and the CRC.
"""

from __future__ import annotations

import struct

_END = struct.Struct("<4s4H2LH")  # end of central directory record
_CENTRAL = struct.Struct("<4s6H3L5H2L")  # central directory file header
_LOCAL = struct.Struct("<4s5H3L2H")  # local file header
_END_SIG, _CENTRAL_SIG, _LOCAL_SIG, _ZIP64_LOCATOR_SIG = b"PK\x05\x06", b"PK\x01\x02", b"PK\x03\x04", b"PK\x06\x07"
_ENCRYPTED, _UTF8 = 0x1, 0x800
_STORED, _DEFLATED = 0, 8


class BadZip(Exception):
    """Not a zip file, or a damaged one."""


class Unusual(Exception):
    """A zip this reader leaves to zipfile."""


def read_member(path: str, wanted, limit: int) -> bytes | None:
    """The bytes of the first member (in central directory order, as zipfile's infolist) whose
    name split at '/' `wanted` accepts; None when no member is wanted. Unusual for a member
    larger than `limit`."""
    with open(path, "rb") as f:
        end_at, record = _find_end(f)
        _, disk, directory_disk, on_disk, total, directory_size, directory_at, _ = _END.unpack(record)
        if 0xFFFF in (disk, directory_disk, on_disk, total) or 0xFFFFFFFF in (directory_size, directory_at):
            raise Unusual("zip64")
        if end_at >= 20:
            f.seek(end_at - 20)
            if f.read(4) == _ZIP64_LOCATOR_SIG:
                raise Unusual("zip64")
        if disk or directory_disk or on_disk != total:
            raise Unusual("spanned")
        if directory_at + directory_size != end_at:
            raise Unusual("bytes before the archive")
        f.seek(directory_at)
        directory = f.read(directory_size)
        position = 0
        while position < len(directory):  # as zipfile: the directory's bytes, not the count, decide
            if position + _CENTRAL.size > len(directory):
                raise BadZip("Truncated central directory")
            (signature, _, _, flags, method, _, _, crc, packed, unpacked,
             name_size, extra_size, comment_size, _, _, _, offset) = _CENTRAL.unpack_from(directory, position)
            if signature != _CENTRAL_SIG:
                raise BadZip("Bad magic number for central directory")
            raw = directory[position + _CENTRAL.size : position + _CENTRAL.size + name_size]
            position += _CENTRAL.size + name_size + extra_size + comment_size
            if not wanted(_decode(raw, flags).split("/")):
                continue
            if flags & _ENCRYPTED or method not in (_STORED, _DEFLATED) or 0xFFFFFFFF in (packed, unpacked, offset):
                raise Unusual("encrypted, compressed another way, or zip64")
            if unpacked > limit:
                raise Unusual("larger than the limit")  # zipfile reads it whole and checks its CRC
            return _read_data(f, offset, raw, method, packed, unpacked, crc)
    return None


def _find_end(f) -> tuple[int, bytes]:
    """Where the end of central directory record starts, and the record, found as zipfile
    finds it: right at the end of the file, else the last signature within a comment's reach.
    Unusual if none."""
    size = f.seek(0, 2)
    if size >= _END.size:
        f.seek(size - _END.size)
        record = f.read(_END.size)
        if record[:4] == _END_SIG and record[-2:] == b"\0\0":
            return size - _END.size, record
    start = max(size - (1 << 16) - _END.size, 0)
    f.seek(start)
    tail = f.read()
    at = tail.rfind(_END_SIG)
    if at < 0 or len(tail) - at < _END.size:
        raise Unusual("no end of central directory record where zipfile looks first")
    return start + at, tail[at : at + _END.size]


def _decode(raw: bytes, flags: int) -> str:
    """The member's name as zipfile's infolist gives it (cut at a NUL, as ZipInfo does)."""
    if raw.isascii():
        name = raw.decode("ascii")
    else:
        try:
            name = raw.decode("utf-8" if flags & _UTF8 else "cp437")
        except UnicodeDecodeError:
            raise BadZip("a file name flagged UTF-8 is not UTF-8") from None
    return name.split("\0", 1)[0]


def _read_data(f, offset: int, raw_name: bytes, method: int, packed: int, unpacked: int, crc: int) -> bytes:
    import zlib

    f.seek(offset)
    header = f.read(_LOCAL.size)
    if len(header) != _LOCAL.size or header[:4] != _LOCAL_SIG:
        raise BadZip("Bad magic number for file header")
    name_size, extra_size = _LOCAL.unpack(header)[-2:]
    if f.read(name_size) != raw_name:
        raise BadZip("File name in directory and header differ")
    f.seek(extra_size, 1)
    data = f.read(packed)
    if len(data) != packed:
        raise BadZip("Truncated file data")
    if method == _STORED:
        content = data
    else:
        try:
            # one byte more than expected at most: too much data shows, and never a zip bomb
            content = zlib.decompressobj(-15).decompress(data, unpacked + 1)
        except zlib.error as e:
            raise BadZip(f"Bad compressed data: {e}") from None
    if len(content) != unpacked or zlib.crc32(content) != crc:
        raise BadZip("Bad CRC-32 or size")
    return content
