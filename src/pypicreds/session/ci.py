"""Tokens handed out in CI: GitHub Actions' `::add-mask::` lines, and whether `exec` masks.

GitHub masks only the secrets it knows; a token read from pypicreds' vault or derived with
--ttl is new to it. Under GITHUB_ACTIONS=true, every command that hands out a token first writes
`::add-mask::<token>`, so the runner replaces it with `***` in every later log line of the job.

Where the line goes (from the runner's source, actions/runner src/Runner.Worker/Handlers/
ScriptHandler.cs and src/Runner.Sdk/ProcessInvoker.cs): the runner reads a step's stdout and
stderr with one reader each and hands every line of both to the same workflow-command parser,
so a command on stderr works exactly like one on stdout. GitHub's documentation speaks of
stdout only. The two readers run apart: within a batch stderr lines are handled before stdout
lines, but a line on one stream is not ordered against a line on the other. So:

- always on stderr: stdout of `env` and `show --reveal` is data that `$(...)` captures (a mask
  line there would never reach the log, and `eval` would run it as a command);
- also on stdout, first, when a child writes to our stdout directly (`exec --no-mask`, `upload`):
  then each stream carries the mask before anything the child writes to it. With the relay
  (`exec --mask`) no token reaches either stream, and stdout stays the child's own.

Nothing is written unless GITHUB_ACTIONS is exactly `true`: elsewhere the line would show the
token. GitLab has no such command (it masks only variables defined in its settings): there
`exec` masks the child's output itself, on by default whenever CI is set.
"""

from __future__ import annotations

import os
import sys

from .. import redact
from ..errors import UsageError

TYPE_CHECKING = False  # (on `env`'s path: no collections.abc at run time)
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

# Shorter values are not masked (GitLab does not mask them either): masking a password of three
# letters would blank out every word that contains them. Every token is far longer.
MIN_MASKED = 8


def in_github_actions(environ: Mapping[str, str] | None = None) -> bool:
    return (os.environ if environ is None else environ).get("GITHUB_ACTIONS") == "true"


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    """CI is set, as GitHub Actions, GitLab CI and most other CI systems set it (`true`)."""
    value = (os.environ if environ is None else environ).get("CI", "")
    return value.strip().lower() not in ("", "0", "false", "no")


def masking_wanted(mask: bool, no_mask: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Whether `exec` relays the child's output with the tokens masked: --mask, --no-mask, else CI
    (where the relay can run: it needs POSIX process spawning, so not on Windows)."""
    if mask and no_mask:
        raise UsageError("--mask and --no-mask contradict each other", hint="give one of them")
    if mask and not hasattr(os, "posix_spawn"):
        raise UsageError("--mask needs a POSIX system (Linux, macOS)", hint="run the command with --no-mask")
    if mask or no_mask:
        return mask
    return in_ci(environ) and hasattr(os, "posix_spawn")


def mask_line(secret: str) -> str:
    """`::add-mask::` for one value, escaped as the runner unescapes it (% CR LF)."""
    data = secret.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::add-mask::{data}\n"


def handed_out(values: Mapping[str, str]) -> list[str]:
    """The secret values among variables handed to a publisher (whatever their names): those
    this process read from a store or derived, each once."""
    return list(dict.fromkeys(v for v in values.values() if redact.is_secret(v)))


def announce(secrets: Iterable[str], *, child_writes_stdout: bool = False,
             environ: Mapping[str, str] | None = None) -> None:
    """Under GitHub Actions, tell the runner to mask each secret from now on (see above for
    which streams). Call it before anything that could print a secret; flushed at once."""
    if not in_github_actions(environ):
        return
    text = "".join(mask_line(s) for s in dict.fromkeys(secrets) if len(s.strip()) >= MIN_MASKED)
    if not text:
        return
    streams = (sys.stdout, sys.stderr) if child_writes_stdout else (sys.stderr,)
    for stream in streams:
        stream.flush()  # whatever was written before stays before
        stream.write(text)
        stream.flush()
