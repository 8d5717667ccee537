"""pypicreds' own index of what it stores. keyring cannot list its entries, so this is the list.

It holds names, URLs, usernames, stores, dates, a fingerprint and a masked form: never a token.
"""

from __future__ import annotations

import os

from .. import jsonio, paths
from ..errors import PypicredsError
from . import schema
from .base import TokenKey

FORMAT_VERSION = 1
VAULT_GENERATION = "vault_generation"
# save()'s shape: the header's keys and `"entries":[` on the first line, an entry a line, `]}` last
_ENTRIES_OPEN, _ENTRIES_CLOSE, _NO_ENTRIES = ',"entries":[', "\n]}\n", ',"entries":[]}' 


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

    @classmethod
    def from_json(cls, item: dict) -> Entry:
        """An entry from the index's JSON (checked already: store/schema.py)."""
        entry = cls.__new__(cls)
        get = item.get
        entry.name, entry.url, entry.username, entry.store = item["name"], item["url"], item["username"], item["store"]
        entry.fingerprint, entry.masked, entry.added = item["fingerprint"], item["masked"], item["added"]
        entry.rotated, entry.project, entry.plaintext = get("rotated"), get("project"), get("plaintext", False)
        entry.pypirc, entry.pypirc_record = get("pypirc"), get("pypirc_record")
        info = get("token_info")
        # (the JSON's own dict when there is one: nothing else holds it, and a copy a thousand
        # times over is a tenth of `list`)
        entry.token_info = info if info is not None else {}
        return entry

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.FIELDS}

    def to_json(self) -> dict:
        """As the index keeps it: the fields that differ from their defaults (a smaller file is
        a faster `env` and `list`; a missing field reads back as its default)."""
        data = {name: value for name, value in self.to_dict().items()
                if value is not None and value is not False and value != {}}
        if self.token_info:
            data["token_info"] = {k: v for k, v in self.token_info.items() if v is not None and v != 0}
        return data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Entry) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Entry({self.label!r}, store={self.store!r}, fingerprint={self.fingerprint!r})"

    @property
    def key(self) -> TokenKey:
        return TokenKey(self.name, self.url, self.username, self.project)

    @property
    def label(self) -> str:
        return self.name if self.project is None else f"{self.name} (project {self.project})"


def _shown(text: str) -> str:
    """A name as given by the user, quoted when it holds anything that could break the one-line
    error (newlines, control characters) or is too long to read."""
    if text.isprintable() and 0 < len(text) <= 100 and text.strip() == text:
        return text
    return repr(text[:100])


