"""The catalogue: every scenario and its variants, for the CLI, the tests and the demo -
the built-in ones, those installed packages add, and a user's own, named by where they are.

A scenario is named on the command line (and to :func:`get`) in one of three ways:

- by its name: a built-in scenario (:data:`sut.scenarios.MODULES`, which the
  forkserver also preloads), or one an installed package adds through the
  entry point group ``sut.scenarios`` (``bank = "mypkg.bank:SCENARIO"``);
- ``mypkg.bank:SCENARIO``: the attribute of an importable module (``python -m``
  puts the current folder on the path, so a ``bank.py`` there is ``bank``);
- ``path/to/bank.py:SCENARIO``: the attribute of a file, imported as the
  module named by its stem, its folder put first on ``sys.path`` - so that
  worker processes of every start method import it the same way.

:func:`spelling` says how to name a scenario on the command line again: as it
was first named, for a scenario loaded by where it is.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import sys
from pathlib import Path
from types import ModuleType

from sut.engine import backend
from sut.engine.result import DeclarationError
from sut.engine.scenario import Scenario, Searches
from sut.scenarios import MODULES

# The entry point group through which an installed package adds its scenarios.
ENTRY_POINTS = "sut.scenarios"
# Scenarios loaded by where they are, by id: (the scenario, how it was named).
_SPELLED: dict[int, tuple[Scenario, str]] = {}


@functools.cache
def _built_in() -> dict[str, Scenario]:
    """The built-in scenarios (imported once per process, with the forkserver told to
    preload them: every lookup asks for them)."""
    scenarios = [importlib.import_module(name).SCENARIO for name in MODULES]
    backend.preload_forkserver(*MODULES)  # what runs them need: the server's, not each worker's
    return {scenario.name: scenario for scenario in scenarios}


@functools.cache
def _installed() -> dict[str, Scenario]:
    """The scenarios installed packages add (read once per process).

    Raises:
        DeclarationError: an entry point that does not load, is no Scenario, or
            takes the name of another scenario.
    """
    known = _built_in()
    found: dict[str, Scenario] = {}
    for point in sorted(importlib.metadata.entry_points(group=ENTRY_POINTS), key=lambda p: p.name):
        where = f"entry point {point.name!r} ({point.value}) of group {ENTRY_POINTS}"
        try:
            scenario = point.load()
        except Exception as exc:
            raise DeclarationError(f"{where} does not load: {type(exc).__name__}: {exc}") from None
        scenario = _check_scenario(scenario, where)
        if scenario.name in known or scenario.name in found:
            raise DeclarationError(f"{where} names a scenario {scenario.name!r}, and the "
                                   "catalogue has one of that name already")
        found[scenario.name] = scenario
    return found


def _all() -> dict[str, Scenario]:
    return {**_built_in(), **_installed()}


def catalogue() -> list[Scenario]:
    """Every scenario by name: the built-in ones, then those installed packages add."""
    return list(_all().values())


def get(name: str) -> Scenario:
    """The scenario ``name`` names: a name in the catalogue, or ``module:ATTRIBUTE`` or
    ``path/file.py:ATTRIBUTE`` (see the module docstring).

    Raises:
        ValueError: no such scenario (naming the known ones).
        DeclarationError: ``module:ATTRIBUTE`` does not import, or is no Scenario.
    """
    if ":" in name:
        return load(name)
    known = _all()
    if name not in known:
        raise ValueError(f"unknown scenario {name!r} (known: {', '.join(known)}; or "
                         "module:NAME, or path/to/file.py:NAME)")
    return known[name]


def load(spelled: str) -> Scenario:
    """The scenario at ``module:ATTRIBUTE`` or ``path/file.py:ATTRIBUTE``; remembered, so
    that :func:`spelling` names it the same way."""
    where, _, attribute = spelled.rpartition(":")
    if not where or not attribute.isidentifier():
        raise DeclarationError(f"{spelled!r} is not module:NAME or path/to/file.py:NAME")
    module = _from_file(where) if _is_path(where) else _from_module(where)
    if not hasattr(module, attribute):
        raise DeclarationError(f"{where} has no {attribute!r}")
    scenario = _check_scenario(getattr(module, attribute), spelled)
    _SPELLED.setdefault(id(scenario), (scenario, spelled))
    return scenario


def spelling(scenario: Scenario) -> str:
    """How the command line names ``scenario``: as it was loaded, by its name if the
    catalogue has it, else as ``module:ATTRIBUTE`` of the module that declares it."""
    if id(scenario) in _SPELLED:
        return _SPELLED[id(scenario)][1]
    if _all().get(scenario.name) is scenario:
        return scenario.name
    module = sys.modules.get(scenario.run.__module__)
    for attribute, value in vars(module or ModuleType("")).items():
        if value is scenario:
            return f"{scenario.run.__module__}:{attribute}"
    return scenario.name


def _is_path(where: str) -> bool:
    return where.endswith(".py") or "/" in where  # a module's name holds neither


def _from_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            raise DeclarationError(f"no module named {name!r} (a file is path/to/file.py:NAME)"
                                   ) from None
        raise DeclarationError(f"module {name!r} does not import: {exc}") from None
    except Exception as exc:
        raise DeclarationError(f"module {name!r} does not import: "
                               f"{type(exc).__name__}: {exc}") from None


def _from_file(where: str) -> ModuleType:
    """Import the file ``where`` as the module named by its stem, its folder first on the
    path; refuse a stem that names another module already imported."""
    path = Path(where)
    if path.suffix != ".py" or not path.is_file():
        raise DeclarationError(f"no Python file {where!r}")
    name = path.stem
    if not name.isidentifier():
        raise DeclarationError(f"{where}: {name!r} is not a module name (letters, digits, _)")
    folder = str(path.resolve().parent)
    loaded = sys.modules.get(name)
    if loaded is not None:
        if Path(getattr(loaded, "__file__", "") or "").resolve() != path.resolve():
            raise DeclarationError(f"{where} would be imported as module {name!r}, which is "
                                   f"{getattr(loaded, '__file__', None) or 'built in'}: "
                                   "rename the file")
        return loaded
    if folder not in sys.path:
        sys.path.insert(0, folder)  # spawned workers get this path, and import it by name
    return _from_module(name)


def _check_scenario(value: object, where: str) -> Scenario:
    if not isinstance(value, Scenario):
        raise DeclarationError(f"{where} is a {type(value).__name__}, not a Scenario "
                               "(declare one with sut.declare or sut.Scenario)")
    return value


def searches(scenario: Scenario) -> Searches:
    """How ``scenario``, which is searched by script, is searched (imports Hypothesis).

    Raises:
        ValueError: ``scenario`` names no module of searches (it is searched by
            schedule), or one of its searches looks for an invariant it does not declare.
    """
    module = scenario.searches
    if not module:
        raise ValueError(f"{scenario.name} declares no searches")
    found: Searches = importlib.import_module(module).SEARCHES
    unknown = [search.invariant for search in found.breaking
               if search.invariant not in scenario.check.names]
    if unknown:
        raise ValueError(f"{module} searches for {', '.join(map(repr, unknown))}, not an "
                         f"invariant of {scenario.name} (known: {', '.join(scenario.check.names)})")
    return found
