"""audit's checks of .pypirc: the file's permissions, and what twine would make of its contents.

Values are read as twine reads them (RawConfigParser); the line of each key comes from a scan
that follows configparser's rules. No value is ever put into a message.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from .. import fsutil, pypirc, repositories, system, tokens
from ..errors import PypicredsError
from ..paths import shown
from ..pypirc import RESERVED_SECTIONS as RESERVED
from ..pypirc import TWINE_KEYS
from ..store.index import Index
from .findings import ERROR, INFO, WARNING, Finding, Token

_INLINE_COMMENT = re.compile(r"\s[#;]")


@dataclass
class _Raw:
    """The file's own keys: values as twine reads them, and the line each is on."""

    parser: object
    own: dict[tuple[str, str], int]  # (section, key) -> line; DEFAULT keys under "DEFAULT"
    headers: dict[str, int]

    def value(self, section: str, key: str) -> str:
        if section == "DEFAULT":
            return self.parser.defaults()[key]
        return self.parser.get(section, key)


def pypirc_findings(path: Path, index: Index, found_tokens: list[Token]) -> list[Finding]:
    """Every finding about the .pypirc at `path`; the tokens in its passwords are added to
    `found_tokens` (for audit's token checks)."""
    out, readable = _file_findings(path)
    if not readable:
        return out
    try:
        parsed = pypirc.parse_file(path)  # the editor's reading (line endings as twine's file reading splits them)
        if not parsed.exists:
            return out
        config = pypirc.read_repositories(path, parsed)
    except (PypicredsError, UnicodeDecodeError, ValueError) as e:
        message = e.message if isinstance(e, PypicredsError) else f"cannot read {shown(path)}"
        return out + [Finding("pypirc-unparsable", ERROR, str(path), None, message,
                              "fix the file by hand; twine cannot read it either")]
    raw = _Raw(parsed.parser, parsed.keys, parsed.headers)
    held = {e.name: e for e in index.entries if e.project is None}
    out += _server_login_findings(path, raw)
    out += _key_findings(path, config, raw, found_tokens, held)
    out += _listing_findings(path, config, raw, held)
    for name, entry in config.repositories.items():
        if entry.section_line is not None and name not in RESERVED:
            out += _section_findings(path, name, entry, config, raw, held, index)
    return out


def _server_login_findings(path: Path, raw: _Raw) -> list[Finding]:
    if "server-login" not in raw.headers:
        return []
    return [Finding(
        "server-login-section", WARNING, str(path), raw.headers["server-login"],
        "[server-login] is a legacy section: twine uses its username and password for every repository "
        "that does not set its own",
        "move its username into each repository's section and delete [server-login]",
    )]


def _key_findings(path: Path, config: pypirc.PypircConfig, raw: _Raw, found_tokens: list[Token],
                  held: dict) -> list[Finding]:
    """Passwords (plaintext or empty) and values that swallowed an inline comment."""
    out = []
    for (section, key), line in raw.own.items():
        value = raw.value(section, key)
        if key == "password":
            if value and _chosen(path, held.get(section), value):
                out.append(_chosen_password_finding(path, section, line))
            else:
                out.append(_password_finding(path, section, line, value))
            if value:
                _collect_token(found_tokens, config, section, value, path, line)
        if (key in TWINE_KEYS or (section, key) == ("distutils", "index-servers")) and _INLINE_COMMENT.search(value):
            what = "the password" if key == "password" else f"'{key}'"
            out.append(Finding(
                "inline-comment", WARNING, str(path), line,
                f"[{section}] {key} holds a '#' or ';' comment after the value: twine keeps it as part of {what}",
                "move the comment onto a line of its own",
                repository=section if section not in RESERVED else None,
            ))
    return out


def _listing_findings(path: Path, config: pypirc.PypircConfig, raw: _Raw, held: dict) -> list[Finding]:
    """Names in index-servers without a section: twine fails on them."""
    out = []
    comment_words = _comment_words(raw)
    for name in config.index_servers:
        if name in comment_words or name in repositories.BUILTIN_URLS or name in raw.headers:
            continue
        known = held.get(name)
        out.append(Finding(
            "missing-section", ERROR, str(path), config.index_servers_line,
            f"'{name}' is listed in index-servers but has no [{name}] section: twine fails with "
            f"\"Missing '{name}' section\"",
            f"write the [{name}] section from what pypicreds holds" if known
            else f"add a [{name}] section with `repository =`, or take '{name}' out of index-servers",
            repository=name,
            remedy=("write-section", {"name": name, "url": known.url, "username": known.username}) if known else None,
        ))
    return out


