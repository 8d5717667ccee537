"""A child for `exec --mask` tests and the benchmark: prints its token (TWINE_PASSWORD) in
every way a real program might, so the relay's output can be compared byte for byte.

    python chatty_child.py plan PLAN.json       writes planned chunks (see `expand`)
    python chatty_child.py volume MEGABYTES     writes a deterministic stream (see `volume`)
    python chatty_child.py lines FILE           prints FILE line by line, as a tool prints its log
    python chatty_child.py tty                  prints what it knows of its stdout and stderr

Every chunk is one os.write, so a pause between two is a real split between reads.
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import time

SLICE = re.compile(rb"\{(-?\d*):(-?\d*)\}")


def expand(text: str, token: str) -> bytes:
    """`{a:b}` in `text` becomes token[a:b] (`{:}`: the whole token)."""
    secret = token.encode()

    def piece(match: re.Match) -> bytes:
        start, end = (int(g) if g else None for g in match.groups())
        return secret[start:end]

    return SLICE.sub(piece, text.encode())


def volume(token: str, megabytes: float, seed: int = 15) -> list[bytes]:
    """About `megabytes` of log-like lines, the token inside one line in about 500, cut into
    writes of 1 byte to 64 KiB (so tokens straddle writes)."""
    rng = random.Random(seed)
    secret = token.encode()
    words = [b"Uploading", b"distributions", b"to", b"https://upload.pypi.org/legacy/", b"100%", b"INFO",
             b"pypi", b"pypi-", b"p", b"token", b"\xc3\xa9t\xc3\xa9", b"\x1b[32mok\x1b[0m", b"-AgE",
             secret[: len(secret) // 2], secret[1:], secret[:-1]]  # near misses: not the token
    lines = []
    size = 0
    while size < megabytes * 1_000_000:
        line = b" ".join(rng.choice(words) for _ in range(rng.randint(0, 14)))
        if rng.random() < 0.002:
            cut = rng.randint(0, len(line))
            line = line[:cut] + secret + line[cut:]
        line += b"\n" if rng.random() < 0.97 else b""
        lines.append(line)
        size += len(line)
    data = b"".join(lines)
    chunks = []
    i = 0
    while i < len(data):
        step = rng.choice((1, 7, 100, 4096, 65536, rng.randint(1, 20000)))
        chunks.append(data[i : i + step])
        i += step
    return chunks


def main(argv: list[str]) -> int:
    token = os.environ.get("TWINE_PASSWORD", "")
    if argv[0] == "plan":
        with open(argv[1]) as f:
            plan = json.load(f)
        for fd, text, pause in plan:
            os.write(fd, expand(text, token))
            if pause:
                time.sleep(pause)
    elif argv[0] == "volume":
        for chunk in volume(token, float(argv[1])):
            os.write(1, chunk)
    elif argv[0] == "lines":
        out = sys.stdout.buffer
        with open(argv[1], "rb") as f:
            for line in f:
                out.write(line)
    elif argv[0] == "tty":
        for fd in (1, 2):
            size = os.get_terminal_size(fd) if os.isatty(fd) else None
            print(f"fd {fd}: isatty {os.isatty(fd)} size {tuple(size) if size else None}", file=sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
