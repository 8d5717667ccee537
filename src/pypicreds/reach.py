"""Who will find a stored token: the line `add`, `rotate`, `import` and `audit --fix` end with,
and what `doctor` says about pypicreds' keyring backend.

Publishers that ask the keyring by themselves: twine, hatch and pdm for (URL, username), flit
for (URL, `pypi_token:project:NAME`) first. uv asks only with `--keyring-provider subprocess`
and poetry only under its own names: both get tokens through `pypicreds exec`. A token in the
encrypted file reaches the keyring askers through pypicreds' keyring backend (store/backend.py),
unless something keeps keyring from loading it, or a backend keyring asks first (the Secret
Service, say) holds an entry of its own under the same names: then that entry is what they get.
keyring is imported only to ask those backends, when the vault's backend is active.
"""

from __future__ import annotations

import os

from .store.base import BACKEND_SWITCH_ENV, backend_switched_off
from .store.index import Entry

OWN_BACKEND = "pypicreds.store.backend.VaultKeyring"
ASKERS = "twine, hatch, pdm and flit"


def keyringrc_path() -> str:
    """keyring's own configuration file (keyring.util.platform_, Linux and macOS alike)."""
    root = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(root, "python_keyring", "keyringrc.cfg")


def configured_backend() -> tuple[str, str] | None:
    """(backend, where) when keyring is told to use one backend by name, which means it loads no
    other: PYTHON_KEYRING_BACKEND, else `default-keyring` in keyringrc.cfg. Raises
    PypicredsError when keyringrc.cfg cannot be read (a FIFO, a device, too large: never waited on)."""
    named = os.environ.get("PYTHON_KEYRING_BACKEND")
    if named:
        return named, "PYTHON_KEYRING_BACKEND"
    import configparser

    from . import fsutil

    path = keyringrc_path()
    raw = fsutil.read_file(path, "keyring's configuration", limit=1024 * 1024)
    config = configparser.RawConfigParser()
    try:
        config.read_string((raw or b"").decode("utf-8"), path)
        named = config.get("backend", "default-keyring", fallback="").strip()
    except (configparser.Error, UnicodeDecodeError):
        return None
    return (named, path) if named else None


def backend_state() -> tuple[bool, str]:
    """(whether keyring in this environment reaches pypicreds' vault, in words why or how)."""
    if backend_switched_off():
        return False, f"pypicreds' keyring backend is switched off ({BACKEND_SWITCH_ENV}={os.environ[BACKEND_SWITCH_ENV]})"
    from . import fsutil, paths
    from .errors import PypicredsError
    from .store.vault import PASSPHRASE, PASSPHRASE_ENV, parse_vault

    try:
        configured = configured_backend()
    except PypicredsError as e:  # keyring reads that file too: whatever it does with it, it is no sound setup
        return False, f"unknown whether keyring asks pypicreds' backend: {e.message}"
    if configured is not None and configured[0] != OWN_BACKEND:
        return False, f"keyring is told to use {configured[0]} alone ({configured[1]}), so it never asks pypicreds' backend"
    path = paths.home_file("vault.json")
    try:
        raw = fsutil.read_file(path, "the vault", foreign_ok=False)
        if raw is None:
            return False, "there is no vault yet (the backend wakes up with the first token in the file store)"
        vault = parse_vault(raw, path)
    except PypicredsError as e:
        return False, f"the vault cannot be read: {e.message}"
    if vault.protection == PASSPHRASE and not os.environ.get(PASSPHRASE_ENV):
        return False, f"the vault needs a passphrase and {PASSPHRASE_ENV} is not set, so the backend finds nothing"
    return True, "active: keyring finds the vault's tokens wherever pypicreds is installed beside it"


