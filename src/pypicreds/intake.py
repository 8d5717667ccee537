"""What add and rotate accept: a token as pasted or piped (one pair of quotes around a PyPI
token taken off, then checked), what it says about itself, and whether it fits the repository
and project it is being stored for. A token known not to fit is refused unless forced.

Returns facts for the index and notes for stderr: never the token, in either."""

from __future__ import annotations

from . import redact, repositories, tokens
from .errors import PypicredsError, TokenFormatError


def pasted_token(token: str, *, pypi_like: bool) -> tuple[str, list[str]]:
    """A token as typed or piped in, checked (tokens.check_token_text) once one pair of quotes
    around a PyPI token is taken off; and a note when they were."""
    token, unquoted = tokens.unquote(token)
    token = redact.remember(tokens.check_token_text(token, pypi_like=pypi_like))
    return token, ["took off the quotes around the token (they are not part of it)"] if unquoted else []


FORCE_HINT = "or pass --force to store it anyway"


def read_token_facts(token: str, url: str, project: str | None, *, force: bool = False) -> tuple[dict, list[str]]:
    """What the token says about itself (for the index: never the token), and notes.

    Refuses an expired token, and one it knows is wrong for `url` and `project` (unreadable,
    from the other index, scoped to other projects) unless `force`, which makes those warnings."""
    if not token.startswith(tokens.PREFIX):
        return {}, []
    expected = repositories.token_host(url)
    try:
        info = tokens.inspect(token)
    except TokenFormatError as e:
        if expected is None:
            return {}, []  # a private index's password may merely look like a token
        return {}, _wrong(force, f"this token cannot be read: {e.message} (truncated?)",
                          f"copy the whole token again from https://{expected}/manage/account/token/, {FORCE_HINT}")
    if tokens.is_expired(info):
        raise PypicredsError(
            f"this token expired at {tokens.iso(info.expires)}",
            hint="create a new token on the index and use that",
        )
    facts = {k: v for k, v in info.to_json().items() if k != "caveats"}
    notes = []
    if expected and info.host != expected:
        named = [name for name, builtin in repositories.BUILTIN_URLS.items()
                 if repositories.token_host(builtin) == info.host]
        elsewhere = f"store it as `{named[0]}`" if named else f"use a token from {expected}"
        notes += _wrong(force, f"this token was issued by {info.host}, but {url} belongs to {expected}, "
                        "which will refuse it", f"{elsewhere}, {FORCE_HINT}")
    if info.scope == tokens.SCOPE_PROJECT and info.projects is not None:
        scoped = ", ".join(info.projects) or "(none)"
        if project and tokens.covers(info, {project}):
            other = f"store it with --project {info.projects[0]}, " if info.projects else ""
            notes += _wrong(force, f"this token is scoped to {scoped}, not {project}: uploads of {project} "
                            "would be refused", f"create a token for {project}, {other}{FORCE_HINT}")
        notes.append(f"token scope: projects {scoped}")
    elif info.scope == tokens.SCOPE_PROJECT:
        notes.append("token scope: projects by id " + ", ".join(info.project_ids or []))
    elif info.scope == tokens.SCOPE_TRUSTED_PUBLISHER:
        notes.append("token scope: a Trusted Publisher token")
    elif info.scope == tokens.SCOPE_UNRESTRICTED:
        notes.append("token scope: no embedded project restriction")
    if info.unknown:
        notes.append(f"warning: this token is restricted in a way pypicreds cannot read ({info.unknown} caveat(s) "
                     "of a kind newer than this pypicreds); PyPI may refuse uploads it does not allow")
    if tokens.not_yet_valid(info):
        notes.append(f"warning: this token is not valid until {facts['not_before']}")
    if info.expires:
        notes.append(f"token expires at {facts['expires']}")
    return facts, notes


def _wrong(force: bool, message: str, hint: str) -> list[str]:
    """A token known to be wrong: refused, or with --force a warning."""
    if not force:
        raise PypicredsError(message, hint=hint)
    return [f"warning: {message} (stored because of --force)"]
