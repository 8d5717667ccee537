"""Project names from distribution files' own metadata (wheel METADATA, sdist PKG-INFO)."""

from __future__ import annotations

import os

from ..errors import PypicredsError
from ..tokens import normalize_project

MAX_METADATA = 4 * 1024 * 1024


def project_name(path: str | os.PathLike) -> str:
    """The normalised project name a wheel or sdist declares."""
    path = os.fspath(path)  # plain strings: upload's start-up has no use for pathlib
    if path.endswith(".whl"):
        reader = _wheel_metadata
    elif path.endswith((".tar.gz", ".tgz", ".tar")):
        reader = _sdist_pkg_info
    elif path.endswith(".zip"):
        reader = _zip_pkg_info
    else:
        raise PypicredsError(f"{path} is not a wheel or an sdist", hint="upload .whl and .tar.gz files")
    try:
        text = reader(path)
    except PypicredsError:
        raise
    except Exception as e:
        # The readers only open the file and hand it to quickzip, zipfile or tarfile, whose
        # failures on a damaged or unusual file span many types (BadZipFile, RuntimeError for
        # encryption, NotImplementedError, EOFError, zlib.error, UnicodeDecodeError, OSError).
        raise PypicredsError(f"cannot read the metadata of {path}: {e or type(e).__name__}") from e
    name = _header(text, "Name")
    if not name:
        raise PypicredsError(f"{path} has no Name in its metadata")
    return normalize_project(name.strip())


def _header(text: str, field: str) -> str | None:
    """A field of the RFC 822 header block that metadata files start with (the first blank line
    ends it). Read by hand: the email package costs more to import than the upload's own work."""
    wanted = field.lower() + ":"
    for line in text.splitlines():
        if not line.strip():
            return None
        if line.lower().startswith(wanted):
            return line[len(wanted):].strip()
    return None


def _wheel_metadata(path: str) -> str:
    def wanted(parts: list[str]) -> bool:
        return len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA"

    return _zip_member(path, wanted, ".dist-info/METADATA")


def _sdist_pkg_info(path: str) -> str:
    import tarfile

    with tarfile.open(path) as tf:
        for member in tf:
            parts = member.name.split("/")
            if len(parts) == 2 and parts[1] == "PKG-INFO" and member.isfile():
                f = tf.extractfile(member)
                if f is not None:
                    return f.read(MAX_METADATA).decode("utf-8")
    raise PypicredsError(f"{path} has no PKG-INFO")


def _zip_pkg_info(path: str) -> str:
    return _zip_member(path, lambda parts: len(parts) == 2 and parts[1] == "PKG-INFO", "PKG-INFO")


def _zip_member(path: str, wanted, what: str) -> str:
    """The text of the first member whose name (split at '/') `wanted` accepts."""
    from . import quickzip

    try:
        data = quickzip.read_member(path, wanted, MAX_METADATA)
    except quickzip.Unusual:  # zip64, encryption, another compression: let zipfile read it
        data = _zipfile_member(path, wanted)
    if data is None:
        raise PypicredsError(f"{path} has no {what}")
    return data.decode("utf-8")


def _zipfile_member(path: str, wanted) -> bytes | None:
    import zipfile

    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if wanted(info.filename.split("/")):
                return zf.read(info)[:MAX_METADATA]
    return None