def who_finds(entries: list[Entry]) -> list[str]:
    """One line naming who finds these tokens (one kind of entry at a time), and a warning when
    the keyring askers will not: keyring cannot reach the vault, a keyring entry asked before the
    vault holds another token, or (for `twine upload -r NAME`) .pypirc has no section NAME."""
    if not entries:
        return []
    first = entries[0]
    name = first.name if len({e.name for e in entries}) == 1 else "NAME"
    it = "it" if len(entries) == 1 else "them"
    warning: str | None = None
    via = "through the keyring"
    shadows: list[str] = []
    if first.store == "file":
        active, why = backend_state()
        if active:
            via = "through the keyring (pypicreds' vault backend, where pypicreds is installed beside them)"
            shadows = [line for e in entries if (line := shadowed(e)) is not None]
        else:
            warning = why
    if first.project is not None:
        option = f" --project {first.project}"
        if first.username != "__token__":
            return [f"`pypicreds upload {name}` picks {it} for {first.project}'s files; "
                    f"`pypicreds exec {name}{option} -- ...` hands {it} to any publisher"]
        handed = f"`pypicreds upload {name}` and `pypicreds exec {name}{option} -- ...` hand {it}"
        if warning:
            return [f"{handed} to any publisher", f"warning: `flit publish` will not find {it}: {warning}"]
        if shadows:
            return [f"{handed} to any publisher", *(f"warning: `flit publish` {line}" for line in shadows)]
        return [f"flit finds {it} {via} (as pypi_token:project:{first.project}); {handed} to twine, hatch, "
                "pdm, uv and poetry"]
    handed = f"`pypicreds upload {name}` and `pypicreds exec {name} -- ...` hand {it} to any publisher"
    unnamed = [e for e in entries if not named_in_pypirc(e)]
    if warning:
        if unnamed:  # neither by name nor by URL
            return [handed, f"warning: a plain `twine upload` will not find {it}: {warning}; and with no "
                    f"[{unnamed[0].name}] section in .pypirc, `-r {unnamed[0].name}` finds no repository"]
        return [handed, f"warning: a plain `twine upload -r {name}` will not find {it}: {warning}"]
    if shadows:
        return [handed, *(f"warning: {ASKERS} {line}" for line in shadows)]
    if unnamed:
        e = unnamed[0]
        return [f"there is no [{e.name}] section in .pypirc, so `twine upload -r {e.name}` cannot find {it}: "
                f"`twine upload --repository-url {e.url}` does, {via}; so do `pypicreds upload {e.name}`, and "
                f"`pypicreds exec {e.name} -- ...` for any publisher"]
    return [f"{ASKERS} find {it} {via}; for uv and poetry use `pypicreds exec {name} -- uv publish` "
            "(or `-- poetry publish`)"]


def shadowed(entry: Entry) -> str | None:
    """How a keyring entry under `entry`'s names, in a backend keyring asks before pypicreds'
    vault (the Secret Service, say), hides the vault's token: the end of a warning, or None. An
    entry holding the same token hides nothing."""
    from .store.base import keyring_entry
    from .store.keyring import ahead_of_vault

    found = ahead_of_vault(entry.key)
    if found is None:
        return None
    from .tokens import fingerprint

    token, backend = found
    if fingerprint(token) == entry.fingerprint:
        return None
    service, username = keyring_entry(entry.key)
    return (f"will get another token (fingerprint {fingerprint(token)}), not this one: {backend} holds an entry "
            f"for {service} as {username}, and keyring asks it before pypicreds' vault (hint: if it is stale, "
            f"remove it with `keyring del {service} {username}`)")


def named_in_pypirc(entry: Entry) -> bool:
    """Whether `twine upload -r NAME` finds the repository: a section pypicreds wrote, pypi (and
    testpypi) built in, or a section of the user's own in the .pypirc (not after `--no-pypirc`)."""
    if entry.pypirc:
        return True
    from .errors import PypicredsError
    from .paths import pypirc_path
    from .pypirc import parse_file, twine_view

    try:
        view = twine_view(parse_file(pypirc_path()).parser, entry.name)
    except PypicredsError:  # an unreadable .pypirc: twine cannot read it either
        return False
    return view is not None and bool(view.get("repository"))


def backend_beside(program: str) -> tuple[str, bool] | None:
    """(the program's path, whether pypicreds' keyring backend is installed in its environment),
    read from the `#!` line of the script on PATH; None when it is not on PATH or not a Python
    script (keyring finds backends only in its own environment)."""
    import glob
    import shutil

    from . import fsutil
    from .errors import PypicredsError

    found = shutil.which(program)
    if found is None:
        return None
    try:  # (a FIFO or a device on PATH is refused, never waited on)
        with fsutil.open_regular(found, "") as f:
            first = f.readline(512)
    except (PypicredsError, OSError):
        return None
    if not first.startswith(b"#!"):
        return None
    words = first[2:].decode("utf-8", "replace").split()
    if not words or "python" not in os.path.basename(words[-1] if words[0].endswith("/env") else words[0]):
        return None
    interpreter = words[-1] if words[0].endswith("/env") else words[0]
    prefix = os.path.dirname(os.path.dirname(interpreter))
    for info in glob.glob(os.path.join(prefix, "lib", "python*", "site-packages", "pypicreds-*.dist-info")):
        try:
            if b"[keyring.backends]" in (fsutil.read_file(os.path.join(info, "entry_points.txt"), "") or b""):
                return found, True
        except PypicredsError:
            continue
    return found, False
