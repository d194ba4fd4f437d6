"""The default suite's wall time: serial (``-n 0``) against ``-n auto``, side by side,
and the unit tier alone (``pytest tests/unit -n 0``, the inner loop).

Each run is the README's test command (``pytest``, the default Hypothesis
profile) in a subprocess, alternating serial and parallel ``--repeat``
times, so that the machine's drift touches both alike.

    python -m benchmarks.suite [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A whole run is called stuck after this long (the serial run takes minutes).
RUN_TIMEOUT = 1800.0


def run_suite(workers: str, *paths: str) -> tuple[float, str]:
    """Seconds for one run of the default suite (or of ``paths``) with ``-n workers``, and
    its summary line."""
    env = {key: value for key, value in os.environ.items() if key != "HYPOTHESIS_PROFILE"}
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-n", workers, *paths], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=RUN_TIMEOUT, check=False)
    took = time.monotonic() - began
    summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    if done.returncode != 0:
        raise AssertionError(f"pytest -n {workers} failed: {summary}")
    return took, summary.strip("= ")


def table(repeat: int) -> list[str]:
    chosen = {"0": ("0",), "auto": ("auto",), "unit": ("0", "tests/unit")}
    runs: dict[str, list[float]] = {name: [] for name in chosen}
    summaries: dict[str, str] = {}
    for _ in range(repeat):
        for name, arguments in chosen.items():
            took, summaries[name] = run_suite(*arguments)
            runs[name].append(took)
            print(f"  pytest {name}: {took:.1f} s ({summaries[name]})",
                  file=sys.stderr, flush=True)
    serial, parallel = statistics.median(runs["0"]), statistics.median(runs["auto"])
    return [f"| run | wall time (median of {repeat}) | tests |", "|---|---:|---|",
            f"| `pytest -n 0` (serial) | {serial:.1f} s | {summaries['0']} |",
            f"| `pytest` (`-n auto`: {2 * (os.cpu_count() or 1)} workers) | {parallel:.1f} s "
            f"| {summaries['auto']} |",
            f"| serial / parallel | {serial / parallel:.2f}x | |",
            f"| `pytest tests/unit -n 0` (the unit tier) | {statistics.median(runs['unit']):.1f} s "
            f"| {summaries['unit']} |"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each (default: %(default)s)")
    args = parser.parse_args(argv)
    print("\n".join(table(args.repeat)))


if __name__ == "__main__":
    main()