def _section_findings(path: Path, name: str, entry: pypirc.RepositoryEntry, config: pypirc.PypircConfig,
                      raw: _Raw, held: dict, index: Index) -> list[Finding]:
    """One repository section: not listed, no URL, or a URL twine will not match."""
    out = []
    servers = config.index_servers
    own_url = (name, "repository") in raw.own or ("DEFAULT", "repository") in raw.own
    if own_url and entry.url and repositories.url_problem(entry.url) == "it holds a username or password":
        return [Finding(
            "url-credentials", ERROR, str(path), entry.keys["repository"].line,
            f"[{name}] repository URL holds a username or password in plain text: twine sends it, and it "
            "shows wherever the URL is printed",
            "take `user:password@` out of the URL, put the username into `username =`, and store the "
            f"password with `pypicreds add {name} --url URL --username USER`",
            repository=name,
        )]
    username = raw.value(name, "username") if raw.parser.has_option(name, "username") else None
    if name not in servers:
        url = entry.url if own_url or name in repositories.BUILTIN_URLS else None
        if username is None and not own_url and name in repositories.BUILTIN_URLS:
            username = repositories.DEFAULT_USERNAME  # twine forces __token__ for these URLs anyway
        can_list = url is not None and username
        out.append(Finding(
            "unlisted-section", WARNING, str(path), entry.section_line,
            f"[{name}] is not listed in [distutils] index-servers: twine ignores it",
            f"add '{name}' to index-servers" + ("" if can_list else " (after giving it `repository =` and `username =`)"),
            repository=name,
            remedy=("write-section", {"name": name, "url": url, "username": username}) if can_list else None,
        ))
    if name not in repositories.BUILTIN_URLS and not own_url:
        known = held.get(name)
        listed = name in servers
        out.append(Finding(
            "missing-repository-url", ERROR if listed else WARNING, str(path), entry.section_line,
            f"[{name}] has no `repository =` URL" + (": twine crashes with KeyError: 'repository'" if listed else ""),
            f"write `repository = {known.url}` (what pypicreds holds)" if known else "add `repository = URL`",
            repository=name,
            remedy=("write-section", {"name": name, "url": known.url, "username": username or known.username})
            if known else None,
        ))
    if own_url and entry.url:
        out += _url_findings(path, name, entry, held.get(name), index)
    return out


def _comment_words(raw: _Raw) -> set[str]:
    """Words of index-servers that follow an inline comment mark: reported as inline-comment."""
    if not raw.parser.has_option("distutils", "index-servers"):
        return set()
    words = raw.parser.get("distutils", "index-servers").split()
    for i, word in enumerate(words):
        if word.startswith(("#", ";")):
            return set(words[i:])
    return set()


def _chosen(path: Path, entry, value: str) -> bool:
    """Whether this password is the token pypicreds wrote here for `add --plaintext`."""
    return (entry is not None and entry.plaintext and entry.pypirc is not None
            and os.path.realpath(entry.pypirc) == os.path.realpath(path)
            and tokens.fingerprint(value) == entry.fingerprint)


def _chosen_password_finding(path: Path, section: str, line: int) -> Finding:
    return Finding(
        "plaintext-password", INFO, str(path), line,
        f"[{section}] holds its token in plaintext (line {line}), as you chose with `pypicreds add --plaintext`: "
        "anyone who can read the file (a backup, a synced home, another program) can upload with it",
        "keep it if a tool needs it there; `pypicreds audit --fix --include-plaintext` moves it into the store",
        repository=section, remedy=("import", {"name": section, "line": line}), chosen=True,
    )


def _password_finding(path: Path, section: str, line: int, value: str) -> Finding:
    repo = section if section not in RESERVED else None
    if value == "":
        return Finding(
            "empty-password", ERROR, str(path), line,
            f"[{section}] has an empty `{pypirc.key_text(path, line) or 'password ='}` line: twine sends an "
            "empty password and never asks the keyring",
            "delete the line",
            repository=repo,
            remedy=("drop-empty-password", {"name": section}) if repo else None,
        )
    return Finding(
        "plaintext-password", WARNING, str(path), line,
        f"[{section}] holds a plaintext password (line {line})",
        "move it into the store with `pypicreds import`" if repo else f"move it out of [{section}] by hand",
        repository=repo,
        remedy=("import", {"name": section, "line": line}) if repo else None,
    )


