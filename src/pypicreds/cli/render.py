"""Everything shown to people as text, and entries as JSON objects: the one place that knows
what the output looks like. Takes data, returns text; printing is output.py's.

Values that came from elsewhere (a token's host, id, caveats and project names, a file name,
a .pypirc value) go through `inert`: one line, every character a terminal would act on
escaped, so none can forge a line or send an escape sequence."""

from __future__ import annotations

from ..paths import shown
from ..store.index import Entry
from .output import one_line

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..checks.doctor import Diagnosis
    from ..checks.findings import Finding

def inert(value: object) -> str:
    """`value` as one printable line (control characters, bidi overrides, undecodable bytes escaped)."""
    text = value if type(value) is str else str(value)
    return text if text.isprintable() else one_line(text)


TOKEN_INFO_KEYS = ("scope", "projects", "project_ids", "expires", "not_before", "unknown_caveats", "token_id", "host")


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


SCOPE_WORDS = {"unrestricted": "no embedded project restriction", "trusted-publisher": "Trusted Publisher",
               "unknown": "restricted in a way pypicreds cannot read"}


def scope_text(info: dict) -> str:
    """A token's scope in words. What a token does not embed, PyPI may still enforce."""
    scope = info.get("scope")
    if scope == "project":
        text = "projects: " + ", ".join(inert(p) for p in info.get("projects") or info.get("project_ids") or [])
    else:
        text = SCOPE_WORDS.get(scope, "-")
    if info.get("unknown_caveats") and scope != "unknown":
        text += " (and restricted in a way pypicreds cannot read)"
    return text


def entries_table(entries: list[Entry]) -> Iterator[str]:
    """`list`'s table, line by line (each printable, ending in a newline): written as it is
    made, a thousand lines never sit in memory twice over (new memory is what `list` of a
    thousand spends most on)."""
    header = ("NAME", "URL", "USERNAME", "STORE", "TOKEN", "SCOPE", "EXPIRES", "ADDED", "ROTATED")
    rows = [
        (e.label, e.url, e.username, e.store + (" +pypirc" if e.plaintext else ""), e.masked,
         scope_text(e.token_info), e.token_info.get("expires") or "-", e.added[:10], (e.rotated or "-")[:10])
        for e in entries
    ]
    # (one test a column, escaping cell by cell only in a row that holds something to escape;
    # one format a row, not a ljust a cell)
    columns = list(zip(header, *rows))
    if not all("".join(column).isprintable() for column in columns):
        rows = [row if "".join(row).isprintable() else tuple(inert(cell) for cell in row) for row in rows]
        columns = list(zip(header, *rows))
    # the last column unpadded: nothing to strip (ROTATED is a date or "-", never blank); `%`
    # pads a row in half the time of str.format
    layout = "".join(f"%-{max(map(len, column)) + 2}s" for column in columns[:-1]) + "%s\n"
    return map(layout.__mod__, [header, *rows])


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
    """A value as people read it: yes/no, `-` for nothing, a list as words (JSON keeps the types),
    and nothing a terminal would act on."""
    if value is None or value == []:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return inert(", ".join(str(v) for v in value))
    return inert(value)


def _not_before(facts: dict) -> str:
    moment = facts.get("not_before")
    if moment is None:
        return "-"
    from datetime import datetime, timezone

    start = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return f"{moment} (not valid until then)" if start > datetime.now(timezone.utc) else moment


def token_text(facts: dict) -> str:
    lines = [
        f"host        {inert(facts['host'])}",
        f"token id    {inert(facts['token_id'])}",
        f"scope       {scope_text(facts)}",
        f"projects    {inert(', '.join(facts['projects'])) if facts['projects'] is not None else '-'}",
        f"project ids {inert(', '.join(facts['project_ids'])) if facts['project_ids'] is not None else '-'}",
        f"expires     {facts['expires'] or 'never (no expiry caveat)'}",
        f"not before  {_not_before(facts)}",
        f"caveats     {len(facts['caveats'])}",
    ]
    for number, caveat in enumerate(facts["caveats"], start=1):
        legacy = " (legacy)" if caveat.get("legacy") else ""
        what = "a restriction pypicreds cannot read" if caveat["kind"] == "unknown" else caveat["kind"]
        lines.append(f"  {number}. {what}{legacy}: {inert(caveat['raw'])}")
    lines.append("(what a token does not embed, PyPI may still enforce: the owner's role, the project's settings)")
    return "\n".join(lines)


