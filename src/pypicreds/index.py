"""pypicreds' own index of what it stores. keyring cannot list its entries, so this is the list.

It holds names, URLs, usernames, stores, dates, a fingerprint and a masked form: never a token.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

from . import fsutil, paths
from .errors import PypicredsError
from .store import TokenKey
from .tokens import normalize_project

FORMAT_VERSION = 1


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class Entry:
    name: str
    url: str
    username: str
    store: str
    fingerprint: str
    masked: str
    added: str
    rotated: str | None = None
    project: str | None = None
    plaintext: bool = False  # the token is also in .pypirc as `password =`
    pypirc: str | None = None  # the .pypirc it was written to, None with --no-pypirc
    pypirc_record: dict | None = None  # what the .pypirc edit created, so remove can undo it exactly
    token_info: dict = field(default_factory=dict)  # scope, projects, expires, token_id (issue #4)

    @property
    def key(self) -> TokenKey:
        return TokenKey(self.name, self.url, self.username, self.project)

    @property
    def label(self) -> str:
        return self.key.label


class Index:
    def __init__(self, path: Path, entries: list[Entry], extra: dict) -> None:
        self.path = path
        self.entries = entries
        self.extra = extra  # keys written by other versions, or cached facts (keyring backend)

    @classmethod
    def load(cls, path: Path | None = None) -> Index:
        path = path or paths.index_path()
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls(path, [], {})
        except OSError as e:
            raise PypicredsError(f"cannot read the index {path}: {e.strerror}") from e
        try:
            data = json.loads(raw)
            known = {f.name for f in fields(Entry)}
            entries = [Entry(**{k: v for k, v in item.items() if k in known}) for item in data["entries"]]
        except (ValueError, KeyError, TypeError) as e:
            raise PypicredsError(
                f"the index {path} is damaged",
                hint="restore it from a backup, or move it away and add the tokens again",
            ) from e
        extra = {k: v for k, v in data.items() if k not in ("version", "entries")}
        return cls(path, entries, extra)

    def save(self) -> None:
        fsutil.ensure_private_dir(self.path.parent)
        data = {"version": FORMAT_VERSION, **self.extra, "entries": [asdict(e) for e in self.entries]}
        fsutil.atomic_write(self.path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())

    def find(self, name: str, project: str | None = None) -> Entry | None:
        if project is not None:
            project = normalize_project(project)  # `--project Foo_Bar` finds foo-bar
        for entry in self.entries:
            if entry.name == name and entry.project == project:
                return entry
        return None

    def get(self, name: str, project: str | None = None) -> Entry:
        entry = self.find(name, project)
        if entry is None:
            what = name if project is None else f"{name} (project {project})"
            raise PypicredsError(
                f"no token stored for {what}",
                hint="see `pypicreds list`, or store one with `pypicreds add`",
            )
        return entry

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)
        self.entries.sort(key=lambda e: (e.name, e.project or ""))

    def remove(self, entry: Entry) -> None:
        self.entries.remove(entry)
