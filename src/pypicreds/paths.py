"""Where pypicreds' files live: an environment override first, then the platform default.

pathlib is imported only by the functions that return a Path: `pypicreds env` reads its two
files through `home_file()` strings, and pathlib's import (with urllib.parse) is a tenth of its
start-up."""

from __future__ import annotations

import os

from .errors import PypicredsError

TYPE_CHECKING = False  # (typing itself is one of the imports the env path avoids)
if TYPE_CHECKING:
    from pathlib import Path


APP = "pypicreds"


def home_str() -> str:
    """pypicreds' own directory (index, vault, key file): PYPICREDS_HOME, else the user config dir."""
    override = os.environ.get("PYPICREDS_HOME")
    if override:
        return os.path.normpath(os.path.expanduser(override))
    return config_dir()


def config_dir(platform: str | None = None, environ=None) -> str:
    """`platformdirs.user_config_dir("pypicreds")`, the source of truth, computed without
    importing platformdirs (about 18 ms of every command's start) in the cases where every
    platformdirs release agrees: Linux with an absolute HOME and XDG_CONFIG_HOME unset or
    absolute, macOS with an absolute HOME and no XDG_CONFIG_HOME. Anything else asks platformdirs
    itself. `platform` and `environ` default to this process's (tests pass others)."""
    import sys

    platform = sys.platform if platform is None else platform
    environ = os.environ if environ is None else environ
    home, xdg = environ.get("HOME", ""), environ.get("XDG_CONFIG_HOME", "")
    if home.startswith("/"):
        if platform == "linux" and (not xdg or xdg.startswith("/")):
            return os.path.join(xdg or (home.rstrip("/") + "/.config"), APP)
        if platform == "darwin" and not xdg:
            return os.path.join(home.rstrip("/") + "/Library/Application Support", APP)
    return _platformdirs_config_dir(platform)


def _platformdirs_config_dir(platform: str) -> str:
    """platformdirs' answer for `platform` (its own class for that platform, as it picks one)."""
    if platform == "win32":
        from platformdirs.windows import Windows as Dirs
    elif platform == "darwin":
        from platformdirs.macos import MacOS as Dirs
    else:
        from platformdirs.unix import Unix as Dirs
    return Dirs(APP).user_config_dir


def home_file(name: str) -> str:
    return os.path.join(home_str(), name)


def home_dir() -> Path:
    from pathlib import Path

    return Path(home_str())


def pypirc_path(option: str | os.PathLike | None = None) -> Path:
    """`--pypirc PATH`, else PYPICREDS_PYPIRC, else ~/.pypirc."""
    from pathlib import Path

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


def shown(path: str | os.PathLike) -> str:
    """A path as the user knows it: `~/.pypirc` rather than /home/me/.pypirc."""
    path = os.fspath(path)
    home = os.environ.get("HOME")
    if home:
        home = os.path.normpath(home)
        if path == home:
            return "~"
        if path.startswith(home.rstrip(os.sep) + os.sep):
            return "~/" + path[len(home.rstrip(os.sep)) + 1 :]
    return path


def journal_path() -> Path:
    return home_dir() / "journal.json"


def interrupted() -> bool:
    """Whether a killed pypicreds left a half-done change (one stat; see the recovery package)."""
    return os.path.exists(home_file("journal.json"))


def lock_path() -> Path:
    return home_dir() / ".lock"
