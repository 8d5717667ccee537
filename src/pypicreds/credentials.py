"""add / show / reveal / inspect / rotate / remove: plain functions that take values and return data.

Order of writes, chosen so a failure leaves the old state: add and rotate write the store
first (the token is safe before anything points at it), then .pypirc, then the index; remove
edits .pypirc first, then the store, then the index. A failure undoes the earlier steps. A
process killed half way leaves an intent journal, and the next command finishes or undoes
the change (the recovery package)."""

from __future__ import annotations

from pathlib import Path

from . import fsutil, paths, reach, repositories, tokens
from .errors import PypicredsError, UsageError
from .intake import pasted_token, read_token_facts
from .lock import locked
from .pypirc import add_repository, remove_repository, set_password
from .recovery import repair_if_needed
from .recovery.journal import Journal, begin, digest
from .store import TokenKey, TokenStore, open_store
from .store.choose import choose_store
from .store.index import Entry, Index, now_iso
from .store.snapshot import StoreSnapshot


class Outcome:
    """What a command did: the entry it touched and messages for stderr.

    (A plain class: `add` is on the fast path, and importing dataclasses costs more than this.)"""

    def __init__(self, entry: Entry | None = None, notes: list[str] | None = None, store: str | None = None) -> None:
        self.entry = entry
        self.notes = list(notes or [])
        self.store = store

    def __repr__(self) -> str:
        return f"Outcome(entry={self.entry!r}, store={self.store!r}, notes={self.notes!r})"


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
    force: bool = False,
) -> Outcome:
    """Store `token` for a repository, write its .pypirc section (with no password unless
    `plaintext`) and record it in the index. `force`: store a token known to be wrong for it."""
    repo, project = repository_for_add(name, url, username, project, plaintext=plaintext, write_pypirc=write_pypirc)
    token, pasted_notes = pasted_token(token, pypi_like=repo.token_host is not None)
    facts, token_notes = read_token_facts(token, repo.url, project, force=force)
    # twine sees one password per URL: a project token is handed over by pypicreds itself
    pypirc_file = paths.pypirc_path(pypirc) if write_pypirc and project is None else None
    if pypirc_file is not None:  # before the store is touched: a .pypirc -> /dev/null stays as it is
        fsutil.check_writable(pypirc_file, "", hint="pass --no-pypirc to leave it alone, or another file with --pypirc",
                              directory_may_come=True)
    with locked(paths.lock_path()):
        repair_if_needed(locked=True)
        index = Index.load()
        _refuse_duplicate(index, repo, project)
        chosen, note = choose_store(store)
        if chosen.name == "keyring":
            _refuse_shared_keyring_entry(index, repo, project)
        entry = Entry(
            name=repo.name, url=repo.url, username=repo.username, store=chosen.name,
            fingerprint=tokens.fingerprint(token), masked=tokens.mask(token), added=now_iso(), project=project,
            plaintext=plaintext, pypirc=str(pypirc_file) if pypirc_file else None, token_info=facts,
        )
        outcome = Outcome(entry=entry, notes=[*pasted_notes, *([note] if note else [])], store=chosen.name)
        # `repository =` even for pypi and testpypi: twine knows their URLs, but flit uploads a
        # section without one to PyPI, and hatch finds a section's username only by its URL
        outcome.notes += _write_new_entry(index, entry, chosen, token, repo.url)
    outcome.notes.append(f"stored the token for {entry.label} in the {chosen.describe()}")
    if pypirc_file:
        where = "with the token as a plaintext password" if plaintext else "with no password"
        outcome.notes.append(f"wrote [{repo.name}] to {pypirc_file} {where}")
    outcome.notes.extend(token_notes)
    outcome.notes.extend(reach.who_finds([entry]))
    return outcome


