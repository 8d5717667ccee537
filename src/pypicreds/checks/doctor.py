"""`pypicreds doctor`: where twine would take the URL, username and password from right now.

This follows twine 7.0's own code path for `twine upload -r NAME` (twine.settings, twine.utils
get_config / get_repository_from_config / get_userpass_value, twine.auth.Resolver) step by
step, so each value comes with its source, and compares the outcome with what pypicreds holds.
tests/test_doctor.py checks it against twine itself. The password is never shown: only where
it comes from and its fingerprint.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from .. import paths, repositories
from ..errors import PypicredsError
from ..paths import shown
from ..pypirc import index_servers, parse_file, read_repositories, twine_view
from ..store.index import Index
from .diagnosis import Diagnosis, Value, secret_value

PYPI_UPLOAD_URLS = repositories.PYPI_UPLOAD_URLS
_PYPI_HOSTNAMES = {"pypi.python.org", "testpypi.python.org", "upload.pypi.org", "test.pypi.org"}


def diagnose(
    name: str | None = None, *, pypirc: Path | None = None, environ: Mapping[str, str] | None = None,
    publisher: str = "twine",
) -> list[Diagnosis]:
    """One Diagnosis per repository (or just `name`): what `twine upload -r NAME` would use (or
    the other publisher's upload: checks/publishers.py)."""
    from ..reach import backend_state
    from ..session.variables import PUBLISHERS, check_publisher

    check_publisher(publisher, PUBLISHERS)
    environ = os.environ if environ is None else environ
    path = paths.pypirc_path(pypirc)
    parsed = parse_file(path)  # also: a clear error, with its line, if unparsable
    config = read_repositories(path, parsed)
    parser = parsed.parser  # empty for a missing file, as twine reads it
    lines = {n: e.keys for n, e in config.repositories.items()}
    held = {e.name: e for e in Index.load().entries if e.project is None}
    if name is not None:
        names = [name]
    else:
        names = list(dict.fromkeys([*config.repositories, *held]))
    backend = backend_state()
    keyring = _Keyring(backend[0])
    results = []
    for repo in names:
        if publisher == "twine":
            d = _resolve(repo, parser, lines, environ, keyring, path)
        else:
            from .publishers import resolve

            d = Diagnosis(name=repo, pypirc=str(path), held=held.get(repo))
            resolve(publisher, d, parser, environ, keyring, path)
        d.publisher, d.backend = publisher, backend
        _compare(d, held.get(repo))
        _note_environment(d)
        results.append(d)
    if name is not None and name not in config.repositories and name not in held:
        from ..suggest import did_you_mean

        near = did_you_mean(name, [*config.repositories, *held, *repositories.BUILTIN_URLS])
        results[0].notes.append(f"neither {shown(path)} nor pypicreds knows a repository called {name}"
                                + (f" ({near})" if near else ""))
    if os.path.islink(path) and not os.path.exists(path):
        for d in results:
            d.notes.append(f"{shown(path)} is a symbolic link to {os.path.realpath(path)}, which does not exist: "
                           "twine reads no repositories from it")
    default_file = Path(os.path.expanduser("~/.pypirc"))
    if publisher in ("twine", "flit", "hatch") and os.path.realpath(path) != os.path.realpath(default_file):
        for d in results:
            d.notes.append(f"{publisher} reads {shown(default_file)}" + (
                f" unless given --config-file {shown(path)}" if publisher == "twine" else ""))
    return results


# --------------------------------------------------------------------------- twine's rules


def normalize_url(url: str) -> str:
    """twine.utils.normalize_repository_url."""
    parsed = urlparse(url)
    if parsed.netloc in _PYPI_HOSTNAMES:
        return urlunparse(("https",) + parsed[1:])
    return urlunparse(parsed)


def _resolve(name, parser, lines, environ, keyring, path: Path) -> Diagnosis:
    d = Diagnosis(name=name, pypirc=str(path))
    env_url = environ.get("TWINE_REPOSITORY_URL")
    if env_url:  # twine: `if repository_url:` -- an empty variable does not count
        cfg = _from_url(env_url)
        d.notes.append(f"TWINE_REPOSITORY_URL is set: twine ignores `-r {name}` and {shown(path)}")
        d.url = Value("env", cfg["repository"], line=None)
    else:
        cfg = twine_view(parser, name)
        if cfg is None:
            d.error = f"Missing '{name}' section from {shown(path)}"
            if name not in ("pypi", "testpypi") and parser.has_section(name):
                d.error += f" ([{name}] is not listed in [distutils] index-servers)"
            return d
        if "repository" not in cfg:
            d.error = f"[{name}] has no `repository =` URL: twine crashes with KeyError: 'repository'"
            return d
        d.url = _configured("repository", cfg["repository"], name, lines, builtin=_is_builtin(name, parser))
        d.url.value = normalize_url(cfg["repository"])
    url = d.url.value
    is_pypi = url.startswith(PYPI_UPLOAD_URLS)

    cli_username = environ.get("TWINE_USERNAME")
    if is_pypi and not cli_username:
        d.username = Value("forced", repositories.DEFAULT_USERNAME)
    elif cli_username is not None:
        d.username = Value("env", cli_username)
    elif cfg.get("username") is not None:
        d.username = Value("url", cfg["username"]) if env_url else _configured(
            "username", cfg["username"], name, lines, listed=_listed(name, parser))
    else:
        found = keyring.username(url)
        d.username = Value("keyring", found, vault=keyring.from_vault) if found else Value("prompt")
        if keyring.problem:
            d.notes.append(f"keyring: {keyring.problem}")

    cli_password = environ.get("TWINE_PASSWORD")
    if cli_password is not None:
        d.password = secret_value(Value("env"), cli_password)
    elif cfg.get("password") is not None:
        where = Value("url") if env_url else _configured("password", None, name, lines, listed=_listed(name, parser))
        d.password = secret_value(where, cfg["password"])
    elif d.username.value is None:
        d.password = Value("prompt")  # twine stops at the username prompt first
    else:
        found = keyring.password(url, d.username.value)
        if found:
            d.password = secret_value(Value("keyring", vault=keyring.from_vault), found)
        elif is_pypi and d.username.value == repositories.DEFAULT_USERNAME:
            d.password = Value("trusted-publishing")
        else:
            d.password = Value("prompt")
        if keyring.problem and f"keyring: {keyring.problem}" not in d.notes:
            d.notes.append(f"keyring: {keyring.problem}")
    return d


def _from_url(url: str) -> dict:
    """twine.utils._config_from_repository_url: credentials in the URL are used and stripped."""
    parsed = urlparse(url)
    cfg = {"repository": url, "username": None, "password": None}
    if parsed.username:
        cfg["username"], cfg["password"] = parsed.username, parsed.password
        netloc = parsed.netloc.rsplit("@", 1)[1]
        cfg["repository"] = urlunparse(parsed._replace(netloc=netloc))
    cfg["repository"] = normalize_url(cfg["repository"])
    return cfg


def _listed(name: str, parser) -> bool:
    return name in index_servers(parser)


def _is_builtin(name: str, parser) -> bool:
    """Whether the URL is twine's built-in one (not a `repository =` of a listed section)."""
    return not (name in index_servers(parser) and parser.has_option(name, "repository"))


def _configured(key: str, value: str | None, name: str, lines, builtin: bool = False, listed: bool = True) -> Value:
    if builtin:
        return Value("builtin", value)
    where = lines.get(name, {}).get(key)
    if where is None or (not listed and where.section != "server-login"):
        # twine ignores the keys of an unlisted section (pypi): this came from [server-login]
        lines_sl = [keys[key] for keys in lines.values() if key in keys and keys[key].section == "server-login"]
        where = lines_sl[0] if lines_sl else None
    return Value("pypirc", value, section=where.section if where else None, line=where.line if where else None)


class _Keyring:
    """The keyring's answers, asked through pypicreds' bounded keyring calls, and then pypicreds'
    vault as its keyring backend answers a publisher (when the backend is active). Like twine, an
    unusable keyring answers nothing (twine logs it and moves on)."""

    def __init__(self, vault_active: bool = False) -> None:
        self.problem: str | None = None
        self._store = None
        self.vault_active = vault_active
        self.from_vault = False  # the last answer came from the vault backend

    def _call(self, action):
        from ..store.keyring import KeyringStore

        try:
            if self._store is None:
                self._store = KeyringStore()
            return action(self._store)
        except PypicredsError as e:
            self.problem = e.message
            return None

    def _vault(self, url: str, username: str | None):
        if not self.vault_active:
            return None
        from ..store.backend import lookup

        try:
            found = lookup(url, username)
        except PypicredsError:  # a damaged vault: the backend answers nothing too
            return None
        self.from_vault = found is not None
        return found

    def password(self, url: str, username: str) -> str | None:
        from ..store import TokenKey

        self.from_vault = False
        found = self._call(lambda s: s.get(TokenKey("twine", url, username)))
        if found:
            return found
        vault = self._vault(url, username)
        return vault[1] if vault else None

    def username(self, url: str) -> str | None:
        self.from_vault = False
        found = self._call(lambda s: s.credential_username(url))
        if found:
            return found
        vault = self._vault(url, None)
        return vault[0] if vault else None

    def credential(self, url: str) -> tuple[str, str] | None:
        """(username, password) the keyring offers for `url` with no username (pdm asks so)."""
        username = self.username(url)
        if not username:
            return None
        password = self.password(url, username)
        return (username, password) if password else None


def _note_environment(d: Diagnosis) -> None:
    """For a token in the vault: whether the publisher on PATH has pypicreds' backend beside it
    (uv asks the `keyring` command, the others keyring in their own environment)."""
    if d.held is None or d.held.store != "file" or not (d.backend and d.backend[0]):
        return
    from ..reach import backend_beside

    program = "keyring" if d.publisher == "uv" else d.publisher
    found = backend_beside(program)
    if found is not None and not found[1]:
        text = (f"`{program}` on PATH ({shown(found[0])}) runs in an environment without pypicreds, so its "
                f"keyring never asks the vault: install pypicreds there (`pipx inject {program} pypicreds`, "
                "or pip install pypicreds in that environment)")
        through_vault = d.password is not None and d.password.source == "keyring" and d.password.vault
        (d.differences if through_vault else d.notes).append(text)


# --------------------------------------------------------------------------- comparing


def _compare(d: Diagnosis, entry) -> None:
    if entry is not None:
        d.held = entry
    if d.error:
        d.differences.append(f"{d.publisher} cannot upload to {d.name}: {d.error}")
        return
    password = d.password
    if password.source == "pypirc" and password.empty:
        d.differences.append(
            f"[{password.section}] line {password.line} is an empty `password =`: {d.publisher} sends an empty "
            "password and never asks the keyring"
        )
    if password.source == "env" and password.empty:
        d.differences.append(f"{password.variable or 'TWINE_PASSWORD'} is set but empty: {d.publisher} sends an empty password")
    if entry is None:
        if password.source in ("prompt", "trusted-publishing"):
            d.notes.append(f"no password found: {d.publisher} would " + (
                "try Trusted Publishing (in CI), then prompt" if password.source == "trusted-publishing"
                else "prompt (or fail with --non-interactive)"))
        return
    if d.url.value != entry.url:
        d.differences.append(f"{d.publisher} uploads to {repositories.shown_url(d.url.value)}, "
                             f"but pypicreds holds the token for {entry.url}")
    if d.username.value is None:
        d.differences.append(f"{d.publisher} finds no username (it would prompt); pypicreds holds {entry.username!r}")
    elif d.username.value != entry.username:
        d.differences.append(
            f"{d.publisher} uses the username {d.username.value!r} ({d.username.source}), pypicreds holds {entry.username!r}"
        )
    if password.fingerprint == entry.fingerprint:
        if password.source in ("env", "pypirc"):
            d.notes.append(f"the stored token also reaches {d.publisher} through {_where(password)}")
        return
    if password.source in ("env", "pypirc", "url") and not password.empty:
        d.differences.append(
            f"{d.publisher} takes the password from {_where(password)} (fingerprint {password.fingerprint}), "
            f"not the token pypicreds holds (fingerprint {entry.fingerprint})"
        )
    elif password.source == "keyring" and entry.store == "file" and not password.vault:
        url, user = d.url.value, d.username.value
        d.differences.append(
            f"a keyring entry for {repositories.shown_url(url)} as {user!r} (fingerprint {password.fingerprint}) comes "
            f"before pypicreds' vault, so {d.publisher} gets it, not the token pypicreds holds ({entry.fingerprint}); "
            f"if it is stale, remove it with `keyring del {repositories.shown_url(url)} {user}`"
        )
    elif password.source == "keyring":
        d.differences.append(
            f"the keyring entry for {repositories.shown_url(d.url.value)} holds another token (fingerprint {password.fingerprint}) "
            f"than pypicreds' index records ({entry.fingerprint})"
        )
    elif not password.empty:
        if entry.store == "file":
            why = d.backend[1] if d.backend and not d.backend[0] else "the keyring did not answer for it"
            d.differences.append(
                f"{d.publisher} does not find the token in pypicreds' encrypted file ({why}): use "
                f"`pypicreds exec {d.name} -- ...`" + (f" or `pypicreds upload {d.name}`" if d.publisher == "twine" else "")
            )
        else:
            d.differences.append(
                f"{d.publisher} asks the keyring for {repositories.shown_url(d.url.value)!r} / {d.username.value!r} "
                "and finds nothing; "
                f"pypicreds stored the token under {entry.url!r} / {entry.username!r}"
            )


def _where(value: Value) -> str:
    if value.source == "env":
        return value.variable or "TWINE_PASSWORD"
    if value.source == "url":
        return "the credentials in TWINE_REPOSITORY_URL"
    return f"[{value.section}] line {value.line} of .pypirc"
