"""Where pypicreds' files live: an environment override first, then the platform default."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import PypicredsError


def home_dir() -> Path:
    """pypicreds' own directory (index, vault, key file): PYPICREDS_HOME, else the user config dir."""
    override = os.environ.get("PYPICREDS_HOME")
    if override:
        return Path(override).expanduser()
    import platformdirs  # deferred: ~18 ms, not needed when PYPICREDS_HOME is set

    return Path(platformdirs.user_config_dir("pypicreds"))


def pypirc_path(option: str | os.PathLike | None = None) -> Path:
    """`--pypirc PATH`, else PYPICREDS_PYPIRC, else ~/.pypirc."""
    if option:
        return Path(option).expanduser()
    override = os.environ.get("PYPICREDS_PYPIRC")
    if override:
        return Path(override).expanduser()
    home = os.environ.get("HOME")
    if not home:
        try:
            return Path.home() / ".pypirc"
        except RuntimeError:
            raise PypicredsError(
                "cannot find ~/.pypirc: HOME is not set",
                hint="set HOME, or pass --pypirc PATH (or PYPICREDS_PYPIRC)",
            ) from None
    return Path(home) / ".pypirc"


def index_path() -> Path:
    return home_dir() / "index.json"


def vault_path() -> Path:
    return home_dir() / "vault.json"


def keyfile_path() -> Path:
    return home_dir() / "vault.key"


def journal_path() -> Path:
    return home_dir() / "journal.json"


def interrupted() -> bool:
    """Whether a killed pypicreds left a half-done change (one stat; see recovery.py)."""
    try:
        return os.path.exists(journal_path())
    except PypicredsError:
        return False


def lock_path() -> Path:
    return home_dir() / ".lock"
