"""Property-tested correctness suite for process synchronization.

Bring a ``multiprocessing`` program, declare it as a scenario - its params,
its workers, its variants (the broken versions and the fix) and named
invariants - and the engine runs it by jitter or by a schedule it chooses,
finds the minimal counterexample of a broken variant, and proves a fixed one
in every interleaving. docs/YOUR-PROGRAM.md is the guide; every name below is
documented where it is defined.

The names are loaded when first used, not when ``sut`` is imported: every
worker process imports this package first, and a worker needs none of the
searches or reports. A worker-side module (a scenario) takes only names whose
home is :mod:`sut.engine` (the layout test holds it to that).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sut.drive.catalogue import catalogue as catalogue
    from sut.drive.catalogue import get as get
    from sut.drive.explore import Exploration as Exploration
    from sut.drive.explore import explore as explore
    from sut.engine.backend import PRIMITIVES as PRIMITIVES
    from sut.engine.backend import START_METHODS as START_METHODS
    from sut.engine.backend import Backend as Backend
    from sut.engine.backend import default_start_method as default_start_method
    from sut.engine.backend import drain as drain
    from sut.engine.backend import join_queue as join_queue
    from sut.engine.checked import ITEMS as ITEMS
    from sut.engine.checked import Checked as Checked
    from sut.engine.checked import items as items
    from sut.engine.checked import jitter_width as jitter_width
    from sut.engine.checked import param as param
    from sut.engine.checked import processes as processes
    from sut.engine.checked import rounds as rounds
    from sut.engine.declare import declare as declare
    from sut.engine.gate import Outlasting as Outlasting
    from sut.engine.gate import assume_long_enough as assume_long_enough
    from sut.engine.gate import harness_deadline as harness_deadline
    from sut.engine.guards import NoGuard as NoGuard
    from sut.engine.invariants import CLEAN_EXIT as CLEAN_EXIT
    from sut.engine.invariants import NO_HANG as NO_HANG
    from sut.engine.invariants import Invariant as Invariant
    from sut.engine.invariants import Invariants as Invariants
    from sut.engine.invariants import clean_exit as clean_exit
    from sut.engine.invariants import exits_cleanly as exits_cleanly
    from sut.engine.invariants import invariant as invariant
    from sut.engine.limits import MAX_ITEMS as MAX_ITEMS
    from sut.engine.limits import MAX_PROCESSES as MAX_PROCESSES
    from sut.engine.limits import MAX_ROUNDS as MAX_ROUNDS
    from sut.engine.params import one_of as one_of
    from sut.engine.params import positive_int as positive_int
    from sut.engine.params import seconds as seconds
    from sut.engine.probe import Probe as Probe
    from sut.engine.probe import ScheduleLike as ScheduleLike
    from sut.engine.probe import shaking as shaking
    from sut.engine.result import DeclarationError as DeclarationError
    from sut.engine.result import Event as Event
    from sut.engine.result import Result as Result
    from sut.engine.result import ScenarioError as ScenarioError
    from sut.engine.result import Status as Status
    from sut.engine.result import Violation as Violation
    from sut.engine.result import WorkerOutcome as WorkerOutcome
    from sut.engine.runner import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
    from sut.engine.runner import Kill as Kill
    from sut.engine.runner import Run as Run
    from sut.engine.scenario import Scenario as Scenario
    from sut.engine.scenario import Schedules as Schedules
    from sut.engine.scenario import Scripts as Scripts
    from sut.engine.scenario import Search as Search
    from sut.engine.scenario import Searches as Searches
    from sut.engine.scenario import Variant as Variant
    from sut.engine.space import JITTER as JITTER
    from sut.engine.space import OneOf as OneOf
    from sut.engine.words import amount as amount
    from sut.engine.words import listing as listing
    from sut.engine.words import names as names
    from sut.engine.words import numbers as numbers
    from sut.report.assertions import assert_breaks as assert_breaks
    from sut.report.assertions import assert_holds as assert_holds
    from sut.report.lanes import breaking_moment as breaking_moment
    from sut.report.lanes import lanes as lanes
    from sut.report.picture import Drawing as Drawing
    from sut.report.picture import svg as svg
    from sut.report.prove import Counterexample as Counterexample
    from sut.report.prove import counterexample as counterexample
    from sut.report.prove import interleavings as interleavings
    from sut.report.prove import replay as replay
    from sut.report.prove import run_command as run_command
    from sut.report.story import story as story

# Public name -> the module that defines it, by what it is for.
_HOMES = {
    # Declare a scenario: its params, variants and invariants.
    **dict.fromkeys(("Scenario", "Variant", "Schedules", "Scripts", "Search", "Searches"),
                    "sut.engine.scenario"),
    "declare": "sut.engine.declare",
    **dict.fromkeys(("Checked", "param", "processes", "rounds", "items", "jitter_width", "ITEMS"),
                    "sut.engine.checked"),
    **dict.fromkeys(("one_of", "positive_int", "seconds"), "sut.engine.params"),
    **dict.fromkeys(("JITTER", "OneOf"), "sut.engine.space"),
    **dict.fromkeys(("invariant", "Invariant", "Invariants", "exits_cleanly", "clean_exit",
                     "CLEAN_EXIT", "NO_HANG"), "sut.engine.invariants"),
    **dict.fromkeys(("MAX_PROCESSES", "MAX_ROUNDS", "MAX_ITEMS"), "sut.engine.limits"),
    **dict.fromkeys(("amount", "listing", "names", "numbers"), "sut.engine.words"),
    # Run a program: processes, primitives, probes, bounds.
    **dict.fromkeys(("Backend", "PRIMITIVES", "START_METHODS", "default_start_method", "drain",
                     "join_queue"), "sut.engine.backend"),
    **dict.fromkeys(("Run", "Kill", "DEFAULT_TIMEOUT"), "sut.engine.runner"),
    **dict.fromkeys(("Probe", "ScheduleLike", "shaking"), "sut.engine.probe"),
    "NoGuard": "sut.engine.guards",
    # A bounded wait: one the harness gives up (in schedule mode only when nothing else
    # can happen), or one the program's own timeout makes (assumed long enough).
    **dict.fromkeys(("Outlasting", "harness_deadline", "assume_long_enough"),
                    "sut.engine.gate"),
    # What a run tells.
    **dict.fromkeys(("Result", "Event", "WorkerOutcome", "Violation", "Status", "ScenarioError",
                     "DeclarationError"), "sut.engine.result"),
    # Verdicts: the catalogue, searches, explorations, replays (parent side only).
    **dict.fromkeys(("catalogue", "get"), "sut.drive.catalogue"),
    **dict.fromkeys(("explore", "Exploration"), "sut.drive.explore"),
    **dict.fromkeys(("counterexample", "Counterexample", "interleavings", "replay",
                     "run_command"), "sut.report.prove"),
    **dict.fromkeys(("assert_holds", "assert_breaks"), "sut.report.assertions"),
    # Pictures of a run.
    **dict.fromkeys(("lanes", "breaking_moment"), "sut.report.lanes"),
    **dict.fromkeys(("svg", "Drawing"), "sut.report.picture"),
    "story": "sut.report.story",
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
