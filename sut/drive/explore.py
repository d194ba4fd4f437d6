"""Exhaustive exploration: run every interleaving of a small configuration.

A depth-first search over the coordinator's decisions, without saved state:
each run follows a schedule prefix and then the default, and records at
every decision which workers could have gone on instead. Each of those
alternatives is a new prefix to run. A run is a real run of the real
processes, so the search costs one run per interleaving.

A state already visited is not explored again (``cache``): each decision
carries a fingerprint of the whole state (:mod:`sut.engine.coordinator`),
taken because the runs are made inside ``fingerprinting()``.
Where a run shares something schedule mode cannot see (``Result.unseen``),
two equal fingerprints need not be one state: then nothing is pruned, and
the exploration says why (``Exploration.unpruned``).

One more pruning rule keeps the tree finite: a worker that only polls (looks
at shared state, then looks again) is not offered a second poll in a row -
with no other step between them, the second look sees what the first saw.
Arrivals at a barrier are no decisions at all (the coordinator takes them at
once: their order changes nothing).

With ``jobs`` above 1, helper processes run waiting prefixes ahead of the
search (:mod:`sut.drive.ahead`): the same runs, counted and found alike, on
more cores.

Example:
    exploration = explore(lambda schedule: scenario.evaluate(..., schedule=schedule))
    print(exploration.runs, exploration.violating)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sut.drive.ahead import Ahead
from sut.engine.coordinator import MAIN, Step, fingerprinting
from sut.engine.result import Result, Violation

# Beyond this many runs an exploration stops and says it is incomplete.
MAX_RUNS = 20_000

Evaluate = Callable[[tuple[int, ...]], tuple[Result, list[Violation]]]


@dataclass(frozen=True)
class Exploration:
    """What a search found: how many interleavings, how many broke an invariant."""

    runs: int
    violating: int
    complete: bool  # False: stopped (``max_runs``, ``until_first``) with interleavings left
    first: tuple[Result, list[Violation]] | None  # the first violating run, if any
    # Why states were not compared, if they were not: the runs shared something
    # schedule mode cannot see, so two equal fingerprints need not be one state.
    unpruned: str = ""
    # The timeouts some run assumed long enough (``Result.assumed``): the
    # verdict holds on these assumptions.
    assumed: tuple[str, ...] = ()


def explore(evaluate: Evaluate, *, max_runs: int = MAX_RUNS, cache: bool = True,
            progress: Callable[[int, int], None] | None = None,
            until_first: bool = False, jobs: int = 1) -> Exploration:
    """Run ``evaluate`` on every distinct interleaving; see the module docstring.

    ``evaluate(schedule)`` runs the configuration by ``schedule`` and checks
    it. ``progress(runs, left)`` is called after every run. ``until_first``
    stops at the first violating run: for asking whether any breaks. ``jobs``
    runs go on at once; above 1, ``evaluate`` is also called in processes
    forked from this one, so it must not count on side effects of its own.
    """
    if max_runs < 1:
        raise ValueError(f"max_runs must be at least 1, got {max_runs}")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")

    def fingerprinted(prefix: tuple[int, ...]) -> tuple[Result, list[Violation]]:
        with fingerprinting():
            return evaluate(prefix)

    with Ahead(fingerprinted, helpers=jobs - 1) as ahead:
        return _search(ahead, max_runs=max_runs, cache=cache, progress=progress,
                       until_first=until_first)


def _search(ahead: Ahead, *, max_runs: int, cache: bool,
            progress: Callable[[int, int], None] | None, until_first: bool) -> Exploration:
    """The depth-first search of :func:`explore`, its runs made by ``ahead``."""
    todo: list[tuple[int, ...]] = [()]
    runs = violating = 0
    first = None
    seen: set[int] = set()
    unpruned = ""
    assumed: set[str] = set()
    while todo and runs < max_runs and not (until_first and violating):
        prefix = todo.pop()
        result, violations = ahead.run(prefix, todo)
        runs += 1
        unpruned = unpruned or result.unseen or unfingerprinted(result)
        assumed.update(result.assumed)
        if violations:
            violating += 1
            if first is None:
                first = (result, violations)
        index = {outcome.name: i for i, outcome in enumerate(result.workers)}
        index[MAIN] = -1
        taken = [index[step.worker] for step in result.steps]
        # Deepest alternatives last on the stack: the search goes depth first.
        for depth in range(len(prefix), len(result.steps)):
            state = result.steps[depth].state
            if cache and not unpruned and state in seen:
                break  # what follows from here is explored, or waits on the stack
            if state is not None:
                seen.add(state)
            for other in _alternatives(result.steps, depth):
                todo.append((*taken[:depth], index[other]))
        if progress is not None:
            progress(runs, len(todo))
    return Exploration(runs, violating, not todo, first, unpruned, tuple(sorted(assumed)))


def unfingerprinted(result: Result) -> str:
    """Why the states of ``result`` cannot be compared, if they cannot."""
    if any(step.state is None for step in result.steps):
        return "a run took no fingerprints of its states (was it made in another thread?)"
    return ""


def _alternatives(steps: tuple[Step, ...], depth: int) -> list[str]:
    """The workers that could have gone on at ``steps[depth]`` and lead somewhere new."""
    step = steps[depth]
    previous = steps[depth - 1] if depth else None
    repeat_poll = previous is not None and previous.op.kind == "poll"
    return [worker for worker in step.choices if worker != step.worker and not (
        repeat_poll and previous is not None and previous.worker == worker
        and _pending_kind(steps, depth, worker) == "poll")]


def _pending_kind(steps: tuple[Step, ...], depth: int, worker: str) -> str | None:
    """What ``worker`` was about to do at ``depth``: the operation of its next step."""
    return next((step.op.kind for step in steps[depth:] if step.worker == worker), None)
