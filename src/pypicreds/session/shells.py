"""Statements that set or remove environment variables, for each shell (values in, text out).

`pypicreds env` prints these for the user's shell to evaluate; this module only renders text
(standard library only, nothing printed). Every renderer returns lines ending in a newline;
write the text to stdout as it is.

POSIX (sh, bash, zsh, dash) must survive the way people actually type it::

    eval $(pypicreds env testpypi)      # unquoted: word-split on IFS and globbed first!
    eval "$(pypicreds env testpypi)"

Before an unquoted `eval` sees the text, the shell splits it into words on spaces, tabs
and newlines, globs each word, and joins the words back with single spaces: `'a  b'`
becomes `'a b'`, and a word like `'x*'` can turn into file names (or vanish under bash's
nullglob). So every statement ends with `;`, and the text contains no run of whitespace
and no glob character. A value made only of `_PLAIN` characters (every real token, user
name and URL) is printed single-quoted as it is. Any other value is rebuilt by `printf`
from octal escapes of its UTF-8 bytes, which every POSIX printf (dash's too) understands::

    export TWINE_PASSWORD='pypi-AgEI...';
    export TWINE_PASSWORD="`printf 'a\\040\\040b\\052'`";                 # a  b*
    TWINE_PASSWORD="`printf 'a\\012.'`"; TWINE_PASSWORD="${TWINE_PASSWORD%.}"; export TWINE_PASSWORD;

Backquotes rather than `$(...)`: zsh with GLOB_SUBST treats `(` from an unquoted
substitution as a glob group and fails with "bad pattern". Command substitution drops
trailing newlines, hence the `.` sentinel for values that end in one. We assume the
default IFS (space, tab, newline).

`--unset` output always removes the variables (`unset NAME;`), never sets them empty:
twine takes an empty TWINE_PASSWORD as the password and stops looking.
"""

from __future__ import annotations

import os

from ..errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

SHELLS = ("sh", "bash", "zsh", "fish", "powershell", "dotenv", "json")

# Characters that stay literal in a POSIX single-quoted word of an unquoted `$(...)` (no IFS,
# no glob or zsh/ksh extended-glob operator, even with GLOB_SUBST) and bare in every dotenv
# reader (no `$`, `#`, quotes, whitespace). Every token, user name and plain URL is made of them.
_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789%+,-./:=@_")


def default_shell() -> str:
    """The syntax printed without --shell: POSIX sh, whatever $SHELL says.

    Output that is `eval`ed in scripts must not depend on who runs them; fish and
    PowerShell users pass --shell (see `detect_shell_hint`).
    """
    return "sh"


# How each shell evaluates the output (sh syntax otherwise: `eval $(...)`), for notes on stderr.
_EVALUATE = {
    "fish": "pypicreds env {args} --shell fish | source",
    "powershell": "pypicreds env {args} --shell powershell | Out-String | Invoke-Expression",
}


def evaluate_command(syntax: str, args: str) -> str:
    """The command line that evaluates `pypicreds env ARGS` in a shell of `syntax`."""
    return _EVALUATE.get(syntax, "eval $(pypicreds env {args})").format(args=args)


def detect_shell_hint(environ: Mapping[str, str] | None = None, args: str = "NAME") -> str | None:
    """A hint for users whose login shell cannot evaluate sh syntax, or None. `args`: the
    arguments the hint repeats (`NAME --for uv`: the same publisher's variables).

    Only advice (for stderr): the syntax itself never depends on $SHELL.
    """
    shell = os.path.basename((os.environ if environ is None else environ).get("SHELL", ""))
    if shell == "fish":
        return f"your shell looks like fish: use `{evaluate_command('fish', args)}`"
    if shell in ("pwsh", "powershell"):
        return f"your shell looks like PowerShell: use `{evaluate_command('powershell', args)}`"
    return None


def check_shell(shell: str) -> str:
    """Return `shell` if it is one of SHELLS, else raise UsageError listing them."""
    if not shell:  # `--shell=`: no silent default
        raise UsageError("--shell needs a value", hint=f"use --shell with one of: {', '.join(SHELLS)}")
    if shell not in SHELLS:
        from ..suggest import did_you_mean

        near = did_you_mean(shell, SHELLS)
        raise UsageError(f"unknown shell {shell!r}",
                         hint=(f"{near} " if near else "") + f"use --shell with one of: {', '.join(SHELLS)}")
    return shell


def render_set(values: Mapping[str, str], shell: str) -> str:
    """Statements that set and export each variable to its value, in the given order."""
    check_shell(shell)
    _check_names(values)
    if shell == "json":
        import json  # only here: `eval $(pypicreds env ...)` should not pay for it

        return json.dumps(dict(values), ensure_ascii=True) + "\n"
    render = {"fish": _fish_set, "powershell": _powershell_set, "dotenv": _dotenv_set}.get(shell, _posix_set)
    return "".join(render(name, value) + "\n" for name, value in values.items())


