"""Everything shown to people as text, and entries as JSON objects: the one place that knows
what the output looks like. Takes data, returns text; printing is output.py's."""

from __future__ import annotations

from ..paths import shown
from ..store.index import Entry

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..checks.doctor import Diagnosis
    from ..checks.findings import Finding

TOKEN_INFO_KEYS = ("scope", "projects", "project_ids", "expires", "token_id", "host")


def entry_json(entry: Entry) -> dict:
    data = {
        "name": entry.name,
        "project": entry.project,
        "url": entry.url,
        "username": entry.username,
        "store": entry.store,
        "token": entry.masked,
        "fingerprint": entry.fingerprint,
        "added": entry.added,
        "rotated": entry.rotated,
        "plaintext": entry.plaintext,
        "pypirc": entry.pypirc,
    }
    for key in TOKEN_INFO_KEYS:
        data[key] = entry.token_info.get(key)
    return data


SCOPE_WORDS = {"unrestricted": "no embedded project restriction", "trusted-publisher": "Trusted Publisher"}


def scope_text(info: dict) -> str:
    scope = info.get("scope")
    if scope == "project":
        return "projects: " + ", ".join(info.get("projects") or info.get("project_ids") or [])
    return SCOPE_WORDS.get(scope, "-")


def entries_table(entries: list[Entry]) -> str:
    header = ("NAME", "URL", "USERNAME", "STORE", "TOKEN", "SCOPE", "EXPIRES", "ADDED", "ROTATED")
    rows = [
        (e.label, e.url, e.username, e.store + (" +pypirc" if e.plaintext else ""), e.masked,
         scope_text(e.token_info), e.token_info.get("expires") or "-", e.added[:10], (e.rotated or "-")[:10])
        for e in entries
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows])


def entry_text(entry: Entry, protection: str | None) -> str:
    data = entry_json(entry)
    data["name"] = entry.label
    del data["project"]
    if protection:
        data["protection"] = protection
    data["scope"] = scope_text(entry.token_info) if data["scope"] else None
    width = max(len(k) for k in data)
    return "\n".join(f"{k.ljust(width)}  {_words(v)}" for k, v in data.items())


def _words(value: object) -> str:
    """A value as people read it: yes/no, `-` for nothing, a list as words (JSON keeps the types)."""
    if value is None or value == []:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def token_text(facts: dict) -> str:
    lines = [
        f"host        {facts['host']}",
        f"token id    {facts['token_id']}",
        f"scope       {scope_text(facts)}",
        f"projects    {', '.join(facts['projects']) if facts['projects'] is not None else '-'}",
        f"project ids {', '.join(facts['project_ids']) if facts['project_ids'] is not None else '-'}",
        f"expires     {facts['expires'] or 'never (no expiry caveat)'}",
        f"not before  {facts['not_before'] or '-'}",
        f"caveats     {len(facts['caveats'])}",
    ]
    for number, caveat in enumerate(facts["caveats"], start=1):
        legacy = " (legacy)" if caveat.get("legacy") else ""
        lines.append(f"  {number}. {caveat['kind']}{legacy}: {caveat['raw']}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- audit


def finding_place(finding: Finding, with_line: bool = False) -> str:
    """Where a finding is: its file as the user knows it (and line), else the environment or the keyring."""
    if finding.path is None:
        return "environment" if finding.id == "twine-env-set" else "keyring"
    place = shown(finding.path)
    return place + (f" line {finding.line}" if with_line and finding.line else "")


def audit_report(findings: list[Finding]) -> str:
    groups: dict[str, list] = {}
    for f in findings:
        key = finding_place(f) if f.path is not None else f"({finding_place(f)})"
        groups.setdefault(key, []).append(f)
    lines = []
    for where, group in groups.items():
        lines.append(where)
        for f in group:
            at = f"line {f.line}" if f.line else ""
            lines.append(f"  {at:<9}{f.severity:<8}{f.id}: {f.message}")
            if f.fix:
                lines.append(f"  {'':<17}fix: {f.fix}" + (" [audit --fix]" if f.fixable else ""))
        lines.append("")
    return "\n".join(lines).rstrip("\n")


# --------------------------------------------------------------------------- doctor


_SOURCES = {  # (a value from the environment is named by _source itself)
    "url": "from the credentials in TWINE_REPOSITORY_URL",
    "builtin": "built into twine", "forced": "forced by twine for PyPI URLs", "keyring": "from the keyring",
    "trusted-publishing": "none: twine would try Trusted Publishing (CI only), then prompt",
    "prompt": "none: twine would prompt (or fail with --non-interactive)",
}


_ENV_NAMES = {"url": "TWINE_REPOSITORY_URL", "username": "TWINE_USERNAME", "password": "TWINE_PASSWORD"}


def _source(value, what: str) -> str:
    if value.source == "pypirc":
        return f"from .pypirc [{value.section}] line {value.line}"
    if value.source == "env":
        return f"from {_ENV_NAMES[what]}"
    return _SOURCES.get(value.source, value.source)


def diagnosis_text(d: Diagnosis) -> str:
    lines = [d.name]
    if d.error:
        lines.append(f"  twine:     error: {d.error}")
    else:
        lines.append(f"  url:       {d.url.value}  ({_source(d.url, 'url')})")
        lines.append(f"  username:  {d.username.value or '-'}  ({_source(d.username, 'username')})")
        pw = d.password
        what = "empty" if pw.empty else (f"fingerprint {pw.fingerprint}" if pw.fingerprint else "-")
        lines.append(f"  password:  {what}  ({_source(pw, 'password')})")
    if d.held:
        h = d.held
        lines.append(f"  pypicreds: {h.url} as {h.username}, {h.store} store, fingerprint {h.fingerprint}")
    else:
        lines.append("  pypicreds: holds no token for it")
    lines += [f"  differs:   {text}" for text in d.differences]
    lines += [f"  note:      {text}" for text in d.notes]
    if d.held and not d.differences:
        lines.append("  ok:        twine uses the token pypicreds holds")
    return "\n".join(lines)
