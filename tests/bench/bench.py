"""Start-up benchmark: pypicreds' commands against what they cannot be faster than.

Run by hand (not collected by pytest; these machines are shared and noisy):

    .venv/bin/python tests/bench/bench.py [--rounds 30] [--upload-rounds 40] [--slack 2.0] [--only env-file]

Each row times whole processes, alternating A and B round after round (so drifting machine
load hits both alike), and prints both medians, A/B, and each side's peak memory (the median
of the processes' max RSS). Exit status 1 when any ratio is over its budget (times --slack).

Every row runs in the configuration users have: a fresh HOME, pypicreds' directory where the
platform puts it (no PYPICREDS_HOME, no XDG_* variable), `.pypirc` in HOME, and no PYPICREDS_*
variable but those the row names (the labelled PYPICREDS_HOME row, say). Setting up a row may
use others (`PYPICREDS_STORE=file` for an `add`), never the timed commands: the benchmark
refuses to run when its own environment holds a PYPICREDS_* variable, or when a row's timed
environment would hold one it does not name. Real parts throughout: a key-file vault, a real
gnome-keyring on a private D-Bus bus, a real pypiserver on 127.0.0.1; all stopped by PID.

PYTHONDONTWRITEBYTECODE=1 (set on this machine) would make every run compile pypicreds from
source; the bench byte-compiles src/ once and runs everything without that variable.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
sys.path.insert(0, str(TESTS / "helpers"))
sys.path.insert(0, str(Path(__file__).parent))

from rows import MEMORY_RUNS, ROWS, Row  # noqa: E402

from realparts import SecretService  # noqa: E402


def refuse_inherited_variables() -> None:
    inherited = sorted(name for name in os.environ if name.startswith("PYPICREDS_"))
    if inherited:
        raise SystemExit(f"bench: {', '.join(inherited)} is set in this environment; the rows run in the "
                         "configuration users have: unset it and run again")


def warn_of_an_old_launcher() -> None:
    """The console script is what users run, as their installer wrote it: an old pip's imports
    `re` first (~5 ms a run) where pipx, uv and a current pip's do not."""
    from rows import PYPICREDS

    if "import re\n" in Path(PYPICREDS).read_text(errors="replace"):
        print(f"bench: {PYPICREDS} imports re (an old pip wrote it): every pypicreds row pays ~5 ms that "
              "users of a current pip do not; `.venv/bin/python -m pip install -U pip` and reinstall", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="timed runs of each A and B per row (default 30)")
    parser.add_argument("--upload-rounds", type=int, default=40,
                        help="rounds for the rows that run twine or keyring (default 40: a run takes a quarter "
                        "of a second, and a few milliseconds of noise in it would swing a ratio by 2%%)")
    parser.add_argument("--slack", type=float, default=1.0, help="multiply every budget (e.g. 2.0 in CI)")
    parser.add_argument("--only", action="append", choices=list(ROWS), help="run only these rows")
    args = parser.parse_args(argv)
    refuse_inherited_variables()
    warn_of_an_old_launcher()

    compileall.compile_dir(str(ROOT / "src"), quiet=1)
    print("bench: byte-compiled src/ and running without PYTHONDONTWRITEBYTECODE", file=sys.stderr)
    wanted = args.only or list(ROWS)
    tmp = Path(tempfile.mkdtemp(prefix="pypicreds-bench-"))
    rows: list[Row] = []
    try:
        with contextlib.ExitStack() as stack:
            service = None
            for key in wanted:
                make, needs_keyring, slow = ROWS[key]
                if needs_keyring and service is None:
                    service = stack.enter_context(SecretService(tmp / "secret-service"))
                rounds = args.upload_rounds if slow else args.rounds
                rows.append(make(tmp / key, rounds, service) if needs_keyring else make(tmp / key, rounds))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return report(rows, args)


def report(rows: list[Row], args) -> int:
    print(f"{'command (A)':<62} {'baseline (B)':<46} {'A ms':>7} {'B ms':>7} {'A/B':>6} {'budget':>7}"
          f"  {'A MiB':>6} {'B MiB':>6}  result")
    missed = 0
    for row in rows:
        if row.budget is None:  # for orientation only
            shown, result = f"{'-':>7}", "info"
        else:
            budget = row.budget * args.slack
            ok = row.ratio <= budget
            missed += not ok
            shown, result = f"{budget:7.2f}", "ok" if ok else "MISSED"
        print(f"{row.command[:62]:<62} {row.baseline[:46]:<46} {row.a.seconds * 1000:7.1f} "
              f"{row.b.seconds * 1000:7.1f} {row.ratio:6.2f} {shown}  {row.a.mib:6.1f} {row.b.mib:6.1f}  {result}")
    print(f"medians of {args.rounds} alternating rounds ({args.upload_rounds} for twine and keyring); slack {args.slack:g}; "
          f"MiB: median peak RSS of {MEMORY_RUNS} more runs (GNU time)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
