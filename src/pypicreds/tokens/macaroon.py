"""The PyPI token's binary macaroon: decode, encode, append caveats (standard library only).

A PyPI API token is ``pypi-`` followed by a version 2 binary macaroon in URL-safe base64
with the ``=`` padding removed (libmacaroons ``doc/format.txt``; pymacaroons'
``BinarySerializer``). Its location is the index host, its identifier the token's id (a
UUID, readable without any key), and its caveats are JSON restrictions that PyPI enforces
(read in caveats.py). The signature chains HMAC-SHA256 over the identifier and then each
caveat, so whoever holds a token can append caveats (`append_caveats`) and nobody can
remove one.

Error messages here never contain the token or any piece of it.
"""

from __future__ import annotations

import binascii  # not base64: upload reads every token before twine starts, and base64 costs more

from ..errors import TokenFormatError

PREFIX = "pypi-"
_TO_URLSAFE, _FROM_URLSAFE = str.maketrans("+/", "-_"), str.maketrans("-_", "+/")
MAX_TOKEN_CHARS = 65536  # real tokens are ~200 chars; this only stops absurd input early
URLSAFE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_V2 = 0x02
_EOS, _LOCATION, _IDENTIFIER, _VID, _SIGNATURE = 0, 1, 2, 4, 6
_SIGNATURE_BYTES = 32
_HEX_DIGITS = frozenset(b"0123456789abcdef")  # how a v1 (text) macaroon starts

_BAD_TOKEN_HINT = "copy the whole token again from where it was created"


def _bad(message: str) -> TokenFormatError:
    return TokenFormatError(f"malformed token: {message}", hint=_BAD_TOKEN_HINT)


def urlsafe(text: str) -> bool:
    """Whether `text` is one or more of A-Z a-z 0-9 - _ (without `re`: upload reads every token
    before twine starts, and importing re costs more than the rest of the reading)."""
    return text != "" and not text.strip(URLSAFE_CHARS)


class Record:
    """A value with named fields, compared field by field: what a named tuple gives, without
    importing collections (see `urlsafe`). Subclasses list their fields in __slots__."""

    __slots__ = ()

    def __init__(self, *values, **fields) -> None:
        if len(values) > len(self.__slots__):
            raise TypeError(f"{type(self).__name__} has {len(self.__slots__)} fields")
        fields.update(zip(self.__slots__, values))
        for name in self.__slots__:
            setattr(self, name, fields.pop(name))
        if fields:
            raise TypeError(f"{type(self).__name__} has no field {next(iter(fields))!r}")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(getattr(self, f) == getattr(other, f) for f in self.__slots__)

    __hash__ = None  # mutable, like the lists some fields hold

    def __repr__(self) -> str:
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.__slots__)
        return f"{type(self).__name__}({fields})"


class Macaroon(Record):
    """The fields of a v2 macaroon, as raw as the format allows: location (str), identifier
    (bytes), caveats (first-party caveat ids, in order) and the 32-byte signature."""

    __slots__ = ("location", "identifier", "caveats", "signature")


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
    return binascii.b2a_base64(raw, newline=False).decode("ascii").translate(_TO_URLSAFE).rstrip("=")


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
    if not urlsafe(body):
        raise _bad("it contains characters outside URL-safe base64 without padding (A-Z a-z 0-9 - _)")
    if len(body) % 4 == 1:
        raise _bad("its base64 length is impossible (truncated or extra characters?)")
    try:
        raw = binascii.a2b_base64(body.translate(_FROM_URLSAFE) + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as e:
        raise _bad("it is not valid base64") from e
    if _b64_body(raw) != body:
        raise _bad("its base64 is not canonical (unused bits are set)")
    macaroon, end = _parse_v2(raw)
    if end != len(raw):
        raise _bad("it has extra data after the signature")
    return macaroon


def token_length(text: str) -> int | None:
    """How many characters of `text` (which starts with 'pypi-' and goes on in URL-safe base64,
    maybe past the token, as in `pypi-…_old`) the one macaroon at its start takes; None when no
    macaroon can be read there. For scan: the caller still checks the token with `decode`."""
    body = text[len(PREFIX) : len(PREFIX) + MAX_TOKEN_CHARS]
    body = body[: len(body) - len(body) % 4]
    try:
        raw = binascii.a2b_base64(body.translate(_FROM_URLSAFE))
        _, end = _parse_v2(raw)
    except (binascii.Error, ValueError, TokenFormatError, IndexError):
        return None
    return len(PREFIX) + (end * 4 + 2) // 3  # base64 characters that carry `end` bytes


def _parse_v2(raw: bytes) -> tuple[Macaroon, int]:
    """The macaroon at the start of `raw`, and where it ends."""
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
    macaroon = Macaroon(location=location, identifier=identifier, caveats=caveats, signature=signature)
    return macaroon, reader.pos


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


def append_caveats(m: Macaroon, caveats: list[bytes]) -> Macaroon:
    """`m` with first-party caveats appended and its signature chained over them."""
    import hashlib  # deferred with hmac: only --ttl appends caveats
    import hmac

    signature = m.signature
    for caveat in caveats:
        signature = hmac.new(signature, caveat, hashlib.sha256).digest()
    return Macaroon(location=m.location, identifier=m.identifier, caveats=[*m.caveats, *caveats], signature=signature)
