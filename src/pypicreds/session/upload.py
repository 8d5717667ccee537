"""`pypicreds upload`: what pypicreds checks and reads before twine runs (the files, the token,
its expiry and scope), then `twine check` and `twine upload` with the credentials in twine's
environment only, never in an argv (argv is visible to every user through ps). Where twine runs,
in this process or in one of its own, is twine_process.py."""

from __future__ import annotations

import os
import sys

from .. import tokens
from ..errors import PypicredsError, TokenFormatError, UsageError
from ..reveal import reveal_entry
from ..store.index import Entry, Index
from . import ci, distmeta, twine_process
from .execute import child_environ
from .variables import entry_for, short_lived, variables_for

# twine's own options that pypicreds sets itself: passing them too would send the stored token
# to another URL, or put a password in argv.
OWN_OPTIONS = ("-r", "--repository", "--repository-url", "-u", "--username", "-p", "--password")
# Options of `twine` itself, which must come before the subcommand (`twine --no-color upload`).
GLOBAL_OPTIONS = ("--no-color",)


def find_files(patterns: list[str]) -> list[str]:
    """FILES as given, or dist/*, each expanded like the shell would; each must match a file."""
    patterns = patterns or ["dist/*"]
    files: list[str] = []
    for pattern in patterns:
        if os.path.isfile(pattern):  # a literal name, even one with [ or * in it
            matches = [pattern]
        else:
            import glob  # only for patterns: the shell has usually expanded them already

            matches = [m for m in sorted(glob.glob(pattern)) if os.path.isfile(m)]
        if not matches:
            raise PypicredsError(*_no_match(pattern))
        files.extend(m for m in matches if m not in files)
    return files


def _no_match(pattern: str) -> tuple[str, str]:
    import glob

    if os.path.isdir(pattern):
        return f"{pattern} is a directory", f"give the files in it, e.g. {pattern.rstrip('/')}/*"
    if glob.has_magic(pattern):
        return f"no files match {pattern}", "build them first, e.g. `python -m build`"
    return f"no such file: {pattern}", "check the path, or build the package first with `python -m build`"


def split_twine_options(options: list[str]) -> tuple[list[str], list[str]]:
    """(options for `twine` itself, options for `twine upload`); refuses the ones pypicreds sets."""
    for option in options:
        flag = option.split("=", 1)[0]
        if flag.startswith("--"):
            # argparse takes any unambiguous prefix: --repository-u is --repository-url
            own = len(flag) >= 3 and any(name.startswith(flag) for name in OWN_OPTIONS if name.startswith("--"))
            shown = flag
        else:
            # a cluster of short options (-vp X) is as good as -p X
            own = flag.startswith("-") and any(c in "rup" for c in flag[1:])
            shown = flag[:2] if own else flag
        if own:
            raise UsageError(
                f"twine option {shown} cannot be passed to `pypicreds upload`",
                hint="pypicreds sets the repository URL, username and password itself; "
                "use plain twine for another repository",
            )
    return [o for o in options if o in GLOBAL_OPTIONS], [o for o in options if o not in GLOBAL_OPTIONS]


def check_twine_installed() -> None:
    """twine is a dependency of pypicreds, but an environment can lose it."""
    if not _findable("twine"):
        raise PypicredsError(
            f"twine is not installed for {sys.executable}",
            hint="install it into pypicreds' environment: `python -m pip install twine`",
        )


def _findable(module: str) -> bool:
    """Whether `import module` would find it, without importing it: what importlib.util.find_spec
    does (every finder on sys.meta_path, so editable installs count too), without importing
    importlib.util and contextlib."""
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is not None and find_spec(module, None) is not None:
            return True
    return False