def _collect_token(found: list[Token], config, section: str, value: str, path: Path, line: int) -> None:
    if not value.startswith(tokens.PREFIX):
        return
    try:
        facts = tokens.inspect(value).to_json()
    except PypicredsError:
        facts = {}
    entry = config.get(section)
    found.append(Token(section, tokens.fingerprint(value), facts, entry.url if entry else None,
                        str(path), line, section))


def _url_findings(path: Path, name: str, entry: pypirc.RepositoryEntry, known, index: Index) -> list[Finding]:
    out = []
    url = entry.url
    line = entry.keys["repository"].line if "repository" in entry.keys else entry.section_line
    if url + "/" in repositories.PYPI_UPLOAD_URLS:  # the slash makes it one of twine's two PyPI URLs
        fixed = url + "/"
        relies = [e.label for e in index.entries if e.url == url and e.store == "keyring"]
        out.append(Finding(
            "url-trailing-slash", WARNING, str(path), line,
            f"[{name}] repository URL has no trailing slash: twine does not treat it as PyPI (no forced "
            "`__token__` username) and asks the keyring for this exact string",
            f"write `repository = {fixed}`" + (f", then store {', '.join(relies)} again under it" if relies else ""),
            repository=name,
            remedy=None if relies else ("write-section", {
                "name": name, "url": fixed, "username": entry.username or repositories.DEFAULT_USERNAME}),
        ))
    if known is not None and known.store == "keyring" and known.url != url:
        out.append(Finding(
            "url-trailing-slash", WARNING, str(path), line,
            f"[{name}] says repository = {url!r}, but pypicreds stored its token in the keyring under "
            f"{known.url!r}: twine's keyring lookup is exact, so it will not find the token",
            f"write `repository = {known.url}`",
            repository=name,
            remedy=("write-section", {"name": name, "url": known.url, "username": known.username}),
        ))
    return out


def _file_findings(path: Path) -> tuple[list[Finding], bool]:
    """What the file itself is: a dangling symlink, not a regular file (twine reads nothing
    from either), or a regular file with an owner or mode that lets others in. The flag says
    whether its contents can be read."""
    try:
        link = os.lstat(path)
    except OSError:  # missing, or not ours to look at
        return [], False
    target = os.path.realpath(path) if stat.S_ISLNK(link.st_mode) else None
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return [Finding(
            "pypirc-dangling-symlink", WARNING, str(path), None,
            f"{shown(path)} is a symbolic link to {target}, which does not exist: twine reads no repositories "
            "from it, and `pypicreds add` cannot write it",
            f"create {target}, point the link at an existing file, or remove the link",
        )], False
    except OSError:
        return [], False
    if stat.S_ISCHR(st.st_mode) and target == os.devnull:
        return [Finding(
            "pypirc-not-a-file", INFO, str(path), None,
            f"{shown(path)} is a symbolic link to {os.devnull}: twine reads no repositories from it "
            "(pypicreds leaves it alone; pass --pypirc PATH to use another file)", None,
        )], False
    if not stat.S_ISREG(st.st_mode):
        through = f" (through the symlink to {target})" if target else ""
        return [Finding(
            "pypirc-not-a-file", ERROR, str(path), None,
            f"{shown(path)}{through} is {fsutil.kind(st.st_mode)}, not a regular file: twine cannot read it",
            "remove it (or pass another file with --pypirc PATH)",
        )], False
    return _permission_findings(path, st, target), True


def _permission_findings(path: Path, st: os.stat_result, target: str | None) -> list[Finding]:
    through = f" (through the symlink to {target})" if target else ""
    out = []
    if st.st_uid != system.uid():
        out.append(Finding(
            "pypirc-permissions", ERROR, str(path), None,
            f"{shown(path)}{through} is owned by uid {st.st_uid}, not by you: its owner can read and change it",
            "make it yours (`chown`), or write a new one",
        ))
    elif st.st_mode & 0o077:
        out.append(Finding(
            "pypirc-permissions", ERROR, str(path), None,
            f"{shown(path)}{through} has mode {stat.S_IMODE(st.st_mode):04o}: other users can "
            + ("read it" if st.st_mode & 0o044 else "access it"),
            f"chmod 600 {target or shown(path)}",
            remedy=("chmod", {"path": target or str(path), "mode": 0o600}),
        ))
    return out
