"""The package's layers: no import cycles among grader's modules (imports inside functions count
too), and the command line is the top layer, which nothing else imports."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "grader"


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("grader", *path.relative_to(PACKAGE).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def import_graph() -> dict[str, set[str]]:
    """Module -> the grader modules it imports, anywhere in it (module level, functions, TYPE_CHECKING)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                # `from . import x` of a module x imports x; of any other name, the module it is in
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                # the module itself, else the nearest enclosing module (a name imported from it)
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles():
    graph = import_graph()
    # A package's __init__ re-exporting its modules is no cycle of behaviour, but still one of
    # imports; the only such edges allowed are a package importing its own submodules.
    cycle = _cycle({m: {t for t in ts if not (t.startswith(m + ".") and m in _packages())} for m, ts in graph.items()})
    assert cycle is None, " -> ".join(cycle)


def _packages() -> set[str]:
    return {name for name, path in _modules().items() if path.name == "__init__.py"}


def test_nothing_below_the_command_line_imports_it():
    offenders = {m: sorted(t for t in ts if t == "grader.cli" or t.startswith("grader.cli.")) for m, ts in import_graph().items() if not (m == "grader.cli" or m.startswith("grader.cli."))}
    assert {m: ts for m, ts in offenders.items() if ts} == {}


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_public_surface_is_importable_from_the_package():
    import grader

    assert grader.__all__ and all(hasattr(grader, name) for name in grader.__all__)
    assert {"Rubric", "load_rubric", "AnswerGrade", "PointGrade", "Verdict", "Flag", "compute_metrics", "RoutingPolicy", "RunRecord"} <= set(grader.__all__)


# The package order, lowest first (docs/architecture.md, "Package layout"). A module may import
# only from its own layer or the ones below; the shared ground modules sit under everything.
LAYERS = [
    ("ground", {"grader.errors", "grader.jsonl", "grader.progress", "grader.web", "grader.textnorm", "grader.files", "grader.sqlite"}),
    ("model", {"grader.model"}),
    ("rubric", {"grader.rubric"}),
    ("grading", {"grader.grading", "grader.prompts"}),
    ("evaluation", {"grader.evaluation"}),
    ("recruiting", {"grader.recruiting", "grader.practice"}),
    ("cli", {"grader.cli"}),
]


def layer_of(module: str) -> int | None:
    for rank, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    return None  # the package root (grader/__init__.py re-exports, above everything but the CLI)


def upward_imports(graph: dict[str, set[str]]) -> dict[str, list[str]]:
    offenders = {}
    for module, targets in graph.items():
        rank = layer_of(module)
        if rank is None:
            continue
        up = sorted(t for t in targets if (r := layer_of(t)) is not None and r > rank)
        if up:
            offenders[module] = up
    return offenders


def test_every_module_belongs_to_a_layer():
    unplaced = sorted(m for m in _modules() if m != "grader" and layer_of(m) is None)
    assert unplaced == []


def test_each_layer_imports_only_from_those_below_it():
    assert upward_imports(import_graph()) == {}


def test_the_order_check_finds_an_upward_import():
    assert upward_imports({"grader.model.client": {"grader.grading.results"}}) == {"grader.model.client": ["grader.grading.results"]}
    assert upward_imports({"grader.grading.results": {"grader.model.client"}}) == {}
