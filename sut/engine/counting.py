"""Runs made only to count a configuration's processes, stopped once past a number.

A search puts the configurations of a small space in order of size, fewer
processes first (:mod:`sut.drive.smallest`), and counts a configuration's
processes by a run of it. Where it only needs to know whether that count is
more than another one's, the run need not go on once it is: inside
:func:`counting_to`, :meth:`Run.spawn <sut.engine.runner.Run.spawn>` raises
:class:`PastCount` as it is about to start one process more, before starting
it, and the run ends as after any error - every process stopped and reaped,
every file removed.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

_MOST: contextvars.ContextVar[int | None] = contextvars.ContextVar("most_processes",
                                                                   default=None)


class PastCount(BaseException):
    """A run stopped as it was about to start more processes than it was counting to: it
    starts at least ``at_least``.

    A BaseException, like HarnessFailure: a program's ``except Exception``
    around a spawn does not swallow it.
    """

    def __init__(self, at_least: int) -> None:
        super().__init__(f"the run starts at least {at_least} processes")
        self.at_least = at_least


@contextlib.contextmanager
def counting_to(most: int | None) -> Iterator[None]:
    """Runs made inside stop (:class:`PastCount`) as they are about to start process
    ``most + 1``; None counts on without end."""
    token = _MOST.set(most)
    try:
        yield
    finally:
        _MOST.reset(token)


def check(started: int) -> None:
    """Before a run that has started ``started`` processes starts one more:
    :class:`PastCount` if that is past the number it counts to."""
    most = _MOST.get()
    if most is not None and started >= most:
        raise PastCount(started + 1)
