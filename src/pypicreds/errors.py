"""The one error type pypicreds raises for expected failures, and its exit codes.

Every expected failure is a `PypicredsError`: the CLI catches it in one place and
prints ``pypicreds: error: <message>`` (plus a hint) on stderr. A message or hint
must never contain a token.
"""

from __future__ import annotations


class ExitCode:
    """The exit codes (docs/exit-codes.md). Plain ints, not an IntEnum: `enum` is a tenth of
    `pypicreds env`'s own start-up."""

    OK = 0
    ERROR = 1  # an expected failure: bad input, a store that cannot be used, ...
    USAGE = 2  # the command line itself is wrong
    CANNOT_RUN = 126  # `exec`: the command exists but cannot be run
    NOT_FOUND = 127  # `exec`: the command to run does not exist
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)


class PypicredsError(Exception):
    """An expected failure, reported as one line with an optional hint."""

    exit_code: int = ExitCode.ERROR

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class Interrupted(Exception):
    """Ctrl-C: the command stops, printing `pypicreds: aborted` (exit 130). Not a
    KeyboardInterrupt, which Typer would turn into a silent exit. `line_ended`: a prompt has
    already ended its line, so the message needs no newline before it."""

    def __init__(self, line_ended: bool = False) -> None:
        super().__init__("aborted")
        self.line_ended = line_ended


class TakeOver(BaseException):
    """Not a failure: a command that ends by running another program's main in this process
    (`upload` runs twine's). Raised where an exec would be, once pypicreds' part is done. A
    BaseException, as SystemExit is, so that no handler on the way (guarded's, click's) takes
    it for an error: cli.main.run catches it and calls run(), whose result is the exit status."""

    def run(self) -> object:
        raise NotImplementedError


class UsageError(PypicredsError):
    exit_code = ExitCode.USAGE


class StoreUnavailable(PypicredsError):
    """A token store cannot be used on this machine right now (reason in the message)."""


class StoreError(PypicredsError):
    """A store is usable but an operation on it failed."""


class VaultError(StoreError):
    """The encrypted vault could not be opened: wrong passphrase, tampering, bad format."""


class PypircError(PypicredsError):
    """`.pypirc` cannot be read or written."""


class TokenFormatError(PypicredsError):
    """A token is not in a form pypicreds accepts or can read."""
