"""What a PyPI token allows: its caveats read the way PyPI reads them (pypi/warehouse
``warehouse/macaroons/caveats``), its scope and expiry, and which projects it covers.

Standard library only; `json` is imported only when a caveat is actually read. Error
messages here never contain the token or any piece of it.
"""

from __future__ import annotations

from ..errors import TokenFormatError
from .macaroon import URLSAFE_CHARS, Record, _bad, _utf8, decode

TYPE_CHECKING = False  # datetime is imported where a time is made: most tokens carry none
if TYPE_CHECKING:
    from datetime import datetime


# --------------------------------------------------------------------------------------
# Caveats: what PyPI restricts a token to
# --------------------------------------------------------------------------------------

# Kinds of caveat, named for what they restrict (warehouse tag in brackets).
EXPIRY = "expiry"  # [0, expires_at, not_before]; legacy {"exp", "nbf"}
PROJECT_NAMES = "project-names"  # [1, [normalized names]]; legacy {"version": 1, "permissions": {"projects"}}
PROJECT_IDS = "project-ids"  # [2, [project uuids]]; legacy {"project_ids"}
USER = "user"  # [3, user uuid]; legacy {"version": 1, "permissions": "user"}
TRUSTED_PUBLISHER = "trusted-publisher"  # [4, publisher uuid, claims or null]
UNKNOWN = "unknown"  # [N, ...] with a tag warehouse's current set (0-4) does not have

SCOPE_TRUSTED_PUBLISHER = "trusted-publisher"
SCOPE_PROJECT = "project"
SCOPE_UNRESTRICTED = "unrestricted"
SCOPE_UNKNOWN = "unknown"  # no restriction pypicreds can read, but caveats it cannot


# Records, not dataclasses or named tuples: `upload` reads tokens before it starts twine, and
# importing dataclasses (or collections) costs several per cent of a whole upload.


class CaveatInfo(Record):
    """One caveat as PyPI reads it. `meaning` holds its fields under warehouse's names;
    `legacy` marks an object-shaped caveat from 2019-2023 tokens, adapted as warehouse does."""

    __slots__ = ("raw", "kind", "meaning", "legacy")

    def to_json(self) -> dict:
        return {"raw": self.raw, "kind": self.kind, "legacy": self.legacy, "meaning": self.meaning}


class TokenInfo(Record):
    """What a token allows, read without any key. Times are UTC.

    scope: SCOPE_TRUSTED_PUBLISHER, SCOPE_PROJECT, SCOPE_UNRESTRICTED, or SCOPE_UNKNOWN when the
    only restrictions are caveats pypicreds cannot read; projects: the names every project
    caveat allows (sorted), None with no name caveat; project_ids: the same for ids; expires:
    the earliest expiry of all expiry caveats; not_before: the latest start; unknown: how many
    caveats have a tag pypicreds does not know (a newer restriction PyPI may enforce: a token
    is never reported as less restricted than it may be)."""

    __slots__ = ("host", "token_id", "scope", "projects", "project_ids", "expires", "not_before", "caveats", "unknown")

    def __init__(self, *values, **fields) -> None:
        fields.setdefault("caveats", ())
        fields.setdefault("unknown", 0)
        super().__init__(*values, **fields)

    def to_json(self) -> dict:
        return {
            "host": self.host,
            "token_id": self.token_id,
            "scope": self.scope,
            "projects": self.projects,
            "project_ids": self.project_ids,
            "expires": _iso(self.expires),
            "not_before": _iso(self.not_before),
            "unknown_caveats": self.unknown,
            "caveats": [c.to_json() for c in self.caveats],
        }


class _Unreadable(Exception):
    """A caveat PyPI would refuse; carries the reason (never the caveat text)."""


def _is_int(value: object) -> bool:
    return type(value) is int  # pydantic StrictInt: no bool, no float


