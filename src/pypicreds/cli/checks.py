"""audit, import, scan and doctor: find weak spots, move plaintext tokens, explain twine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import complete, output
from .app import JsonOpt, PypircOpt, app


@app.command()
def audit(
    pypirc: PypircOpt = None,
    json_: JsonOpt = False,
    fix: Annotated[bool, typer.Option("--fix", help="Repair what is safe to repair and report each change.")] = False,
    max_age: Annotated[int, typer.Option("--max-age", min=0, metavar="DAYS",
                                         help="Report tokens added or rotated longer ago than this.")] = 365,
) -> None:
    """Find weak spots in .pypirc, the environment, the stores and pypicreds' files; exit 1 on a warning or error.

    Example: pypicreds audit --fix
    """
    from .. import audit as auditing
    from ..retrieve import repair_if_needed

    repair_if_needed()  # a killed command's half-done change first: the findings describe the result
    findings = auditing.run(pypirc=pypirc, max_age_days=max_age)
    if fix:
        from .. import audit_fix

        changes = audit_fix.apply(findings, pypirc=pypirc)
        for change in changes:
            output.note(f"fixed: {change}")
        for finding in findings:
            if finding.fixable and finding.fixed is False:
                output.note(f"could not fix {finding.id} ({_where(finding)}): {finding.change}")
        if not changes:
            output.note("nothing to fix" if not any(f.fixable for f in findings) else "nothing changed")
    if json_:
        output.as_json([f.to_json() for f in findings])
    else:
        shown = [f for f in findings if not f.fixed]
        if shown:
            output.data(_report(shown))
        counts = {s: sum(1 for f in shown if f.severity == s) for s in auditing.SEVERITIES}
        fixed = sum(1 for f in findings if f.fixed)
        summary = ", ".join(f"{n} {s}{'s' if n != 1 and s != 'info' else ''}" for s, n in counts.items())
        output.note(f"{summary}" + (f"; {fixed} fixed" if fix else ""))
    raise typer.Exit(1 if auditing.has_problems(findings) else 0)


def _place(finding) -> str:
    """Where a finding is: its file as the user knows it, else the environment or the keyring."""
    from ..audit import shown

    if finding.path is None:
        return "environment" if finding.id == "twine-env-set" else "keyring"
    return shown(finding.path)


def _where(finding) -> str:
    at_line = finding.path is not None and finding.line
    return _place(finding) + (f" line {finding.line}" if at_line else "")


def _report(findings) -> str:
    groups: dict[str, list] = {}
    for f in findings:
        key = _place(f) if f.path is not None else f"({_place(f)})"
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


@app.command("import")
def import_(
    pypirc: PypircOpt = None,
    store: Annotated[Optional[str], typer.Option(
        help="keyring or file [default: $PYPICREDS_STORE, else keyring if usable (and not plaintext), else file].",
        show_default=False, autocompletion=complete.complete_store)] = None,
) -> None:
    """Move every plaintext password in .pypirc into the store; only its `password =` line leaves the file.

    Example: pypicreds import --store file
    """
    from .. import migrate
    from ..audit import shown

    report = migrate.import_tokens(pypirc=pypirc, store=store)
    for note in report.notes:
        output.note(note)
    for moved in report.moved:
        output.note(f"moved the password of [{moved.name}] (line {moved.line}) {moved.note} "
                    f"(fingerprint {moved.fingerprint})")
    for kept in report.kept:
        output.note(f"kept the password of [{kept.name}] (line {kept.line}) in {shown(report.path)}: {kept.reason}")
    if not report.moved and not report.kept:
        output.note(f"no plaintext passwords in {shown(report.path)}")
    elif report.moved:
        output.note(f"removed {len(report.moved)} `password =` line(s) from {shown(report.path)}; "
                    "rotate tokens that sat in plaintext (`pypicreds rotate NAME`)")
    raise typer.Exit(1 if report.kept else 0)


@app.command()
def scan(
    paths: Annotated[Optional[list[Path]], typer.Argument(
        help="Files and directories [default: .].", show_default=False)] = None,
    json_: JsonOpt = False,
) -> None:
    """Find PyPI tokens in files (never printing them); exit 1 when one is found.

    Example: pypicreds scan . ~/.bash_history ci-log.txt
    """
    from .. import scan as scanning
    from .render import scope_text

    result = scanning.scan(paths or [])  # scan's default: the current directory
    for problem in result.unreadable:
        output.note(f"cannot read {problem}")
    if json_:
        output.as_json([hit.to_json() for hit in result.hits])
    else:
        for hit in result.hits:
            scope = scope_text({"scope": hit.scope, "projects": hit.projects})
            output.data(f"{hit.path}:{hit.line}: PyPI token for {hit.host}, id {hit.token_id}, {scope}"
                        + (f", expires {hit.expires}" if hit.expires else ""))
    output.note(f"{len(result.hits)} token(s) in {result.files} file(s) read"
                + (f" ({result.skipped_binary} binary skipped)" if result.skipped_binary else ""))
    if result.hits:
        output.note("revoke each token on its index (https://pypi.org/manage/account/token/), then remove it")
    raise typer.Exit(1 if result.hits else 0)


@app.command()
def doctor(
    name: Annotated[Optional[str], typer.Argument(help="Only this repository.", show_default=False,
                                                  autocompletion=complete.complete_repository)] = None,
    pypirc: PypircOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show where twine would take the URL, username and password from right now, and what differs from pypicreds.

    Example: pypicreds doctor pypi
    """
    from .. import doctor as doctoring

    results = doctoring.diagnose(name, pypirc=pypirc)
    if json_:
        output.as_json([d.to_json() for d in results])
    else:
        output.data("\n\n".join(_diagnosis_text(d) for d in results))
    raise typer.Exit(0 if all(d.ok for d in results) else 1)


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


def _diagnosis_text(d) -> str:
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
        lines.append(f"  pypicreds: {h['url']} as {h['username']}, {h['store']} store, fingerprint {h['fingerprint']}")
    else:
        lines.append("  pypicreds: holds no token for it")
    lines += [f"  differs:   {text}" for text in d.differences]
    lines += [f"  note:      {text}" for text in d.notes]
    if d.held and not d.differences:
        lines.append("  ok:        twine uses the token pypicreds holds")
    return "\n".join(lines)
