"""What doctor finds for one repository: each value with where it comes from (shared by doctor.py,
for twine, and publishers.py, for the other publishers)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import repositories, tokens
from ..store.index import Entry


@dataclass
class Value:
    """One resolved setting and where it came from. `value` is None for the password."""

    source: str  # env, url, pypirc, builtin, forced, keyring, trusted-publishing, prompt
    value: str | None = None
    section: str | None = None  # for source pypirc: the section it was read from
    line: int | None = None
    fingerprint: str | None = None  # password only
    empty: bool = False  # password only: an empty value twine would send
    variable: str | None = None  # for source env: which variable (twine's when None)
    vault: bool = False  # for source keyring: answered by pypicreds' vault backend

    def to_json(self, secret: bool = False) -> dict:
        data = {"source": self.source, "section": self.section, "line": self.line}
        if self.variable:
            data["variable"] = self.variable
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
    publisher: str = "twine"
    backend: tuple[bool, str] | None = None  # pypicreds' keyring backend: (active, in words)

    @property
    def ok(self) -> bool:
        return not self.differences

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "publisher": self.publisher,
            "pypirc": self.pypirc,
            "ok": self.ok,
            "error": self.error,
            "url": {**self.url.to_json(), "value": repositories.shown_url(self.url.value)} if self.url else None,
            "username": self.username.to_json() if self.username else None,
            "password": self.password.to_json(secret=True) if self.password else None,
            "pypicreds": None if self.held is None else {
                "url": self.held.url, "username": self.held.username, "store": self.held.store,
                "fingerprint": self.held.fingerprint,
            },
            "differences": self.differences,
            "notes": self.notes,
            "keyring_backend": None if self.backend is None else {
                "active": self.backend[0], "detail": self.backend[1]},
        }


def secret_value(where: Value, password: str) -> Value:
    where.empty = password == ""
    where.fingerprint = tokens.fingerprint(password) if password else None
    return where
