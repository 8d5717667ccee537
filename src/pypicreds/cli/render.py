"""Entries as JSON objects and as text for people."""

from __future__ import annotations

from ..index import Entry

TOKEN_INFO_KEYS = ("scope", "projects", "expires", "token_id")


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


def entries_table(entries: list[Entry]) -> str:
    header = ("NAME", "URL", "USERNAME", "STORE", "TOKEN", "ADDED", "ROTATED")
    rows = [
        (e.label, e.url, e.username, e.store + (" +pypirc" if e.plaintext else ""), e.masked,
         e.added[:10], (e.rotated or "-")[:10])
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
