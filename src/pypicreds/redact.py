"""Keep tokens out of anything printed on an unexpected error.

Every token this process handles is remembered here, so the one place that prints
unexpected tracebacks can scrub them, along with anything shaped like a PyPI token and the
`user:password@` of any URL."""

from __future__ import annotations

import re

_seen: set[str] = set()
_PYPI_TOKEN = re.compile(r"pypi-[A-Za-z0-9_-]{8,}")
_URL_CREDENTIALS = re.compile(r"(://)[^/?#\s@]*@")


def remember(secret: str) -> str:
    if secret:
        _seen.add(secret)
    return secret


def scrub(text: str) -> str:
    for secret in sorted(_seen, key=len, reverse=True):
        text = text.replace(secret, "<token>")
    return _URL_CREDENTIALS.sub(r"\1***@", _PYPI_TOKEN.sub("<token>", text))