def _str_list(value: object, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _Unreadable(f"{what} must be a list of strings")
    return list(value)


def _read_caveat(raw: bytes) -> CaveatInfo:
    """Interpret one caveat the way warehouse's `caveats.deserialize` does."""
    import json  # deferred: commands that only mask or check token text never need it

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _Unreadable("it is not UTF-8 text") from e
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise _Unreadable("it is not JSON") from e
    if isinstance(data, dict):
        kind, meaning = _read_legacy(data)
        return CaveatInfo(raw=text, kind=kind, meaning=meaning, legacy=True)
    if not isinstance(data, list):
        raise _Unreadable("it is neither an array nor a legacy object")
    if not data:
        raise _Unreadable("it is an empty array")
    tag, *fields = data
    # warehouse looks the tag up in a dict, so true and 1.0 count as 1; strings never match.
    if isinstance(tag, (int, float)) and tag in _CURRENT_READERS:
        kind, meaning = _CURRENT_READERS[tag](fields)  # warehouse ignores extra trailing fields, as do we
        return CaveatInfo(raw=text, kind=kind, meaning=meaning, legacy=False)
    if type(tag) is int and tag >= 0:
        # a kind of restriction newer than this pypicreds: PyPI may enforce it, so the token
        # is reported as restricted in a way pypicreds cannot read, never as unrestricted
        return CaveatInfo(raw=text, kind=UNKNOWN, meaning={"tag": tag}, legacy=False)
    raise _Unreadable("it has a tag that is not a caveat kind")


def _need(fields: list, count: int) -> None:
    if len(fields) < count:
        raise _Unreadable("it has too few fields")


def _read_expiry(fields: list) -> tuple[str, dict]:
    _need(fields, 2)
    expires_at, not_before = fields[0], fields[1]
    if not (_is_int(expires_at) and _is_int(not_before)):
        raise _Unreadable("its times must be integers")
    return EXPIRY, {"expires_at": expires_at, "not_before": not_before}


def _read_project_names(fields: list) -> tuple[str, dict]:
    _need(fields, 1)
    return PROJECT_NAMES, {"normalized_names": _str_list(fields[0], "project names")}


def _read_project_ids(fields: list) -> tuple[str, dict]:
    _need(fields, 1)
    return PROJECT_IDS, {"project_ids": _str_list(fields[0], "project ids")}


def _read_user(fields: list) -> tuple[str, dict]:
    _need(fields, 1)
    if not isinstance(fields[0], str):
        raise _Unreadable("its user id must be a string")
    return USER, {"user_id": fields[0]}


def _read_publisher(fields: list) -> tuple[str, dict]:
    _need(fields, 1)
    if not isinstance(fields[0], str):
        raise _Unreadable("its publisher id must be a string")
    claims = fields[1] if len(fields) > 1 else None
    if claims is not None and not isinstance(claims, dict):
        raise _Unreadable("its claims must be an object or null")
    return TRUSTED_PUBLISHER, {"oidc_publisher_id": fields[0]}


_CURRENT_READERS = {
    0: _read_expiry,
    1: _read_project_names,
    2: _read_project_ids,
    3: _read_user,
    4: _read_publisher,
}


def _read_legacy(data: dict) -> tuple[str, dict]:
    """warehouse `_legacy.adapt`: the object caveats of tokens minted before 2023."""
    if data.get("version") == 1:
        permissions = data.get("permissions")
        if permissions == "user":
            # Bound to "whoever owns the token" at check time; no user id in the token.
            return USER, {"user_id": None}
        if isinstance(permissions, dict) and "projects" in permissions:
            return _read_project_names([permissions["projects"]])
        raise _Unreadable("its legacy permissions are not ones PyPI knows")
    if "exp" in data and "nbf" in data:
        return _read_expiry([data["exp"], data["nbf"]])
    if "project_ids" in data:
        return _read_project_ids([data["project_ids"]])
    raise _Unreadable("it is a legacy object PyPI does not know")


def inspect(token: str) -> TokenInfo:
    """Read what a token allows. TokenFormatError if it is malformed or has a caveat PyPI
    cannot read (PyPI rejects such a token outright, so it is not usable)."""
    m = decode(token)
    token_id = _utf8(m.identifier, "its id")
    if not token_id:
        raise _bad("its id is empty")
    caveats = []
    for number, raw in enumerate(m.caveats, start=1):
        try:
            caveats.append(_read_caveat(raw))
        except _Unreadable as e:
            raise TokenFormatError(
                f"caveat {number} of the token is not one PyPI can read ({e}); PyPI would reject this token",
                hint="use the token as PyPI issued it, or create a new one",
            ) from None
    return _summarise(m.location, token_id, caveats)


def _intersection(lists: list[list[str]]) -> list[str] | None:
    if not lists:
        return None
    allowed = set(lists[0])
    for names in lists[1:]:
        allowed &= set(names)
    return sorted(allowed)


def _summarise(host: str, token_id: str, caveats: list[CaveatInfo]) -> TokenInfo:
    def meanings(kind: str) -> list[dict]:
        return [c.meaning for c in caveats if c.kind == kind]

    projects = _intersection([m["normalized_names"] for m in meanings(PROJECT_NAMES)])
    project_ids = _intersection([m["project_ids"] for m in meanings(PROJECT_IDS)])
    unknown = len(meanings(UNKNOWN))
    if meanings(TRUSTED_PUBLISHER):
        scope = SCOPE_TRUSTED_PUBLISHER
    elif projects is not None or project_ids is not None:
        scope = SCOPE_PROJECT
    else:
        scope = SCOPE_UNKNOWN if unknown else SCOPE_UNRESTRICTED
    expiries = meanings(EXPIRY)
    return TokenInfo(
        host=host,
        token_id=token_id,
        scope=scope,
        projects=projects,
        project_ids=project_ids,
        expires=_utc(min(m["expires_at"] for m in expiries)) if expiries else None,
        not_before=_utc(max(m["not_before"] for m in expiries)) if expiries else None,
        caveats=caveats,
        unknown=unknown,
    )


def _utc(timestamp: int) -> datetime:
    """Unix time as an aware UTC datetime, clamped to what datetime can hold."""
    from datetime import datetime, timedelta, timezone

    try:
        return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=timestamp)
    except OverflowError:
        edge = datetime.max if timestamp > 0 else datetime.min
        return edge.replace(tzinfo=timezone.utc)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    from datetime import timezone

    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _now(now: datetime | float | None) -> datetime:
    from datetime import datetime, timezone

    if now is None:
        return datetime.now(timezone.utc)
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return now
    return _utc(int(now))


