"""The harness's cost per example, against the physical floor, per start method.

The floor: start N bare processes (a target that does nothing, in a module
that imports nothing) and join them. The harness: one whole example of the
ticket office with N buyers and no jitter - the Runner starting the workers,
their probes logging events, the flock, the file, reaping, reading the logs
back, and the checker. Both are measured side by side (alternating, median of
``--repeat``), so the ratio is what the harness adds.

    python -m benchmarks.overhead [--sizes 2,16,64] [--repeat 5]
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks._noop import noop

# Under spawn and forkserver every child imports the main module again: this
# one imports the suite only where the harness is measured, so that the bare
# floor's children import nothing.
START_METHODS = ("fork", "forkserver", "spawn")
SIZES = (2, 16, 64)
REPEAT = 5


def precompile() -> None:
    """Write the package's bytecode, as a machine that caches it has it.

    Under PYTHONDONTWRITEBYTECODE nothing is cached, and every spawned worker
    would compile the package's sources again - a cost of that setting (about
    30 ms a worker here), not of the harness. ``compileall`` writes the cache
    whatever the setting; workers then only read it.
    """
    import compileall
    from pathlib import Path

    import sut

    compileall.compile_dir(Path(sut.__file__).parent, quiet=1)


def prepare() -> None:
    """What a process that measures does first: the bytecode written (:func:`precompile`),
    and the fork server told to preload the scenarios, as ``python -m sut`` and the suite
    do, before it starts."""
    from sut.engine.backend import preload_forkserver
    from sut.scenarios import MODULES

    precompile()
    preload_forkserver(*MODULES)


def bare(start_method: str, processes: int) -> float:
    """Seconds to start ``processes`` processes that do nothing, and join them."""
    context: Any = multiprocessing.get_context(start_method)  # a start method's own context
    began = time.monotonic()
    started = [context.Process(target=noop) for _ in range(processes)]
    for process in started:
        process.start()
    for process in started:
        process.join(60)
    took = time.monotonic() - began
    for process in started:
        process.close()
    return took


def harness(start_method: str, processes: int) -> float:
    """Seconds for one checked example of the ticket office with ``processes`` buyers."""
    import sut
    from sut.scenarios import ticket

    scenario = sut.get("ticket")
    params = ticket.Params(buyers=processes, tickets=processes, jitter=0.0)
    began = time.monotonic()
    _, violations = scenario.evaluate(params, "locked", start_method=start_method, timeout=60)
    took = time.monotonic() - began
    if violations:
        raise AssertionError(f"the locked ticket office broke: {violations[0]}")
    return took


def side_by_side(first: Callable[[], float], second: Callable[[], float],
                 repeat: int) -> tuple[float, float]:
    """The medians of ``repeat`` alternating measurements of each (after one warm-up each)."""
    first()
    second()
    pairs = [(first(), second()) for _ in range(repeat)]
    return (statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs))


def table(sizes: tuple[int, ...], repeat: int, methods: tuple[str, ...]) -> list[str]:
    rows = ["| start method | processes | bare start + join | one harness example | ratio "
            "| harness per process |", "|---|---:|---:|---:|---:|---:|"]
    for method in methods:
        for size in sizes:
            floor, example = side_by_side(functools.partial(bare, method, size),
                                          functools.partial(harness, method, size), repeat)
            rows.append(f"| {method} | {size} | {floor * 1000:.0f} ms | {example * 1000:.0f} ms "
                        f"| {example / floor:.1f}x | {example / size * 1000:.1f} ms |")
            print(rows[-1], file=sys.stderr, flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="process counts, comma-separated (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=REPEAT,
                        help="measurements of each, after a warm-up (default: %(default)s)")
    parser.add_argument("--start-methods", default=",".join(START_METHODS))
    args = parser.parse_args(argv)
    sizes = tuple(int(size) for size in args.sizes.split(","))
    prepare()
    print("\n".join(table(sizes, args.repeat, tuple(args.start_methods.split(",")))))


if __name__ == "__main__":
    main()
