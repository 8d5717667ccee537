"""PyPI tokens: text rules, masking, fingerprints, and the macaroon reader (standard library only).

A PyPI API token is ``pypi-`` followed by a version 2 binary macaroon in URL-safe base64
with the ``=`` padding removed (libmacaroons ``doc/format.txt``; pymacaroons'
``BinarySerializer``). Its location is the index host, its identifier the token's id (a
UUID, readable without any key), and its caveats are JSON restrictions that PyPI enforces
(pypi/warehouse ``warehouse/macaroons/caveats``). The signature chains HMAC-SHA256 over
the identifier and then each caveat, so whoever holds a token can append caveats
(`derive`) and nobody can remove one.

Error messages here never contain the token or any piece of it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .errors import TokenFormatError, UsageError

PYPI_TOKEN_RE = re.compile(r"pypi-[A-Za-z0-9_-]+")
_BAD_CHAR_RE = re.compile(r"[\s\x00-\x1f\x7f]")


def check_token_text(token: str, *, pypi_like: bool) -> str:
    """Validate a token as typed or piped in; returns it stripped. Never echoes the token."""
    token = token.strip()
    if not token:
        raise TokenFormatError("the token is empty", hint="paste the token, or pipe it with --token-stdin")
    if _BAD_CHAR_RE.search(token):
        raise TokenFormatError(
            "the token contains whitespace or control characters",
            hint="copy the token again; it is a single line with no spaces",
        )
    if pypi_like and not PYPI_TOKEN_RE.fullmatch(token):
        raise TokenFormatError(
            "this does not look like a PyPI API token (expected 'pypi-' and a URL-safe base64 body)",
            hint="create one at https://pypi.org/manage/account/token/",
        )
    return token


def fingerprint(token: str) -> str:
    """First 8 hex digits of SHA-256: enough to tell tokens apart, useless to an attacker."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:8]


def mask(token: str) -> str:
    """`pypi-AgEI…k9Q`: a recognisable prefix and suffix, never enough to use."""
    if token.startswith("pypi-") and len(token) >= 24:
        return f"{token[:9]}…{token[-3:]}"
    if len(token) >= 12:
        return f"{token[:2]}…{token[-2:]}"
    return "…"


# --------------------------------------------------------------------------------------
# The binary macaroon: decode / encode
# --------------------------------------------------------------------------------------

PREFIX = "pypi-"
MAX_TOKEN_CHARS = 65536  # real tokens are ~200 chars; this only stops absurd input early
_BODY_RE = re.compile(r"[A-Za-z0-9_-]+")
_V2 = 0x02
_EOS, _LOCATION, _IDENTIFIER, _VID, _SIGNATURE = 0, 1, 2, 4, 6
_SIGNATURE_BYTES = 32
_HEX_DIGITS = frozenset(b"0123456789abcdef")  # how a v1 (text) macaroon starts

_BAD_TOKEN_HINT = "copy the whole token again from where it was created"


def _bad(message: str) -> TokenFormatError:
    return TokenFormatError(f"malformed token: {message}", hint=_BAD_TOKEN_HINT)


@dataclass(frozen=True)
class Macaroon:
    """The fields of a v2 macaroon, as raw as the format allows."""

    location: str
    identifier: bytes
    caveats: list[bytes]  # first-party caveat ids, in order
    signature: bytes  # 32 bytes


class _Reader:
    """Reads `varint type, varint length, bytes` fields from the decoded body."""

    def __init__(self, data: bytes, pos: int) -> None:
        self.data = data
        self.pos = pos

    def varint(self, what: str) -> int:
        value = shift = 0
        start = self.pos
        while True:
            if self.pos >= len(self.data):
                raise _bad(f"it ends in the middle of {what} (truncated?)")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                break
            shift += 7
            if shift > 63:
                raise _bad(f"{what} is an over-long number")
        # A trailing zero group would decode the same but re-encode differently.
        if self.pos - start > 1 and byte == 0:
            raise _bad(f"{what} is not minimally encoded")
        return value

    def field(self) -> tuple[int, bytes | None]:
        ftype = self.varint("a field type")
        if ftype == _EOS:
            return _EOS, None
        length = self.varint("a field length")
        if length > len(self.data) - self.pos:
            raise _bad("a field runs past the end of the token (truncated?)")
        value = self.data[self.pos : self.pos + length]
        self.pos += length
        return ftype, value

    def section(self) -> list[tuple[int, bytes]]:
        """Fields up to the next end-of-section marker; types must strictly increase."""
        fields: list[tuple[int, bytes]] = []
        while True:
            ftype, value = self.field()
            if ftype == _EOS:
                return fields
            if fields and ftype <= fields[-1][0]:
                raise _bad("its fields are out of order")
            assert value is not None
            fields.append((ftype, value))


