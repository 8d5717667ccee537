"""pypicreds' own index of what it stores. keyring cannot list its entries, so this is the list.

It holds names, URLs, usernames, stores, dates, a fingerprint and a masked form: never a token.
"""

from __future__ import annotations

import json
import os

from .. import paths
from ..errors import PypicredsError
from .base import TokenKey

FORMAT_VERSION = 1


def now_iso() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class Entry:
    """One stored token's facts: never the token itself.

    A plain class, not a dataclass: this module is on the path of `pypicreds env` and `list`,
    and importing dataclasses costs more than the rest of their start-up."""

    FIELDS = (
        "name", "url", "username", "store", "fingerprint", "masked", "added", "rotated", "project",
        "plaintext", "pypirc", "pypirc_record", "token_info",
    )
    __slots__ = FIELDS
    TOKEN_FIELDS = ("fingerprint", "masked", "rotated", "token_info")  # what a rotate changes

    def __init__(
        self,
        name: str,
        url: str,
        username: str,
        store: str,
        fingerprint: str,
        masked: str,
        added: str,
        rotated: str | None = None,
        project: str | None = None,
        plaintext: bool = False,  # the token is also in .pypirc as `password =`
        pypirc: str | None = None,  # the .pypirc it was written to, None with --no-pypirc
        pypirc_record: dict | None = None,  # what the .pypirc edit created, so remove can undo it exactly
        token_info: dict | None = None,  # scope, projects, expires, token_id, host (never the token)
    ) -> None:
        self.name, self.url, self.username, self.store = name, url, username, store
        self.fingerprint, self.masked, self.added, self.rotated = fingerprint, masked, added, rotated
        self.project, self.plaintext, self.pypirc = project, plaintext, pypirc
        self.pypirc_record = pypirc_record
        self.token_info = dict(token_info or {})

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.FIELDS}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Entry) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Entry({self.label!r}, store={self.store!r}, fingerprint={self.fingerprint!r})"

    @property
    def key(self) -> TokenKey:
        return TokenKey(self.name, self.url, self.username, self.project)

    @property
    def label(self) -> str:
        return self.key.label


def _shown(text: str) -> str:
    """A name as given by the user, quoted when it holds anything that could break the one-line
    error (newlines, control characters) or is too long to read."""
    if text.isprintable() and 0 < len(text) <= 100 and text.strip() == text:
        return text
    return repr(text[:100])


class Index:
    def __init__(self, path: str | os.PathLike, entries: list[Entry], extra: dict) -> None:
        self._path = os.fspath(path)  # a string: `env` and `list` never need pathlib
        self.entries = entries
        self.extra = extra  # keys written by other versions, or cached facts (keyring backend)

    @property
    def path(self):
        from pathlib import Path

        return Path(self._path)

    @classmethod
    def load(cls) -> Index:
        path = paths.home_file("index.json")
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return cls(path, [], {})
        except OSError as e:
            raise PypicredsError(f"cannot read the index {path}: {e.strerror}") from e
        try:
            data = json.loads(raw)
            known = set(Entry.FIELDS)
            entries = [Entry(**{k: v for k, v in item.items() if k in known}) for item in data["entries"]]
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise PypicredsError(
                f"the index {path} is damaged",
                hint="restore it from a backup, or move it away and add the tokens again",
            ) from e
        extra = {k: v for k, v in data.items() if k not in ("version", "entries")}
        return cls(path, entries, extra)

    def save(self) -> None:
        from .. import fsutil

        fsutil.ensure_private_dir(self.path.parent)
        data = {"version": FORMAT_VERSION, **self.extra, "entries": [e.to_dict() for e in self.entries]}
        fsutil.atomic_write(self.path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())

    def find(self, name: str, project: str | None = None) -> Entry | None:
        if project is not None:
            from ..tokens import normalize_project

            project = normalize_project(project)  # `--project Foo_Bar` finds foo-bar
        for entry in self.entries:
            if entry.name == name and entry.project == project:
                return entry
        return None

    def get(self, name: str, project: str | None = None) -> Entry:
        entry = self.find(name, project)
        if entry is None:
            what = _shown(name) if project is None else f"{_shown(name)} (project {_shown(project)})"
            raise PypicredsError(f"no token stored for {what}", hint=self._missing_hint(name, project))
        return entry

    def _missing_hint(self, name: str, project: str | None) -> str:
        """What to do about a name (and project) with no token: the stored name or project it
        is nearest to, the projects of a repository with only per-project tokens, or how to add one."""
        from ..repositories import BUILTIN_URLS
        from ..suggest import did_you_mean

        default = "see `pypicreds list`, or store one with `pypicreds add`"
        names = {e.name for e in self.entries}
        if name not in names:
            near = did_you_mean(name, names)
            if near:
                return f"{near} (`pypicreds list` shows what is stored)"
            near = did_you_mean(name, BUILTIN_URLS)
            return f"{near} nothing is stored for it yet either: {default}" if near else default
        projects = sorted(e.project for e in self.entries if e.name == name and e.project)
        if project is None:
            return (f"{name} has tokens only for the projects {', '.join(projects)}: add --project "
                    f"{projects[0]}, or store a token for all of {name} with `pypicreds add {name}`")
        near = did_you_mean(project, projects, "`--project {}`")
        add = f"store one with `pypicreds add {name} --project {project}`"
        return f"{near} or {add}" if near else add

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)
        self.entries.sort(key=lambda e: (e.name, e.project or ""))

    def remove(self, entry: Entry) -> None:
        self.entries.remove(entry)
