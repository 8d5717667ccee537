"""The shape of the code, read from its source: no import cycles, no private name crossing a
package boundary, one hand-parsed grammar that agrees with Typer, files small enough to read.

Imports are read with `ast`, so every import counts, also those deferred into functions (a
deferred import is still a dependency); only those under `if TYPE_CHECKING:` are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pypicreds

SRC = Path(pypicreds.__file__).resolve().parent
MAX_LINES = 400


def module_name(path: Path, root: Path, top: str) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([top, *parts])


def modules(root: Path, top: str) -> dict[str, Path]:
    return {module_name(p, root, top): p for p in sorted(root.rglob("*.py"))}


def _type_checking_only(node: ast.AST, parents: dict) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports(name: str, path: Path, known: dict[str, Path]):
    """(imported module, names taken from it, line) for each import of a module in `known`."""
    tree = ast.parse(path.read_text(), str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield alias.name, [], node.lineno
            continue
        base = package
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        target = (f"{base}.{node.module}" if node.module else base) if node.level else node.module
        for alias in node.names:
            submodule = f"{target}.{alias.name}"
            if submodule in known:
                yield submodule, [], node.lineno
            elif target in known:
                yield target, [alias.name], node.lineno


def import_graph(root: Path, top: str) -> dict[str, set[str]]:
    known = modules(root, top)
    return {name: {target for target, _, _ in imports(name, path, known) if target != name}
            for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def package_of(module: str, known: dict[str, Path], top: str) -> str:
    """The package a module belongs to for the private-name rule: its subpackage of `top`
    (pypicreds.store, pypicreds.cli, ...), or the module itself for one at the top level."""
    parts = module.split(".")
    if len(parts) == 1:
        return module
    first = f"{top}.{parts[1]}"
    return first if known[first].name == "__init__.py" else module


def private_crossings(root: Path, top: str) -> list[str]:
    known = modules(root, top)
    bad = []
    for name, path in known.items():
        home = package_of(name, known, top)
        for target, taken, line in imports(name, path, known):
            private = [n for n in taken if n.startswith("_") and not n.startswith("__")]
            if private and package_of(target, known, top) != home:
                bad.append(f"{path.relative_to(root)}:{line}: {', '.join(private)} from {target}")
        tree = ast.parse(path.read_text())
        aliases = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                   for alias in node.names}
        for node in ast.walk(tree):  # `module._name` on a module imported from elsewhere
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and node.attr.startswith("_") and not node.attr.startswith("__")):
                for target, _, _ in imports(name, path, known):
                    if target.rsplit(".", 1)[-1] == node.value.id and package_of(target, known, top) != home:
                        bad.append(f"{path.relative_to(root)}:{node.lineno}: {node.value.id}.{node.attr}")
                        break
    return bad


def test_no_import_cycles():
    graph = import_graph(SRC, "pypicreds")
    assert len(graph) > 40 and graph["pypicreds.cli.app"], "the graph was not built"
    assert cycles(graph) == []


def test_no_private_name_crosses_a_package_boundary():
    assert private_crossings(SRC, "pypicreds") == []


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_the_checks_see_a_planted_cycle_and_a_planted_private_import(tmp_path):
    """The two checks above can fail: on a small package with exactly one of each."""
    _write(tmp_path, {
        "__init__.py": "",
        "a.py": "from .b import thing\n",
        "b.py": "def thing():\n    from . import a\n",  # deferred, still a cycle
        "c.py": "TYPE_CHECKING = False\nif TYPE_CHECKING:\n    from . import d\n",
        "d.py": "from . import c\n",  # only a TYPE_CHECKING edge back: no cycle
        "pkg/__init__.py": "",
        "pkg/inner.py": "_secret = 1\n_other = 2\n",
        "pkg/sibling.py": "from .inner import _secret\n",  # same package: allowed
        "outside.py": "from .pkg.inner import _secret\nfrom .pkg import inner\nx = inner._other\n",
    })
    assert cycles(import_graph(tmp_path, "demo")) == [["demo.a", "demo.b"]]
    assert private_crossings(tmp_path, "demo") == ["outside.py:1: _secret from demo.pkg.inner",
                                                   "outside.py:3: inner._other"]


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_files_are_small_enough_to_read_in_one_sitting(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_the_grammar_table_agrees_with_the_typer_commands():
    """Every option the hand-parsed table knows is one Typer declares for the same command, with
    the same parameter name, taking a value exactly when Typer's does."""
    import typer.main

    from pypicreds.cli.app import app
    from pypicreds.cli.argv import GRAMMARS

    commands = typer.main.get_command(app).commands
    for name, grammar in GRAMMARS.items():
        params = {opt: param for param in commands[name].params for opt in getattr(param, "opts", [])}
        for option, parameter in grammar.values.items():
            assert params[option].name == parameter and not params[option].is_flag, (name, option)
        for option, parameter in grammar.flags.items():
            assert params[option].name == parameter and params[option].is_flag, (name, option)
        arguments = [p.name for p in commands[name].params if p.param_type_name == "argument"]
        assert list(grammar.positional) == arguments[: len(grammar.positional)], name
