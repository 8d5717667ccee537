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


def checked_project(value: str | None) -> str | None:
    """`--project`'s value as given, once it is a valid project name (an empty one is not)."""
    if value is not None:
        from ..tokens import checked_project as check

        check(value)
    return value


def env(name: str | None, shell: str | None, unset: bool, project: str | None, ttl: str | None,
        publisher: str | None = None) -> None:
    from ..session import shells, variables

    # `is None`, not `or`: `--shell=` and `--for=` are mistakes, not the defaults
    syntax = shells.check_shell(shells.default_shell() if shell is None else shell)
    chosen = variables.check_publisher("twine" if publisher is None else publisher)
    checked_project(project)
    # what the hints repeat: --for (that publisher's variables), and poetry's names need NAME
    option = "" if chosen == "twine" else f" --for {chosen}"
    again = f"--unset{option}" if chosen not in ("poetry", "all") else f"{name or 'NAME'} --unset{option}"
    if shell is None and (hint := shells.detect_shell_hint(args=again if unset else f"{name or 'NAME'}{option}")):
        output.note(hint)
    if unset:
        names, notes = variables.names_to_unset(chosen, name)
        if syntax == "json":
            names.append(variables.PUBLISHER_VARIABLE)
        output.data(shells.render_unset(names, syntax))
        for line in notes:
            output.note(line)
        return
    if name is None:
        from ..errors import UsageError

        raise UsageError("missing the repository name", hint="pypicreds env testpypi")
    given = variables.handover(name, project, ttl_seconds(ttl), chosen)  # a prompt goes to the terminal
    values = given.variables
    from ..session import ci

    ci.announce(ci.handed_out(values))  # stderr: stdout is for the shell to evaluate
    if syntax == "json":  # names the publisher, as a variable: the object stays a plain environment
        values = {**values, variables.PUBLISHER_VARIABLE: chosen}
    output.data(shells.render_set(values, syntax))
    for line in given.notes:
        output.note(line)
    how = _publisher_note(given)
    if syntax in ("dotenv", "json"):
        if how:
            output.note(how)
        return
    output.note((f"{how}; " if how else "") + f"clear the variables with `{shells.evaluate_command(syntax, again)}`")


def _publisher_note(given) -> str:
    """What to run (or not run) while the variables are set."""
    if given.publisher == "poetry":
        from ..session.variables import poetry_repository

        name = given.entry.name
        return "publish with `poetry publish" + ("" if name == "pypi" else f" -r {poetry_repository(name)}") + "`"
    if given.publisher == "all":  # a name poetry cannot read from the environment: say its variables are missing
        from ..errors import UsageError
        from ..session.variables import poetry_key

        try:
            poetry_key(given.entry.name)
        except UsageError as error:
            return f"while TWINE_REPOSITORY_URL is set, twine ignores -r; none for poetry: {error.message} ({error.hint})"
    return {
        "twine": "while TWINE_REPOSITORY_URL is set, twine ignores -r",
        "all": "while TWINE_REPOSITORY_URL is set, twine ignores -r",
        "flit": "while FLIT_INDEX_URL is set, run `flit publish` without --repository",
    }.get(given.publisher, "")


def exec_(name: str, command: list[str], project: str | None, ttl: str | None, publisher: str | None = None,
          mask: bool = False, no_mask: bool = False) -> int:
    """Returns only by raising, or (masking) with the child's exit status."""
    from ..recovery import repair_if_needed
    from ..session import ci
    from ..session.execute import exec_command, prepare

    masking = ci.masking_wanted(mask, no_mask)
    if publisher is not None:  # before the command is looked up: the usage error first
        from ..session.variables import check_publisher

        check_publisher(publisher)
    checked_project(project)
    if repair_if_needed():
        output.repairs()  # exec replaces this process: say it now
    program, given = prepare(name, command, project, ttl_seconds(ttl), publisher)
    for line in given.notes:
        output.note(line)
    return exit_status(exec_command(program, command, name, given, mask=masking,
                                    before_exec=output.repairs))  # (what was found since, before exec)


# Signals whose default action only ends the process: dying of the same one tells our parent
# (a shell stops a script on SIGINT) what happened to the child. The others would dump core,
# and a core of pypicreds holds tokens: for those, the shell's 128+N.
RERAISED = ("SIGHUP", "SIGINT", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGUSR1", "SIGUSR2", "SIGKILL")


def exit_status(returncode: int) -> int:
    """The child's exit code; for a child killed by a signal, the same death (else 128+N)."""
    if returncode >= 0:
        return returncode
    import signal

    number = -returncode
    if number in {getattr(signal, name) for name in RERAISED}:
        import os

        output.flush_streams()
        signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [number])
        os.kill(os.getpid(), number)
    return 128 + number


def upload(name: str, files: list[str], skip_check: bool, project: str | None, ttl: str | None,
           twine_options: list[str], verbose: bool = False) -> None:
    """Returns only by raising: twine takes this process over. `verbose`: twine's own --verbose,
    which its error messages tell people to retry with."""
    from ..recovery import repair_if_needed
    from ..session import upload as uploading

    checked_project(project)
    if repair_if_needed():
        output.repairs()  # before twine check's output
    if verbose:
        twine_options = ["--verbose", *twine_options]
    uploading.upload(name, files, skip_check=skip_check, twine_options=twine_options, project=project,
                     ttl=ttl_seconds(ttl), warn=output.note, before_upload=output.repairs)  # before twine takes over


def list_(json_: bool) -> None:
    from ..recovery import repair_if_needed
    from ..store.index import Index
    from . import render

    repair_if_needed()
    entries = Index.load().entries
    if json_:
        output.as_json([render.entry_json(e) for e in entries])
    elif entries:
        output.lines(render.entries_table(entries))
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
