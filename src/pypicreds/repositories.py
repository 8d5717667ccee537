"""Repositories: a name, an upload URL and a username. `pypi` and `testpypi` are built in."""

from __future__ import annotations

import re
from collections import namedtuple

from .errors import UsageError

# Exactly these strings, trailing slash included: twine looks keyring entries up by the exact URL.
BUILTIN_URLS = {
    "pypi": "https://upload.pypi.org/legacy/",
    "testpypi": "https://test.pypi.org/legacy/",
}
# twine forces the username __token__ for exactly these two URL strings
PYPI_UPLOAD_URLS = tuple(BUILTIN_URLS.values())
DEFAULT_USERNAME = "__token__"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_UNSAFE_RE = re.compile(r"[\s\x00-\x1f\x7f]")
_CREDENTIALS_RE = re.compile(r"(://)[^/?#\s]*@")
# A PyPI token where a name, URL or username belongs: refused without echoing it, or it would
# land in .pypirc, the index and every listing in plain text.
_TOKEN_LIKE = re.compile(r"pypi-[A-Za-z0-9_-]{16,}")


def _refuse_token(value: str, what: str) -> None:
    if _TOKEN_LIKE.search(value):
        raise UsageError(
            f"the {what} looks like a PyPI token",
            hint="tokens are never given as arguments: they are read from the prompt or --token-stdin",
        )
# The hosts whose tokens are PyPI macaroons, and where to revoke them.
TOKEN_HOSTS = {"upload.pypi.org": "pypi.org", "pypi.org": "pypi.org", "test.pypi.org": "test.pypi.org"}


class Repository(namedtuple("Repository", "name url username")):
    """A repository: a name, an upload URL and a username (a named tuple: `add` starts faster
    without the dataclasses import)."""

    __slots__ = ()

    @property
    def builtin(self) -> bool:
        return self.name in BUILTIN_URLS

    @property
    def token_host(self) -> str | None:
        """`pypi.org` or `test.pypi.org` when tokens for this URL are PyPI tokens, else None."""
        return token_host(self.url)

    @property
    def revoke_page(self) -> str | None:
        return revoke_page(self.url)


def token_host(url: str) -> str | None:
    from urllib.parse import urlsplit

    return TOKEN_HOSTS.get((urlsplit(url).hostname or "").lower())


def revoke_page(url: str) -> str | None:
    """Where the index's tokens are managed (and revoked), for PyPI and TestPyPI; else None."""
    host = token_host(url)
    return f"https://{host}/manage/account/token/" if host else None


def validate_name(name: str) -> str:
    _refuse_token(name or "", "repository name")
    if not NAME_RE.fullmatch(name or ""):
        raise UsageError(
            f"invalid repository name {_show(name)}",
            hint="use letters, digits, '.', '_' and '-', starting with a letter or digit",
        )
    return name


def url_problem(url: str) -> str | None:
    """Why `url` cannot be an upload URL pypicreds keeps, or None. The one check for every way
    a URL comes in (--url, an imported or repaired .pypirc section, the index read back): a
    URL is kept in the index and .pypirc and handed to twine on its command line, so it must
    never carry credentials."""
    from urllib.parse import urlsplit

    if _TOKEN_LIKE.search(url):
        return "it looks like a PyPI token"
    if _UNSAFE_RE.search(url):
        return "it contains whitespace or control characters"
    try:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "it is not an http:// or https:// URL"
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        return "it is not a valid URL"
    if "@" in parts.netloc:
        return "it holds a username or password"
    return None


def validate_url(url: str) -> str:
    problem = url_problem(url)
    if problem == "it looks like a PyPI token":
        _refuse_token(url, "--url")
    if problem == "it holds a username or password":
        # credentials in a URL would end up in .pypirc, the index and twine's argv in plaintext
        raise UsageError(
            "--url must not contain a username or password",
            hint="pass the username with --username; the token is prompted for",
        )
    if problem == "it contains whitespace or control characters":
        raise UsageError("invalid --url: it contains whitespace or control characters")
    if problem:
        raise UsageError(f"invalid --url {_show(url)}", hint="give an http:// or https:// upload URL")
    return url


def shown_url(url: str | None) -> str | None:
    """A URL to print: any `user:password@` replaced by `***@` (it may come from a hand-written
    .pypirc or the environment). None stays None."""
    return url if url is None else _CREDENTIALS_RE.sub(r"\1***@", url)


def validate_username(username: str) -> str:
    """Inner spaces are fine (twine sends them; LDAP accounts have them); surrounding
    whitespace (configparser would strip it) and control characters are not."""
    _refuse_token(username or "", "--username")
    if not username or username != username.strip() or not username.replace(" ", "x").isprintable():
        raise UsageError(
            "invalid --username: it is empty, starts or ends with whitespace, or holds control characters"
        )
    return username


def resolve(name: str, url: str | None = None, username: str | None = None, known: tuple[str, ...] = ()) -> Repository:
    """The repository a command is about: built-in URL for pypi/testpypi, else `--url`.
    `known`: stored names, to suggest when `name` looks like a typo of one."""
    validate_name(name)
    if name in BUILTIN_URLS:
        builtin = BUILTIN_URLS[name]
        if url is not None and url != builtin:
            raise UsageError(
                f"{name} is built in with the URL {builtin}",
                hint="use another name for a different index, e.g. `pypicreds add myindex --url URL`",
            )
        url = builtin
    elif url is None:
        from .suggest import did_you_mean

        near = did_you_mean(name, [*BUILTIN_URLS, *known])
        raise UsageError(
            f"{name} is not a built-in repository, so it needs --url",
            hint=f"{near} For a new index: pypicreds add {name} --url https://example.org/legacy/" if near
            else f"for example: pypicreds add {name} --url https://example.org/legacy/",
        )
    return Repository(name, validate_url(url), validate_username(DEFAULT_USERNAME if username is None else username))


def _show(value: str) -> str:
    return repr(value) if len(value) <= 80 else repr(value[:77] + "...")
