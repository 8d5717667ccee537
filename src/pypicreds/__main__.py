"""`pypicreds` and `python -m pypicreds`."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from .cli.run import run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
