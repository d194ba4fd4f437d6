"""A scenario's contract: its parameters, variants, runner and checker.

Scenario modules declare themselves with these classes; workers import them
with their scenario, so nothing here imports Hypothesis or anything that only
the test process needs (the catalogue, searches and strategies live in
:mod:`sut.drive`)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sut.engine import DEFAULT_TIMEOUT, Result, Schedule, Violation

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

Verdict = Literal["holds", "violates"]


@dataclass(frozen=True)
class Variant:
    """One version of a scenario's program and the verdict it should get.

    ``wiring`` is what makes this version differ from its siblings - the
    primitive it wires in; only the scenario's own module reads it. A broken
    variant ``shows`` the invariants it is the classic example of breaking
    (the demo looks for those; empty: any).
    """

    name: str
    description: str
    expected: Verdict
    wiring: Any = None
    shows: tuple[str, ...] = ()


@dataclass(frozen=True)
class Search:
    """One search for a minimal counterexample: the invariant it looks for, the space it
    draws inputs (params) from, and why the program breaks there (one sentence)."""

    invariant: str
    space: SearchStrategy[Any]
    why: str


@dataclass(frozen=True)
class Searches:
    """How a scenario with no schedule mode is searched: a search per bug its broken
    variants are the classic example of, and the whole space, for the correct ones."""

    breaking: tuple[Search, ...]
    anything: SearchStrategy[Any]


@dataclass(frozen=True)
class Scenario:
    """A scenario's whole contract: its parameters, variants, runner and checker."""

    name: str
    description: str
    params: type
    variants: Sequence[Variant]
    run: Callable[..., Result]
    check: Callable[[Result], list[Violation]]
    # What the tutorial's own programs get wrong, and why the fix works.
    lesson: str = ""
    # Small configurations to search for minimal schedules in; or else why
    # ``run`` takes no ``schedule``, and the searches that take its place: the
    # name of the module whose ``SEARCHES`` declares them (it imports
    # Hypothesis, so the scenario, which workers import, never imports it;
    # :func:`sut.drive.catalogue.searches` does).
    small: Mapping[str, Any] | None = None  # name -> (low, high) inclusive, or a fixed value
    unscheduled: str = ""
    searches: str = ""

    @property
    def schedulable(self) -> bool:
        return self.small is not None

    @property
    def invariants(self) -> str:
        """The paragraph of the scenario module's docstring that starts ``Invariants:``."""
        doc = sys.modules[self.run.__module__].__doc__ or ""
        found = [paragraph for paragraph in doc.split("\n\n")
                 if paragraph.startswith("Invariants:")]
        return " ".join(found[0].split()) if found else ""

    def variant(self, name: str) -> Variant:
        """The variant called ``name``; ``ValueError`` naming the known ones otherwise."""
        for variant in self.variants:
            if variant.name == name:
                return variant
        known = ", ".join(variant.name for variant in self.variants)
        raise ValueError(f"unknown variant {name!r} of {self.name} (known: {known})")

    def evaluate(self, params: Any, variant: str, *, start_method: str, seed: int = 0,
                 timeout: float = DEFAULT_TIMEOUT, schedule: Schedule | None = None,
                 ) -> tuple[Result, list[Violation]]:
        """Run ``variant`` once with ``params`` (by ``schedule``, if given) and check it."""
        if schedule is not None and not self.schedulable:
            raise ValueError(f"{self.name} has no schedule mode: {self.unscheduled}")
        extra = {} if schedule is None else {"schedule": schedule}
        result = self.run(params, self.variant(variant), start_method=start_method,
                          seed=seed, timeout=timeout, **extra)
        return result, self.check(result)

