"""A scenario's contract: its parameters, variants, runner, invariants and search.

Scenario modules declare themselves with these classes; workers import them
with their scenario, so nothing here imports Hypothesis or anything that only
the test process needs (the catalogue, searches and strategies live in
:mod:`sut.drive`).

The contract is typed: a ``Scenario[Params, Wiring]`` holds ``Variant[Wiring]``
values and a ``run`` that takes ``Params`` and such a variant, so ``run``
reads ``variant.wiring`` as the scenario's own ``Wiring``. Code that does not
care for a scenario's types (the CLI, the reports) says just ``Scenario``.

A scenario says in one place, ``search``, how its minimal counterexamples
are found:

- ``Schedules(small={...})``: by schedule. Its ``run`` takes a ``schedule``
  (a :class:`ScheduledRun`); the search draws small configurations and
  interleavings of them.
- ``Scripts(module=..., why=...)``: by script, because its bugs do not live
  in an interleaving of processes (``why``). Its ``run`` takes no schedule
  (a :class:`PlainRun`), and ``module`` declares ``SEARCHES`` over inputs
  with nothing left to timing. That module imports Hypothesis, so the
  scenario never imports it, not even lazily:
  :func:`sut.drive.catalogue.searches` does, by name.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import sys
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeGuard

from sut.engine import DEFAULT_TIMEOUT, Result, ScheduleLike, Violation
from sut.engine.gate import ModelDisagreement
from sut.engine.invariants import Invariant, Invariants
from sut.engine.limits import check_room_for
from sut.engine.result import DeclarationError, ScenarioError
from sut.engine.space import Space, validate_space

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    # PEP 696 type parameter defaults (typing has them from Python 3.13): a
    # bare ``Scenario`` or ``Variant`` means ``Scenario[Any, Any]``, ``Variant[Any]``.
    from typing_extensions import TypeVar
else:
    def TypeVar(name: str, *, default: object = None, **variance: bool) -> Any:
        """Python 3.11's TypeVar, which takes no default: only a type checker reads it."""
        return typing.TypeVar(name, **variance)

Verdict = Literal["holds", "violates"]

P = TypeVar("P", default=Any)  # a scenario's Params
W = TypeVar("W", default=Any)  # a scenario's Wiring
W_co = TypeVar("W_co", covariant=True, default=Any)
P_contra = TypeVar("P_contra", contravariant=True)
W_contra = TypeVar("W_contra", contravariant=True)


@dataclass(frozen=True)
class Variant(Generic[W_co]):
    """One version of a scenario's program and the verdict it should get.

    ``wiring`` is what makes this version differ from its siblings - the
    primitive it wires in; only the scenario's own module reads it. A broken
    variant ``shows`` the invariants it is the classic example of breaking
    (the demo looks for those; empty: any), by the names the scenario declares.
    """

    name: str
    description: str
    expected: Verdict
    wiring: W_co
    shows: tuple[str, ...] = ()


class PlainRun(Protocol[P_contra, W_contra]):
    """``run(params, variant, *, start_method, seed=0, timeout=DEFAULT_TIMEOUT) -> Result``.

    Runs ``variant`` once with ``params`` under ``start_method``, its jitter
    seeded by ``seed``, every wait bounded by ``timeout``; returns what happened.
    """

    def __call__(self, params: P_contra, variant: Variant[W_contra], *, start_method: str,
                 seed: int = ..., timeout: float = ...) -> Result: ...


class ScheduledRun(Protocol[P_contra, W_contra]):
    """A :class:`PlainRun` that also takes ``schedule``: the run then goes by it, one
    decision per step, and is a function of it (replayable, explorable)."""

    def __call__(self, params: P_contra, variant: Variant[W_contra], *, start_method: str,
                 seed: int = ..., timeout: float = ...,
                 schedule: ScheduleLike | None = ...) -> Result: ...


def takes_schedule(run: PlainRun[P, W]) -> TypeGuard[ScheduledRun[P, W]]:
    """Whether ``run`` takes a ``schedule``."""
    return "schedule" in inspect.signature(run).parameters


@dataclass(frozen=True)
class Schedules:
    """Searched by schedule: the small configurations to look for minimal interleavings in.

    A space (:mod:`sut.engine.space`): per parameter ``(low, high)`` or a fixed value.
    """

    small: Space


@dataclass(frozen=True)
class Scripts:
    """Searched by script, not by schedule: ``why`` the scenario has no schedule mode, and
    the ``module`` whose ``SEARCHES`` (a :class:`Searches`) take its place."""

    module: str
    why: str


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


