"""Shell completion: the value callbacks, and the checked-in scripts under completions/.

The callbacks run on every Tab press, so they read only pypicreds' index (names, URLs,
projects): never a token store, never the keyring. Any failure completes nothing.

The scripts are Typer's own, as `_PYPICREDS_COMPLETE=source_SHELL pypicreds` prints them;
they call back into `pypicreds` for the candidates. Regenerate them with
`python -m pypicreds.cli.complete --write completions/` (`--check` reports stale ones).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

COMPLETE_VAR = "_PYPICREDS_COMPLETE"

# shell -> file name under completions/, named as each shell looks for it
SCRIPT_FILES = {
    "bash": "pypicreds.bash",
    "zsh": "_pypicreds",  # a #compdef file: its name must be _pypicreds on $fpath
    "fish": "pypicreds.fish",
    "powershell": "pypicreds.ps1",
}

# Descriptions for the choices; the choices themselves are store.STORE_NAMES and session.shells.SHELLS.
STORE_HELP = {"keyring": "the OS keyring", "file": "the encrypted file vault"}
SHELL_HELP = {
    "sh": "POSIX sh: bash, zsh, sh", "bash": "bash", "zsh": "zsh", "fish": "fish", "powershell": "PowerShell",
    "dotenv": "KEY=value lines", "json": "one JSON object",
}


def _index_entries() -> list:
    try:
        from ..store.index import Index

        return Index.load().entries
    except Exception:  # a damaged or unreadable index must not break the user's shell
        return []


def complete_repository(incomplete: str) -> list[tuple[str, str]]:
    """Stored repository names, each with its URL as the help text."""
    seen: dict[str, str] = {}
    for entry in _index_entries():
        seen.setdefault(entry.name, entry.url)
    return sorted((name, url) for name, url in seen.items() if name.startswith(incomplete))


def complete_project(ctx, incomplete: str) -> list[tuple[str, str]]:
    """Projects with their own token, limited to the repository already on the line."""
    repository = (ctx.params or {}).get("name") if ctx is not None else None
    seen: dict[str, str] = {}
    for entry in _index_entries():
        if entry.project and (repository is None or entry.name == repository):
            seen.setdefault(entry.project, f"token for {entry.name}")
    return sorted((project, info) for project, info in seen.items() if project.startswith(incomplete))


def complete_store(incomplete: str) -> list[tuple[str, str]]:
    from ..store import STORE_NAMES

    return [(name, STORE_HELP.get(name, name)) for name in STORE_NAMES if name.startswith(incomplete)]


def complete_shell(incomplete: str) -> list[tuple[str, str]]:
    from ..session.shells import SHELLS

    return [(name, SHELL_HELP.get(name, name)) for name in SHELLS if name.startswith(incomplete)]


def complete_publisher(incomplete: str) -> list[str]:
    from ..session.variables import CHOICES

    return [name for name in CHOICES if name.startswith(incomplete)]


def completion_script(shell: str) -> str:
    """The script Typer generates for `shell`, exactly as `pypicreds` itself prints it."""
    import subprocess  # deferred: only the regenerate script needs it, not every Tab press

    env = {**os.environ, COMPLETE_VAR: f"source_{shell}"}
    result = subprocess.run(
        [sys.executable, "-m", "pypicreds"], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0 or not result.stdout.strip():
        raise RuntimeError(f"could not generate the {shell} completion script: {result.stderr.strip()}")
    return result.stdout.strip() + "\n"  # as `--show-completion` prints it: #compdef on line 1


def stale_scripts(directory: Path) -> list[str]:
    """File names under `directory` that differ from what Typer generates now."""
    return [
        name
        for shell, name in SCRIPT_FILES.items()
        if not (directory / name).is_file() or (directory / name).read_text() != completion_script(shell)
    ]


def write_scripts(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for shell, name in SCRIPT_FILES.items():
        path = directory / name
        path.write_text(completion_script(shell))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m pypicreds.cli.complete",
        description="Write or check the shell completion scripts in completions/.",
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", metavar="DIR", type=Path, help="(re)write the scripts into DIR")
    action.add_argument("--check", metavar="DIR", type=Path, help="exit 1 when a script in DIR is stale")
    args = parser.parse_args(argv)
    if args.write:
        for path in write_scripts(args.write):
            print(path)
        return 0
    stale = stale_scripts(args.check)
    for name in stale:
        print(f"stale: {args.check / name} (regenerate with --write {args.check})", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
