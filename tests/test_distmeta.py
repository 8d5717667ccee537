"""Project names from distribution files: wheels, sdists, and files that are neither."""

from __future__ import annotations

import io
import tarfile

import pytest

from realparts import make_wheel

from pypicreds.session import distmeta
from pypicreds.errors import PypicredsError


def sdist(path, pkg_info: str):
    with tarfile.open(path, "w:gz") as tf:
        data = pkg_info.encode()
        info = tarfile.TarInfo(f"{path.name[:-7]}/PKG-INFO")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    return path


def test_wheel_and_sdist_names_are_normalised(tmp_path):
    assert distmeta.project_name(make_wheel(tmp_path, "Foo_Bar.baz", "1.0")) == "foo-bar-baz"
    text = "Metadata-Version: 2.1\nName:   My.Package \nVersion: 1\n\nName: not-this-one\n"
    assert distmeta.project_name(sdist(tmp_path / "my_package-1.tar.gz", text)) == "my-package"


def test_name_only_from_the_header_block(tmp_path):
    text = "Metadata-Version: 2.1\nVersion: 1\n\nName: in-the-description\n"
    with pytest.raises(PypicredsError, match="no Name"):
        distmeta.project_name(sdist(tmp_path / "x-1.tar.gz", text))


@pytest.mark.parametrize("name, data", [("bad.whl", b"not a zip"), ("bad.tar.gz", b"not a tar"),
                                        ("bad.zip", b"PK\x03\x04junk")])
def test_unreadable_files_are_one_clear_error(tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(PypicredsError, match="cannot read the metadata"):
        distmeta.project_name(tmp_path / name)


def test_other_files_are_refused(tmp_path):
    (tmp_path / "x.exe").write_bytes(b"MZ")
    with pytest.raises(PypicredsError, match="not a wheel or an sdist"):
        distmeta.project_name(tmp_path / "x.exe")
