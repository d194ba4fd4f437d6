"""The layout shows the architecture: no import cycle, and layers that only look down.

Imports are read from the source with ``ast``, every one that runs - at the
top of a module or inside a function - and none that only a type checker
sees (``if TYPE_CHECKING:``). ``sut/__init__.py`` loads its public names on
first use (``importlib``), so it imports nothing here: ``sut.X`` (or ``from sut
import X``) imports the module that is ``X``'s home.
"""

from __future__ import annotations

import ast
import functools
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import sut

SUT = Path(sut.__file__).parent
# The project's own files, wherever the package is installed (tox installs a copy).
ROOT = Path(__file__).resolve().parents[2]

# Each part of the package, and the parts below it that it may import. Worker
# processes import the engine and the scenarios, so those two must reach
# nothing parent-side: drive, report, CLI.
LAYERS = {
    "sut.leftovers": set(),
    "sut.orphans": set(),
    "sut.chat": {"sut.leftovers", "sut.orphans"},  # the application: no harness code
    "sut.engine": {"sut.orphans"},
    "sut.scenarios": {"sut.engine", "sut.chat", "sut.leftovers"},
    "sut.drive": {"sut.engine", "sut.scenarios"},
    "sut.report": {"sut.drive", "sut.engine", "sut.scenarios"},
    "sut.cli": {"sut.report", "sut.drive", "sut.engine", "sut.scenarios", "sut.chat"},
    "sut.pytest_plugin": {"sut.report", "sut.drive", "sut.engine", "sut.leftovers"},
    "sut.__main__": {"sut.cli"},
    "sut": set(),
}
WORKER_SIDE = ("sut.engine", "sut.scenarios")
# Modules that live beside a scenario but run only where a search does.
PARENT_SIDE_BESIDE_SCENARIOS = {"sut.scenarios.chat.search"}


def _modules() -> dict[str, Path]:
    found = {"sut": SUT / "__init__.py"}
    for info in pkgutil.walk_packages([str(SUT)], prefix="sut."):
        module = importlib.util.find_spec(info.name)
        assert module is not None
        assert module.origin is not None
        found[info.name] = Path(module.origin)
    return found


MODULES = _modules()


@functools.cache
def _tree(name: str) -> ast.Module:
    """Module ``name``, parsed once for every test here."""
    return ast.parse(MODULES[name].read_text(encoding="utf-8"))


@functools.cache
def _runtime(name: str) -> tuple[ast.AST, ...]:
    """Every node of module ``name`` that runs (see :func:`_runtime_nodes`)."""
    return tuple(_runtime_nodes(_tree(name)))


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (child for branch in node.orelse for child in _runtime_nodes(branch))
            continue
        yield node
        yield from _runtime_nodes(node)


