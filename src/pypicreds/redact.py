"""Keep tokens out of anything printed on an unexpected error.

Every token this process handles is remembered here, so the one place that prints
unexpected tracebacks can scrub them, along with anything shaped like a PyPI token and the
`user:password@` of any URL; `exec --mask` masks every remembered token (the stored one and any
derived from it) in the child's output."""

from __future__ import annotations

_seen: set[str] = set()


_passphrase_held = False


def hold_passphrase(passphrase: str) -> str:
    """Note that this process holds the vault's passphrase. Not scrubbed from text like a token
    (a passphrase can be any words, and would eat them from every message); noted so that
    nothing that must not reach it runs in this process (session/twine_process.py)."""
    global _passphrase_held
    _passphrase_held = True
    return passphrase


def holds_passphrase() -> bool:
    return _passphrase_held


def remember(secret: str) -> str:
    if secret:
        _seen.add(secret)
    return secret


def is_secret(value: str) -> bool:
    """Whether `value` is a token (or password) this process has read or derived."""
    return value in _seen


def remembered() -> list[str]:
    """Every secret seen so far in this process, longest first."""
    return sorted(_seen, key=len, reverse=True)


def scrub(text: str) -> str:
    """`text` without any remembered token, token-shaped text, or URL credentials. (`re` is
    imported here, on the way to an error message: `remember` is on `env`'s path.)"""
    import re

    for secret in remembered():
        text = text.replace(secret, "<token>")
    text = re.sub(r"pypi-[A-Za-z0-9_-]{8,}", "<token>", text)
    return re.sub(r"(://)[^/?#\s@]*@", r"\1***@", text)
