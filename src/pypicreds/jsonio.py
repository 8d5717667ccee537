"""JSON for the commands that run in every shell, without the `json` package.

`import json` brings `re`, `enum` and `functools` with it: a sixth of `pypicreds env`'s own
start-up. The interpreter's C accelerator (`_json`) that `json` itself drives does the real
work; this drives it directly, with the same strictness (no NaN or Infinity) and the same
results: `loads(text) == json.loads(text)` for every document, and `canonical(value) ==
json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)`, which the tests
check. Where `_json` is missing (another Python), the `json` package does it.
"""

from __future__ import annotations

_WHITESPACE = " \t\n\r"


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


class _Context:
    """What the C scanner reads from json.JSONDecoder: a strict decoder without hooks."""

    strict = True
    object_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(_refuse_constant)

    def __init__(self, pairs_hook=None) -> None:
        self.object_pairs_hook = pairs_hook


def loads(text: str | bytes, pairs_hook=None):
    """A JSON document (text or UTF-8 bytes); ValueError when it is not one. `pairs_hook`: as
    json's object_pairs_hook."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        from _json import make_scanner
    except ImportError:  # pragma: no cover (CPython always has it)
        import json

        return json.loads(text, object_pairs_hook=pairs_hook, parse_constant=_refuse_constant)
    if text.startswith("\ufeff"):
        raise ValueError("a byte order mark before the JSON document")
    start = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        value, end = make_scanner(_Context(pairs_hook))(text, start)
    except StopIteration as e:
        raise ValueError(f"not JSON at character {e.value}") from None
    except SystemError:
        # _json raises its errors through json.decoder, and only finds that module when it is
        # imported already: on this (error) path, json itself says what is wrong
        import json

        json.loads(text, object_pairs_hook=pairs_hook, parse_constant=_refuse_constant)
        raise ValueError("not JSON") from None
    if text[end:].strip(_WHITESPACE):
        raise ValueError(f"extra data after the JSON document at character {end}")
    return value


def _unserialisable(value):
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def canonical(value) -> str:
    """`value` as compact, key-sorted, ASCII-only JSON (the form digests and AAD are taken of)."""
    try:
        from _json import encode_basestring_ascii, make_encoder
    except ImportError:  # pragma: no cover
        import json

        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    encode = make_encoder(None, _unserialisable, encode_basestring_ascii, None, ":", ",", True, False, False)
    return "".join(encode(value, 0))
