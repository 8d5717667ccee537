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

from pypicreds import distmeta, quickzip

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


def test_a_huge_member_is_read_only_up_to_the_limit(tmp_path):
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("demo-1.0.dist-info/METADATA", b"Name: demo\n" + b"x" * (50 * LIMIT))
    assert quickzip.read_member(str(wheel), metadata_of, LIMIT) == reference(wheel)
