"""Workers declared interchangeable: refused where they are not, explored as one where they are."""

from __future__ import annotations

import pytest

from sut.drive.explore import explore
from sut.engine import Backend, Probe, Run, Schedule
from sut.engine.result import DeclarationError
from tests.random_programs import Program, outcome, run, unnamed


def _sing(probe: Probe, rooms: object, times: int) -> None:
    for _ in range(times):
        with rooms:  # type: ignore[attr-defined]
            probe.point("sing")


@pytest.mark.parametrize(("declare", "message"), [
    (lambda watch, rooms: watch.interchangeable("a", "b", "a"),
     "interchangeable takes each name once: got ('a', 'b', 'a')"),
    (lambda watch, rooms: (watch.spawn("a", _sing, rooms, 1), watch.interchangeable("a", "b")),
     "'a' is spawned or declared interchangeable already: declare a set before spawning"),
    (lambda watch, rooms: (watch.interchangeable("a", "b"), watch.spawn("a", _sing, rooms, 1),
                           watch.spawn("b", _sing, rooms, 2)),
     "b was declared interchangeable with a but runs another function than the first of "
     "them, or on other arguments"),
])
def test_a_set_that_is_not_interchangeable_is_refused(declare, message: str) -> None:
    backend = Backend("fork")
    with Run(backend, "tiny", "only", {}, mode=Schedule(())) as watch:
        rooms = backend.Semaphore(1, "rooms")
        with pytest.raises(DeclarationError) as raised:
            declare(watch, rooms)
        assert str(raised.value).startswith(message)


def test_interchangeable_singers_are_explored_as_one() -> None:
    # Three alike workers each sing in one room: the orders that differ only by who is who
    # are one state (42 interleavings, 16 explored).
    def counted(declared: bool) -> tuple[int, set[str]]:
        found = set()

        def evaluate(schedule: tuple[int, ...]):
            result = run((("semaphore",),) * 3, schedule, alike=3 if declared else 0)
            found.add(unnamed(outcome(result), 3))
            return result, []
        return explore(evaluate).runs, found

    alike, plain = counted(True), counted(False)
    assert alike[1] == plain[1]
    assert alike[0] * 2 < plain[0], (alike[0], plain[0])


def test_a_named_program_is_taken_as_it_is() -> None:
    # Each worker puts its name on the queue: whose item is where tells them apart, so the
    # renaming stops and the exploration is the plain one.
    program: Program = (("put", "get"),) * 2

    def runs(alike: int) -> int:
        return explore(lambda schedule: (run(program, schedule, alike=alike), [])).runs
    assert runs(2) == runs(0)