def repository_for_add(name: str, url: str | None, username: str | None, project: str | None, *,
                        plaintext: bool, write_pypirc: bool) -> tuple[repositories.Repository, str | None]:
    """The repository and (normalised) project `add` is about; refuses options that cannot go together."""
    index = Index.load()
    if project is not None:
        project = tokens.checked_project(project)
        if plaintext:
            raise UsageError("a per-project token cannot go into .pypirc (one password per URL), so no --plaintext")
        if url is None or username is None:
            default = index.find(name, None)
            if default is not None:  # a project token lives under the repository's own URL and username
                url = default.url if url is None else url
                username = default.username if username is None else username
    repo = repositories.resolve(name, url, username, known=tuple(e.name for e in index.entries))
    if plaintext and not write_pypirc:
        raise UsageError("--plaintext writes the token into .pypirc, so it cannot go with --no-pypirc")
    return repo, project


def _refuse_duplicate(index: Index, repo: repositories.Repository, project: str | None) -> None:
    if index.find(repo.name, project) is not None:
        option = f" --project {project}" if project else ""
        raise PypicredsError(
            f"{TokenKey(repo.name, repo.url, repo.username, project).label} is already stored",
            hint=f"replace its token with `pypicreds rotate {repo.name}{option}`",
        )


def _write_new_entry(index: Index, entry: Entry, store: TokenStore, token: str, pypirc_url: str | None) -> list[str]:
    """The writes of `add`, journaled: the store, then .pypirc, then the index; a failure undoes
    the earlier ones. Returns warnings."""
    pypirc_file = Path(entry.pypirc) if entry.pypirc else None
    snapshot = StoreSnapshot(store, entry.key)  # reads the store: fails before anything is written
    notes = []
    if snapshot.previous not in (None, token):
        notes.append(
            f"warning: the keyring already held a token for {entry.url} as {entry.username} that pypicreds "
            "had not stored; it is replaced now (twine used it)"
        )
    journal = begin("add", entry, pypirc=pypirc_file, pypirc_url=pypirc_url)
    try:
        store.set(entry.key, token)
    except BaseException:
        journal.finish()  # the store refused: nothing changed
        raise
    try:
        if pypirc_file:
            entry.pypirc_record = add_repository(
                pypirc_file, name=entry.name, username=entry.username, url=pypirc_url, url_line=True,
                password=token if entry.plaintext else None,
            )
            journal.update(phase="pypirc", record=entry.pypirc_record, pypirc_after=digest(pypirc_file))
        index.add(entry)
        index.save()
    except BaseException:
        _undo_add(journal, store, snapshot, entry, pypirc_file)
        raise
    journal.finish()
    return notes


def _refuse_shared_keyring_entry(index: Index, repo: repositories.Repository, project: str | None) -> None:
    """The keyring holds one token per URL and username: a second repository with both the same
    would overwrite the first one's token (and `remove` would delete it)."""
    for other in index.entries:
        if (other.store == "keyring" and other.name != repo.name and other.url == repo.url
                and other.username == repo.username and other.project == project):
            raise PypicredsError(
                f"{other.label} already keeps its token in the keyring under {repo.url} as {repo.username}",
                hint=f"use that name (`pypicreds rotate {other.name}`), another --username, or --store file",
            )


def _undo_add(journal: Journal, store: TokenStore, snapshot: StoreSnapshot, entry: Entry,
              pypirc_file: Path | None) -> None:
    """Put back the state before a failed add. If a step of the undo fails too, the journal
    stays and the next command finishes the undo."""
    try:
        journal.update(phase="rollback")
        if entry.pypirc_record is not None and digest(pypirc_file) == journal.data.get("pypirc_after"):
            remove_repository(pypirc_file, entry.name, entry.pypirc_record)
        if not snapshot.restore():
            store.delete(entry.key)
    except (PypicredsError, OSError):
        return
    journal.finish()


