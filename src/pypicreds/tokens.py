"""Token text rules, masking and fingerprints (standard library only).

The macaroon reader (scope, expiry, derived tokens) lives here too; see issue #4.
"""

from __future__ import annotations

import hashlib
import re

from .errors import TokenFormatError

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
