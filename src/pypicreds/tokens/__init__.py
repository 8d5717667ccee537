"""PyPI tokens: text rules, masking, fingerprints, and deriving a narrower token (standard library only).

A PyPI API token is ``pypi-`` followed by a version 2 binary macaroon whose caveats are JSON
restrictions that PyPI enforces. The signature chains HMAC-SHA256 over the identifier and
then each caveat, so whoever holds a token can append caveats (`derive`) and nobody can
remove one.

This package's own module is the public reader; callers use `tokens.<name>` for all of:
  macaroon.py  the binary format: decode, encode, append_caveats, Macaroon, PREFIX
  caveats.py   what a token allows: inspect, TokenInfo, CaveatInfo, covers, is_expired,
               iso, project names, the caveat kinds and SCOPE_* values
Nothing outside the package imports macaroon.py or caveats.py directly.

Error messages here never contain the token or any piece of it.
"""

from __future__ import annotations

from ..errors import TokenFormatError, UsageError
from .caveats import _is_int, _now, inspect, is_expired, normalize_project, valid_project_name
from .macaroon import append_caveats, decode, encode, urlsafe

TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import datetime

# Re-exported: callers use them as tokens.<name>.
from .caveats import (  # noqa: F401,E402  (re-exported)
    EXPIRY,
    PROJECT_IDS,
    PROJECT_NAMES,
    SCOPE_PROJECT,
    SCOPE_TRUSTED_PUBLISHER,
    SCOPE_UNKNOWN,
    SCOPE_UNRESTRICTED,
    TRUSTED_PUBLISHER,
    UNKNOWN,
    USER,
    CaveatInfo,
    TokenInfo,
    covers,
    iso,
    not_yet_valid,
)
from .macaroon import MAX_TOKEN_CHARS, PREFIX, Macaroon, token_length  # noqa: F401,E402

QUOTES = "\"'"


def unquote(text: str) -> tuple[str, bool]:
    """A PyPI token pasted with one pair of matching quotes around it (as copied from a config
    file: "pypi-…" or 'pypi-…') without them, and whether they were taken off. Anything else
    comes back as it was (check_token_text refuses quotes around other values)."""
    inner = text.strip()
    if len(inner) > 2 and inner[0] == inner[-1] and inner[0] in QUOTES and _pypi_shaped(inner[1:-1]):
        return inner[1:-1], True
    return text, False


def _pypi_shaped(text: str) -> bool:
    """`pypi-` and one or more URL-safe base64 characters."""
    return text.startswith(PREFIX) and urlsafe(text[len(PREFIX):])


def check_token_text(token: str, *, pypi_like: bool) -> str:
    """Validate a token (or a private index's password) as typed or piped in; returns it
    stripped. PyPI tokens (and anything starting `pypi-`) are one run of URL-safe characters;
    a private index's password may hold inner spaces (configparser and twine keep them), never
    a control character or surrounding quotes (twine would send them). Never echoes the value."""
    token = token.strip()
    what = "token" if pypi_like or token.startswith(PREFIX) else "password"
    if not token:
        raise TokenFormatError(f"the {what} is empty", hint="paste the token, or pipe it with --token-stdin")
    if len(token) > 1 and token[0] == token[-1] and token[0] in QUOTES:
        raise TokenFormatError(
            f"the {what} is wrapped in quotes",
            hint="give it without them: twine would send the quotes as part of it",
        )
    if what == "token" and any(c.isspace() or c < " " or c == "\x7f" for c in token):
        raise TokenFormatError(
            "the token contains whitespace or control characters",
            hint="copy the token again; it is a single line with no spaces",
        )
    if not token.replace(" ", "x").isprintable():
        raise TokenFormatError(
            "the password contains a tab, a line break or another control character",
            hint="type it as one line; spaces inside it are fine",
        )
    if pypi_like and not _pypi_shaped(token):
        raise TokenFormatError(
            "this does not look like a PyPI API token (expected 'pypi-' and a URL-safe base64 body)",
            hint="create one at https://pypi.org/manage/account/token/",
        )
    return token


