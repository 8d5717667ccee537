"""`pypicreds` and `python -m pypicreds`."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if not os.environ.get("PYPICREDS_NO_FAST_PATH"):
        from .cli import fast

        code = fast.run(args)
        if code is not None:
            return code
    from .cli.run import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
