"""The model's modules form no import cycle.

A cycle among ``sim.model`` and what it imports (records, outcomes, events, engines) is
what made each new mechanism a question of which module may import which, and hid the
engines' dependence on the model behind function-level imports. The graph counts every
import, at module level, inside functions and under ``TYPE_CHECKING``, the way
import-linter does: ``from pkg import name`` is an edge to ``pkg.name`` where that is a
module, to ``pkg`` otherwise.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

import sim

PACKAGE = Path(sim.__file__).parent


def _module_name(path: Path) -> str:
    parts = ["sim", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.AST, modules: set[str]) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                if sub in modules:
                    found.add(sub)
                elif node.module in modules:
                    found.add(node.module)
    return found


def import_graph() -> nx.DiGraph:
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = nx.DiGraph()
    for name, path in paths.items():
        graph.add_node(name)
        for target in _imported(ast.parse(path.read_text()), set(paths)) - {name}:
            graph.add_edge(name, target)
    return graph


def test_the_model_and_what_it_imports_form_no_cycle():
    graph = import_graph()
    model_modules = {"sim.model", "sim.runs"} | nx.descendants(graph, "sim.model")
    cycles = list(nx.simple_cycles(graph.subgraph(model_modules)))
    assert not cycles, f"import cycles: {sorted(cycles, key=len)[:5]}"


def test_engines_do_not_import_the_model():
    graph = import_graph()
    engines = [n for n in graph if n.startswith("sim.engines")]
    assert all("sim.model" not in nx.descendants(graph, e) for e in engines)


def test_the_graph_sees_imports_inside_functions():
    """The check would pass vacuously if it missed function-level imports."""
    graph = import_graph()
    assert graph.has_edge("sim.runs", "sim.model")  # imported inside run_model