@dataclass(frozen=True, repr=False)
class Scenario(Generic[P, W]):
    """A scenario's whole contract: its parameters, variants, runner, invariants and search.

    ``check`` is the scenario's invariants; calling it judges a run by all of
    them. ``space`` is what its tests draw params from (:mod:`sut.engine.space`,
    in the order given); a scenario searched by script draws from its search
    module's ``anything`` instead.

    Raises:
        ValueError: a parameter has no default; a variant ``shows`` an invariant
            the scenario does not declare; ``search`` and ``run`` disagree on
            whether the run takes a schedule; ``small`` or ``space`` names no
            parameter.
    """

    name: str
    description: str
    params: type[P]
    variants: Sequence[Variant[W]]
    run: PlainRun[P, W]
    check: Invariants
    search: Schedules | Scripts
    space: Space | None = None
    # What the tutorial's own programs get wrong, and why the fix works.
    lesson: str = ""

    def __post_init__(self) -> None:
        known = self.check.names
        for variant in self.variants:
            unknown = [name for name in variant.shows if name not in known]
            if unknown:
                raise ValueError(f"variant {variant.name!r} of {self.name} shows unknown "
                                 f"invariant {', '.join(map(repr, unknown))} "
                                 f"(known: {', '.join(known)})")
        fields = dataclasses.fields(self.params)  # type: ignore[arg-type]
        undefaulted = [field.name for field in fields if field.default is dataclasses.MISSING
                       and field.default_factory is dataclasses.MISSING]
        if undefaulted:
            raise ValueError(f"{self.name}'s params {', '.join(map(repr, undefaulted))} have no "
                             "default: a run names only the params it changes")
        scheduled = isinstance(self.search, Schedules)
        if scheduled != takes_schedule(self.run):
            raise ValueError(f"{self.name} is searched by {'schedule' if scheduled else 'script'}"
                             f", but its run {'takes no' if scheduled else 'takes a'} schedule")
        if isinstance(self.search, Schedules):
            validate_space(self.params, self.search.small, f"{self.name}'s small configurations")
        if self.space is not None:
            validate_space(self.params, self.space, f"{self.name}'s space")

    def __repr__(self) -> str:
        return f"<scenario {self.name}>"

    @property
    def schedulable(self) -> bool:
        """Whether the scenario is searched by schedule (its run takes one)."""
        return isinstance(self.search, Schedules)

    @property
    def unscheduled(self) -> str:
        """Why the scenario has no schedule mode ("" if it has one)."""
        return self.search.why if isinstance(self.search, Scripts) else ""

    @property
    def searches(self) -> str:
        """The module declaring the searches that take the schedule's place ("" if none)."""
        return self.search.module if isinstance(self.search, Scripts) else ""

    @property
    def invariants(self) -> tuple[Invariant, ...]:
        """The scenario's invariants, in the order its check runs them."""
        return tuple(self.check)

    @property
    def invariants_in_prose(self) -> str:
        """The paragraph of the scenario module's docstring that starts ``Invariants:``:
        the promises told as a reader of the module's story meets them."""
        doc = sys.modules[self.run.__module__].__doc__ or ""
        found = [paragraph for paragraph in doc.split("\n\n")
                 if paragraph.startswith("Invariants:")]
        return " ".join(found[0].split()) if found else ""

    def variant(self, name: str) -> Variant[W]:
        """The variant called ``name``; ``ValueError`` naming the known ones otherwise."""
        for variant in self.variants:
            if variant.name == name:
                return variant
        known = ", ".join(variant.name for variant in self.variants)
        raise ValueError(f"unknown variant {name!r} of {self.name} (known: {known})")

    def evaluate(self, params: P, variant: str, *, start_method: str, seed: int = 0,
                 timeout: float = DEFAULT_TIMEOUT, schedule: ScheduleLike | None = None,
                 ) -> tuple[Result, list[Violation]]:
        """Run ``variant`` once with ``params`` (by ``schedule``, if given) and check it.

        Raises:
            ValueError: a ``schedule`` for a scenario with no schedule mode, an
                unknown variant, or more processes than this machine has room
                for (:func:`sut.engine.limits.check_room_for`: ``RLIMIT_NPROC``
                and available memory) - refused before any is started.
            ScenarioError: the run says nothing about the program (a worker
                blocked outside the schedule, a primitive the model mistakes).
        """
        chosen = self.variant(variant)
        check_room_for(params, start_method)
        run = self.run if schedule is None else functools.partial(self._scheduled(),
                                                                  schedule=schedule)
        try:
            result = run(params, chosen, start_method=start_method, seed=seed, timeout=timeout)
        except ModelDisagreement as exc:  # main's own operation found it
            raise ScenarioError(f"scenario error: {exc}", None) from None
        except (DeclarationError, ScenarioError):
            raise
        except Exception as exc:  # the run's own code failed: no verdict on the program
            raise DeclarationError(f"{self.name}'s run raised {type(exc).__name__}: {exc}",
                                   ) from exc
        if result.scenario_error is not None:
            raise ScenarioError(f"scenario error: {result.scenario_error}", result)
        return result, self.check(result)

    def _scheduled(self) -> ScheduledRun[P, W]:
        run = self.run
        if not takes_schedule(run):
            raise ValueError(f"{self.name} has no schedule mode: {self.unscheduled}")
        return run
