"""`pypicreds audit`: every weak spot in a user's PyPI credentials, as data.

The finding types are in findings.py, the .pypirc checks in pypirc_checks.py, the repairs
in fix.py. Messages name repositories, lines and fingerprints, never a token or any part of
a password.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from .. import paths, repositories, system, tokens
from ..errors import PypicredsError
from ..store.index import Index
from . import ci_files
from .findings import ERROR, INFO, SEVERITIES, WARNING, Finding, Token
from .pypirc_checks import pypirc_findings

DEFAULT_MAX_AGE_DAYS = 365


def run(
    *,
    pypirc: Path | None = None,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
    project_dir: Path | None = None,
) -> list[Finding]:
    """All findings, most severe first, then by file and line. CI configuration is read from
    `project_dir`, else from the git work tree the current directory is in (none outside one)."""
    environ = os.environ if environ is None else environ
    now = now or datetime.now(UTC)
    path = paths.pypirc_path(pypirc)
    findings: list[Finding] = []
    index = _load_index(findings)
    pypirc_tokens: list[Token] = []
    findings += pypirc_findings(path, index, pypirc_tokens)
    findings += _token_findings(index, pypirc_tokens, max_age_days, now)
    findings += _environment_findings(environ)
    findings += _store_findings()
    findings += _config_dir_findings(paths.home_dir())
    root = ci_files.project_dir(project_dir)
    if root is not None:
        from .ci_audit import ci_findings

        findings += ci_findings(root)
    findings.sort(key=lambda f: (SEVERITIES.index(f.severity), f.path is None, f.path or "", f.line or 0, f.id))
    return findings


def _load_index(findings: list[Finding]) -> Index:
    """The index; one that cannot be read is a finding, and the other checks go on without it."""
    try:
        index = Index.load()
        index.entries  # noqa: B018  (every entry checked now)
        return index
    except PypicredsError as e:
        where = paths.home_file("index.json")
        findings.append(Finding("index-damaged", ERROR, where, None, e.message,
                                e.hint or "restore it from a backup, or move it away and add the tokens again"))
        return Index(where, [], {})


# --------------------------------------------------------------------------- tokens


def _token_findings(index, pypirc_tokens: list[Token], max_age_days: int, now: datetime) -> list[Finding]:
    index_path = str(index.path)
    records = [
        Token(e.label, e.fingerprint, e.token_info or {}, e.url, index_path, None, e.name, e.rotated or e.added,
              e.project)
        for e in index.entries
    ]
    seen = {(t.label, t.fingerprint) for t in records}
    records += [t for t in pypirc_tokens if (t.label, t.fingerprint) not in seen]
    out = []
    for t in records:
        where = f"the token for {t.label}" + (f" (line {t.line})" if t.line else "") + f", fingerprint {t.fingerprint},"
        facts = t.facts
        expires = facts.get("expires")
        ends = _parse_time(expires) if expires else None
        if ends is not None and ends <= now:
            out.append(Finding("expired-token", ERROR, t.path, t.line, f"{where} expired at {expires}",
                               _replace_hint(t), repository=t.repository))
        if facts.get("scope") == tokens.SCOPE_UNRESTRICTED:
            out.append(Finding(
                "unrestricted-token", INFO, t.path, t.line,
                f"{where} has no embedded project restriction", "use a token scoped to one project where you can "
                "(`pypicreds add NAME --project P`), or hand out short-lived ones with --ttl",
                repository=t.repository,
            ))
        expected = repositories.token_host(t.url) if t.url else None
        if expected and facts.get("host") and facts["host"] != expected:
            out.append(Finding(
                "wrong-index-token", ERROR, t.path, t.line,
                f"{where} was issued by {facts['host']}, but {t.url} belongs to {expected}: uploads will be refused",
                _replace_hint(t, f"a token from {expected}"), repository=t.repository,
            ))
        out += _fit_findings(t, where, expected)
        if t.dated and (now - (_parse_time(t.dated) or now)).total_seconds() > max_age_days * 86400:
            out.append(Finding(
                "old-token", WARNING, t.path, t.line,
                f"{where} was added or last rotated on {t.dated[:10]}, more than {max_age_days} days ago",
                f"rotate it: `pypicreds rotate {_rotate_args(t)}`", repository=t.repository,
            ))
    by_fingerprint: dict[str, list[Token]] = {}
    for t in records:
        by_fingerprint.setdefault(t.fingerprint, []).append(t)
    for fingerprint, group in sorted(by_fingerprint.items()):
        labels = sorted({t.label for t in group})
        if len(labels) > 1:
            first = group[0]
            out.append(Finding(
                "reused-token", WARNING, first.path, first.line,
                f"one token (fingerprint {fingerprint}) is stored for {', '.join(labels)}",
                "create a separate token for each, so one can be revoked without the other",
                repository=", ".join(labels),
            ))
    return out


def _fit_findings(t: Token, where: str, expected: str | None) -> list[Finding]:
    """A token stored for a PyPI index that cannot be read, or a per-project token whose scope
    leaves out its project (both stored with `add --force`, or before add refused them)."""
    facts = t.facts
    if expected and not facts and t.fingerprint:
        return [Finding(
            "unreadable-token", WARNING, t.path, t.line,
            f"{where} is not a PyPI token pypicreds can read (truncated or damaged?): {expected} will probably "
            "refuse it", _replace_hint(t, f"a new token on {expected}"), repository=t.repository,
        )]
    projects = facts.get("projects")
    if t.project and facts.get("scope") == tokens.SCOPE_PROJECT and projects is not None and t.project not in projects:
        return [Finding(
            "wrong-project-token", ERROR, t.path, t.line,
            f"{where} is scoped to {', '.join(projects) or 'no project'}, not {t.project}: uploads of "
            f"{t.project} will be refused", _replace_hint(t, f"a token scoped to {t.project}"),
            repository=t.repository,
        )]
    return []


def _rotate_args(t: Token) -> str:
    if " (project " in t.label:
        name, project = t.label[:-1].split(" (project ", 1)
        return f"{name} --project {project}"
    return t.label


def _replace_hint(t: Token, what: str = "a new token") -> str:
    if t.line is not None:
        return f"create {what} and replace the password in [{t.repository}] (or `pypicreds import` it first)"
    return f"create {what} on the index, then `pypicreds rotate {_rotate_args(t)}`"


def _parse_time(text: str) -> datetime | None:
    """A time from the index (its shape checked when read; a date like month 99 slips through
    that check, and is taken here as unknown: no finding rests on it)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- environment and stores


