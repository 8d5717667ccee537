"""quickzip reads a wheel's METADATA without zipfile; zipfile is the reference. Archives are
written by zipfile itself in every shape a wheel can take (stored, deflated, data descriptors,
comments, many members), then damaged: quickzip gives zipfile's bytes, hands the file over
(Unusual), refuses it (BadZip) or finds no METADATA, and never returns other bytes. (zipfile
checks every entry of the central directory; quickzip stops at METADATA's.)
"""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pypicreds.session import distmeta, quickzip
from pypicreds.errors import PypicredsError

LIMIT = 4096


def metadata_of(parts: list[str]) -> bool:
    return len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA"


def reference(path) -> bytes | None:
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if metadata_of(info.filename.split("/")):
                return zf.read(info)[:LIMIT]
    return None


@st.composite
def wheels(draw):
    members = draw(st.lists(st.sampled_from(["pkg/__init__.py", "pkg/data.bin", "README", "naïve/ü.txt"]),
                            unique=True, max_size=3))
    if draw(st.booleans()):
        members.insert(draw(st.integers(0, len(members))), "demo-1.0.dist-info/METADATA")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name in members:
            method = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
            data = draw(st.binary(max_size=3 * LIMIT) | st.text(max_size=200).map(str.encode))
            if draw(st.booleans()):
                zf.writestr(zipfile.ZipInfo(name), data, compress_type=method)
            else:  # streamed: sizes and CRC in a data descriptor after the data
                with zf.open(zipfile.ZipInfo(name), "w") as out:
                    out.write(data)
        zf.comment = draw(st.binary(max_size=40))
    return buffer.getvalue()


@settings(max_examples=500, deadline=None)
@given(archive=wheels(), damage=st.none() | st.tuples(st.integers(0, 10**6), st.integers(1, 255)),
       cut=st.none() | st.integers(0, 10**6))
def test_reads_what_zipfile_reads_or_gives_up_clearly(tmp_path_factory, archive, damage, cut):
    data = bytearray(archive)
    if damage is not None and data:
        data[damage[0] % len(data)] ^= damage[1]
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    folder = tmp_path_factory.mktemp("zip")
    original, path = folder / "original.whl", folder / "demo-1.0-py3-none-any.whl"
    original.write_bytes(archive)
    path.write_bytes(bytes(data))
    try:
        expected = reference(path)
    except Exception:
        expected = "refused"
    try:
        got = quickzip.read_member(str(path), metadata_of, LIMIT)
    except quickzip.Unusual:
        return  # zipfile reads it instead
    except quickzip.BadZip:
        got = "refused"
    if damage is None and cut is None:
        assert got == expected  # an intact archive reads exactly as zipfile reads it
    elif isinstance(got, bytes):
        assert got in (expected, reference(original))  # the member's true bytes, nothing else


def test_zip64_and_bytes_before_the_archive_go_to_zipfile(tmp_path):
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        with zf.open("demo-1.0.dist-info/METADATA", "w", force_zip64=True) as out:  # zip64 extra, local only
            out.write(b"Metadata-Version: 2.1\nName: Demo\n")
    assert quickzip.read_member(str(wheel), metadata_of, LIMIT) == reference(wheel)
    data = wheel.read_bytes()
    marked = tmp_path / "marked-1.0-py3-none-any.whl"  # the end record says: look for zip64 records
    marked.write_bytes(data[:-12] + b"\xff\xff" + data[-10:])
    with pytest.raises(quickzip.Unusual):
        quickzip.read_member(str(marked), metadata_of, LIMIT)
    prefixed = tmp_path / "prefixed-1.0-py3-none-any.whl"  # a self-extracting archive, say
    prefixed.write_bytes(b"#!/bin/sh\n" + data)
    with pytest.raises(quickzip.Unusual):
        quickzip.read_member(str(prefixed), metadata_of, LIMIT)
    assert distmeta.project_name(prefixed) == "demo"  # zipfile read it


def test_a_member_over_the_limit_goes_to_zipfile(tmp_path):
    """zipfile reads a member whole and checks its CRC; quickzip leaves that case to it."""
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("demo-1.0.dist-info/METADATA", b"Name: demo\n" + b"x" * (50 * LIMIT))
    with pytest.raises(quickzip.Unusual):
        quickzip.read_member(str(wheel), metadata_of, LIMIT)
    assert distmeta.project_name(wheel) == "demo"


def _archive(members: list[tuple[str, bytes]], comment: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members:
            zf.writestr(name, data)
        zf.comment = comment
    return buffer.getvalue()


def test_names_are_cut_at_nul_and_the_directory_is_walked_to_its_end(tmp_path):
    """Found by review: zipfile cuts a name at NUL and reads the central directory by its size,
    whatever the end record's entry count says."""
    data = _archive([("evil.dist-info/METADATA\0x", b"Name: evil\n"), ("good.dist-info/METADATA", b"Name: good\n")])
    path = tmp_path / "nul.whl"
    path.write_bytes(data)
    assert quickzip.read_member(str(path), metadata_of, LIMIT) == reference(path) == b"Name: evil\n"
    data = _archive([("README", b"x"), ("demo-1.0.dist-info/METADATA", b"Name: demo\n")])
    end = data.rfind(b"PK\x05\x06")
    counted_one = data[: end + 8] + b"\x01\x00\x01\x00" + data[end + 12 :]  # says 1 entry, holds 2
    path.write_bytes(counted_one)
    assert quickzip.read_member(str(path), metadata_of, LIMIT) == reference(path) == b"Name: demo\n"


def test_an_end_record_zipfile_finds_is_found_the_same_way(tmp_path):
    member = [("demo-1.0.dist-info/METADATA", b"Name: demo\n")]
    path = tmp_path / "comment.whl"
    for comment in (b"", b"c" * 100, b"c" * 0xFFFF):
        path.write_bytes(_archive(member, comment))
        assert quickzip.read_member(str(path), metadata_of, LIMIT) == reference(path) == b"Name: demo\n"
    path.write_bytes(_archive(member, b"c" * 0xFFFF) + b"!")  # zipfile's window is one byte wider
    try:
        expected = reference(path)
    except zipfile.BadZipFile:
        expected = "refused"
    try:
        assert quickzip.read_member(str(path), metadata_of, LIMIT) == expected
    except quickzip.Unusual:
        pass  # zipfile decides


@pytest.mark.parametrize("flag_bits, method, error", [(0x1, 0, "encrypted"), (0, 9, "compression method")])
def test_what_zipfile_cannot_read_either_is_one_clear_error(tmp_path, flag_bits, method, error):
    """Found by review: zipfile's own errors for these (RuntimeError, NotImplementedError) came
    out of distmeta as an unexpected error."""
    data = bytearray(_archive([("demo-1.0.dist-info/METADATA", b"Name: demo\n")]))
    for signature, flags_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        at = data.find(signature)
        data[at + flags_at] |= flag_bits
        data[at + method_at : at + method_at + 2] = method.to_bytes(2, "little")
    path = tmp_path / "demo-1.0-py3-none-any.whl"
    path.write_bytes(bytes(data))
    with pytest.raises(PypicredsError, match="cannot read the metadata"):
        distmeta.project_name(path)
