"""The catalogue: every scenario and its variants, for the CLI, the tests and the demo.

The scenario modules are named once, in :data:`sut.scenarios.MODULES`; the
same list is what the forkserver preloads once the catalogue is read.
"""

from __future__ import annotations

import importlib

from sut.engine import backend
from sut.engine.scenario import Scenario, Searches
from sut.scenarios import MODULES


def _all() -> dict[str, Scenario]:
    scenarios = [importlib.import_module(name).SCENARIO for name in MODULES]
    backend.preload_forkserver(*MODULES)  # what runs them need: the server's, not each worker's
    return {scenario.name: scenario for scenario in scenarios}


def catalogue() -> list[Scenario]:
    """Every registered scenario, in catalogue order."""
    return list(_all().values())


def get(name: str) -> Scenario:
    """The scenario called ``name``; ``ValueError`` naming the known ones otherwise."""
    known = _all()
    if name not in known:
        raise ValueError(f"unknown scenario {name!r} (known: {', '.join(known)})")
    return known[name]


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
