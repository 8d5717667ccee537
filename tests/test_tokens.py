"""The PyPI token reader: decode/encode, caveats and scope, derived tokens.

Tokens are minted here with pymacaroons and a throwaway key (helpers/macaroon_mint.py) in every
shape PyPI has issued; derived tokens are checked with pymacaroons' Verifier against that
key and read back with pypitoken. Hypothesis fuzzes the decoder side by side with pymacaroons.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pymacaroons
import pypitoken
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from macaroon_mint import KEY, current, legacy, load, mint, pypi_accepts
from pypicreds import tokens
from pypicreds.errors import TokenFormatError, UsageError

NOW = 1_750_000_000  # a fixed "now" (2025-06-15) so expiry checks do not depend on the clock
USER_ID = str(uuid.uuid4())
PROJECT_ID = str(uuid.uuid4())
OTHER_PROJECT_ID = str(uuid.uuid4())
PUBLISHER_ID = str(uuid.uuid4())

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def utc(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, timezone.utc)


def raise_message(token: str, reader=tokens.decode) -> str:
    """The message and hint of the TokenFormatError `reader` raises; checks neither leaks the token."""
    with pytest.raises(TokenFormatError) as caught:
        reader(token)
    body = token[len("pypi-") :] if token.startswith("pypi-") else token
    text = f"{caught.value.message} {caught.value.hint}"
    if len(body) >= 8:
        assert body not in text
    return caught.value.message


# --------------------------------------------------------------------------------------
# Every kind of token PyPI has issued
# --------------------------------------------------------------------------------------

KINDS = {
    "legacy account-wide": dict(
        caveats=[legacy({"version": 1, "permissions": "user"})],
        scope="unrestricted", projects=None, project_ids=None, expires=None, not_before=None,
    ),
    "legacy project": dict(
        caveats=[legacy({"version": 1, "permissions": {"projects": ["sampleproject"]}})],
        scope="project", projects=["sampleproject"], project_ids=None, expires=None, not_before=None,
    ),
    "legacy project with project ids": dict(
        caveats=[
            legacy({"version": 1, "permissions": {"projects": ["sampleproject"]}}),
            legacy({"project_ids": [PROJECT_ID]}),
        ],
        scope="project", projects=["sampleproject"], project_ids=[PROJECT_ID], expires=None, not_before=None,
    ),
    "legacy expiry": dict(
        caveats=[legacy({"exp": NOW + 900, "nbf": NOW}), legacy({"project_ids": [PROJECT_ID]})],
        scope="project", projects=None, project_ids=[PROJECT_ID], expires=NOW + 900, not_before=NOW,
    ),
    "current account-wide": dict(
        caveats=[current([3, USER_ID])],
        scope="unrestricted", projects=None, project_ids=None, expires=None, not_before=None,
    ),
    "current project": dict(
        caveats=[current([1, ["sampleproject"]]), current([3, USER_ID])],
        scope="project", projects=["sampleproject"], project_ids=None, expires=None, not_before=None,
    ),
    "several projects": dict(
        caveats=[current([1, ["zeta", "alpha", "mid-name"]]), current([3, USER_ID])],
        scope="project", projects=["alpha", "mid-name", "zeta"], project_ids=None, expires=None, not_before=None,
    ),
    "narrowed twice: the intersection": dict(
        caveats=[current([1, ["a", "b", "c"]]), current([1, ["b", "c", "d"]]), current([2, [PROJECT_ID]])],
        scope="project", projects=["b", "c"], project_ids=[PROJECT_ID], expires=None, not_before=None,
    ),
    "project plus expiry": dict(
        caveats=[current([1, ["sampleproject"]]), current([3, USER_ID]), current([0, NOW + 3600, NOW - 30])],
        scope="project", projects=["sampleproject"], project_ids=None, expires=NOW + 3600, not_before=NOW - 30,
    ),
    "two expiries: earliest end, latest start": dict(
        caveats=[current([0, NOW + 3600, NOW - 60]), current([0, NOW + 600, NOW - 30])],
        scope="unrestricted", projects=None, project_ids=None, expires=NOW + 600, not_before=NOW - 30,
    ),
    # warehouse oidc/views.py mint_token: OIDCPublisher, ProjectID, Expiration(now + 900, now).
    "trusted publisher": dict(
        caveats=[
            current([4, PUBLISHER_ID, None]),
            current([2, [PROJECT_ID, OTHER_PROJECT_ID]]),
            current([0, NOW + 900, NOW]),
        ],
        scope="trusted-publisher", projects=None, project_ids=sorted([PROJECT_ID, OTHER_PROJECT_ID]),
        expires=NOW + 900, not_before=NOW,
    ),
    "trusted publisher with a caveat of a newer kind": dict(
        caveats=[current([4, PUBLISHER_ID]), current([2, [PROJECT_ID]]), current([5, 1]), current([0, NOW + 900, NOW])],
        scope="trusted-publisher", projects=None, project_ids=[PROJECT_ID], expires=NOW + 900, not_before=NOW,
    ),
    "testpypi": dict(
        location="test.pypi.org",
        caveats=[current([1, ["sampleproject"]]), current([3, USER_ID])],
        scope="project", projects=["sampleproject"], project_ids=None, expires=None, not_before=None,
    ),
    "no caveats at all": dict(
        caveats=[], scope="unrestricted", projects=None, project_ids=None, expires=None, not_before=None,
    ),
}


@pytest.mark.parametrize("kind", KINDS)
def test_inspect_reads_every_kind_pypi_issued(kind):
    case = KINDS[kind]
    location = case.get("location", "pypi.org")
    token_id = str(uuid.uuid4())
    token = mint(case["caveats"], location=location, identifier=token_id)

    info = tokens.inspect(token)

    assert info.host == location
    assert info.token_id == token_id
    assert info.scope == case["scope"]
    assert info.projects == case["projects"]
    assert info.project_ids == case["project_ids"]
    assert info.expires == (utc(case["expires"]) if case["expires"] else None)
    assert info.not_before == (utc(case["not_before"]) if case["not_before"] else None)
    assert [c.raw for c in info.caveats] == case["caveats"]


@pytest.mark.parametrize("kind", KINDS)
def test_decode_matches_pymacaroons_and_encode_reproduces_the_token(kind):
    token = mint(KINDS[kind]["caveats"], location=KINDS[kind].get("location", "pypi.org"))
    theirs = load(token)

    m = tokens.decode(token)

    assert m.location == theirs.location
    assert m.identifier == theirs.identifier_bytes
    assert m.caveats == [c.caveat_id_bytes for c in theirs.caveats]
    assert m.signature.hex() == theirs.signature
    assert tokens.encode(m) == token


def test_caveat_kinds_and_meanings():
    token = mint(
        [
            legacy({"version": 1, "permissions": "user"}),
            legacy({"version": 1, "permissions": {"projects": ["a"]}}),
            legacy({"exp": NOW + 5, "nbf": NOW}),
            legacy({"project_ids": [PROJECT_ID]}),
            current([3, USER_ID]),
            current([4, PUBLISHER_ID, None]),
            current([5, ["upload"]]),
        ]
    )
    caveats = [(c.kind, c.legacy, c.meaning) for c in tokens.inspect(token).caveats]
    assert caveats == [
        ("user", True, {"user_id": None}),
        ("project-names", True, {"normalized_names": ["a"]}),
        ("expiry", True, {"expires_at": NOW + 5, "not_before": NOW}),
        ("project-ids", True, {"project_ids": [PROJECT_ID]}),
        ("user", False, {"user_id": USER_ID}),
        ("trusted-publisher", False, {"oidc_publisher_id": PUBLISHER_ID}),
        ("unknown", False, {"tag": 5}),  # not in warehouse's current set (tags 0-4)
    ]


def test_extra_trailing_fields_are_ignored_as_warehouse_does():
    info = tokens.inspect(mint([current([0, NOW + 60, NOW, "extra"]), current([1, ["a"], {"x": 1}])]))
    assert info.expires == utc(NOW + 60)
    assert info.projects == ["a"]


def test_tags_are_looked_up_as_warehouse_does_true_and_float_one_are_tag_one():
    info = tokens.inspect(mint(['[true,["a","b"]]', '[1.0,["b"]]']))
    assert info.projects == ["b"]


def test_to_json_has_iso_utc_times_and_is_serialisable():
    token_id = str(uuid.uuid4())
    token = mint([current([1, ["b", "a"]]), current([0, NOW + 60, NOW - 30])], identifier=token_id)

    data = tokens.inspect(token).to_json()

    assert json.loads(json.dumps(data)) == data
    assert set(data) == {"host", "token_id", "scope", "projects", "project_ids", "expires", "not_before",
                         "unknown_caveats", "caveats"}
    assert data["host"] == "pypi.org"
    assert data["token_id"] == token_id
    assert data["scope"] == "project"
    assert data["projects"] == ["a", "b"]
    assert data["project_ids"] is None
    assert data["expires"] == "2025-06-15T15:07:40Z"  # NOW + 60 (date -u -d @1750000060)
    assert data["not_before"] == "2025-06-15T15:06:10Z"  # NOW - 30
    assert [c["kind"] for c in data["caveats"]] == ["project-names", "expiry"]
    assert data["caveats"][1]["raw"] == f"[0,{NOW + 60},{NOW - 30}]"


def test_times_beyond_what_datetime_holds_are_clamped():
    info = tokens.inspect(mint([current([0, 10**30, -(10**30)])]))
    assert info.expires.year == 9999
    assert info.not_before.year == 1
    assert not tokens.is_expired(info, NOW)
    assert info.to_json()["expires"].startswith("9999-12-31T")


# --------------------------------------------------------------------------------------
# Malformed tokens: always TokenFormatError, with a precise message and no token in it
# --------------------------------------------------------------------------------------


def uvarint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def fld(ftype: int, value: bytes) -> bytes:
    return uvarint(ftype) + uvarint(len(value)) + value


def v2(*parts: bytes) -> str:
    """A token from hand-built v2 bytes (independent of the code under test)."""
    return "pypi-" + base64.urlsafe_b64encode(b"\x02" + b"".join(parts)).decode().rstrip("=")


SIG = bytes(range(32))
HEADER = fld(1, b"pypi.org") + fld(2, b"0d6f3a0e-id") + b"\x00"
CAVEAT = fld(2, b'[1,["a"]]') + b"\x00"
END = b"\x00" + fld(6, SIG)


def v1_token() -> str:
    m = pymacaroons.Macaroon(location="pypi.org", identifier="some-id", key=KEY, version=pymacaroons.MACAROON_V1)
    m.add_first_party_caveat(current([1, ["a"]]))
    return "pypi-" + m.serialize()


def third_party_token() -> str:
    m = pymacaroons.Macaroon(location="pypi.org", identifier="some-id", key=KEY, version=pymacaroons.MACAROON_V2)
    m.add_third_party_caveat("https://auth.example", b"another key", "caveat-id")
    return "pypi-" + m.serialize()


GOOD = mint([current([1, ["sampleproject"]]), current([3, USER_ID])])

MALFORMED = {
    "no prefix": (GOOD[len("pypi-") :], "does not start with 'pypi-'"),
    "wrong prefix": ("pypy-" + GOOD[5:], "does not start with 'pypi-'"),
    "another service's token": ("ghp_" + "a" * 36, "does not start with 'pypi-'"),
    "empty": ("", "does not start with 'pypi-'"),
    "nothing after the prefix": ("pypi-", "nothing follows 'pypi-'"),
    "padding kept": (GOOD + "==", "URL-safe base64 without padding"),
    "standard base64 alphabet": ("pypi-AgEI+/" + GOOD[11:], "URL-safe base64"),
    "whitespace inside": (GOOD[:30] + " " + GOOD[30:], "URL-safe base64"),
    "impossible base64 length": (GOOD + "A" * (5 - len(GOOD[5:]) % 4), "base64 length is impossible"),
    "non-canonical base64": (None, "not canonical"),
    "truncated": (v2(HEADER, CAVEAT, END[:-10]), "runs past the end of the token (truncated?)"),
    "truncated inside the header": (v2(HEADER[:12]), "truncated"),
    "version 1 macaroon": (v1_token(), "version 1 macaroon"),
    "unknown first byte": ("pypi-" + base64.urlsafe_b64encode(b"\x07abc").decode().rstrip("="), "not a version 2"),
    "no location": (v2(fld(2, b"id") + b"\x00", END), "no location"),
    "no identifier": (v2(fld(1, b"pypi.org") + b"\x00", END), "no identifier"),
    "unexpected header field": (v2(fld(1, b"pypi.org") + fld(2, b"id") + fld(3, b"x") + b"\x00", END), "unexpected field"),
    "fields out of order": (v2(fld(2, b"id") + fld(1, b"pypi.org") + b"\x00", END), "out of order"),
    "location not UTF-8": (v2(fld(1, b"pypi\xff.org") + fld(2, b"id") + b"\x00", END), "location is not UTF-8"),
    "third-party caveat": (third_party_token(), "third-party caveat"),
    "caveat with a vid only": (v2(HEADER, fld(2, b"cid") + fld(4, b"vid") + b"\x00", END), "caveat 1 is a third-party"),
    "caveat with a location, no vid": (v2(HEADER, fld(1, b"x") + fld(2, b"c") + b"\x00", END), "caveat 1 has a location"),
    "caveat without identifier": (v2(HEADER, CAVEAT, fld(3, b"x") + b"\x00", END), "caveat 2 has no identifier"),
    "caveat with an unknown field": (v2(HEADER, fld(2, b"c") + fld(5, b"x") + b"\x00", END), "caveat 1 has an unexpected"),
    "signature missing": (v2(HEADER, CAVEAT, b"\x00"), "truncated"),
    "something else instead of the signature": (v2(HEADER, b"\x00", fld(5, SIG)), "signature is missing"),
    "short signature": (v2(HEADER, b"\x00", fld(6, SIG[:31])), "signature is 31 bytes, not 32"),
    "trailing data": (v2(HEADER, CAVEAT, END, b"\x00"), "extra data after the signature"),
    "non-minimal varint": (v2(fld(1, b"pypi.org") + b"\x02\x82\x00id" + b"\x00", END), "not minimally encoded"),
    "over-long varint": (v2(b"\x01" + b"\xff" * 12), "over-long number"),
    "too long": ("pypi-" + "A" * 70000, "longer than 65536"),
}


def non_canonical_base64() -> str:
    # A body whose length leaves unused bits in the last character (len % 4 in 2, 3).
    body = next(
        body
        for size in range(1, 4)
        if len(body := v2(HEADER, fld(2, b"x" * size) + b"\x00", END)[5:]) % 4 in (2, 3)
    )
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    bumped = alphabet[alphabet.index(body[-1]) + 1]
    return "pypi-" + body[:-1] + bumped


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_tokens_raise_a_precise_token_format_error(case):
    token, expected = MALFORMED[case]
    if token is None:
        token = non_canonical_base64()
    message = raise_message(token)
    if expected:
        assert expected in message
    if token != GOOD and not message.startswith("this is not a PyPI"):
        assert message.startswith("malformed token: ")


def test_hand_built_bytes_are_accepted_so_the_cases_above_differ_by_one_thing():
    m = tokens.decode(v2(HEADER, CAVEAT, END))
    assert (m.location, m.identifier, m.caveats, m.signature) == ("pypi.org", b"0d6f3a0e-id", [b'[1,["a"]]'], SIG)


def test_decode_refuses_bytes_input():
    with pytest.raises(TokenFormatError, match="must be text"):
        tokens.decode(GOOD.encode())


UNREADABLE_CAVEATS = {  # warehouse's deserialize raises on each
    "not UTF-8": b"[1,[\"\xff\"]]",
    "not JSON": "project=a",
    "JSON string": '"hello"',
    "empty array": "[]",
    "negative tag": "[-1,1]",
    "tag as string": '["1",["a"]]',
    "tag as a fraction": '[1.5,["a"]]',
    "tag as a list": '[[1],["a"]]',
    "expiry with strings": '[0,"1","2"]',
    "expiry with bool": "[0,true,1]",
    "expiry with float": "[0,1.5,1]",
    "expiry missing not_before": f"[0,{NOW}]",
    "project names not a list": '[1,"a"]',
    "project names with a number": '[1,["a",2]]',
    "project ids missing": "[2]",
    "user id not a string": "[3,42]",
    "publisher claims not an object": '[4,"id","claims"]',
    "legacy unknown object": '{"foo": 1}',
    "legacy v1 unknown permissions": '{"version": 1, "permissions": "admin"}',
    "legacy v1 without permissions": '{"version": 1}',
    "legacy expiry without nbf read as unknown": '{"exp": 1}',
    "deeply nested": "[" * 20_000 + "]" * 20_000,
    "huge integer": "[0," + "9" * 5000 + ",1]",
}


@pytest.mark.parametrize("case", UNREADABLE_CAVEATS)
def test_a_caveat_pypi_cannot_read_makes_the_token_unreadable(case):
    raw = UNREADABLE_CAVEATS[case]
    token = v2(HEADER, CAVEAT, fld(2, raw.encode() if isinstance(raw, str) else raw) + b"\x00", END)
    tokens.decode(token)  # well-formed as a macaroon

    message = raise_message(token, tokens.inspect)

    assert message.startswith("caveat 2 of the token is not one PyPI can read")
    if isinstance(raw, str) and len(raw) > 4:
        assert raw not in message


def test_identifier_must_be_text():
    token = v2(fld(1, b"pypi.org") + fld(2, b"\xfe\xff") + b"\x00", END)
    tokens.decode(token)
    assert "id is not UTF-8" in raise_message(token, tokens.inspect)


# --------------------------------------------------------------------------------------
# Helpers: names, durations, expiry, coverage
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "normalized"),
    [("Sample_Project", "sample-project"), ("a.b-c_d", "a-b-c-d"), ("A__B..C", "a-b-c"), ("plain", "plain")],
)
def test_normalize_project(name, normalized):
    assert tokens.normalize_project(name) == normalized


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400), (" 30D ", 2592000)])
def test_parse_duration(text, seconds):
    assert tokens.parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0s", "longer than zero"),
        ("-5m", "invalid duration"),
        ("15", "invalid duration"),
        ("1.5h", "invalid duration"),
        ("2w", "invalid duration"),
        ("", "invalid duration"),
        ("h", "invalid duration"),
        ("367d", "at most 366 days"),
        ("9999999999s", "invalid duration"),
    ],
)
def test_parse_duration_refuses_bad_input(text, expected):
    with pytest.raises(UsageError, match=expected) as caught:
        tokens.parse_duration(text)
    assert caught.value.hint


def test_is_expired_follows_warehouse_boundaries():
    info = tokens.inspect(mint([current([0, NOW + 60, NOW])]))
    assert not tokens.is_expired(info, NOW + 59)
    assert tokens.is_expired(info, NOW + 60)  # warehouse: now >= expires_at fails
    assert tokens.is_expired(info, utc(NOW + 61))
    assert not tokens.is_expired(tokens.inspect(mint([current([3, USER_ID])])), NOW)


def test_covers():
    def info(*caveats: str) -> tokens.TokenInfo:
        return tokens.inspect(mint(list(caveats)))

    unrestricted = info(current([3, USER_ID]))
    assert tokens.covers(unrestricted, {"Anything_At.All"}) == []

    project = info(current([1, ["alpha", "beta"]]))
    assert tokens.covers(project, {"Alpha", "beta"}) == []
    assert tokens.covers(project, {"alpha", "Gamma_Ray", "delta"}) == ["delta", "gamma-ray"]
    assert tokens.covers(project, set()) == []

    # PyPI compares the normalised name with the caveat as written.
    not_normalised = info(current([1, ["My_Project"]]))
    assert tokens.covers(not_normalised, {"My_Project"}) == ["my-project"]

    ids_only = info(legacy({"project_ids": [PROJECT_ID]}))
    assert tokens.covers(ids_only, {"alpha"}) == ["alpha"]

    publisher = info(*KINDS["trusted publisher"]["caveats"])
    assert tokens.covers(publisher, {"alpha", "beta"}) == ["alpha", "beta"]

    unknown = info(current([5, 0]))  # read as "restricted in a way pypicreds cannot read", never unrestricted
    assert (unknown.scope, unknown.unknown) == ("unknown", 1)
    assert tokens.covers(unknown, {"alpha"}) == []  # left to the callers' warning


# --------------------------------------------------------------------------------------
# Derived tokens: verified against the key, read back by pypitoken
# --------------------------------------------------------------------------------------

ACCOUNT_WIDE = mint([current([3, USER_ID])])


def test_derive_appends_expiry_and_project_in_compact_json():
    derived = tokens.derive(ACCOUNT_WIDE, ttl_seconds=900, project="Sample_Project", now=NOW)

    m = tokens.decode(derived)
    assert m.caveats[1:] == [f"[0,{NOW + 900},{NOW - 30}]".encode(), b'[1,["sample-project"]]']
    assert m.caveats[0] == tokens.decode(ACCOUNT_WIDE).caveats[0]
    info = tokens.inspect(derived)
    assert (info.scope, info.projects, info.expires, info.not_before) == (
        "project", ["sample-project"], utc(NOW + 900), utc(NOW - 30),
    )
    assert info.token_id == tokens.inspect(ACCOUNT_WIDE).token_id


def test_derived_token_verifies_against_the_key_and_pypi_enforces_the_new_caveats():
    derived = tokens.derive(ACCOUNT_WIDE, ttl_seconds=900, project="sample-project", now=NOW)

    assert pypi_accepts(derived, now=NOW, project="sample-project", user_id=USER_ID)
    assert pypi_accepts(derived, now=NOW - 30, project="sample-project", user_id=USER_ID)
    assert not pypi_accepts(derived, now=NOW, project="other", user_id=USER_ID)
    assert not pypi_accepts(derived, now=NOW + 900, project="sample-project", user_id=USER_ID)
    assert not pypi_accepts(derived, now=NOW - 31, project="sample-project", user_id=USER_ID)
    assert not pypi_accepts(derived, key=b"another key", now=NOW, project="sample-project", user_id=USER_ID)
    # The original still works for any project: derivation changed nothing on PyPI's side.
    assert pypi_accepts(ACCOUNT_WIDE, now=NOW, project="other", user_id=USER_ID)


def test_no_one_can_strip_a_caveat_from_a_derived_token():
    derived = tokens.decode(tokens.derive(ACCOUNT_WIDE, ttl_seconds=900, project="a", now=NOW))
    stripped = tokens.encode(tokens.Macaroon(derived.location, derived.identifier, derived.caveats[:-1], derived.signature))
    assert not pypi_accepts(stripped, now=NOW, project="other", user_id=USER_ID)
    assert not pypi_accepts(stripped, now=NOW, project="a", user_id=USER_ID)


def test_pypitoken_reads_back_the_appended_restrictions_and_checks_them():
    derived = tokens.derive(ACCOUNT_WIDE, ttl_seconds=3600, project="Sample.Project", now=NOW)

    token = pypitoken.Token.load(derived)

    assert token.domain == "pypi.org"
    assert token.restrictions[1:] == [
        pypitoken.DateRestriction(not_before=NOW - 30, not_after=NOW + 3600),
        pypitoken.ProjectNamesRestriction(project_names=["sample-project"]),
    ]
    token.check(key=KEY, project_name="sample-project", user_id=USER_ID, now=NOW + 10)
    with pytest.raises(pypitoken.ValidationError):
        token.check(key=KEY, project_name="other", user_id=USER_ID, now=NOW + 10)
    with pytest.raises(pypitoken.ValidationError):
        token.check(key=KEY, project_name="sample-project", user_id=USER_ID, now=NOW + 3600)


def test_derive_without_project_only_adds_expiry():
    derived = tokens.derive(ACCOUNT_WIDE, ttl_seconds=60, now=utc(NOW))
    info = tokens.inspect(derived)
    assert [c.kind for c in info.caveats] == ["user", "expiry"]
    assert info.scope == "unrestricted"
    assert pypi_accepts(derived, now=NOW, project="anything", user_id=USER_ID)
    assert not pypi_accepts(derived, now=NOW + 60, project="anything", user_id=USER_ID)


@pytest.mark.parametrize("kind", ["legacy account-wide", "legacy project", "trusted publisher", "testpypi"])
def test_derive_from_older_and_other_kinds(kind):
    case = KINDS[kind]
    source = mint(case["caveats"], location=case.get("location", "pypi.org"))
    project = "sampleproject" if case["scope"] != "trusted-publisher" else None
    derived = tokens.derive(source, ttl_seconds=300, project=project, now=NOW)

    context = dict(project="sampleproject", project_id=PROJECT_ID, user_id=USER_ID, publisher_id=PUBLISHER_ID)
    assert pypi_accepts(derived, now=NOW, **context)
    assert not pypi_accepts(derived, now=NOW + 300, **context)
    assert tokens.inspect(derived).host == case.get("location", "pypi.org")


def test_derive_refuses_a_project_the_token_does_not_allow():
    source = mint([current([1, ["alpha"]])])
    with pytest.raises(UsageError, match="does not allow project 'beta'") as caught:
        tokens.derive(source, ttl_seconds=60, project="Beta", now=NOW)
    assert "alpha" in caught.value.hint


def test_derive_refuses_an_expired_token():
    source = mint([current([0, NOW, NOW - 900])])
    with pytest.raises(TokenFormatError, match="already expired"):
        tokens.derive(source, ttl_seconds=60, now=NOW)


@pytest.mark.parametrize("ttl", [0, -1, tokens.MAX_TTL_SECONDS + 1, True, 1.5, "60"])
def test_derive_refuses_bad_lifetimes(ttl):
    with pytest.raises(UsageError):
        tokens.derive(ACCOUNT_WIDE, ttl_seconds=ttl, now=NOW)


@pytest.mark.parametrize("project", ["", "-a", "a b", "a/b", "ä"])
def test_derive_refuses_invalid_project_names(project):
    with pytest.raises(UsageError, match="not a valid project name"):
        tokens.derive(ACCOUNT_WIDE, ttl_seconds=60, project=project, now=NOW)


def test_derive_refuses_a_token_pypi_would_reject():
    source = v2(HEADER, fld(2, b"[0,\"soon\",1]") + b"\x00", END)
    with pytest.raises(TokenFormatError, match="caveat 1"):
        tokens.derive(source, ttl_seconds=60, now=NOW)


# --------------------------------------------------------------------------------------
# Property tests: round trip, and the decoder fuzzed side by side with pymacaroons
# --------------------------------------------------------------------------------------

macaroons = st.builds(
    tokens.Macaroon,
    location=st.text(max_size=40),
    identifier=st.binary(max_size=200),
    caveats=st.lists(st.binary(max_size=300), max_size=6),
    signature=st.binary(min_size=32, max_size=32),
)


@FUZZ
@given(macaroons)
def test_encode_decode_round_trip_and_pymacaroons_agrees(m):
    token = tokens.encode(m)

    assert tokens.decode(token) == m
    theirs = load(token)
    assert (theirs.location, theirs.identifier_bytes, theirs.signature) == (m.location, m.identifier, m.signature.hex())
    assert [c.caveat_id_bytes for c in theirs.caveats] == m.caveats
    rebuilt = pymacaroons.Macaroon(location=m.location, identifier=m.identifier, signature=m.signature.hex(), version=2)
    rebuilt.caveats = [pymacaroons.Caveat(caveat_id=c, version=2) for c in m.caveats]
    assert "pypi-" + rebuilt.serialize() == token


SEEDS = [
    mint(KINDS[kind]["caveats"], location=KINDS[kind].get("location", "pypi.org"))
    for kind in ("legacy project with project ids", "project plus expiry", "trusted publisher", "no caveats at all")
]


def raw_bytes(token: str) -> bytes:
    body = token[len("pypi-") :]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


@st.composite
def mutated_raw(draw) -> bytes:
    data = bytearray(raw_bytes(draw(st.sampled_from(SEEDS))))
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if how == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif how == "set" and data:
            data[at] = draw(st.sampled_from([0x00, 0x01, 0x02, 0x04, 0x06, 0x7F, 0x80, 0xFF]))
        elif how == "truncate":
            del data[at:]
        elif how == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif how == "delete" and data:
            del data[at : at + draw(st.integers(1, 4))]
    return bytes(data)


def pymacaroons_reading(body: str):
    try:
        return pymacaroons.Macaroon.deserialize(body)
    except Exception:  # pymacaroons raises many types (pymacaroons issue 50)
        return None


def check_against_pymacaroons(token: str) -> None:
    try:
        ours = tokens.decode(token)
    except TokenFormatError:
        return  # refusing more than pymacaroons is allowed
    theirs = pymacaroons_reading(token[len("pypi-") :])
    assert theirs is not None, "accepted a token pymacaroons rejects"
    assert ours.location == theirs.location
    assert ours.identifier == theirs.identifier_bytes
    assert ours.caveats == [c.caveat_id_bytes for c in theirs.caveats]
    assert all(c.first_party() for c in theirs.caveats)
    assert ours.signature.hex() == theirs.signature
    assert tokens.encode(ours) == token
    try:
        tokens.inspect(token)
    except TokenFormatError:
        pass


@FUZZ
@given(mutated_raw())
@example(raw_bytes(SEEDS[0]) + b"\x00")
@example(b"\x02" + HEADER + fld(1, b"x") + fld(2, b"c") + b"\x00" + END)  # location in a first-party caveat
@example(b"\x02" + fld(1, b"pypi.org") + b"\x02\x82\x00id\x00" + END)  # non-minimal varint
@example(b"\x02" + HEADER + b"\x00" + fld(6, SIG[:31]))  # short signature
@example(raw_bytes(SEEDS[1])[:-1])
@example(b"")
def test_fuzzed_binary_never_crashes_and_never_accepts_what_pymacaroons_rejects(raw):
    check_against_pymacaroons("pypi-" + base64.urlsafe_b64encode(raw).decode().rstrip("="))


@st.composite
def mutated_text(draw) -> str:
    text = list(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["replace", "truncate", "insert", "delete"]))
        at = draw(st.integers(0, len(text) - 1))
        char = draw(st.sampled_from(list("Aa0-_=+/ .\n\x00é") + [chr(draw(st.integers(0, 0x10FFFF)))]))
        if how == "replace":
            text[at] = char
        elif how == "truncate":
            del text[at:]
        elif how == "insert":
            text.insert(at, char)
        else:
            del text[at]
        if not text:
            break
    return "".join(text)


@FUZZ
@given(mutated_text())
@example(non_canonical_base64())
def test_fuzzed_text_never_crashes_and_never_accepts_what_pymacaroons_rejects(token):
    check_against_pymacaroons(token)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
caveat_values = json_values | st.tuples(st.integers(-1, 6), json_values, json_values).map(list)


@FUZZ
@given(st.lists(caveat_values, max_size=4))
def test_inspect_never_crashes_on_arbitrary_json_caveats(values):
    token = mint([json.dumps(v) for v in values])
    try:
        info = tokens.inspect(token)
    except TokenFormatError as e:
        assert e.message.startswith("caveat ")
        return
    json.dumps(info.to_json())
    assert len(info.caveats) == len(values)


# --------------------------------------------------------------------------------------
# Import cost
# --------------------------------------------------------------------------------------


def test_importing_tokens_pulls_in_nothing_heavy():
    code = (
        "import sys, pypicreds.tokens; "
        "heavy = ['json', 'keyring', 'cryptography', 'typer', 'rich', 'configupdater', 'platformdirs', 'twine', "
        "'pymacaroons', 'pypitoken', 'pydantic']; "
        "print(','.join(h for h in heavy if h in sys.modules))"
    )
    src = str(Path(tokens.__file__).parents[2])
    env = {**os.environ, "PYTHONPATH": src}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert result.stdout.strip() == ""


# The token text rules are written without `re` (upload reads tokens before twine starts); they
# must agree with the regular expressions they replace, on any text.
_TEXT = st.text(st.sampled_from("aZ09-_.~ é\t\x00\u0660+/=") | st.characters(), max_size=12)


@given(_TEXT)
@example("a")
@example("-a")
@example("a.")
@example("A_b.c-9")
@example("\u0661")
@example("")
def test_project_name_rules_agree_with_pep_508_and_503(name):
    import re

    pep508 = re.fullmatch(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", name, re.IGNORECASE | re.ASCII) is not None
    assert tokens.valid_project_name(name) == pep508
    assert tokens.normalize_project(name) == re.sub(r"[-_.]+", "-", name).lower()


@given(_TEXT)
@example("")
@example("a")
@example(" a")
@example("a\u3000b")
def test_token_shape_rules_agree_with_their_regular_expressions(text):
    import re

    token = "pypi-" + text
    shaped = re.fullmatch(r"pypi-[A-Za-z0-9_-]+", token) is not None
    assert tokens.unquote(f'"{token}"') == ((token, True) if shaped else (f'"{token}"', False))
    try:
        tokens.check_token_text(token, pypi_like=True)
        accepted = True
    except TokenFormatError:
        accepted = False
    stripped = token.strip()
    assert accepted == (re.search(r"[\s\x00-\x1f\x7f]", stripped) is None
                        and re.fullmatch(r"pypi-[A-Za-z0-9_-]+", stripped) is not None)
