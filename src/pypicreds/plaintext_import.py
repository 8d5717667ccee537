"""`pypicreds import`: move plaintext passwords out of .pypirc into a token store.

For each repository section with its own non-empty `password =` line: the token goes into the
store under exactly the key twine asks the keyring for (the section's URL string and the
username twine would use), then only that `password =` line leaves .pypirc, then the index
gets an entry. A failure at any step rolls back the earlier ones, so a token that cannot be
stored stays where it was. (The module is not called `import`: that is a Python keyword.)
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import paths, pypirc, reach, redact, repositories, tokens
from .errors import PypicredsError
from .lock import locked
from .recovery import repair_if_needed
from .recovery.journal import Journal, begin
from .recovery.repairs import put_line_back
from .store import TokenStore
from .store.choose import choose_store
from .store.index import Entry, Index, now_iso
from .store.snapshot import StoreSnapshot

# twine forces the username `__token__` for URLs that start with these (twine.auth.Resolver.is_pypi)
PYPI_UPLOAD_URLS = repositories.PYPI_UPLOAD_URLS


@dataclass
class Moved:
    name: str
    line: int
    store: str
    fingerprint: str
    note: str


@dataclass
class Kept:
    name: str
    line: int | None
    reason: str


@dataclass
class ImportReport:
    path: Path
    moved: list[Moved] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reach: list[str] = field(default_factory=list)  # who finds the moved tokens now (reach.py)


def twine_username(url: str, configured: str | None) -> str | None:
    """The username twine uses for `url` when no TWINE_USERNAME is set."""
    if url.startswith(PYPI_UPLOAD_URLS):
        return repositories.DEFAULT_USERNAME
    return configured


def choose_import_store(explicit: str | None) -> tuple[TokenStore, str | None]:
    """`choose_store`, except that a plaintext keyring (keyrings.alt) is passed over
    when nothing asked for it: moving a token from one plaintext file into another helps nobody."""
    if explicit is None and not os.environ.get("PYPICREDS_STORE"):
        from .store.keyring import KeyringStore, probe

        with contextlib.suppress(PypicredsError):
            if probe() is None and KeyringStore().is_plaintext:
                return choose_store("file")[0], (
                    "the keyring backend stores secrets in plain text; using the encrypted file store"
                )
    return choose_store(explicit)


def plaintext_sections(path: Path) -> list[tuple[str, int]]:
    """(repository, line) of every section holding its own non-empty `password =` line."""
    config = pypirc.read_repositories(path)
    found = []
    for name, entry in config.repositories.items():
        where = entry.keys.get("password")
        if entry.has_password and not entry.password_empty and where and where.section == name:
            found.append((name, where.line))
    return found


def import_tokens(
    *, pypirc: Path | None = None, store: str | None = None, names: set[str] | None = None
) -> ImportReport:
    """Move every plaintext password of `.pypirc` (or only those of `names`) into the store."""
    path = paths.pypirc_path(pypirc)
    report = ImportReport(path)
    with locked(paths.lock_path()):
        repair_if_needed(locked=True)
        candidates = [(n, line) for n, line in plaintext_sections(path) if names is None or n in names]
        chosen = None
        for name, line in candidates:
            try:
                if chosen is None:
                    chosen, note = choose_import_store(store)
                    if note:
                        report.notes.append(note)
                report.moved.append(_move_one(path, name, line, chosen))
            except PypicredsError as e:
                report.kept.append(Kept(name, line, e.message))
    report.reach = who_finds_moved({m.name for m in report.moved})
    return report


def who_finds_moved(names: set[str]) -> list[str]:
    """reach.who_finds for the repositories whose passwords moved, one line per store."""
    entries = [e for e in Index.load().entries if e.name in names and e.project is None]
    lines: list[str] = []
    for store in sorted({e.store for e in entries}):
        lines += reach.who_finds([e for e in entries if e.store == store])
    return lines


def _token_facts(token: str) -> dict:
    """What the token says about itself, for the index (an expired token is still moved:
    audit reports it, and it is safer in a store than in plaintext)."""
    if not token.startswith(tokens.PREFIX):
        return {}
    try:
        info = tokens.inspect(token)
    except PypicredsError:
        return {}
    return {k: v for k, v in info.to_json().items() if k != "caveats"}


def _move_one(path: Path, name: str, line: int, chosen) -> Moved:
    parsed = pypirc.parse_file(path)  # read once for the entry and its password
    entry = pypirc.read_repositories(path, parsed).get(name)
    if entry is None or entry.url is None:
        raise PypicredsError(f"[{name}] has no repository URL, so the token cannot be stored under one")
    problem = repositories.url_problem(entry.url)
    if problem:
        # kept out of the index and out of twine's command line, which every local user can read
        raise PypicredsError(f"its repository URL cannot be stored: {problem}; "
                             "take any `user:password@` out of the URL (the username goes into `username =`)")
    username = twine_username(entry.url, entry.username)
    if not username:
        raise PypicredsError(f"[{name}] has no username; add `username =` to it first")
    token = pypirc.read_password(path, name, parsed)
    if not token:
        raise PypicredsError(f"[{name}] has no password any more")
    redact.remember(token)
    try:
        tokens.check_token_text(token, pypi_like=repositories.token_host(entry.url) is not None)
    except PypicredsError as e:
        raise PypicredsError(f"its password is not a token pypicreds can store: {e.message}") from None
    fingerprint = tokens.fingerprint(token)
    index = Index.load()
    existing = index.find(name, None)
    if existing is not None:
        if existing.fingerprint != fingerprint:
            raise PypicredsError(
                f"pypicreds already holds a different token for {name}; "
                f"`pypicreds rotate {name}` to this one, or delete the line by hand"
            )
        if (existing.url, existing.username) != (entry.url, username):
            raise PypicredsError(
                f"pypicreds holds this token for {name} under {existing.url} as {existing.username}, "
                "not where twine would look"
            )
        existing.plaintext, existing.pypirc = False, str(path)  # the token is in the store already (add --plaintext)
        _move_line(path, token, index, existing, store=None)
        return Moved(name, line, existing.store, fingerprint, f"already in the {existing.store} store")
    new = Entry(
        name=name,
        url=entry.url,
        username=username,
        store=chosen.name,
        fingerprint=fingerprint,
        masked=tokens.mask(token),
        added=now_iso(),
        pypirc=str(path),
        token_info=_token_facts(token),
    )
    index.add(new)
    _move_line(path, token, index, new, store=chosen)
    return Moved(name, line, chosen.name, fingerprint, f"into the {chosen.describe()}")


def _move_line(path: Path, token: str, index: Index, entry: Entry, *, store: TokenStore | None) -> None:
    """Store the token in `store` (None: it is there already), take its `password =` line out of .pypirc,
    save `index` (which already holds `entry` as it should be). An intent journal lets the next
    command finish or undo this if the process dies (recovery/repairs.py); a failure here
    undoes the earlier steps, the line going back exactly where it was."""
    journal = begin("import", entry, pypirc=path, already_stored=store is None)
    snapshot = None
    try:
        if store is not None:
            snapshot = StoreSnapshot(store, entry.key)
            store.set(entry.key, token)
    except BaseException:
        journal.finish()  # the store refused: nothing changed
        raise
    where = None
    try:
        where = pypirc.take_password_line(path, entry.name)
        index.save()
    except BaseException:
        _undo_move(journal, path, token, entry, where, store, snapshot)
        raise
    journal.finish()


def _undo_move(journal: Journal, path: Path, token: str, entry: Entry, where: dict | None,
               store: TokenStore | None, snapshot) -> None:
    """Put the line back where it was and the store as it was. If a step of this fails too, the
    journal stays and the next command finishes the undo."""
    try:
        journal.update(phase="rollback", password_line=where)
        if where is not None:
            put_line_back(path, entry.name, token, where, journal.data["pypirc_before"])
        if snapshot is not None and not snapshot.restore():
            store.delete(entry.key)
    except (PypicredsError, OSError):
        return
    journal.finish()
