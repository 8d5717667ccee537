"""What a check finds: the types audit, its .pypirc checks and --fix share.

Each finding has a stable id (the contract: scripts match on it), a severity, the file and
line it is about, a message, and how to fix it. A finding `audit --fix` can repair safely
carries a `remedy` (see fix.py). Messages name repositories, lines and fingerprints, never a
token or any part of a password.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)


@dataclass
class Finding:
    id: str
    severity: str
    path: str | None
    line: int | None
    message: str
    fix: str | None
    repository: str | None = None
    remedy: tuple[str, dict] | None = field(default=None, compare=False)  # what --fix would do
    fixed: bool | None = None  # set by --fix
    change: str | None = None  # what --fix did, or why it could not
    chosen: bool = field(default=False, compare=False)  # the user chose this (add --plaintext): --fix asks first

    @property
    def fixable(self) -> bool:
        return self.remedy is not None

    @property
    def problem(self) -> bool:
        return self.severity in (ERROR, WARNING)

    def to_json(self) -> dict:
        data = {
            "id": self.id,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "fix": self.fix,
            "repository": self.repository,
            "fixable": self.fixable,
        }
        if self.fixed is not None:
            data["fixed"] = self.fixed
            data["change"] = self.change
        return data


def has_problems(findings: list[Finding]) -> bool:
    """Whether audit exits 1: a warning or error that was not fixed."""
    return any(f.problem and not f.fixed for f in findings)


@dataclass
class Token:
    label: str
    fingerprint: str
    facts: dict  # host, scope, expires, ... (tokens.inspect), empty when unreadable
    url: str | None
    path: str
    line: int | None
    repository: str
    dated: str | None = None  # added or last rotated (index entries only)
    project: str | None = None  # a per-project token's project (index entries only)
