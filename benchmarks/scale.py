"""Scale: the most processes one example handles within 10 s, per start method.

The ticket office with N buyers (``locked``) and the KTV with N people and 4
rooms (``semaphore``), no jitter, N doubling from 32 until a run takes over
10 s (or 1024 is reached); and the chat server (``framed``) with C clients
at once, each saying two lines, C doubling from 16. Every run is checked: a
count only stands if every invariant held. "At work at once" counts the
processes (main's client threads included) whose first and last events
overlap: how many really ran side by side.

    python -m benchmarks.scale [--start-methods fork,forkserver,spawn] [--limit 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks.overhead import START_METHODS as START_METHODS

LIMIT = 10.0  # seconds an example may take
MOST = 1024  # processes: where the doubling stops even if there is time left
# A run is declared hung only long after the limit: the measure is the time.
TIMEOUT = 120.0


def _run(name: str, variant: str, params: Any, start_method: str) -> tuple[float, int]:
    """Seconds one checked example takes, and the most of its processes at work at once."""
    import sut

    scenario = sut.get(name)
    began = time.monotonic()
    result, violations = scenario.evaluate(params, variant, start_method=start_method,
                                           timeout=TIMEOUT)
    took = time.monotonic() - began
    if violations:
        raise AssertionError(f"{name} {variant} broke at scale: {violations[0]}")
    return took, _at_once(result)


def _at_once(result: Any) -> int:
    """The most processes whose first and last events overlap in time: at work together."""
    spans: dict[str, list[int]] = {}
    for event in result.events:
        spans.setdefault(event.worker, []).append(event.t_ns)
    edges = sorted([(min(times), 1) for times in spans.values()]
                   + [(max(times), -1) for times in spans.values()])
    busy = most = 0
    for _, step in edges:
        busy += step
        most = max(most, busy)
    return most


def largest(make: Callable[[int], tuple[str, str, Any]], first: int, start_method: str,
            limit: float) -> tuple[int, float, int, dict[int, float]]:
    """The largest count (doubling from ``first``) whose run took at most ``limit``
    seconds, its time and the most processes alive at once in it, and every
    count's time."""
    times: dict[int, float] = {}
    peaks: dict[int, int] = {}
    count = first
    while count <= MOST:
        try:
            times[count], peaks[count] = _run(*make(count), start_method)
        except ValueError as refused:  # more than this machine has room for: the limit
            print(f"  {make(count)[0]} {start_method} {count}: refused: {refused}",
                  file=sys.stderr, flush=True)
            break
        print(f"  {make(count)[0]} {start_method} {count}: {times[count]:.2f} s",
              file=sys.stderr, flush=True)
        if times[count] > limit:
            break
        count *= 2
    within = [n for n, took in times.items() if took <= limit]
    best = max(within, default=0)
    return best, times.get(best, 0.0), peaks.get(best, 0), times


def _ticket(count: int) -> tuple[str, str, Any]:
    from sut.scenarios import ticket

    return "ticket", "locked", ticket.Params(buyers=count, tickets=count // 2, jitter=0.0)


def _ktv(count: int) -> tuple[str, str, Any]:
    from sut.scenarios import ktv

    return "ktv", "semaphore", ktv.Params(people=count, rooms=4, jitter=0.0)


def _chat(count: int) -> tuple[str, str, Any]:
    from sut.scenarios import chat

    return "chat", "framed", chat.Params(messages=(("hello", "wörld"),) * count,
                                         max_clients=count)


def table(methods: tuple[str, ...], limit: float) -> list[str]:
    rows = [f"| example | start method | most within {limit:g} s | its time "
            "| most at work at once | 256 took |", "|---|---|---:|---:|---:|---:|"]
    for label, make, first in [("ticket office, buyers", _ticket, 32),
                               ("KTV, people (4 rooms)", _ktv, 32),
                               ("chat, clients at once", _chat, 16)]:
        for method in methods:
            best, took, peak, times = largest(make, first, method, limit)
            at_256 = f"{times[256]:.2f} s" if 256 in times else "-"
            rows.append(f"| {label} | {method} | {best} | {took:.2f} s | {peak} | {at_256} |")
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start-methods", default=",".join(START_METHODS))
    parser.add_argument("--limit", type=float, default=LIMIT,
                        help="seconds an example may take (default: %(default)s)")
    args = parser.parse_args(argv)
    from benchmarks.overhead import prepare

    prepare()
    print("\n".join(table(tuple(args.start_methods.split(",")), args.limit)))


if __name__ == "__main__":
    main()
