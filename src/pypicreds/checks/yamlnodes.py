"""Reading composed YAML nodes (ci_files.py) without constructing them: mappings, sequences
and scalars as written, each with its line. yaml itself is never imported here: nodes are told
apart by their `id` ("mapping", "sequence", "scalar"), so this costs nothing to import.

A composed document is a graph: an alias is the node its anchor names, and a hostile file can
make one node reachable in exponentially many ways. Nothing here walks a document whole; each
function looks one level down, and `<<` merge keys are followed at most MERGE_DEPTH deep.
"""

from __future__ import annotations

MERGE_DEPTH = 8


def scalar(node) -> str | None:
    """The text of a scalar node (whatever its tag: `!reference`, a number, `on`), else None."""
    return node.value if getattr(node, "id", None) == "scalar" else None


def line(node) -> int:
    return node.start_mark.line + 1


def mapping(node, depth: int = 0) -> dict:
    """A mapping node's entries as {key text: value node}, in order, `<<` merges resolved (the
    mapping's own keys win, as YAML says); {} for anything else."""
    if getattr(node, "id", None) != "mapping":
        return {}
    own: dict = {}
    merged: dict = {}
    for key, value in node.value:
        name = scalar(key)
        if name == "<<" and depth < MERGE_DEPTH:
            for source in items(value):
                for k, v in mapping(source, depth + 1).items():
                    merged.setdefault(k, v)
        elif name is not None:
            own[name] = value
    return {**merged, **own}


def items(node) -> list:
    """A sequence node's items; any other node alone; nothing for None."""
    if node is None:
        return []
    return list(node.value) if getattr(node, "id", None) == "sequence" else [node]


def strings(node, depth: int = 0) -> list:
    """The scalar nodes of a value that GitLab reads as a list of lines (`script:`): a string,
    or a list of them, nested lists flattened (as `!reference` produces) a few levels deep."""
    if scalar(node) is not None:
        return [node]
    if getattr(node, "id", None) == "sequence" and depth < 4:
        return [s for item in node.value for s in strings(item, depth + 1)]
    return []


def text_lines(node) -> list[tuple[str, int]]:
    """Each line of a scalar (a `run:` script) with its line in the file: exact for literal
    blocks (`|`), the scalar's first line otherwise (folding has lost where lines were)."""
    text = scalar(node)
    if text is None:
        return []
    if getattr(node, "style", None) == "|":
        first = line(node) + 1  # the content starts below the `|` indicator
        return [(part, first + i) for i, part in enumerate(text.split("\n"))]
    return [(part, line(node)) for part in text.split("\n")]