def render_unset(names: Iterable[str], shell: str) -> str:
    """Statements that remove the variables (never set them empty).

    json: an object mapping each name to null. dotenv cannot remove a variable (and `NAME=`
    would set an empty password), so it is refused with a UsageError.
    """
    check_shell(shell)
    names = list(names)
    _check_names(names)
    if shell == "dotenv":  # name the publisher's own variables (--for): not always TWINE_*
        raise UsageError(
            "a dotenv file cannot remove variables",
            hint=f"delete the lines of {_listed(names)} from the file, or use --unset with --shell sh, fish, "
            "powershell or json",
        )
    if shell == "json":
        import json

        return json.dumps(dict.fromkeys(names), ensure_ascii=True) + "\n"
    line = {
        "fish": "set -e {};",
        "powershell": "Remove-Item Env:{} -ErrorAction SilentlyContinue;",
    }.get(shell, "unset {};")
    return "".join(line.format(name) + "\n" for name in names)


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _check_names(names: Iterable[str]) -> None:
    for name in names:
        if not (name.isascii() and name.isidentifier()):  # [A-Za-z_][A-Za-z0-9_]*
            raise ValueError(f"not an environment variable name: {name!r}")


def _utf8(value: str) -> bytes:
    # surrogateescape: values read from os.environ with undecodable bytes come back unchanged
    return value.encode("utf-8", "surrogateescape")


def _posix_set(name: str, value: str) -> str:
    if all(char in _PLAIN for char in value):
        return f"export {name}='{value}';"
    # printf format: plain bytes as they are, all else (and `%`, and a leading `-` that
    # printf would take for an option) as 3-digit octal, which no following digit extends.
    fmt = "".join(
        chr(byte) if chr(byte) in _PLAIN and chr(byte) != "%" and (i or byte != ord("-")) else f"\\{byte:03o}"
        for i, byte in enumerate(_utf8(value))
    )
    if not value.endswith("\n"):
        return f"export {name}=\"`printf '{fmt}'`\";"
    return f"{name}=\"`printf '{fmt}.'`\"; {name}=\"${{{name}%.}}\"; export {name};"


def _fish_set(name: str, value: str) -> str:
    """`set -gx NAME 'value';` with only printable ASCII inside the quotes.

    `eval (cmd)` splits the output on newlines and joins the lines with spaces, so newlines
    and every other byte outside printable ASCII are written as `\\xHH` escapes between
    quoted parts (fish turns each into that byte, in any locale).
    """
    parts = []
    for char in value:
        if " " <= char <= "~":
            parts.append("'" + char.replace("\\", "\\\\").replace("'", "\\'") + "'")
        else:
            parts.append("".join(f"\\x{byte:02x}" for byte in _utf8(char)))
    quoted = "".join(_merge_quoted(parts)) or "''"
    return f"set -gx {name} {quoted};"


def _powershell_set(name: str, value: str) -> str:
    """`$Env:NAME = 'value';`, one line per variable, pure ASCII.

    In single quotes only `'` is special (doubled). Anything outside printable ASCII is a
    `[char]0xXXXX` per UTF-16 unit, so a value with a newline stays on one line (for
    `| Invoke-Expression` without Out-String) and no console code page can mangle it.
    Note: PowerShell removes a variable assigned an empty string.
    """
    parts = []
    for char in value:
        if " " <= char <= "~":
            parts.append("'" + char.replace("'", "''") + "'")
        else:
            utf16 = char.encode("utf-16-be", "surrogatepass")
            parts.extend(f"[char]0x{utf16[i:i + 2].hex().upper()}" for i in range(0, len(utf16), 2))
    if not parts or not parts[0].startswith("'"):
        parts.insert(0, "''")  # `[char] + 'x'` would be arithmetic: start with a string
    return f"$Env:{name} = {' + '.join(_merge_quoted(parts))};"


def _dotenv_set(name: str, value: str) -> str:
    """`NAME=value` for .env files: bare if plain, else single-quoted; some values refused.

    Bare values (only `_PLAIN` characters: every token, user name and ordinary URL) are
    read literally by every reader: docker `--env-file`, docker compose, python-dotenv,
    GitHub's $GITHUB_ENV, systemd EnvironmentFile, and `set -a; . ./.env` in sh. Other values
    are single-quoted, which python-dotenv, docker compose and sh read literally; docker
    `run --env-file` would keep the quotes. Values with a newline, carriage return, `'`,
    `\\` or `${` (python-dotenv expands `${VAR}` even in single quotes) have no spelling that
    these readers agree on: UsageError.
    """
    if value and all(char in _PLAIN for char in value):
        return f"{name}={value}"
    if "${" in value or any(char in value for char in "\n\r'\\\x00"):
        raise UsageError(
            f"the value of {name} cannot be written to a dotenv file",
            hint="it contains a newline, a quote, a backslash or ${; use --shell json or --shell sh",
        )
    return f"{name}='{value}'"


def _merge_quoted(parts: list[str]) -> list[str]:
    """Merge neighbouring single-quoted parts: `'a'` `'b'` -> `'ab'` (readable output)."""
    merged: list[str] = []
    for part in parts:
        if merged and part.startswith("'") and merged[-1].startswith("'"):
            merged[-1] = merged[-1][:-1] + part[1:]
        else:
            merged.append(part)
    return merged