def inspect(name: str | None, project: str | None = None, token: str | None = None) -> tokens.TokenInfo:
    """All the reader knows about a stored token (by name) or a given one."""
    if token is None:
        if name is None:
            raise UsageError("name a stored repository, or pass a token with --token-stdin")
        from .reveal import reveal

        token = reveal(name, project)
    else:
        token = pasted_token(token, pypi_like=True)[0]
    return tokens.inspect(token)


def show(name: str, project: str | None = None) -> Entry:
    repair_if_needed()
    return Index.load().get(name, project)


def reveal(name: str, project: str | None = None) -> str:
    """The token stored for `name` (`show --reveal`: the caller asked to see it)."""
    from .reveal import reveal

    return reveal(name, project)


def rotate(*, name: str, token: str, project: str | None = None, force: bool = False) -> Outcome:
    with locked(paths.lock_path()):
        repair_if_needed(locked=True)
        index = Index.load()
        entry = index.get(name, project)
        token, pasted_notes = pasted_token(token, pypi_like=repositories.token_host(entry.url) is not None)
        if tokens.fingerprint(token) == entry.fingerprint:
            raise PypicredsError(
                f"this is the token already stored for {entry.label}",
                hint="create a new token on the index first, then rotate to it",
            )
        facts, token_notes = read_token_facts(token, entry.url, entry.project, force=force)
        store = open_store(entry.store)
        new = Entry(**entry.to_dict())
        new.fingerprint, new.masked, new.rotated, new.token_info = (
            tokens.fingerprint(token), tokens.mask(token), now_iso(), facts
        )
        old_token = store.get(entry.key)  # to put back if a later step fails
        snapshot = StoreSnapshot(store)
        journal = begin("rotate", new, old=entry)  # after the reads: one that fails has changed nothing
        try:
            store.set(entry.key, token)
        except BaseException:
            journal.finish()  # the store refused: the old token stays
            raise
        pypirc_target = Path(entry.pypirc) if entry.plaintext and entry.pypirc else None
        pypirc_changed = False
        try:
            if pypirc_target:
                set_password(pypirc_target, entry.name, token)
                pypirc_changed = True
            for field_name in entry.TOKEN_FIELDS:
                setattr(entry, field_name, getattr(new, field_name))
            index.save()
        except BaseException:
            _undo_rotate(journal, store, snapshot, entry, old_token, pypirc_target if pypirc_changed else None)
            raise
        journal.finish()
        outcome = Outcome(entry=entry, notes=pasted_notes, store=entry.store)
        outcome.notes.append(f"rotated the token for {entry.label} in the {store.describe()}")
        outcome.notes.extend(token_notes)
        page = repositories.revoke_page(entry.url)
        outcome.notes.extend(reach.who_finds([entry]))
        if page:
            outcome.notes.append(f"now revoke the old token at {page}")
        else:
            outcome.notes.append("now revoke the old token on the index that issued it")
        return outcome


def _undo_rotate(journal, store: TokenStore, snapshot: StoreSnapshot, entry: Entry, old_token: str | None,
                 pypirc_target: Path | None) -> None:
    """Put the old token back after a failed rotate. If that fails too, the journal stays and
    the next command finishes the rotate instead (the store holds the new token)."""
    try:
        if pypirc_target is not None and old_token is not None:
            set_password(pypirc_target, entry.name, old_token)
        if not snapshot.restore():  # a keyring entry: put the old token back, or delete the new one
            if old_token is None:
                store.delete(entry.key)
            else:
                store.set(entry.key, old_token)
    except (PypicredsError, OSError):
        return
    journal.finish()


