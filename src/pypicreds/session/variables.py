"""The variables that hand a stored token to a publisher, for `env` and `exec` (`--for`).

Each publisher's names are checked against its source (docs/publishers/*.md has them with the
versions): twine, uv publish, hatch publish, pdm publish, flit publish, poetry publish. On
`pypicreds env`'s path: standard library only, and nothing imported that env does not use.
"""

from __future__ import annotations

from ..errors import PypicredsError, UsageError
from ..reveal import reveal_entry
from ..store.index import Entry, Index

PUBLISHERS = ("twine", "uv", "hatch", "pdm", "flit", "poetry")
CHOICES = (*PUBLISHERS, "all")
TOKEN_USERNAME = "__token__"
PUBLISHER_VARIABLE = "PYPICREDS_PUBLISHER"  # in `env --shell json` output: whose variables these are
TWINE_VARIABLES = ("TWINE_USERNAME", "TWINE_PASSWORD", "TWINE_REPOSITORY_URL")
# Every name --unset clears, per publisher; poetry's depend on the repository name (poetry_names).
FIXED_NAMES = {
    "twine": TWINE_VARIABLES,
    "uv": ("UV_PUBLISH_URL", "UV_PUBLISH_TOKEN", "UV_PUBLISH_USERNAME", "UV_PUBLISH_PASSWORD"),
    "hatch": ("HATCH_INDEX_USER", "HATCH_INDEX_AUTH", "HATCH_INDEX_REPO"),
    "pdm": ("PDM_PUBLISH_USERNAME", "PDM_PUBLISH_PASSWORD", "PDM_PUBLISH_REPO"),
    "flit": ("FLIT_USERNAME", "FLIT_PASSWORD", "FLIT_INDEX_URL"),
}
_POETRY_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ_")


class Handover:
    """What `env` prints and `exec` sets: the variables, the entry whose token they carry, and
    notes for stderr (which token was used). A plain class: this is `env`'s path."""

    __slots__ = ("publisher", "variables", "entry", "notes")

    def __init__(self, publisher: str, variables: dict[str, str], entry: Entry, notes: list[str]) -> None:
        self.publisher, self.variables, self.entry, self.notes = publisher, variables, entry, notes


def check_publisher(publisher: str, choices: tuple[str, ...] = CHOICES) -> str:
    """`--for`'s value, if it is one of `choices` (doctor takes no `all`); `--for=` included, a
    UsageError naming them."""
    if publisher not in choices:
        message = f"unknown publisher {publisher[:40]!r}" if publisher else "--for needs a value"
        raise UsageError(message, hint=f"use --for with one of: {', '.join(choices)}")
    return publisher


def handover(name: str, project: str | None = None, ttl: int | None = None, publisher: str = "twine") -> Handover:
    """The variables `publisher` reads, with the token from its store.

    With `ttl` (seconds), the publisher gets a token derived from the stored one that expires
    then (and, with `project`, only uploads to that project); the stored token is unchanged.
    `--project P --ttl T` with no token of P's own derives it from the repository's token.
    May prompt on the terminal for the vault's passphrase (never on stdout)."""
    check_publisher(publisher)
    index = Index.reading()  # one entry wanted: parse only its lines
    entry, notes = entry_for(index, name, project, ttl)
    token = reveal_entry(entry, index)
    if ttl is not None:
        token = short_lived(token, ttl, entry.project or project)
    return Handover(publisher, variables_for(entry, token, publisher), entry, notes)


def entry_for(index: Index, name: str, project: str | None, ttl: int | None) -> tuple[Entry, list[str]]:
    """(the entry whose token `--project` asks for, notes): the project's own token, else with
    `ttl` the repository's token, to be derived for the project (env, exec and upload alike)."""
    if project is None:
        return index.get(name), []
    own = index.find(name, project)
    if own is not None:
        return own, []
    default = index.find(name, None)
    if default is None:
        return index.get(name, project), []  # the usual "no token stored" error
    from ..tokens import normalize_project

    wanted = normalize_project(project)
    if ttl is None:
        raise PypicredsError(
            f"no token stored for {name} (project {wanted})",
            hint=f"store one with `pypicreds add {name} --project {wanted}`, or add --ttl (e.g. --ttl 15m) "
            f"to hand over {name}'s own token restricted to {wanted} and expiring then",
        )
    return default, [f"{name} has no token of its own for {wanted}: handing over {name}'s token "
                     f"(fingerprint {default.fingerprint}) restricted to {wanted}, expiring after the --ttl"]


