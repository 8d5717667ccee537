"""Where pypicreds' files live: platformdirs is the source of truth, and paths.config_dir
computes its answer without importing it (18 ms of every command) where that is safe. Both
must give the same answer under Linux, macOS and Windows rules, with XDG_CONFIG_HOME set,
unset, empty and relative, and HOME ordinary, with a trailing slash, the root, relative or
unset; each platform's platformdirs class is called with the environment it expects.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import pytest

from pypicreds import paths

HOMES = ["/home/ada", "/home/ada/", "/", "relative/home", None]
XDGS = [None, "", "/srv/config", "/srv/config/", "relative/config"]


def platformdirs_answer(platform: str) -> str:
    if platform == "linux":
        from platformdirs.unix import Unix as Dirs
    elif platform == "darwin":
        from platformdirs.macos import MacOS as Dirs
    else:
        from platformdirs.windows import Windows as Dirs
    return Dirs("pypicreds").user_config_dir


def set_env(monkeypatch, **values) -> None:
    for name, value in values.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


@pytest.mark.parametrize("platform", ["linux", "darwin"])
@pytest.mark.parametrize("home, xdg", list(itertools.product(HOMES, XDGS)))
def test_config_dir_is_platformdirs_answer_on_unix_and_macos(monkeypatch, platform, home, xdg):
    set_env(monkeypatch, HOME=home, XDG_CONFIG_HOME=xdg)
    try:
        expected = platformdirs_answer(platform)
    except RuntimeError:  # platformdirs finds no home at all: neither may we
        with pytest.raises(RuntimeError):
            paths.config_dir(platform)
        return
    assert paths.config_dir(platform) == expected


@pytest.mark.parametrize("local", [r"C:\Users\ada\AppData\Local", r"D:\profiles\ada\Local"])
def test_config_dir_is_platformdirs_answer_on_windows(monkeypatch, local):
    import platformdirs.windows

    set_env(monkeypatch, LOCALAPPDATA=local, APPDATA=local.replace("Local", "Roaming"), HOME="/home/ada")
    # off Windows, platformdirs' own fallback: the folders from their environment variables
    monkeypatch.setattr(platformdirs.windows, "_RESOLVE_WIN_FOLDER", platformdirs.windows.get_win_folder_from_env_vars)
    assert paths.config_dir("win32") == platformdirs_answer("win32")
    assert paths.config_dir("win32").startswith(local)


def test_the_usual_configurations_never_import_platformdirs(tmp_path):
    """What a user has by default (HOME, no XDG_CONFIG_HOME; or an absolute one) costs no import."""
    code = "import sys; from pypicreds import paths; paths.home_str(); print('platformdirs' in sys.modules)"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYPICREDS_", "XDG_"))}
    for extra in ({"HOME": str(tmp_path)}, {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "c")}):
        out = subprocess.run([sys.executable, "-c", code], env={**env, **extra}, capture_output=True, text=True)
        assert out.stdout.strip() == "False", out.stderr
    relative = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": "relative"}  # the rare case asks platformdirs
    out = subprocess.run([sys.executable, "-c", code], env={**env, **relative}, capture_output=True, text=True)
    assert out.stdout.strip() == "True", out.stderr
