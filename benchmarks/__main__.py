"""``python -m benchmarks``: every measurement, one after the other, as one Markdown report.

Each section is side by side in itself (what it compares runs alternately
or back to back in the same minutes); run it on a quiet machine. Sections:

- ``search``: time and runs to each minimal counterexample against a plain
  stress loop (``benchmarks.search_vs_stress``);
- ``overhead``: one harness example against bare process start and join,
  per start method (``benchmarks.overhead``);
- ``suite``: the default suite serial against ``-n auto`` (``benchmarks.suite``);
- ``scale``: the most processes an example handles within 10 s, and chat
  clients served at once (``benchmarks.scale``);
- ``schedules``: schedule-mode searches and exhaustive exploration
  (``benchmarks.schedules``).

    python -m benchmarks [--only search,overhead,suite,scale,schedules]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable

SECTIONS = ("search", "overhead", "suite", "scale", "schedules")


def _search() -> list[str]:
    from benchmarks import search_vs_stress

    return search_vs_stress.table("fork", search_vs_stress.STRESS_RUNS,
                                  search_vs_stress.STRESS_SECONDS)


def _overhead() -> list[str]:
    from benchmarks import overhead

    return overhead.table(overhead.SIZES, overhead.REPEAT, overhead.START_METHODS)


def _suite() -> list[str]:
    from benchmarks import suite

    return suite.table(1)


def _scale() -> list[str]:
    from benchmarks import scale

    return scale.table(scale.START_METHODS, scale.LIMIT)


def _schedules() -> list[str]:
    from benchmarks import schedules

    return [*schedules.minimal_counterexamples("fork"), "", *schedules.exhaustive("fork")]


RUNNERS: dict[str, tuple[str, Callable[[], list[str]]]] = {
    "search": ("Minimal counterexample: the suite's search against a stress loop (fork)",
               _search),
    "overhead": ("Harness overhead per example against bare process start and join", _overhead),
    "suite": ("The default suite, serial against -n auto", _suite),
    "scale": ("Scale: the most processes one example handles within 10 s", _scale),
    "schedules": ("Schedule mode: searches and exhaustive exploration (fork)", _schedules),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help="sections to run, comma-separated (default: %(default)s)")
    args = parser.parse_args(argv)
    chosen = args.only.split(",")
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        print(f"benchmarks: error: unknown section {', '.join(unknown)} "
              f"(known: {', '.join(SECTIONS)})", file=sys.stderr)
        return 2
    from benchmarks.overhead import precompile
    from sut.engine.backend import preload_forkserver
    from sut.scenarios import MODULES

    precompile()
    preload_forkserver(*MODULES)  # as `python -m sut` and the suite do, before the server starts
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}, "
          f"Python {platform.python_version()}\n")
    for name in chosen:
        title, runner = RUNNERS[name]
        print(f"{title}, as `python -m benchmarks --only {name}` ran it:", file=sys.stderr)
        began = time.monotonic()
        rows = runner()
        print(f"## {title}\n\n" + "\n".join(rows)
              + f"\n\n({time.monotonic() - began:.0f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