def _b64_body(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode(token: str) -> Macaroon:
    """Parse `pypi-<base64 v2 macaroon>` without any key; TokenFormatError on anything else.

    Stricter than pymacaroons: it also refuses trailing data, a signature that is not 32
    bytes, a missing location, non-canonical base64 or varints, and third-party caveats
    (PyPI never issues them), so that `encode(decode(t)) == t` always holds.
    """
    if not isinstance(token, str):
        raise TokenFormatError("a token must be text", hint=_BAD_TOKEN_HINT)
    if len(token) > MAX_TOKEN_CHARS:
        raise _bad(f"it is longer than {MAX_TOKEN_CHARS} characters")
    if not token.startswith(PREFIX):
        raise TokenFormatError(
            "this is not a PyPI API token: it does not start with 'pypi-'",
            hint="PyPI tokens start with 'pypi-'; create one at https://pypi.org/manage/account/token/",
        )
    body = token[len(PREFIX) :]
    if not body:
        raise _bad("nothing follows 'pypi-'")
    if not _BODY_RE.fullmatch(body):
        raise _bad("it contains characters outside URL-safe base64 without padding (A-Z a-z 0-9 - _)")
    if len(body) % 4 == 1:
        raise _bad("its base64 length is impossible (truncated or extra characters?)")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as e:
        raise _bad("it is not valid base64") from e
    if _b64_body(raw) != body:
        raise _bad("its base64 is not canonical (unused bits are set)")
    return _parse_v2(raw)


def _parse_v2(raw: bytes) -> Macaroon:
    if raw[0] != _V2:
        if raw[0] in _HEX_DIGITS:
            raise _bad("it is a version 1 macaroon; PyPI tokens are version 2")
        raise _bad("it is not a version 2 macaroon (unknown first byte)")
    reader = _Reader(raw, 1)

    header = reader.section()
    types = [ftype for ftype, _ in header]
    if _IDENTIFIER not in types:
        raise _bad("it has no identifier")
    if _LOCATION not in types:
        raise _bad("it has no location")
    if types != [_LOCATION, _IDENTIFIER]:
        raise _bad("its header has an unexpected field")
    location = _utf8(header[0][1], "its location")
    identifier = header[1][1]

    caveats: list[bytes] = []
    while section := reader.section():
        number = len(caveats) + 1
        types = [ftype for ftype, _ in section]
        if types == [_IDENTIFIER]:
            caveats.append(section[0][1])
        elif _VID in types:
            raise _bad(f"caveat {number} is a third-party caveat; PyPI tokens have none")
        elif _LOCATION in types:
            raise _bad(f"caveat {number} has a location, which only third-party caveats have")
        elif _IDENTIFIER not in types:
            raise _bad(f"caveat {number} has no identifier")
        else:
            raise _bad(f"caveat {number} has an unexpected field")

    ftype, signature = reader.field()
    if ftype != _SIGNATURE or signature is None:
        raise _bad("the signature is missing after the caveats")
    if len(signature) != _SIGNATURE_BYTES:
        raise _bad(f"its signature is {len(signature)} bytes, not {_SIGNATURE_BYTES}")
    if reader.pos != len(raw):
        raise _bad("it has extra data after the signature")
    return Macaroon(location=location, identifier=identifier, caveats=caveats, signature=signature)


def _utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _bad(f"{what} is not UTF-8 text") from e


def _append_uvarint(out: bytearray, n: int) -> None:
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _append_field(out: bytearray, ftype: int, value: bytes) -> None:
    _append_uvarint(out, ftype)
    _append_uvarint(out, len(value))
    out += value


def encode(m: Macaroon) -> str:
    """The token text for `m`; `encode(decode(t)) == t` for every token `decode` accepts."""
    if len(m.signature) != _SIGNATURE_BYTES:
        raise TokenFormatError(f"a macaroon signature must be {_SIGNATURE_BYTES} bytes")
    out = bytearray([_V2])
    _append_field(out, _LOCATION, m.location.encode("utf-8"))
    _append_field(out, _IDENTIFIER, m.identifier)
    out.append(_EOS)
    for caveat in m.caveats:
        _append_field(out, _IDENTIFIER, caveat)
        out.append(_EOS)
    out.append(_EOS)
    _append_field(out, _SIGNATURE, m.signature)
    return PREFIX + _b64_body(bytes(out))


# --------------------------------------------------------------------------------------
# Caveats: what PyPI restricts a token to
# --------------------------------------------------------------------------------------

# Kinds of caveat, named for what they restrict (warehouse tag in brackets).
EXPIRY = "expiry"  # [0, expires_at, not_before]; legacy {"exp", "nbf"}
PROJECT_NAMES = "project-names"  # [1, [normalized names]]; legacy {"version": 1, "permissions": {"projects"}}
PROJECT_IDS = "project-ids"  # [2, [project uuids]]; legacy {"project_ids"}
USER = "user"  # [3, user uuid]; legacy {"version": 1, "permissions": "user"}
TRUSTED_PUBLISHER = "trusted-publisher"  # [4, publisher uuid, claims or null]
PERMISSIONS = "permissions"  # [5, bit flags or ["upload", ...]]

SCOPE_TRUSTED_PUBLISHER = "trusted-publisher"
SCOPE_PROJECT = "project"
SCOPE_UNRESTRICTED = "unrestricted"

_UPLOAD_PERMISSION = 1  # warehouse PublicPermissions.Upload


@dataclass(frozen=True)
class CaveatInfo:
    """One caveat as PyPI reads it. `meaning` holds its fields under warehouse's names."""

    raw: str
    kind: str
    meaning: dict
    legacy: bool  # an object-shaped caveat from 2019-2023 tokens, adapted as warehouse does

    def to_json(self) -> dict:
        return {"raw": self.raw, "kind": self.kind, "legacy": self.legacy, "meaning": self.meaning}


@dataclass(frozen=True)
class TokenInfo:
    """What a token allows, read without any key. Times are UTC."""

    host: str
    token_id: str
    scope: str  # SCOPE_TRUSTED_PUBLISHER, SCOPE_PROJECT or SCOPE_UNRESTRICTED
    projects: list[str] | None  # names every project caveat allows (sorted); None: no name caveat
    project_ids: list[str] | None  # same for project ids
    expires: datetime | None  # earliest expiry of all expiry caveats
    not_before: datetime | None  # latest start of all expiry caveats
    caveats: list[CaveatInfo] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "host": self.host,
            "token_id": self.token_id,
            "scope": self.scope,
            "projects": self.projects,
            "project_ids": self.project_ids,
            "expires": _iso(self.expires),
            "not_before": _iso(self.not_before),
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
    if not isinstance(tag, (int, float)) or tag not in _CURRENT_READERS:
        raise _Unreadable("it has an unknown tag")
    # warehouse ignores extra trailing fields, and so do we.
    kind, meaning = _CURRENT_READERS[tag](fields)
    return CaveatInfo(raw=text, kind=kind, meaning=meaning, legacy=False)


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


def _read_permissions(fields: list) -> tuple[str, dict]:
    _need(fields, 1)
    value = fields[0]
    if isinstance(value, list):
        flags = _UPLOAD_PERMISSION if "upload" in _str_list(value, "permissions") else 0
    elif _is_int(value) and value in (0, _UPLOAD_PERMISSION):
        flags = value
    else:
        raise _Unreadable("its permissions are not ones PyPI knows")
    return PERMISSIONS, {"permissions": ["upload"] if flags & _UPLOAD_PERMISSION else []}


_CURRENT_READERS = {
    0: _read_expiry,
    1: _read_project_names,
    2: _read_project_ids,
    3: _read_user,
    4: _read_publisher,
    5: _read_permissions,
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
    if meanings(TRUSTED_PUBLISHER):
        scope = SCOPE_TRUSTED_PUBLISHER
    elif projects is not None or project_ids is not None:
        scope = SCOPE_PROJECT
    else:
        scope = SCOPE_UNRESTRICTED
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
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _utc(timestamp: int) -> datetime:
    """Unix time as an aware UTC datetime, clamped to what datetime can hold."""
    try:
        return _EPOCH + timedelta(seconds=timestamp)
    except OverflowError:
        edge = datetime.max if timestamp > 0 else datetime.min
        return edge.replace(tzinfo=timezone.utc)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _now(now: datetime | float | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return now
    return _utc(int(now))


def is_expired(info: TokenInfo, now: datetime | float | None = None) -> bool:
    """True once PyPI refuses the token for age (warehouse: `now >= expires_at`).
    A not-before in the future is not expiry; see `info.not_before`."""
    return info.expires is not None and _now(now) >= info.expires


def normalize_project(name: str) -> str:
    """PEP 503 normalised project name, as PyPI compares them in caveats."""
    return re.sub(r"[-_.]+", "-", name).lower()


_PROJECT_NAME_RE = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE | re.ASCII)  # PEP 508


def valid_project_name(name: str) -> bool:
    """A PEP 508 project name (before normalisation)."""
    return isinstance(name, str) and _PROJECT_NAME_RE.fullmatch(name) is not None


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with a Z, as the JSON output writes times."""
    return _iso(moment)


def covers(info: TokenInfo, projects: set[str]) -> list[str]:
    """The (normalised, sorted) projects of `projects` this token cannot be shown to cover.

    Unrestricted tokens cover every project (PyPI still checks the owner's role).
    Tokens restricted only by project id, and Trusted Publisher tokens (valid for the
    publisher's projects, a list that lives on PyPI), cannot be checked offline: every
    project is reported as not covered. A permissions caveat without upload covers nothing.
    Expiry is not considered here; see `is_expired`.
    """
    wanted = sorted({normalize_project(p) for p in projects})
    if any(c.kind == PERMISSIONS and "upload" not in c.meaning["permissions"] for c in info.caveats):
        return wanted
    if info.scope == SCOPE_UNRESTRICTED:
        return []
    if info.scope == SCOPE_TRUSTED_PUBLISHER or info.projects is None:
        return wanted
    # PyPI compares the normalised name with the caveat's names as written.
    return [p for p in wanted if p not in info.projects]


# --------------------------------------------------------------------------------------
# Deriving a narrower token
# --------------------------------------------------------------------------------------

MAX_TTL_SECONDS = 366 * 24 * 3600
CLOCK_SKEW_SECONDS = 30  # not_before is set this far back so a slow clock on PyPI's side still accepts
_DURATION_RE = re.compile(r"([0-9]{1,9})([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int:
    """'90s', '15m', '2h' or '1d' → seconds; UsageError for anything else or beyond a year."""
    match = _DURATION_RE.fullmatch(text.strip().lower()) if isinstance(text, str) else None
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
        if not isinstance(project, str) or not _PROJECT_NAME_RE.fullmatch(project):
            raise UsageError("not a valid project name", hint="project names use letters, digits, '-', '_' and '.'")
        name = normalize_project(project)
        if info.projects is not None and name not in info.projects:
            raise UsageError(
                f"the token does not allow project {name!r}",
                hint=f"it is limited to: {', '.join(info.projects) or 'no project'}",
            )
        caveats.append(caveat_json([1, [name]]))
    return encode(append_caveats(decode(token), caveats))


def append_caveats(m: Macaroon, caveats: list[bytes]) -> Macaroon:
    """`m` with first-party caveats appended and its signature chained over them."""
    signature = m.signature
    for caveat in caveats:
        signature = hmac.new(signature, caveat, hashlib.sha256).digest()
    return Macaroon(location=m.location, identifier=m.identifier, caveats=[*m.caveats, *caveats], signature=signature)
