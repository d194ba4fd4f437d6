"""Named invariants: what a scenario promises, one documented function per promise.

A scenario declares each invariant with :func:`invariant`, the way
Hypothesis' ``@invariant`` names what a rule-based machine checks::

    @invariant("no-oversell")
    def no_oversell(result: Result) -> Iterator[str]:
        '''No more tickets are sold than there were.'''
        if sold(result) > result.params["tickets"]:
            yield f"sold {sold(result)} of {result.params['tickets']}"

Each sentence it yields is the evidence of one violation, reported under its
name; a judge may also return (or yield) ``Violation``s, which an invariant
reporting under more than one name does.

and its check is the union of them, in the order given::

    check = Invariants(exits_cleanly, no_oversell, consistent_count)

So the catalogue lists a scenario's invariants from the functions themselves
(name and first docstring line), a variant's ``shows`` is checked against
those names, and a report can judge a run by the one invariant that broke,
without the rest. Also here: the exit invariant every scenario shares (the
phrasing of evidence is :mod:`sut.engine.words`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sut.engine.result import DeclarationError, Result, Violation, WorkerOutcome

# Judges a run: the violations of one invariant found in it, in a stable order -
# each a Violation, or just its evidence (a sentence), which is reported under the
# invariant's name. A judge may return a list of them, or yield them one by one.
Judge = Callable[[Result], Iterable[Violation | str]]

# The names the shared exit invariant reports under: a worker that ended badly,
# and one that never ended (still running at the deadline, or deadlocked).
CLEAN_EXIT, NO_HANG = "clean-exit", "no-hang"


@dataclass(frozen=True)
class Invariant:
    """A promise every run must keep, its name(s), and the function that judges a run by it.

    ``names[0]`` is the invariant's name; one function may report under a few
    closely tied names (the exit invariant: ``clean-exit`` and ``no-hang``), in
    whatever order the evidence comes. Calling it judges a run; a violation
    under a name it did not declare is a bug of the scenario, and raises.
    """

    names: tuple[str, ...]
    judge: Judge

    @property
    def name(self) -> str:
        return self.names[0]

    @property
    def doc(self) -> str:
        """The first line of the judge's docstring: what the invariant promises."""
        return (self.judge.__doc__ or "").strip().splitlines()[0]

    def __call__(self, result: Result) -> list[Violation]:
        try:  # a generator runs as it is read: its errors come out here
            violations = [found if isinstance(found, Violation) else Violation(self.name, found)
                          for found in self.judge(result)]
        except Exception as exc:  # the invariant's bug, not the program's: no verdict
            raise DeclarationError(f"invariant {self.name!r} ({self.judge.__qualname__}) "
                                   f"raised {type(exc).__name__}: {exc}") from exc
        stray = sorted({v.invariant for v in violations} - set(self.names))
        if stray:
            raise DeclarationError(f"invariant {self.name!r} ({self.judge.__qualname__}) "
                                   f"reported {', '.join(map(repr, stray))}, which it does "
                                   "not declare")
        return violations


def invariant(name: str, *also: str) -> Callable[[Judge], Invariant]:
    """Declare the decorated function as the invariant ``name`` (reporting also ``also``).

    Raises:
        ValueError: the function has no docstring - an invariant says what it promises.
    """
    def declare(judge: Judge) -> Invariant:
        if not (judge.__doc__ or "").strip():
            raise ValueError(f"invariant {name!r} ({judge.__qualname__}) has no docstring "
                             "saying what it promises")
        return Invariant((name, *also), judge)
    return declare


class Invariants:
    """A scenario's invariants, in the order its check runs them; calling it is the check.

    Raises:
        ValueError: two invariants report under the same name.
    """

    def __init__(self, *invariants: Invariant) -> None:
        seen: set[str] = set()
        for one in invariants:
            twice = seen & set(one.names)
            if twice:
                raise ValueError(f"invariant name(s) {', '.join(sorted(twice))} declared twice")
            seen |= set(one.names)
        self._invariants = invariants

    def __call__(self, result: Result) -> list[Violation]:
        """Every violation in ``result``: each invariant's, one invariant after the other."""
        return [violation for one in self._invariants for violation in one(result)]

    def __iter__(self) -> Iterator[Invariant]:
        return iter(self._invariants)

    def __repr__(self) -> str:
        return f"Invariants({', '.join(self.names)})"

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a violation of these invariants can carry, in order."""
        return tuple(name for one in self._invariants for name in one.names)

    def reporting(self, name: str) -> Invariant:
        """The invariant whose violations are called ``name``; ``KeyError`` naming the known
        ones otherwise."""
        for one in self._invariants:
            if name in one.names:
                return one
        raise KeyError(f"no invariant reports {name!r} (known: {', '.join(self.names)})")


def clean_exit(result: Result, *,
               waiting_for: Callable[[WorkerOutcome], str] | None = None) -> list[Violation]:
    """Every worker finished on its own with exit code 0 and no traceback.

    A worker still alive at the deadline, or stuck in a deadlock, breaks
    ``no-hang``; ``waiting_for`` may add what it was waiting for, as the scenario can tell from the
    events (``", waiting for EOF after message 2"``). Any other bad end breaks
    ``clean-exit``. A worker the run killed on purpose (``injected``) is
    exempt: its death is the fault under test, not a failure of the program.
    """
    violations = []
    for outcome in result.workers:
        if outcome.status == "ok" or outcome.injected:
            continue
        if outcome.status == "deadlocked":  # the model already said what it waits for
            violations.append(Violation(NO_HANG, outcome.describe()))
        elif outcome.status == "hung":
            waiting = waiting_for(outcome) if waiting_for is not None else ""
            violations.append(Violation(NO_HANG, outcome.describe() + waiting))
        else:
            violations.append(Violation(CLEAN_EXIT, outcome.describe()))
    return violations


@invariant(CLEAN_EXIT, NO_HANG)
def exits_cleanly(result: Result) -> list[Violation]:
    """Every worker ends on its own, with exit code 0 and no traceback, within the bound."""
    return clean_exit(result)
