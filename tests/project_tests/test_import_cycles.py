"""No two modules of the apps import each other, directly or round a loop.

Every import counts, including one inside a function (hiding an import there hides the
cycle, it does not remove it). A package's `__init__` importing its own submodules to
re-export them is not a cycle; a submodule importing its parent package would be one.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("secondopinion", "requests", "navigators")


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path, apps: tuple[str, ...]) -> dict[str, Path]:
    """Return every module of the apps (migrations aside: Django imports them, not we)."""
    found = {}
    for app in apps:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" not in path.parts:
                found[_module_name(root, path)] = path
    return found


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    """Return the absolute name a `from ... import` reads from (relative ones resolved)."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def import_graph(root: Path = ROOT, apps: tuple[str, ...] = APPS) -> dict[str, set[str]]:
    """Return, for each module of the apps, the modules of the apps it imports.

    `from pkg import name` points at the submodule `pkg.name` when there is one, else at
    `pkg` itself. Importing `pkg.mod` runs `pkg/__init__` first, but that implicit edge is
    left out: a package's `__init__` importing its own submodules is then no cycle, while an
    explicit import of the package from inside it still closes one (see parent_imports).
    """
    modules = _modules(root, apps)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                source = _resolve(module, path, node)
                for alias in node.names:
                    child = f"{source}.{alias.name}"
                    targets.append(child if child in modules else source)
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]  # `import a.b.c` of a name inside
                if not target or target == module:
                    continue
                graph[module].add(target)
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        # Iterative, so that a deep import chain cannot exhaust the recursion limit.
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return components


def _a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """Return one loop through the component's first module, to name in the failure."""
    members, start = set(component), component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node] & members):
            if target == start:
                return [*paths[node], start]
            if target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    return component


def parent_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Return each (module, package) where a module imports a package that holds it.

    A package's `__init__` runs before any of its modules, so a module that imports it
    back (to reach a sibling through the re-exports) is a loop the graph above leaves out:
    siblings import each other directly.
    """
    return sorted(
        (module, target)
        for module, targets in graph.items()
        for target in targets
        if module.startswith(target + ".")
    )


def test_no_import_cycle() -> None:
    """No set of modules of the apps imports itself round a loop, and no module imports the
    package it belongs to."""
    graph = import_graph()
    cycles = [" -> ".join(_a_cycle(graph, part)) for part in strongly_connected(graph)]
    cycles += [
        f"{module} -> {package} (its own package)" for module, package in parent_imports(graph)
    ]
    assert not cycles, "Import cycles:\n" + "\n".join(cycles)


def test_the_walk_finds_the_cycles_it_must(tmp_path: Path) -> None:
    """The checker itself, on a small package: a loop closed by an import inside a function,
    through relative imports and `from pkg import module`, and a child importing its parent
    package are found; a package importing its own children is not a cycle."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from .a import x\nfrom .c import y\n")
    (package / "a.py").write_text("from . import b\nx = 1\n")
    (package / "b.py").write_text("def f():\n    from .a import x\n    return x\n")
    (package / "c.py").write_text("from pkg import x\ny = 2\n")
    (package / "d.py").write_text("import pkg.c\n")

    graph = import_graph(tmp_path, ("pkg",))

    assert graph == {
        "pkg": {"pkg.a", "pkg.c"},
        "pkg.a": {"pkg.b"},
        "pkg.b": {"pkg.a"},
        "pkg.c": {"pkg"},
        "pkg.d": {"pkg.c"},
    }
    assert sorted(strongly_connected(graph)) == [["pkg", "pkg.c"], ["pkg.a", "pkg.b"]]
    assert _a_cycle(graph, ["pkg.a", "pkg.b"]) == ["pkg.a", "pkg.b", "pkg.a"]
    assert parent_imports(graph) == [("pkg.c", "pkg")]