def fingerprint(token: str) -> str:
    """First 8 hex digits of SHA-256: enough to tell tokens apart, useless to an attacker."""
    from ..fsutil import sha256

    return sha256(token.encode("utf-8")).hexdigest()[:8]


def mask(token: str) -> str:
    """`pypi-AgEI…k9Q`: a recognisable prefix and suffix, never enough to use."""
    if token.startswith("pypi-") and len(token) >= 24:
        return f"{token[:9]}…{token[-3:]}"
    if len(token) >= 12:
        return f"{token[:2]}…{token[-2:]}"
    return "…"


# --------------------------------------------------------------------------------------
# Deriving a narrower token
# --------------------------------------------------------------------------------------

MAX_TTL_SECONDS = 366 * 24 * 3600
CLOCK_SKEW_SECONDS = 30  # not_before is set this far back so a slow clock on PyPI's side still accepts
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int:
    """'90s', '15m', '2h' or '1d' → seconds; UsageError for anything else or beyond a year."""
    import re  # only --ttl needs it

    match = re.fullmatch(r"([0-9]{1,9})([smhd])", text.strip().lower()) if isinstance(text, str) else None
    shown = repr(text[:20]) if isinstance(text, str) else "this value"
    if match is None:
        raise UsageError(
            f"invalid duration {shown}", hint="use a whole number and a unit: 90s, 15m, 2h or 1d"
        )
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    _check_ttl(seconds)
    return seconds


def _check_ttl(seconds: object) -> None:
    if not _is_int(seconds):
        raise UsageError("a token lifetime must be a whole number of seconds")
    if seconds <= 0:
        raise UsageError("a token lifetime must be longer than zero", hint="for example 15m or 1h")
    if seconds > MAX_TTL_SECONDS:
        raise UsageError("a token lifetime can be at most 366 days", hint="for example 15m, 2h or 30d")


def caveat_json(value: list) -> bytes:
    """A current-format caveat as warehouse serialises it: compact JSON."""
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")


def checked_project(name: str) -> str:
    """A project name as given (`--project`), normalised as PyPI compares them (PEP 503); a
    UsageError for anything that is not a PEP 508 name, the empty string included."""
    if not valid_project_name(name):
        raise UsageError(f"invalid project name {name[:60]!r}", hint="use the name as on PyPI, e.g. my-package")
    return normalize_project(name)


def derive(token: str, *, ttl_seconds: int, project: str | None = None, now: datetime | float | None = None) -> str:
    """A new token that expires `ttl_seconds` from now and, with `project`, only uploads there.

    It appends `[0, now+ttl, now-30]` and `[1, [name]]` and chains the signature
    (HMAC-SHA256 keyed with the previous signature), as any macaroon holder may; PyPI
    enforces the new caveats on top of the old ones. No key is needed.
    """
    _check_ttl(ttl_seconds)
    info = inspect(token)  # refuses tokens PyPI would reject
    moment = _now(now)
    if is_expired(info, moment):
        raise TokenFormatError("the token has already expired", hint="create a new token on PyPI")
    unix_now = int(moment.timestamp())
    caveats = [caveat_json([0, unix_now + ttl_seconds, unix_now - CLOCK_SKEW_SECONDS])]
    if project is not None:
        if not valid_project_name(project):
            raise UsageError("not a valid project name", hint="project names use letters, digits, '-', '_' and '.'")
        name = normalize_project(project)
        if info.projects is not None and name not in info.projects:
            raise UsageError(
                f"the token does not allow project {name!r}",
                hint=f"it is limited to: {', '.join(info.projects) or 'no project'}",
            )
        caveats.append(caveat_json([1, [name]]))
    return encode(append_caveats(decode(token), caveats))
