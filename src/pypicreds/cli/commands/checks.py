"""Declarations of audit, import, scan and doctor: find weak spots, move plaintext tokens,
explain twine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import complete, output, render
from ..options import JsonOpt, PublisherOpt, PypircOpt, ReadPypircOpt


def audit(
    pypirc: ReadPypircOpt = None,
    json_: JsonOpt = False,
    fix: Annotated[bool, typer.Option("--fix", help="Repair what is safe to repair and report each change.")] = False,
    include_plaintext: Annotated[bool, typer.Option(
        "--include-plaintext",
        help="With --fix: also move the plaintext tokens you chose with `add --plaintext` into the store.")] = False,
    max_age: Annotated[int, typer.Option("--max-age", min=0, metavar="DAYS",
                                         help="Report tokens added or rotated longer ago than this.")] = 365,
    project_dir: Annotated[Optional[Path], typer.Option(
        "--project-dir", metavar="DIR", show_default=False,
        help="Check this project's CI configuration (GitHub workflows, .gitlab-ci.yml) "
             "[default: the git work tree of the current directory].")] = None,
) -> None:
    """Find weak spots in .pypirc, the environment, the stores, pypicreds' files and the project's CI configuration; exit 1 on a warning or error.

    Example: pypicreds audit --project-dir ~/src/my-package
    """
    from ...checks import audit as auditing
    from ...checks.findings import SEVERITIES, has_problems
    from ...recovery import repair_if_needed

    if include_plaintext and not fix:
        from ...errors import UsageError

        raise UsageError("--include-plaintext goes with --fix", hint="pypicreds audit --fix --include-plaintext")
    repair_if_needed()  # a killed command's half-done change first: the findings describe the result
    findings = auditing.run(pypirc=pypirc, max_age_days=max_age, project_dir=project_dir)
    if fix:
        from ...checks import fix as fixing

        changes = fixing.apply(findings, pypirc=pypirc, include_plaintext=include_plaintext)
        for change in changes:
            output.note(f"fixed: {change}")
        for finding in findings:
            if finding.fixable and finding.fixed is False and finding.change:
                output.note(f"could not fix {finding.id} ({render.finding_place(finding, with_line=True)}): {finding.change}")
        if not changes:
            output.note("nothing to fix" if not any(f.fixable for f in findings) else "nothing changed")
        from ...plaintext_import import who_finds_moved

        moved = {f.remedy[1]["name"] for f in findings if f.fixed and f.remedy and f.remedy[0] == "import"}
        for line in who_finds_moved(moved) if moved else []:
            output.note(line)
    if json_:
        output.as_json([f.to_json() for f in findings])
    else:
        shown = [f for f in findings if not f.fixed]
        if shown:
            output.data(render.audit_report(shown))
        counts = {s: sum(1 for f in shown if f.severity == s) for s in SEVERITIES}
        fixed = sum(1 for f in findings if f.fixed)
        summary = ", ".join(f"{n} {s}{'s' if n != 1 and s != 'info' else ''}" for s, n in counts.items())
        output.note(f"{summary}" + (f"; {fixed} fixed" if fix else ""))
    raise typer.Exit(1 if has_problems(findings) else 0)


def import_(
    pypirc: PypircOpt = None,
    store: Annotated[Optional[str], typer.Option(
        metavar="STORE", help="keyring or file [default: $PYPICREDS_STORE, else keyring if usable (and not plaintext), else file].",
        show_default=False, autocompletion=complete.complete_store)] = None,
) -> None:
    """Move every plaintext password in .pypirc into the store; only its `password =` line leaves the file.

    Example: pypicreds import --store file
    """
    from ... import plaintext_import
    from ...paths import shown

    report = plaintext_import.import_tokens(pypirc=pypirc, store=store)
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
        output.note(f"removed {_count(len(report.moved), 'password line')} from {shown(report.path)}; "
                    "rotate tokens that sat in plaintext (`pypicreds rotate NAME`)")
    for line in report.reach:
        output.note(line)
    raise typer.Exit(1 if report.kept else 0)


def scan(
    paths: Annotated[Optional[list[Path]], typer.Argument(
        help="Files and directories [default: .].", show_default=False, metavar="PATH")] = None,
    json_: JsonOpt = False,
) -> None:
    """Find PyPI tokens in files (never printing them); exit 1 when one is found.

    Example: pypicreds scan . ~/.bash_history ci-log.txt
    """
    from ...checks import scan as scanning

    result = scanning.scan(paths or [])  # scan's default: the current directory
    for problem in result.unreadable:
        output.note(f"cannot read {problem}")
    if json_:
        output.as_json([hit.to_json() for hit in result.hits])
    else:
        for hit in result.hits:
            output.data(render.scan_hit(hit))
    read = _count(result.files, "file") + " read" + (f", {result.skipped_binary} binary skipped"
                                                      if result.skipped_binary else "")
    found = len({hit.path for hit in result.hits})  # files with tokens, apart from files read
    output.note(f"{_count(len(result.hits), 'token')} in {_count(found, 'file')} ({read})" if result.hits
                else f"no tokens ({read})")
    if result.hits:
        output.note("revoke each token on its index (https://pypi.org/manage/account/token/), then remove it")
    raise typer.Exit(1 if result.hits else 0)


def doctor(
    name: Annotated[Optional[str], typer.Argument(help="Only this repository.", show_default=False, metavar="NAME",
                                                  autocompletion=complete.complete_repository)] = None,
    pypirc: ReadPypircOpt = None,
    json_: JsonOpt = False,
    publisher: PublisherOpt = None,
) -> None:
    """Show where twine (or --for uv, hatch, pdm, flit, poetry) would take the URL, username and password from right now.

    Also what differs from pypicreds, and whether pypicreds' keyring backend is active.
    Example: pypicreds doctor pypi --for flit
    """
    from ...checks import doctor as doctoring

    results = doctoring.diagnose(name, pypirc=pypirc, publisher="twine" if publisher is None else publisher)
    if json_:
        output.as_json([d.to_json() for d in results])
    else:
        output.data("\n\n".join(render.diagnosis_text(d) for d in results))
    raise typer.Exit(0 if all(d.ok for d in results) else 1)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
