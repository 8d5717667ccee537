"""Entries as JSON objects and as text for people."""

from __future__ import annotations

from ..index import Entry

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
    width = max(len(k) for k in data)
    return "\n".join(f"{k.ljust(width)}  {'-' if v is None else v}" for k, v in data.items())


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