def remove(*, name: str, project: str | None = None, keep_pypirc: bool = False,
           pypirc: Path | None = None) -> Outcome:
    """Store first (the step most likely to refuse: a locked keyring, a damaged vault), then
    .pypirc, then the index. If .pypirc refuses, the token is put back in the store. A .pypirc
    left empty stays; what remove leaves in it (a section it did not write, a plaintext
    password with --keep-pypirc) is said in the notes."""
    with locked(paths.lock_path()):
        repair_if_needed(locked=True)
        index = Index.load()
        if index.find(name, project) is None:
            _refuse_unstored(name, project, pypirc)
        entry = index.get(name, project)
        outcome = Outcome(entry=entry, store=entry.store)
        target = paths.pypirc_path(pypirc) if pypirc else (Path(entry.pypirc) if entry.pypirc else None)
        if keep_pypirc:
            target = None
        store = open_store(entry.store)
        snapshot = StoreSnapshot(store, entry.key)  # to put back if .pypirc refuses
        journal = begin("remove", entry, pypirc=target)
        try:
            found = store.delete(entry.key)
        except BaseException:
            journal.finish()  # the store refused: nothing changed
            raise
        details = [] if found else [f"the {entry.store} store held no token for {entry.label}"]
        pypirc_changed = False
        try:
            if target:
                pypirc_changed = remove_repository(target, entry.name, entry.pypirc_record, keep_empty=True)
                if pypirc_changed:
                    plaintext = " with its plaintext password" if entry.plaintext else ""
                    details.append(f"removed [{entry.name}]{plaintext} from {target}")
            index.remove(entry)
            index.save()
        except BaseException:
            if not pypirc_changed:
                _undo_remove(journal, snapshot)
            raise  # else the journal stays: the next command finishes the removal
        journal.finish()
        outcome.notes += [f"removed the token for {entry.label}", *details]
        outcome.notes += _left_behind(entry, target, pypirc, keep_pypirc)
        return outcome


def _refuse_unstored(name: str, project: str | None, pypirc: Path | None) -> None:
    """A name pypicreds holds nothing for, whose token is a plaintext password in .pypirc:
    say that remove leaves it (the usual error, with its suggestions, otherwise)."""
    from .pypirc import read_repositories

    if project is not None:
        return
    path = paths.pypirc_path(pypirc)
    try:
        found = read_repositories(path).get(name)
    except PypicredsError:
        return
    where = found.keys.get("password") if found else None
    if found is None or where is None or where.section != name or found.password_empty:
        return
    raise PypicredsError(
        f"pypicreds holds no token for {name}: its token is the plaintext password on line {where.line} "
        f"of {paths.shown(path)} ([{name}]), and remove left it there",
        hint="move it into the store with `pypicreds import`, then remove it; or delete that line by hand",
    )


def _left_behind(entry: Entry, target: Path | None, pypirc: Path | None, keep_pypirc: bool) -> list[str]:
    """What remove left in .pypirc that the user may not expect: a section it did not write,
    a plaintext token kept by --keep-pypirc, a file now empty."""
    from .pypirc import read_repositories

    if entry.project is not None:
        return []
    path = target or paths.pypirc_path(pypirc)
    try:
        if not path.exists():
            return []
        if path.stat().st_size == 0:
            return [f"{paths.shown(path)} is now empty; pypicreds keeps it (delete it if you have no use for it)"]
        found = read_repositories(path).get(entry.name)
    except (OSError, PypicredsError):
        return []
    if found is None or found.section_line is None:
        return []
    where = paths.shown(path)
    if keep_pypirc:
        if entry.plaintext and found.has_password:
            return [f"kept [{entry.name}] in {where} (--keep-pypirc): it still holds the token as a plaintext "
                    "password; delete its `password` line by hand if you no longer need it"]
        return []
    return [f"kept [{entry.name}] in {where}: pypicreds did not write it (only what it added is gone); "
            f"delete the section (and '{entry.name}' in index-servers) by hand if you no longer need it"]


def _undo_remove(journal, snapshot: StoreSnapshot) -> None:
    """Put the token back after .pypirc refused. If that fails too, the journal stays and the
    next command finishes the removal instead."""
    try:
        snapshot.restore()
    except (PypicredsError, OSError):
        return
    journal.finish()