# --------------------------------------------------------------------------- audit


def scan_hit(hit) -> str:
    """One token found by scan, on one line."""
    text = f"{inert(hit.path)}:{hit.line}: PyPI token for {inert(hit.host)}, id {inert(hit.token_id)}, "
    text += scope_text({"scope": hit.scope, "projects": hit.projects, "unknown_caveats": hit.unknown_caveats})
    return text + (f", expires {hit.expires}" if hit.expires else "")


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
        lines.append(inert(where))
        for f in group:
            at = f"line {f.line}" if f.line else ""
            lines.append(f"  {at:<9}{f.severity:<8}{f.id}: {inert(f.message)}")
            if f.fix:
                lines.append(f"  {'':<17}fix: {inert(f.fix)}" + (" [audit --fix]" if f.fixable else ""))
        lines.append("")
    return "\n".join(lines).rstrip("\n")


# --------------------------------------------------------------------------- doctor


_SOURCES = {  # (a value from the environment is named by _source itself)
    "url": "from the credentials in TWINE_REPOSITORY_URL", "command": "given on its command line",
    "builtin": "built into twine", "forced": "forced by twine for PyPI URLs", "keyring": "from the keyring",
    "trusted-publishing": "none: twine would try Trusted Publishing (CI only), then prompt",
    "prompt": "none: twine would prompt (or fail with --non-interactive)",
}


_ENV_NAMES = {"url": "TWINE_REPOSITORY_URL", "username": "TWINE_USERNAME", "password": "TWINE_PASSWORD"}


def _source(value, what: str, publisher: str = "twine") -> str:
    if value.source == "pypirc":
        return f"from .pypirc [{value.section}] line {value.line}" if value.line else "from .pypirc"
    if value.source == "env":
        return f"from {value.variable or _ENV_NAMES[what]}"
    if value.source == "keyring" and value.vault:
        return "from the keyring: pypicreds' vault, through its keyring backend"
    text = _SOURCES.get(value.source, value.source)
    return text if publisher == "twine" else text.replace("twine", publisher).replace(" for PyPI URLs", "")


def diagnosis_text(d: Diagnosis) -> str:
    lines = [inert(d.name) if d.publisher == "twine" else f"{inert(d.name)} (for {d.publisher})"]
    if d.error:
        lines.append(f"  {d.publisher + ':':<10} error: {inert(d.error)}")
    else:
        from ..repositories import shown_url

        lines.append(f"  url:       {inert(shown_url(d.url.value or '-'))}  ({_source(d.url, 'url', d.publisher)})")
        lines.append(f"  username:  {inert(d.username.value or '-')}  ({_source(d.username, 'username', d.publisher)})")
        pw = d.password
        what = "empty" if pw.empty else (f"fingerprint {pw.fingerprint}" if pw.fingerprint else "-")
        lines.append(f"  password:  {what}  ({_source(pw, 'password', d.publisher)})")
    if d.held:
        h = d.held
        lines.append(f"  pypicreds: {h.url} as {h.username}, {h.store} store, fingerprint {h.fingerprint}")
    else:
        lines.append("  pypicreds: holds no token for it")
    lines += [f"  differs:   {inert(text)}" for text in d.differences]
    lines += [f"  note:      {inert(text)}" for text in d.notes]
    if d.backend is not None:
        lines.append(f"  backend:   pypicreds' keyring backend: {inert(d.backend[1])}")
    if d.held and not d.differences:
        lines.append(f"  ok:        {d.publisher} uses the token pypicreds holds")
    return "\n".join(lines)
