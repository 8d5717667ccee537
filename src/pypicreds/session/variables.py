"""The variables that hand a stored token to a publisher (twine), for `env` and `exec`."""

from __future__ import annotations

from ..errors import UsageError
from ..reveal import reveal_entry
from ..store.index import Entry, Index

TWINE_VARIABLES = ("TWINE_USERNAME", "TWINE_PASSWORD", "TWINE_REPOSITORY_URL")


def twine_variables(name: str, project: str | None = None, ttl: int | None = None) -> dict[str, str]:
    """The three variables twine reads, with the token from its store.

    With `ttl` (seconds), twine gets a token derived from the stored one that expires then
    (and, for a project token, only uploads to that project); the stored token is unchanged.
    May prompt on the terminal for the vault's passphrase (never on stdout)."""
    index = Index.load()
    entry = index.get(name, project)
    token = reveal_entry(entry, index)
    if ttl is not None:
        token = short_lived(token, ttl, entry.project)
    return variables_for(entry, token)


def variables_for(entry: Entry, token: str) -> dict[str, str]:
    return {
        "TWINE_USERNAME": entry.username,
        "TWINE_PASSWORD": token,
        "TWINE_REPOSITORY_URL": entry.url,
    }


def short_lived(token: str, ttl: int, project: str | None) -> str:
    """A token derived offline that dies after `ttl` seconds (see tokens.derive)."""
    from .. import redact, tokens

    if not token.startswith(tokens.PREFIX):
        raise UsageError("--ttl works only with PyPI API tokens (pypi-...), not with a password")
    return redact.remember(tokens.derive(token, ttl_seconds=ttl, project=project))