def _environment_findings(environ: Mapping[str, str]) -> list[Finding]:
    out = []
    if "TWINE_PASSWORD" in environ:
        empty = " (empty: twine sends an empty password)" if environ["TWINE_PASSWORD"] == "" else ""
        out.append(Finding(
            "twine-env-set", WARNING, None, None,
            f"TWINE_PASSWORD is set in this environment{empty}: every child process inherits it, and twine "
            "uses it before .pypirc and the keyring",
            "unset it (`eval $(pypicreds env --unset)`); use `pypicreds exec NAME -- CMD` to hand it to one command",
        ))
    if "TWINE_USERNAME" in environ:
        out.append(Finding(
            "twine-env-set", WARNING if "TWINE_PASSWORD" not in environ else INFO, None, None,
            "TWINE_USERNAME is set in this environment: twine uses it instead of each repository's username "
            "and asks the keyring under it",
            "unset it (`eval $(pypicreds env --unset)`)",
        ))
    return out


def _store_findings() -> list[Finding]:
    from ..store.file import FileStore
    from ..store.keyring import KeyringStore

    out = []
    try:
        keyring = KeyringStore()
        if keyring.is_plaintext:
            out.append(Finding(
                "plaintext-keyring", WARNING, None, None,
                f"the keyring backend in use ({keyring.backend_name}) stores secrets unencrypted in a file",
                "configure an encrypted backend (PYTHON_KEYRING_BACKEND or keyringrc.cfg), or keep tokens in the "
                "encrypted file store (`--store file`)",
            ))
    except PypicredsError:
        pass  # an unusable keyring stores nothing in plaintext
    vault = FileStore()
    try:
        protection = vault.protection
    except PypicredsError:
        protection = None
    if protection == "keyfile":
        out.append(Finding(
            "keyfile-vault", INFO, str(vault.vault_path), None,
            f"the encrypted file store is protected by the key file {vault.keyfile_path}, not a passphrase: "
            "anyone who can read both files can decrypt it",
            "for a passphrase, set PYPICREDS_PASSPHRASE, move the vault away and add the tokens again",
        ))
    return out


def _config_dir_findings(home: Path) -> list[Finding]:
    out = []
    try:
        st = os.lstat(home)
    except OSError:
        return out
    if not stat.S_ISDIR(st.st_mode):
        return out
    candidates = [(home, st, 0o700)]
    try:
        with os.scandir(home) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    candidates.append((Path(entry.path), entry.stat(follow_symlinks=False), 0o600))
    except OSError:
        pass
    for path, info, want in candidates:
        mode = stat.S_IMODE(info.st_mode)
        what = "directory" if want == 0o700 else "file"
        if info.st_uid != system.uid():
            out.append(Finding("config-permissions", ERROR, str(path), None,
                               f"pypicreds' {what} {path} is owned by uid {info.st_uid}, not by you",
                               "make it yours (`chown`)"))
        elif mode & 0o077:
            out.append(Finding(
                "config-permissions", WARNING, str(path), None,
                f"pypicreds' {what} {path} has mode {mode:04o}, not {want:04o}",
                f"chmod {want:o} {path}",
                remedy=("chmod", {"path": str(path), "mode": want}),
            ))
    return out
