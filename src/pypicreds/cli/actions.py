"""The bodies of the commands that run in every shell and script (env, list, add, exec,
upload), free of Typer.

commands/ declares these commands for Typer (help, completion, parsing of anything unusual);
main.py calls the same bodies directly for the common invocations (argv.py parses them)."""

from __future__ import annotations

from . import output


def ttl_seconds(value: str | None) -> int | None:
    if value is None:
        return None
    from ..tokens import parse_duration

    return parse_duration(value)


def env(name: str | None, shell: str | None, unset: bool, project: str | None, ttl: str | None) -> None:
    from ..session import shells, variables

    syntax = shells.check_shell(shell or shells.default_shell())
    if shell is None and (hint := shells.detect_shell_hint()):
        output.note(hint)
    if unset:
        output.data(shells.render_unset(list(variables.TWINE_VARIABLES), syntax))
        return
    if name is None:
        from ..errors import UsageError

        raise UsageError("missing the repository name", hint="pypicreds env testpypi")
    values = variables.twine_variables(name, project, ttl_seconds(ttl))  # a prompt goes to the terminal
    output.data(shells.render_set(values, syntax))
    if syntax in ("dotenv", "json"):
        output.note("while TWINE_REPOSITORY_URL is set, twine ignores -r")
        return
    clear = shells.evaluate_command(syntax, "--unset")
    output.note(f"while TWINE_REPOSITORY_URL is set, twine ignores -r; clear the variables with `{clear}`")


def exec_(name: str, command: list[str], project: str | None, ttl: str | None) -> None:
    from ..recovery import repair_if_needed
    from ..session.execute import exec_command

    if repair_if_needed():
        output.repairs()  # exec replaces this process: say it now
    exec_command(name, command, project, ttl_seconds(ttl))


def upload(name: str, files: list[str], skip_check: bool, project: str | None, ttl: str | None,
           twine_options: list[str], verbose: bool = False) -> None:
    """Returns only by raising: twine replaces this process. `verbose`: twine's own --verbose,
    which its error messages tell people to retry with."""
    from ..recovery import repair_if_needed
    from ..session import upload as uploading

    if repair_if_needed():
        output.repairs()  # twine replaces this process: say it now
    if verbose:
        twine_options = ["--verbose", *twine_options]
    uploading.upload(name, files, skip_check=skip_check, twine_options=twine_options,
                     project=project, ttl=ttl_seconds(ttl))


def list_(json_: bool) -> None:
    from ..recovery import repair_if_needed
    from ..store.index import Index
    from . import render

    repair_if_needed()
    entries = Index.load().entries
    if json_:
        output.as_json([render.entry_json(e) for e in entries])
    elif entries:
        output.data(render.entries_table(entries))
    else:
        output.note("no tokens stored yet; add one with `pypicreds add NAME`")


def add(
    name: str,
    *,
    url: str | None = None,
    username: str | None = None,
    store: str | None = None,
    plaintext: bool = False,
    no_pypirc: bool = False,
    token_stdin: bool = False,
    pypirc: str | None = None,
    project: str | None = None,
    force: bool = False,
) -> None:
    from pathlib import Path

    from .. import credentials
    from .tokeninput import read_token

    check_before_reading(name, url=url, username=username, store=store, project=project, plaintext=plaintext,
                         no_pypirc=no_pypirc)
    token = read_token(from_stdin=token_stdin, prompt=f"Token for {name}: ")
    outcome = credentials.add(
        name=name, token=token, url=url, username=username, store=store, plaintext=plaintext,
        pypirc=Path(pypirc) if pypirc else None, write_pypirc=not no_pypirc, project=project, force=force,
    )
    for line in outcome.notes:
        output.note(line)


def check_before_reading(name: str, *, url=None, username=None, store=None, project=None, plaintext=False,
                         no_pypirc=False) -> None:
    """Refuse a mistyped name or option before asking for the token: a wasted paste is a token
    left on the clipboard for nothing."""
    from .. import credentials
    from ..store import check_store_name

    if store is not None:
        check_store_name(store)
    credentials.repository_for_add(name, url, username, project, plaintext=plaintext, write_pypirc=not no_pypirc)
