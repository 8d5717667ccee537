"""Mint PyPI-shaped tokens for tests with pymacaroons and a throwaway key, and check them
the way PyPI does (pymacaroons' Verifier plus a small model of warehouse's caveat rules).

Nothing here talks to PyPI; the key is made up per test session.
"""

from __future__ import annotations

import json
import secrets
import uuid

import pymacaroons

KEY = secrets.token_bytes(32)  # throwaway: PyPI keeps a random key per token, as here


def current(caveat: list) -> str:
    """A caveat as warehouse has serialised it since 2023: compact, sorted JSON."""
    return json.dumps(caveat, sort_keys=True, separators=(",", ":"))


def legacy(caveat: dict) -> str:
    """A caveat as warehouse serialised it in 2019-2022: `json.dumps` with default separators."""
    return json.dumps(caveat)


def mint(caveats: list[str | bytes], *, location: str = "pypi.org", identifier: str | None = None, key: bytes = KEY) -> str:
    """A token as warehouse's `create_macaroon` builds it: v2, `pypi-` prefix, unpadded base64."""
    m = pymacaroons.Macaroon(
        location=location,
        identifier=identifier or str(uuid.uuid4()),
        key=key,
        version=pymacaroons.MACAROON_V2,
    )
    for caveat in caveats:
        m.add_first_party_caveat(caveat)
    return f"pypi-{m.serialize()}"


def load(token: str) -> pymacaroons.Macaroon:
    assert token.startswith("pypi-")
    return pymacaroons.Macaroon.deserialize(token[len("pypi-") :])


def pypi_accepts(
    token: str,
    *,
    key: bytes = KEY,
    now: int,
    project: str | None = None,
    project_id: str | None = None,
    user_id: str | None = None,
    publisher_id: str | None = None,
) -> bool:
    """Whether PyPI would accept `token` for an upload in this context.

    pymacaroons' Verifier checks the signature chain; the general-caveat callback is a
    small, independent model of warehouse's caveat rules (current and legacy forms).
    """

    def satisfied(predicate: str) -> bool:
        data = json.loads(predicate)
        if isinstance(data, dict):
            if data.get("version") == 1 and data.get("permissions") == "user":
                return user_id is not None
            if data.get("version") == 1:
                return project in data["permissions"]["projects"]
            if "exp" in data:
                return data["nbf"] <= now < data["exp"]
            return project_id in data["project_ids"]
        tag = data[0]
        if tag == 0:
            return data[2] <= now < data[1]
        if tag == 1:
            return project in data[1]
        if tag == 2:
            return project_id in data[1]
        if tag == 3:
            return data[1] == user_id
        if tag == 4:
            return data[1] == publisher_id
        return False

    verifier = pymacaroons.Verifier()
    verifier.satisfy_general(satisfied)
    try:
        return verifier.verify(load(token), key)
    except pymacaroons.exceptions.MacaroonInvalidSignatureException:
        return False
