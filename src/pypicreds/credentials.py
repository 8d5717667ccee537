"""add / list / show / rotate / remove: plain functions that take values and return data.

Order of writes, chosen so a failure leaves the old state: the store first (the token is
safe before anything points at it), then .pypirc, then the index. A failure after the store
write rolls the earlier steps back."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import fsutil, paths, redact, repositories, tokens
from .errors import PypicredsError, TokenFormatError, UsageError
from .index import Entry, Index, now_iso
from .store import STORE_NAMES, TokenKey, TokenStore, open_store


@dataclass
class Outcome:
    """What a command did: the entry it touched and messages for stderr."""

    entry: Entry | None = None
    notes: list[str] = field(default_factory=list)
    store: str | None = None


def choose_store(explicit: str | None) -> tuple[TokenStore, str | None]:
    """`--store`, else PYPICREDS_STORE, else keyring when usable, else file. Returns the store
    and a note when the keyring was passed over."""
    name = explicit or os.environ.get("PYPICREDS_STORE") or None
    if name is not None:
        if name not in STORE_NAMES:
            raise UsageError(f"unknown store {name!r}", hint="use keyring or file")
        return open_store(name), None
    from .store.keyring import probe

    reason = probe()
    if reason is None:
        return open_store("keyring"), None
    return open_store("file"), f"keyring unavailable: {reason}; using the encrypted file store"


def read_token_facts(token: str, url: str, project: str | None) -> tuple[dict, list[str]]:
    """What the token says about itself (for the index: never the token), and notes.

    Refuses an expired token; warns when its index host or project scope does not fit."""
    if not token.startswith(tokens.PREFIX):
        return {}, []
    try:
        info = tokens.inspect(token)
    except TokenFormatError as e:
        if repositories.token_host(url) is None:
            return {}, []  # a private index's password may merely look like a token
        return {}, [f"warning: cannot read this token's restrictions: {e.message}"]
    if tokens.is_expired(info):
        raise PypicredsError(
            f"this token expired at {tokens.iso(info.expires)}",
            hint="create a new token on the index and use that",
        )
    facts = {k: v for k, v in info.to_json().items() if k != "caveats"}
    notes = []
    expected = repositories.token_host(url)
    if expected and info.host != expected:
        notes.append(f"warning: this token was issued by {info.host}, but {url} belongs to {expected}")
    if info.scope == tokens.SCOPE_PROJECT and info.projects is not None:
        notes.append(f"token scope: projects {', '.join(info.projects) or '(none)'}")
        if project and tokens.covers(info, {project}):
            notes.append(f"warning: this token is not scoped to {project}")
    elif info.scope == tokens.SCOPE_PROJECT:
        notes.append("token scope: projects by id " + ", ".join(info.project_ids or []))
    elif info.scope == tokens.SCOPE_TRUSTED_PUBLISHER:
        notes.append("token scope: a Trusted Publisher token")
    else:
        notes.append("token scope: no embedded project restriction")
    if info.expires:
        notes.append(f"token expires at {facts['expires']}")
    return facts, notes


def add(
    *,
    name: str,
    token: str,
    url: str | None = None,
    username: str | None = None,
    store: str | None = None,
    plaintext: bool = False,
    pypirc: Path | None = None,
    write_pypirc: bool = True,
    project: str | None = None,
) -> Outcome:
    if project is not None:
        project = validate_project(project)
        if plaintext:
            raise UsageError("a per-project token cannot go into .pypirc (one password per URL), so no --plaintext")
    if project is not None and (url is None or username is None):
        default = Index.load().find(name, None)
        if default is not None:  # a project token lives under the repository's own URL and username
            url, username = url or default.url, username or default.username
    repo = repositories.resolve(name, url, username)
    token = redact.remember(tokens.check_token_text(token, pypi_like=repo.token_host is not None))
    if plaintext and not write_pypirc:
        raise UsageError("--plaintext writes the token into .pypirc, so it cannot go with --no-pypirc")
    facts, token_notes = read_token_facts(token, repo.url, project)
    # twine sees one password per URL: a project token is handed over by pypicreds itself
    pypirc_file = paths.pypirc_path(pypirc) if write_pypirc and project is None else None
    with fsutil.locked(paths.lock_path()):
        index = Index.load()
        if index.find(repo.name, project) is not None:
            option = f" --project {project}" if project else ""
            raise PypicredsError(
                f"{TokenKey(repo.name, repo.url, repo.username, project).label} is already stored",
                hint=f"replace its token with `pypicreds rotate {repo.name}{option}`",
            )
        chosen, note = choose_store(store)
        outcome = Outcome(notes=[note] if note else [], store=chosen.name)
        entry = Entry(
            name=repo.name,
            url=repo.url,
            username=repo.username,
            store=chosen.name,
            fingerprint=tokens.fingerprint(token),
            masked=tokens.mask(token),
            added=now_iso(),
            project=project,
            plaintext=plaintext,
            pypirc=str(pypirc_file) if pypirc_file else None,
            token_info=facts,
        )
        chosen.set(entry.key, token)
        try:
            if pypirc_file:
                from . import pypirc as pypirc_edit

                entry.pypirc_record = pypirc_edit.add_repository(
                    pypirc_file,
                    name=repo.name,
                    username=repo.username,
                    url=None if repo.builtin else repo.url,
                    password=token if plaintext else None,
                )
            index.add(entry)
            try:
                index.save()
            except BaseException:
                if pypirc_file:
                    pypirc_edit.remove_repository(pypirc_file, repo.name, entry.pypirc_record)
                raise
        except BaseException:
            with contextlib.suppress(PypicredsError):
                chosen.delete(entry.key)
            raise
        outcome.entry = entry
        outcome.notes.append(f"stored the token for {entry.label} in the {chosen.describe()}")
        if pypirc_file:
            where = "with the token as a plaintext password" if plaintext else "with no password"
            outcome.notes.append(f"wrote [{repo.name}] to {pypirc_file} {where}")
        outcome.notes.extend(token_notes)
        return outcome


def validate_project(project: str) -> str:
    """A PEP 508 project name, normalised per PEP 503 (as PyPI compares caveats)."""
    if not tokens.valid_project_name(project):
        raise UsageError(f"invalid project name {project[:60]!r}", hint="use the name as on PyPI, e.g. my-package")
    return tokens.normalize_project(project)


def inspect(name: str | None, project: str | None = None, token: str | None = None) -> dict:
    """All the reader knows about a stored token (by name) or a given one."""
    if token is None:
        if name is None:
            raise UsageError("name a stored repository, or pass a token with --token-stdin")
        token = reveal(name, project)
    else:
        token = redact.remember(tokens.check_token_text(token, pypi_like=True))
    return tokens.inspect(token).to_json()


def list_entries() -> list[Entry]:
    return Index.load().entries


def show(name: str, project: str | None = None) -> Entry:
    return Index.load().get(name, project)


def reveal(name: str, project: str | None = None) -> str:
    return reveal_entry(Index.load().get(name, project))


def reveal_entry(entry: Entry) -> str:
    token = open_store(entry.store).get(entry.key)
    if token is None:
        raise PypicredsError(
            f"the {entry.store} store has no token for {entry.label}, though the index lists it",
            hint=f"store it again with `pypicreds rotate {entry.name}`",
        )
    return redact.remember(token)


def rotate(*, name: str, token: str, project: str | None = None) -> Outcome:
    with fsutil.locked(paths.lock_path()):
        index = Index.load()
        entry = index.get(name, project)
        token = redact.remember(
            tokens.check_token_text(token, pypi_like=repositories.token_host(entry.url) is not None)
        )
        if tokens.fingerprint(token) == entry.fingerprint:
            raise PypicredsError(
                f"this is the token already stored for {entry.label}",
                hint="create a new token on the index first, then rotate to it",
            )
        facts, token_notes = read_token_facts(token, entry.url, entry.project)
        store = open_store(entry.store)
        store.set(entry.key, token)  # if this fails the old token stays
        if entry.plaintext and entry.pypirc:
            from . import pypirc as pypirc_edit

            pypirc_edit.set_password(Path(entry.pypirc), entry.name, token)
        entry.fingerprint = tokens.fingerprint(token)
        entry.masked = tokens.mask(token)
        entry.rotated = now_iso()
        entry.token_info = facts
        index.save()
        outcome = Outcome(entry=entry, store=entry.store)
        outcome.notes.append(f"rotated the token for {entry.label} in the {store.describe()}")
        outcome.notes.extend(token_notes)
        page = repositories.token_host(entry.url)
        if page:
            outcome.notes.append(
                f"now revoke the old token at https://{page}/manage/account/token/"
            )
        else:
            outcome.notes.append("now revoke the old token on the index that issued it")
        return outcome


def remove(*, name: str, project: str | None = None, keep_pypirc: bool = False,
           pypirc: Path | None = None) -> Outcome:
    with fsutil.locked(paths.lock_path()):
        index = Index.load()
        entry = index.get(name, project)
        outcome = Outcome(entry=entry, store=entry.store)
        found = open_store(entry.store).delete(entry.key)
        if not found:
            outcome.notes.append(f"the {entry.store} store held no token for {entry.label}")
        target = paths.pypirc_path(pypirc) if pypirc else (Path(entry.pypirc) if entry.pypirc else None)
        if target and not keep_pypirc:
            from . import pypirc as pypirc_edit

            if pypirc_edit.remove_repository(target, entry.name, entry.pypirc_record):
                outcome.notes.append(f"removed [{entry.name}] from {target}")
        index.remove(entry)
        index.save()
        outcome.notes.insert(0, f"removed the token for {entry.label}")
        return outcome