def _imports(name: str) -> set[str]:
    """The modules of this package that ``name`` imports when it runs."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    nodes = _runtime(name)
    for node in nodes:
        if isinstance(node, ast.Import) and [alias.name for alias in node.names] == ["sut"]:
            # The public face: each ``sut.X`` used is loaded from X's home.
            found |= {sut._HOMES[used.attr] for used in nodes if isinstance(used, ast.Attribute)
                      and isinstance(used.value, ast.Name) and used.value.id == "sut"
                      and used.attr in sut._HOMES}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            if base == "sut":  # the public face: each name is loaded from its home
                found |= {sut._HOMES[alias.name] for alias in node.names
                          if alias.name in sut._HOMES}
                continue
            # ``from package import module`` imports that module, not the package's names.
            submodules = {f"{base}.{alias.name}" for alias in node.names} & MODULES.keys()
            found |= submodules or {base}
    return {module for module in found if module in MODULES and module != name}


GRAPH = {name: _imports(name) for name in MODULES}


def _part(module: str) -> str:
    return max((part for part in LAYERS if module == part or module.startswith(part + ".")),
               key=len)


def test_every_module_belongs_to_a_layer() -> None:
    assert {_part(module) for module in MODULES} <= LAYERS.keys()


def test_the_package_has_no_import_cycle() -> None:
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        if module in path:
            cycle = (*path[path.index(module):], module)
            pytest.fail(f"import cycle: {' -> '.join(cycle)}")
        if module in done:
            return
        for imported in sorted(GRAPH[module]):
            visit(imported, (*path, module))
        done.add(module)

    for module in sorted(GRAPH):
        visit(module, ())


def test_each_layer_imports_only_itself_and_the_layers_below() -> None:
    wrong = [f"{module} imports {imported}" for module, imported_set in GRAPH.items()
             for imported in imported_set
             if _part(imported) != _part(module) and _part(imported) not in LAYERS[_part(module)]]
    assert not wrong


def _reach(module: str) -> set[str]:
    seen: set[str] = set()
    todo = [module]
    while todo:
        for imported in GRAPH[todo.pop()] - seen:
            seen.add(imported)
            todo.append(imported)
    return seen


def test_worker_side_modules_reach_nothing_parent_side() -> None:
    worker_side = [module for module in MODULES if module.startswith(WORKER_SIDE)
                   and module not in PARENT_SIDE_BESIDE_SCENARIOS]
    wrong = {module: sorted(reached) for module in worker_side
             if (reached := {other for other in _reach(module)
                             if (not other.startswith(WORKER_SIDE)
                             and _part(other) not in ("sut.chat", "sut.leftovers",
                                                      "sut.orphans"))
                             or other in PARENT_SIDE_BESIDE_SCENARIOS})}
    assert not wrong


def _imports_hypothesis(module: str) -> bool:
    return any(isinstance(node, ast.Import | ast.ImportFrom) and "hypothesis" in
               (node.module or "" if isinstance(node, ast.ImportFrom)
                else " ".join(alias.name for alias in node.names))
               for node in _runtime(module))


def test_worker_side_modules_never_import_hypothesis() -> None:
    with_hypothesis = {module for module in MODULES if _imports_hypothesis(module)}
    worker_side = [module for module in MODULES if module.startswith(WORKER_SIDE)
                   and module not in PARENT_SIDE_BESIDE_SCENARIOS]
    assert with_hypothesis, "the check reads imports: the searches do import Hypothesis"
    assert not [module for module in worker_side
                if with_hypothesis & {module, *_reach(module)}]


def test_the_public_face_lists_its_names_and_loads_each_one() -> None:
    assert sut.__all__ == sorted(sut.__all__)
    for name in sut.__all__:
        assert getattr(sut, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = sut.nothing


# What the built-in scenarios take from the engine beside the public face: helpers
# that phrase the evidence of long runs, read a ticket database strictly and name
# SQLite's journal modes - not
# part of what declaring a scenario takes.
ENGINE_HELPERS = {"sut.engine.spans", "sut.engine.strict", "sut.engine.sqlite_model"}


def test_the_built_in_scenarios_are_declared_through_the_public_face() -> None:
    beside = {f"{name} imports {node.module}" for name in MODULES
              if name.startswith("sut.scenarios")
              for node in _runtime(name)
              if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sut.engine")
              and node.module not in ENGINE_HELPERS}
    assert not beside
    declared = [name for name in MODULES if name.startswith("sut.scenarios.")
                and "\nimport sut\n" in MODULES[name].read_text(encoding="utf-8")]
    assert len(declared) >= 9


def test_the_design_names_every_module_and_no_module_that_is_gone() -> None:
    design = (ROOT / "docs" / "DESIGN.md").read_text(encoding="utf-8")
    files = {path.relative_to(SUT.parent).as_posix() for path in MODULES.values()}
    # A module by its path, or by its name in a row of its folder's modules;
    # a package's __init__ by its folder.
    unnamed = [file for file in files if file not in design
               and f"`{file.rpartition('/')[2]}`" not in design
               and f"`{file.removesuffix('__init__.py')}`" not in design]
    gone = [named for named in re.findall(r"`(sut/[\w/]+\.py)`", design) if named not in files]
    assert (unnamed, gone) == ([], [])


# A function longer than this is doing more than one thing.
LONGEST_FUNCTION = 50


def test_no_function_is_longer_than_fifty_lines() -> None:
    long = [f"{name}.{node.name}: {node.end_lineno - node.lineno + 1} lines"
            for name in MODULES
            for node in ast.walk(_tree(name))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.end_lineno is not None
            and node.end_lineno - node.lineno + 1 > LONGEST_FUNCTION]
    assert not long
