"""Property-tested correctness suite for process synchronization.

The classic ``multiprocessing`` teaching programs - each with its correct
version and the broken ones people write - as scenarios that can be run,
checked against their invariants, and property-tested.

The names below are the public face. They are loaded when first used, not
when ``sut`` is imported: every worker process imports this package first,
and a worker needs none of the catalogue, searches or reports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sut.drive.catalogue import catalogue as catalogue
    from sut.drive.catalogue import get as get
    from sut.engine.result import Result as Result
    from sut.engine.result import Violation as Violation
    from sut.engine.scenario import Scenario as Scenario
    from sut.engine.scenario import Variant as Variant

# Public name -> the module that defines it.
_HOMES = {
    "Scenario": "sut.engine.scenario",
    "Variant": "sut.engine.scenario",
    "Result": "sut.engine.result",
    "Violation": "sut.engine.result",
    "catalogue": "sut.drive.catalogue",
    "get": "sut.drive.catalogue",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    """Load a public name from its home module on first use (PEP 562)."""
    if name not in _HOMES:
        raise AttributeError(f"module 'sut' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
