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
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from .. import paths, repositories, tokens
from ..errors import PypicredsError
from ..paths import shown
from ..pypirc import index_servers, parse_file, read_repositories, twine_view
from ..store.index import Entry, Index

PYPI_UPLOAD_URLS = repositories.PYPI_UPLOAD_URLS
_PYPI_HOSTNAMES = {"pypi.python.org", "testpypi.python.org", "upload.pypi.org", "test.pypi.org"}


@dataclass
class Value:
    """One resolved setting and where it came from. `value` is None for the password."""

    source: str  # env, url, pypirc, builtin, forced, keyring, trusted-publishing, prompt
    value: str | None = None
    section: str | None = None  # for source pypirc: the section it was read from
    line: int | None = None
    fingerprint: str | None = None  # password only
    empty: bool = False  # password only: an empty value twine would send

    def to_json(self, secret: bool = False) -> dict:
        data = {"source": self.source, "section": self.section, "line": self.line}
        if secret:
            data.update(fingerprint=self.fingerprint, empty=self.empty)
        else:
            data["value"] = self.value
        return data


@dataclass
class Diagnosis:
    name: str
    pypirc: str
    error: str | None = None
    url: Value | None = None
    username: Value | None = None
    password: Value | None = None
    held: Entry | None = None  # what pypicreds' index holds for this name (no token)
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "pypirc": self.pypirc,
            "ok": self.ok,
            "error": self.error,
            "url": self.url.to_json() if self.url else None,
            "username": self.username.to_json() if self.username else None,
            "password": self.password.to_json(secret=True) if self.password else None,
            "pypicreds": None if self.held is None else {
                "url": self.held.url, "username": self.held.username, "store": self.held.store,
                "fingerprint": self.held.fingerprint,
            },
            "differences": self.differences,
            "notes": self.notes,
        }


def diagnose(
    name: str | None = None, *, pypirc: Path | None = None, environ: Mapping[str, str] | None = None
) -> list[Diagnosis]:
    """One Diagnosis per repository (or just `name`): what `twine upload -r NAME` would use."""
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
    keyring = _Keyring()
    results = []
    for repo in names:
        d = _resolve(repo, parser, lines, environ, keyring, path)
        _compare(d, held.get(repo))
        results.append(d)
    if name is not None and name not in config.repositories and name not in held:
        from ..suggest import did_you_mean

        near = did_you_mean(name, [*config.repositories, *held, *repositories.BUILTIN_URLS])
        results[0].notes.append(f"neither {shown(path)} nor pypicreds knows a repository called {name}"
                                + (f" ({near})" if near else ""))
    default_file = Path(os.path.expanduser("~/.pypirc"))
    if os.path.realpath(path) != os.path.realpath(default_file):
        for d in results:
            d.notes.append(f"twine reads {shown(default_file)} unless given --config-file {shown(path)}")
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
        d.username = Value("keyring", found) if found else Value("prompt")
        if keyring.problem:
            d.notes.append(f"keyring: {keyring.problem}")

    cli_password = environ.get("TWINE_PASSWORD")
    if cli_password is not None:
        d.password = _secret(Value("env"), cli_password)
    elif cfg.get("password") is not None:
        where = Value("url") if env_url else _configured("password", None, name, lines, listed=_listed(name, parser))
        d.password = _secret(where, cfg["password"])
    elif d.username.value is None:
        d.password = Value("prompt")  # twine stops at the username prompt first
    else:
        found = keyring.password(url, d.username.value)
        if found:
            d.password = _secret(Value("keyring", line=None), found)
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


def _secret(where: Value, password: str) -> Value:
    where.empty = password == ""
    where.fingerprint = tokens.fingerprint(password) if password else None
    return where


class _Keyring:
    """twine's two keyring questions, asked through pypicreds' bounded keyring calls. Like twine,
    an unusable keyring answers nothing (twine logs it and moves on)."""

    def __init__(self) -> None:
        self.problem: str | None = None
        self._store = None

    def _call(self, action):
        from ..store.keyring import KeyringStore

        try:
            if self._store is None:
                self._store = KeyringStore()
            return action(self._store)
        except PypicredsError as e:
            self.problem = e.message
            return None

    def password(self, url: str, username: str) -> str | None:
        from ..store import TokenKey

        return self._call(lambda s: s.get(TokenKey("twine", url, username)))

    def username(self, url: str) -> str | None:
        return self._call(lambda s: s.credential_username(url))


# --------------------------------------------------------------------------- comparing


def _compare(d: Diagnosis, entry) -> None:
    if entry is not None:
        d.held = entry
    if d.error:
        d.differences.append(f"twine cannot upload to {d.name}: {d.error}")
        return
    password = d.password
    if password.source == "pypirc" and password.empty:
        d.differences.append(
            f"[{password.section}] line {password.line} is an empty `password =`: twine sends an empty "
            "password and never asks the keyring"
        )
    if password.source == "env" and password.empty:
        d.differences.append("TWINE_PASSWORD is set but empty: twine sends an empty password")
    if entry is None:
        if password.source in ("prompt", "trusted-publishing"):
            d.notes.append("no password found: twine would " + (
                "try Trusted Publishing (in CI), then prompt" if password.source == "trusted-publishing"
                else "prompt (or fail with --non-interactive)"))
        return
    if d.url.value != entry.url:
        d.differences.append(f"twine uploads to {d.url.value}, but pypicreds holds the token for {entry.url}")
    if d.username.value != entry.username:
        d.differences.append(
            f"twine uses the username {d.username.value!r} ({d.username.source}), pypicreds holds {entry.username!r}"
        )
    if password.fingerprint == entry.fingerprint:
        if password.source in ("env", "pypirc"):
            d.notes.append(f"the stored token also reaches twine through {_where(password)}")
        return
    if password.source in ("env", "pypirc", "url") and not password.empty:
        d.differences.append(
            f"twine takes the password from {_where(password)} (fingerprint {password.fingerprint}), "
            f"not the token pypicreds holds (fingerprint {entry.fingerprint})"
        )
    elif password.source == "keyring":
        d.differences.append(
            f"the keyring entry for {d.url.value} holds another token (fingerprint {password.fingerprint}) "
            f"than pypicreds' index records ({entry.fingerprint})"
        )
    elif not password.empty:
        if entry.store == "file":
            d.differences.append(
                f"the token is in pypicreds' encrypted file, which twine cannot read: "
                f"use `pypicreds upload {d.name}` or `pypicreds exec {d.name} -- twine upload ...`"
            )
        else:
            d.differences.append(
                f"twine asks the keyring for {d.url.value!r} / {d.username.value!r} and finds nothing; "
                f"pypicreds stored the token under {entry.url!r} / {entry.username!r}"
            )


def _where(value: Value) -> str:
    if value.source == "env":
        return "TWINE_PASSWORD"
    if value.source == "url":
        return "the credentials in TWINE_REPOSITORY_URL"
    return f"[{value.section}] line {value.line} of .pypirc"
