"""`pypicreds` and `python -m pypicreds` (the work is in cli/main.py)."""

from __future__ import annotations

import sys

from .cli.main import main, run

if __name__ == "__main__":
    sys.exit(run())
