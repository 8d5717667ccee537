"""Messages about repairs that a command made and has not shown yet (the CLI prints them).

Standard library only and no imports at all: the CLI imports it at start-up."""

_pending: list[str] = []


def add(text: str) -> None:
    """Keep a note for `take_notes`, once: a command may try a failing repair more than once
    (a read repairs, then the store read repairs again), and the second says nothing new."""
    if text not in _pending:
        _pending.append(text)


def take_notes() -> list[str]:
    """The repair messages since the last call."""
    notes = list(_pending)
    _pending.clear()
    return notes
