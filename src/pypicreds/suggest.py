"""The nearest known word to a mistyped one (a repository name, a project, a store, a shell),
for a "did you mean" hint. Only error paths call this."""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to `word`, compared case-insensitively by edit distance (a swap of
    two neighbouring letters counts once); None when none is near enough to be a typo."""
    typed = word.lower()
    reach = 1 if len(typed) <= 4 else 2 if len(typed) <= 12 else 3
    best: tuple[int, str] | None = None
    for candidate in sorted(set(candidates)):
        if candidate == word:
            continue
        distance = _distance(typed, candidate.lower())
        if distance <= reach and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best else None


def did_you_mean(word: str, candidates: Iterable[str], shown: str = "`{}`") -> str | None:
    """`did you mean `NAME`?` for the nearest candidate, or None."""
    near = closest(word, candidates)
    return f"did you mean {shown.format(near)}?" if near else None


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps."""
    if abs(len(a) - len(b)) > 3:
        return 4  # farther than any reach
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y))
            if before is not None and i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        before, previous = previous, current
    return previous[-1]