def variables_for(entry: Entry, token: str, publisher: str = "twine") -> dict[str, str]:
    """The variables `publisher` reads for `entry`'s URL and username, with `token`."""
    if publisher == "all":
        merged: dict[str, str] = {}
        for one in PUBLISHERS:
            try:
                merged.update(variables_for(entry, token, one))
            except UsageError:  # poetry cannot take this name from the environment: the rest can
                continue
        return merged
    url, user, is_token = entry.url, entry.username, entry.username == TOKEN_USERNAME
    if publisher == "twine":
        return {"TWINE_USERNAME": user, "TWINE_PASSWORD": token, "TWINE_REPOSITORY_URL": url}
    if publisher == "uv":  # uv publish: a token alone, or a username and a password
        if is_token:
            return {"UV_PUBLISH_URL": url, "UV_PUBLISH_TOKEN": token}
        return {"UV_PUBLISH_URL": url, "UV_PUBLISH_USERNAME": user, "UV_PUBLISH_PASSWORD": token}
    if publisher == "hatch":
        return {"HATCH_INDEX_USER": user, "HATCH_INDEX_AUTH": token, "HATCH_INDEX_REPO": url}
    if publisher == "pdm":
        return {"PDM_PUBLISH_USERNAME": user, "PDM_PUBLISH_PASSWORD": token, "PDM_PUBLISH_REPO": url}
    if publisher == "flit":
        return {"FLIT_USERNAME": user, "FLIT_PASSWORD": token, "FLIT_INDEX_URL": url}
    if publisher == "poetry":
        key = poetry_key(entry.name)
        values = {} if entry.name == "pypi" else {f"POETRY_REPOSITORIES_{key}_URL": url}
        if is_token:
            values[f"POETRY_PYPI_TOKEN_{key}"] = token
        else:
            values.update({f"POETRY_HTTP_BASIC_{key}_USERNAME": user, f"POETRY_HTTP_BASIC_{key}_PASSWORD": token})
        return values
    raise check_publisher(publisher)  # (never reached: an unknown name raises there)


def poetry_key(name: str) -> str:
    """NAME in poetry's POETRY_*_<NAME>_* variables: upper case, `-` and `.` as `_`.

    poetry finds a repository in the environment only through POETRY_REPOSITORIES_<NAME>_URL
    with NAME of A-Z and `_` (its own pattern), and calls it NAME in lower case, `_` as `-`."""
    key = name.upper().replace("-", "_").replace(".", "_")
    if name != "pypi" and not set(key) <= _POETRY_LETTERS:
        raise UsageError(
            f"poetry cannot take the repository {name!r} from the environment: "
            "it reads POETRY_REPOSITORIES_<NAME>_URL only for names of letters, '-', '_' and '.'",
            hint="store the token under a name without digits too, e.g. `pypicreds add myindex --url URL`",
        )
    return key


def poetry_repository(name: str) -> str:
    """The name poetry gives the repository set by these variables (`poetry publish -r NAME`)."""
    return poetry_key(name).lower().replace("_", "-")


def names_to_unset(publisher: str, name: str | None) -> tuple[list[str], list[str]]:
    """(variable names `--unset` clears, notes). poetry's names need the repository name."""
    check_publisher(publisher)
    chosen = PUBLISHERS if publisher == "all" else (publisher,)
    names: list[str] = []
    notes: list[str] = []
    for one in chosen:
        if one != "poetry":
            names.extend(FIXED_NAMES[one])
        elif name is not None and (publisher == "poetry" or set(name.upper()) <= _POETRY_LETTERS | set("-.")):
            key = poetry_key(name)
            names.extend([f"POETRY_REPOSITORIES_{key}_URL", f"POETRY_PYPI_TOKEN_{key}",
                          f"POETRY_HTTP_BASIC_{key}_USERNAME", f"POETRY_HTTP_BASIC_{key}_PASSWORD"])
        elif name is None and publisher == "poetry":
            raise UsageError("poetry's variables carry the repository name", hint="pypicreds env NAME --unset --for poetry")
        elif name is None:
            notes.append("poetry's variables carry the repository name: `pypicreds env NAME --unset --for poetry` clears them")
        # (else a name poetry cannot read from the environment: `--for all` set none of its variables)
    return names, notes


def short_lived(token: str, ttl: int, project: str | None) -> str:
    """A token derived offline that dies after `ttl` seconds (see tokens.derive)."""
    from .. import redact, tokens

    if not token.startswith(tokens.PREFIX):
        raise UsageError("--ttl works only with PyPI API tokens (pypi-...), not with a password")
    return redact.remember(tokens.derive(token, ttl_seconds=ttl, project=project))
