"""The shape of the code: no import cycles, the agreed app layering, nothing imports the demo app.

Every .py file of the apps (migrations and tests excluded) is parsed with `ast`; every
import counts, at module level or inside a function (a function-local import dodges a
cycle at import time but is still a dependency). The graph holds project modules only.

Layering (lowest first): cme_portal < accounts < programs < careers < outcomes <
supervision < api < demo. A domain module imports only its own app and lower layers. Web
modules (views, urls, forms, admin, template tags, management commands, apps.py) may
import any app's domain modules; nothing but the demo app imports `demo`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("cme_portal", "accounts", "programs", "careers", "outcomes", "supervision", "api", "demo")
WEB_FILE_NAMES = frozenset({"views.py", "urls.py", "forms.py", "admin.py", "apps.py"})
WEB_FILE_SUFFIXES = ("_views.py", "_urls.py", "_forms.py")
WEB_DIRECTORIES = frozenset({"templatetags", "management"})
SKIPPED_DIRECTORIES = frozenset({"migrations", "tests", "__pycache__"})


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int


def _is_skipped(path: Path) -> bool:
    return any(part in SKIPPED_DIRECTORIES for part in path.relative_to(ROOT).parts)


def project_files() -> dict[str, Path]:
    """Module name -> file, for every app package at the root."""
    modules: dict[str, Path] = {}
    for app in LAYERS:
        package = ROOT / app
        if not (package / "__init__.py").exists():
            continue
        for path in sorted(package.rglob("*.py")):
            if _is_skipped(path):
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest project module that `name` names or lies inside, None outside the project."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> Iterator[Import]:
    """Every project module that `module` imports, anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _resolve(alias.name, modules)
                if target is not None:
                    yield Import(module, target, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = _package_of(module, path).split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                # `from pkg import name` imports the submodule pkg.name when there is one.
                target = _resolve(f"{base}.{alias.name}", modules) if alias.name != "*" else None
                target = target or _resolve(base, modules)
                if target is not None:
                    yield Import(module, target, node.lineno)


def import_graph() -> dict[str, list[Import]]:
    modules = project_files()
    return {
        module: [item for item in imports_of(module, path, modules) if item.imported != module]
        for module, path in modules.items()
    }


def app_of(module: str) -> str:
    return module.partition(".")[0]


def is_web_module(module: str, path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return (
        path.name in WEB_FILE_NAMES
        or path.name.endswith(WEB_FILE_SUFFIXES)
        or any(part in WEB_DIRECTORIES for part in parts[:-1])
    )


def strongly_connected_components(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative (the graph has a few hundred modules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    advanced = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


def import_cycles() -> list[frozenset[str]]:
    graph = {module: {item.imported for item in items} for module, items in import_graph().items()}
    return sorted(
        (frozenset(component) for component in strongly_connected_components(graph) if len(component) > 1),
        key=sorted,
    )


def layer_violations() -> list[Import]:
    modules = project_files()
    found = []
    for module, items in import_graph().items():
        if is_web_module(module, modules[module]):
            continue
        rank = LAYERS.index(app_of(module))
        found.extend(item for item in items if LAYERS.index(app_of(item.imported)) > rank)
    return found


def _describe(item: Import) -> str:
    return f"{item.importer} (line {item.line}) imports {item.imported}"


# --- The rules ------------------------------------------------------------------


def test_no_import_cycle_between_modules():
    cycles = sorted(sorted(cycle) for cycle in import_cycles())
    assert not cycles, f"Import cycles (function-local imports count): {cycles}"


def test_domain_modules_import_only_their_own_app_and_lower_layers():
    violations = [_describe(item) for item in layer_violations()]
    assert not violations, "Domain modules importing a higher layer:\n" + "\n".join(violations)


def test_nothing_outside_the_demo_app_imports_it():
    importers = [
        _describe(item)
        for items in import_graph().values()
        for item in items
        if app_of(item.imported) == "demo" and app_of(item.importer) != "demo"
    ]
    assert not importers, "Only the demo app imports demo:\n" + "\n".join(importers)


# --- The checker itself ---------------------------------------------------------


def test_the_graph_sees_function_local_and_relative_imports():
    graph = import_graph()
    edges = {(item.importer, item.imported) for items in graph.values() for item in items}
    # `from . import fit, scoring` in programs/ranking/queries.py, a function-local
    # `from .curation.quality import ...` in programs/admin.py, and an absolute import of another app.
    assert ("programs.ranking.queries", "programs.ranking.scoring") in edges
    assert ("programs.admin", "programs.curation.quality") in edges
    assert ("careers.selectors", "programs.ranking.scoring") in edges
    scoring_imports = graph["programs.ranking.scoring"]
    assert not any(app_of(item.imported) != "programs" for item in scoring_imports)


def test_web_modules_are_told_apart_from_domain_modules():
    modules = project_files()
    web = {module for module, path in modules.items() if is_web_module(module, path)}
    assert {"programs.views", "programs.admin", "outcomes.forms", "careers.templatetags.careers_tags"} <= web
    assert is_web_module("programs.curation_views", ROOT / "programs" / "curation_views.py")
    assert is_web_module("programs.curation.urls", ROOT / "programs" / "curation" / "urls.py")
    assert {"programs.selectors", "careers.services", "supervision.equity"}.isdisjoint(web)
    assert any(module.startswith("programs.management.") for module in web)


def test_cycle_finder_reports_every_cycle_and_only_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": {"d"}, "f": set(), "g": {"g"}}
    components = {frozenset(c) for c in strongly_connected_components(graph) if len(c) > 1}
    assert components == {frozenset("abc"), frozenset("de")}


def test_function_local_imports_are_seen(tmp_path, monkeypatch):
    package = tmp_path / "careers"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "selectors.py").write_text("def f():\n    from supervision.selectors import g\n    return g\n")
    (tmp_path / "supervision").mkdir()
    (tmp_path / "supervision" / "__init__.py").write_text("")
    (tmp_path / "supervision" / "selectors.py").write_text("from careers import selectors\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert import_cycles() == [frozenset({"careers.selectors", "supervision.selectors"})]
    assert [(v.importer, v.imported) for v in layer_violations()] == [("careers.selectors", "supervision.selectors")]
