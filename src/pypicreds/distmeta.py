"""Project names from distribution files' own metadata (wheel METADATA, sdist PKG-INFO)."""

from __future__ import annotations

import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path

from .errors import PypicredsError
from .tokens import normalize_project

MAX_METADATA = 4 * 1024 * 1024


def project_name(path: str | Path) -> str:
    """The normalised project name a wheel or sdist declares."""
    path = Path(path)
    try:
        if path.suffix == ".whl":
            text = _wheel_metadata(path)
        elif path.name.endswith((".tar.gz", ".tgz", ".tar")):
            text = _sdist_pkg_info(path)
        elif path.suffix == ".zip":
            text = _zip_pkg_info(path)
        else:
            raise PypicredsError(f"{path} is not a wheel or an sdist", hint="upload .whl and .tar.gz files")
    except (OSError, zipfile.BadZipFile, tarfile.TarError, UnicodeDecodeError) as e:
        raise PypicredsError(f"cannot read the metadata of {path}: {e}") from e
    name = HeaderParser().parsestr(text).get("Name")
    if not name:
        raise PypicredsError(f"{path} has no Name in its metadata")
    return normalize_project(name.strip())


def _wheel_metadata(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            parts = info.filename.split("/")
            if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                return zf.read(info)[:MAX_METADATA].decode("utf-8")
    raise PypicredsError(f"{path} has no .dist-info/METADATA")


def _sdist_pkg_info(path: Path) -> str:
    with tarfile.open(path) as tf:
        for member in tf:
            parts = member.name.split("/")
            if len(parts) == 2 and parts[1] == "PKG-INFO" and member.isfile():
                f = tf.extractfile(member)
                if f is not None:
                    return f.read(MAX_METADATA).decode("utf-8")
    raise PypicredsError(f"{path} has no PKG-INFO")


def _zip_pkg_info(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            parts = info.filename.split("/")
            if len(parts) == 2 and parts[1] == "PKG-INFO":
                return zf.read(info)[:MAX_METADATA].decode("utf-8")
    raise PypicredsError(f"{path} has no PKG-INFO")