def upload(
    name: str,
    patterns: list[str],
    *,
    skip_check: bool = False,
    twine_options: list[str] | None = None,
    project: str | None = None,
    ttl: int | None = None,
    warn=None,
    before_upload=None,
) -> None:
    """`twine check`, then `twine upload` (twine_process: in this process or its own). Returns
    only by raising. `warn(text)` is called with each warning, and `before_upload()` just before
    twine uploads.

    Everything pypicreds can find wrong (unknown name, no files, bad options, no twine, a store
    that cannot give the token) fails before twine starts."""
    twine_process.no_core_files()  # before the token is read
    global_options, upload_options = split_twine_options(twine_options or [])
    index = Index.reading()  # one repository's entries: parse only their lines
    given: Entry | None = None
    if project is not None:  # as env and exec: no token of P's own, --ttl derives one for P
        given, notes = entry_for(index, name, project, ttl)  # an unknown name fails before any other work
        for note in notes if warn is not None else ():
            warn(note)
    elif not index.named(name):
        index.get(name)
    files = find_files(patterns)
    if os.environ.get("NO_COLOR") or not sys.stdout.isatty():
        # twine colours a pipe whenever TERM looks capable, NO_COLOR or not
        global_options = [*dict.fromkeys([*global_options, "--no-color"])]
        upload_options = [*dict.fromkeys([*upload_options, "--disable-progress-bar"])]
    check_twine_installed()
    projects = {distmeta.project_name(f) for f in files}
    entry = given or choose_entry(index, name, projects)
    token = reveal_entry(entry, index)  # a store problem fails before the check
    for warning in preflight(entry, token, projects):
        if warn is not None:
            warn(warning)
    if ttl is not None:
        token = short_lived(token, ttl, entry.project or project)
        if entry.project is None and project is not None:
            preflight(entry, token, projects)  # narrowed to the project: the files must be its own
    ci.announce([token], child_writes_stdout=True)  # before twine writes anything to the log
    variables = variables_for(entry, token)
    here = twine_process.can_run_here(token)
    if not skip_check and not twine_process.check([*global_options, "check", "--", *files], here):
        raise PypicredsError(  # the check needs no credentials
            "twine check failed, so nothing was uploaded",
            hint="fix the package metadata, or pass --skip-check",
        )
    env = {**child_environ(), **variables}
    del env["TWINE_REPOSITORY_URL"]  # given as --repository-url below (one obvious source)
    if before_upload is not None:
        before_upload()
    # ours last: with argparse the last occurrence of an option wins
    twine_process.upload([*global_options, "upload", "--non-interactive", *upload_options,
                          "--repository-url", entry.url, "--", *files], env, here)


def choose_entry(index: Index, name: str, projects: set[str]) -> Entry:
    """Without --project: the token stored for the one project the files hold; else the
    repository's default token."""
    if len(projects) == 1:
        (only,) = projects
        if (entry := index.find(name, only)) is not None:
            return entry
    default = index.find(name, None)
    if default is None:
        have = sorted(e.project for e in index.named(name) if e.project)
        raise PypicredsError(
            f"no token for {name} covers {', '.join(sorted(projects))}: {name} has tokens only for {', '.join(have)}",
            hint=f"add one with `pypicreds add {name} --project NAME`, or upload each project on its own",
        )
    return default


def preflight(entry: Entry, token: str, projects: set[str]) -> list[str]:
    """Before any request: the token must be valid now (not expired, not before its start) and
    its scope must cover every project in the files. Tokens without embedded caveats, or scoped
    in ways only the index can check (project ids, Trusted Publishing), pass; caveats pypicreds
    cannot read pass with a warning (returned)."""
    if not token.startswith(tokens.PREFIX):
        return []
    try:
        info = tokens.inspect(token)
    except TokenFormatError:
        return []  # add/rotate already warned; the index will judge it
    rotate = f"`pypicreds rotate {entry.name}" + (f" --project {entry.project}`" if entry.project else "`")
    if tokens.is_expired(info):
        raise PypicredsError(
            f"the token for {entry.label} expired at {tokens.iso(info.expires)}",
            hint=f"create a new one and run {rotate}",
        )
    if tokens.not_yet_valid(info):
        raise PypicredsError(
            f"the token for {entry.label} is not valid until {tokens.iso(info.not_before)}",
            hint=f"wait until then, or create a token valid now and run {rotate}",
        )
    warnings = []
    if info.unknown:
        warnings.append(f"warning: the token for {entry.label} is restricted in a way pypicreds cannot read; "
                        "the index may refuse the upload")
    if info.scope != tokens.SCOPE_PROJECT or info.projects is None:
        return warnings
    missing = tokens.covers(info, projects)
    if missing:
        raise PypicredsError(
            f"the token for {entry.label} is scoped to {', '.join(info.projects) or 'no project'}, "
            f"and the files also hold {', '.join(missing)}",
            hint=f"store a token for it with `pypicreds add {entry.name} --project {missing[0]}`, "
            "or upload those files separately",
        )
    return warnings
