"""Evidence about what a parameter asked for, in memory proportional to what happened.

A checker compares what a run did with what its parameters asked for: every
bun of ``buns``, every message of ``messages``. A run stopped at its deadline
may have done three of a billion, and its checker must not build the billion
to compare: it works from the numbers the run recorded, and tells the rest as
spans (``buns 3 to 999999999``) - the same verdict, in memory proportional to
the events.
"""

from __future__ import annotations

from collections.abc import Iterable

# A span of at most this many numbers is told number by number (``0, 1, 2 and
# 3``), as every checker told it before spans; a longer one as ``0 to 9``.
SPELLED_OUT = 4


def missing(wanted: int, seen: Iterable[int]) -> list[range]:
    """The spans of ``0 .. wanted - 1`` that ``seen`` lacks, in order.

    Numbers of ``seen`` outside the wanted ones are ignored. Memory and time
    grow with ``seen``, not with ``wanted``.

    Example::

        >>> missing(10**9, [0, 1, 2, 5])
        [range(3, 5), range(6, 1000000000)]
    """
    spans = []
    start = 0
    for number in sorted({number for number in seen if 0 <= number < wanted}):
        if number > start:
            spans.append(range(start, number))
        start = number + 1
    if start < wanted:
        spans.append(range(start, wanted))
    return spans


def told(span: range) -> list[str]:
    """The numbers of ``span`` as evidence names them: each (``["3", "4"]``) if it
    has at most :data:`SPELLED_OUT`, else one ``["3 to 999999999"]``."""
    if len(span) <= SPELLED_OUT:
        return [str(number) for number in span]
    return [f"{span[0]} to {span[-1]}"]


def is_count_up(values: Iterable[int], count: int) -> bool:
    """Whether ``values`` are ``0, 1, .., count - 1``, in order - without building them."""
    seen = 0
    for expected, value in enumerate(values):
        if value != expected:
            return False
        seen = expected + 1
    return seen == count