def is_expired(info: TokenInfo, now: datetime | float | None = None) -> bool:
    """True once PyPI refuses the token for age (warehouse: `now >= expires_at`).
    A not-before in the future is not expiry; see `not_yet_valid`."""
    return info.expires is not None and _now(now) >= info.expires


def not_yet_valid(info: TokenInfo, now: datetime | float | None = None) -> bool:
    """True while PyPI refuses the token as too early (warehouse: `now < not_before`)."""
    return info.not_before is not None and _now(now) < info.not_before


def normalize_project(name: str) -> str:
    """PEP 503 normalised project name, as PyPI compares them in caveats."""
    name = name.replace("_", "-").replace(".", "-")
    while "--" in name:  # runs of separators become one dash (re.sub(r"[-_.]+", "-", name))
        name = name.replace("--", "-")
    return name.lower()


def valid_project_name(name: str) -> bool:
    """A PEP 508 project name (before normalisation): ASCII letters and digits, with `.`, `_`
    and `-` inside (not at either end)."""
    return (isinstance(name, str) and name.isascii() and name[:1].isalnum() and name[-1:].isalnum()
            and not name.strip(URLSAFE_CHARS + "."))


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with a Z, as the JSON output writes times."""
    return _iso(moment)


def covers(info: TokenInfo, projects: set[str]) -> list[str]:
    """The (normalised, sorted) projects of `projects` this token cannot be shown to cover.

    Unrestricted tokens cover every project (PyPI still checks the owner's role).
    Tokens restricted only by project id, and Trusted Publisher tokens (valid for the
    publisher's projects, a list that lives on PyPI), cannot be checked offline: every
    project is reported as not covered. Caveats pypicreds cannot read are left out (see
    `info.unknown`: callers warn about them); expiry too (see `is_expired`).
    """
    wanted = sorted({normalize_project(p) for p in projects})
    if info.scope in (SCOPE_UNRESTRICTED, SCOPE_UNKNOWN):
        return []
    if info.scope == SCOPE_TRUSTED_PUBLISHER or info.projects is None:
        return wanted
    # PyPI compares the normalised name with the caveat's names as written.
    return [p for p in wanted if p not in info.projects]