class Index:
    """The index file: its entries, read lazily (`env` builds only the entry it needs), and
    keys other versions wrote (kept as they are). A damaged file or entry is reported as damaged
    with the way to recover, never as a TypeError later."""

    def __init__(self, path: str | os.PathLike, entries: list[Entry] | None, extra: dict,
                 raw: list | None = None) -> None:
        self._path = os.fspath(path)  # a string: `env` and `list` never need pathlib
        self._entries = entries
        self._raw_list = raw if raw is not None else []
        self._built: dict[int, Entry] = {}  # raw position -> the entry built from it (one object each)
        self.extra = extra  # keys written by other versions, or cached facts (keyring backend)
        self._lines: list[str] | None = None  # a read-only index in the shape save() writes: see reading()

    @property
    def _raw(self) -> list:
        if self._lines is not None:  # the whole file after all (a hint listing every name)
            self._raw_list = Index._parse(self._path, self._text)[1]
            self._lines = None
        return self._raw_list

    @property
    def path(self):
        from pathlib import Path

        return Path(self._path)

    @property
    def entries(self) -> list[Entry]:
        """Every entry (checking each one)."""
        if self._entries is None:
            built, raw = self._built, self._raw
            if schema.fine_entries(raw):  # all sound, checked at once (`list` of a thousand)
                self._entries = [built.get(at) or Entry.from_json(item) for at, item in enumerate(raw)]
            else:  # entry by entry: _entry_at says what is wrong
                self._entries = [self._entry_at(at) for at in range(len(raw))]
        return self._entries

    @classmethod
    def load(cls) -> Index:
        path, raw = cls._read()
        return cls(path, [], {}) if raw is None else cls(path, None, *cls._parse(path, raw))

    @classmethod
    def reading(cls) -> Index:
        """The index for a command that only reads one repository's entries (env, exec,
        upload): in the shape save() writes, find() and named() parse only the lines that can
        hold the name asked for, not a thousand entries. Never saved (nothing they return is
        one of `entries`' objects).

        The shape is checked in C: the header line, then lines that each start with `{` and
        end with `}` (and a comma but the last), the close; no `": ` and no escaped name, which
        save() never writes. Anything else is read whole. What a line-by-line read cannot see
        (a file crafted to hold more than entries inside such lines) is left to `list` and
        `audit`, which read the whole file: whoever can write the index can change its entries
        anyway."""
        path, raw = cls._read()
        index = cls(path, [], {}) if raw is None else cls._by_lines(path, raw)
        index._read_only = True
        return index

    @classmethod
    def _by_lines(cls, path: str, raw: bytes) -> Index:
        try:
            text = raw.decode("ascii")  # save() writes ASCII: anything else takes the long way
        except UnicodeDecodeError:
            return cls(path, None, *cls._parse(path, raw))
        head, _, rest = text.partition("\n")
        body = rest[: -len(_ENTRIES_CLOSE)]
        # every line break between `},` and `{` (one count: the four characters hold one break);
        # a space first, as most indexes hold none
        if not (head.endswith(_ENTRIES_OPEN) and rest.endswith(_ENTRIES_CLOSE) and body.startswith("{")
                and body.endswith("}") and body.count("},\n{") == body.count("\n")
                and (" " not in body or '": ' not in body) and '"name":"\\' not in body):
            return cls(path, None, *cls._parse(path, raw))
        extra, _ = cls._parse(path, head[: -len(_ENTRIES_OPEN)] + _NO_ENTRIES)
        index = cls(path, None, extra)
        index._text, index._lines = text, body.split("\n")
        return index

    @staticmethod
    def _read() -> tuple[str, bytes | None]:
        from .. import fsutil

        path = paths.home_file("index.json")
        return path, fsutil.read_file(path, "the index", foreign_ok=False)

    _read_only = False

    @staticmethod
    def _parse(path: str, raw: bytes | str) -> tuple[dict, list]:
        """(keys other than version and entries, the entries as JSON) of the whole file."""
        try:
            data = jsonio.loads(raw)
        except (ValueError, RecursionError):
            raise _damaged(path, "not JSON") from None
        if type(data) is not dict or type(data.get("entries")) is not list:
            raise _damaged(path, "no list of entries")
        if data.get("version") != FORMAT_VERSION:
            raise PypicredsError(
                f"the index {path} has format version {data.get('version')!r}; "
                f"this pypicreds reads version {FORMAT_VERSION}",
                hint="upgrade pypicreds, or move the index away and add the tokens again",
            )
        extra = {k: v for k, v in data.items() if k not in ("version", "entries")}
        generation = extra.get(VAULT_GENERATION)
        if generation is not None and (type(generation) is not int or generation < 0):
            raise _damaged(path, f"{VAULT_GENERATION!r} is not a count")
        return extra, data["entries"]

    @property
    def vault_generation(self) -> int | None:
        """The generation of the vault when this index was last saved (see store/vault.py)."""
        return self.extra.get(VAULT_GENERATION)

    def _entry_at(self, position: int) -> Entry:
        entry = self._built.get(position)
        if entry is None:
            item = self._raw[position]
            problem = schema.entry_problem(item)
            if problem:
                raise _damaged(self._path, problem)
            entry = self._built[position] = Entry.from_json(item)
        return entry

    def save(self) -> None:
        if self._read_only:  # a mistake in pypicreds, not the user's
            raise RuntimeError("an index read with Index.reading() is never saved")
        from .. import fsutil
        from .file import FileStore

        fsutil.ensure_private_dir(os.path.dirname(self._path))
        try:
            generation = FileStore().current_generation() if any(e.store == "file" for e in self.entries) else None
        except PypicredsError:  # a vault we cannot read was not written now: keep what was recorded
            generation = self.vault_generation
        if generation is None:
            self.extra.pop(VAULT_GENERATION, None)
        else:  # the vault as it is now, with this index
            self.extra[VAULT_GENERATION] = generation
        head = jsonio.canonical({"version": FORMAT_VERSION, **self.extra})
        # compact, one entry a line: `env` and `list` parse it on every run (indented, a thousand
        # entries took twice as long), and a line per entry still reads and diffs well
        lines = [head[:-1] + _ENTRIES_OPEN, *(jsonio.canonical(e.to_json()) + "," for e in self.entries)]
        if self.entries:
            lines[-1] = lines[-1][:-1]
        fsutil.atomic_write(self._path, ("\n".join(lines) + _ENTRIES_CLOSE).encode("ascii"), "the index")

    def find(self, name: str, project: str | None = None) -> Entry | None:
        if project is not None:
            from ..tokens import normalize_project

            project = normalize_project(project)  # `--project Foo_Bar` finds foo-bar
        if self._entries is not None:
            for entry in self._entries:
                if entry.name == name and entry.project == project:
                    return entry
            return None
        if self._lines is not None:
            return next((e for e in self._named_in_lines(name) if e.project == project), None)
        for position, item in enumerate(self._raw):  # only the entry asked for is built (and checked)
            if type(item) is not dict or item.get("name") == name and item.get("project") == project:
                entry = self._entry_at(position)
                if entry.name == name and entry.project == project:
                    return entry
        return None

    def named(self, name: str) -> list[Entry]:
        """Every entry for the repository `name` (its own token and its projects')."""
        if self._lines is not None:
            return list(self._named_in_lines(name))
        return [entry for entry in self.entries if entry.name == name]

    def _named_in_lines(self, name: str):
        """The entries named `name` of a read-only index: a line is one entry, and an entry
        named `name` holds `"name":NAME` as save() writes it (JSON escapes every quote inside a
        string, so no other text matches). Each such line is parsed and checked; a damaged one
        is damage as ever."""
        needle = '"name":' + jsonio.canonical(name)
        for line in self._lines:
            if needle in line:
                try:
                    item = jsonio.loads(line[:-1] if line.endswith(",") else line)
                except (ValueError, RecursionError):
                    raise _damaged(self._path, "not JSON") from None
                problem = schema.entry_problem(item)
                if problem:
                    raise _damaged(self._path, problem)
                if item["name"] == name:
                    yield Entry.from_json(item)

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


def _damaged(path: str, problem: str) -> PypicredsError:
    return PypicredsError(
        f"the index {path} is damaged ({problem})",
        hint="restore it from a backup, or move it away and add the tokens again "
        "(`pypicreds audit` shows what else needs a look)",
    )
