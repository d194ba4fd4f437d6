"""``python -m sut stress``: rerun one configuration many times and count what happens.

This is the tutorial's way to look for a race - run the program again and
again under the real OS scheduler and hope to see a bad outcome - made
honest: every run is checked against the scenario's invariants, and the runs
are tallied into a histogram of outcomes. An outcome is the set of
invariants a run broke: none is acceptable, any is forbidden. Each outcome
keeps the first seed that produced it (the jitter's seed, so ``run --seed``
replays it as far as the OS scheduler lets it) and its evidence.

Example:
    histogram = stress(lambda seed: scenario.evaluate(params, "unlocked",
                                                     start_method="fork", seed=seed),
                       runs=100)
    for tally in histogram.tallies():
        print(tally.count, tally.finding.describe())
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sut.engine.result import Result, Violation

Evaluate = Callable[[int], tuple[Result, list[Violation]]]


@dataclass(frozen=True)
class Finding:
    """What one run came to: the invariants it broke (sorted; none: it held)."""

    broken: tuple[str, ...]

    @property
    def acceptable(self) -> bool:
        return not self.broken

    def describe(self) -> str:
        return "every invariant held" if self.acceptable else "broke " + ", ".join(self.broken)


@dataclass
class Tally:
    """How often one outcome came, and the first run that showed it."""

    finding: Finding
    count: int
    first_seed: int
    evidence: str  # the first violation's detail, or "" for an acceptable outcome


@dataclass
class Histogram:
    """Every outcome of a stress run, how often, and how long it all took."""

    runs: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    by_finding: dict[Finding, Tally] = field(default_factory=dict)

    def add(self, seed: int, violations: list[Violation]) -> None:
        finding = Finding(tuple(sorted({violation.invariant for violation in violations})))
        self.runs += 1
        if finding in self.by_finding:
            self.by_finding[finding].count += 1
        else:
            self.by_finding[finding] = Tally(finding, 1, seed,
                                             violations[0].detail if violations else "")

    @property
    def forbidden(self) -> int:
        """How many runs broke an invariant."""
        return sum(tally.count for tally in self.by_finding.values()
                   if not tally.finding.acceptable)

    def tallies(self) -> list[Tally]:
        """The outcomes, most frequent first (ties: the one seen first)."""
        return sorted(self.by_finding.values(), key=lambda tally: (-tally.count,
                                                                   tally.first_seed))


def stress(evaluate: Evaluate, *, runs: int, first_seed: int = 0, until_forbidden: bool = False,
           seconds: float | None = None,
           progress: Callable[[Histogram], None] = lambda histogram: None) -> Histogram:
    """Run ``evaluate(seed)`` for ``runs`` seeds from ``first_seed``; the histogram.

    ``until_forbidden`` stops at the first run that breaks an invariant - a
    stress loop looking for a bug - and ``seconds`` after the first run that
    ends past that many seconds. Ctrl-C stops early too: the histogram of the
    runs done so far comes back, marked ``interrupted``.

    Raises:
        ValueError: ``runs`` is below 1.
    """
    if runs < 1:
        raise ValueError(f"runs must be >= 1, got {runs}")
    histogram = Histogram()
    began = time.monotonic()
    try:
        for seed in range(first_seed, first_seed + runs):
            _, violations = evaluate(seed)
            histogram.add(seed, violations)
            histogram.seconds = time.monotonic() - began
            progress(histogram)
            if until_forbidden and histogram.forbidden:
                break
            if seconds is not None and histogram.seconds > seconds:
                break
    except KeyboardInterrupt:
        histogram.interrupted = True
    histogram.seconds = time.monotonic() - began
    return histogram


def report(histogram: Histogram, *, what: str, replay: str) -> str:
    """The histogram as a table, and how to replay the first forbidden outcome.

    ``what`` names the configuration; ``replay`` is the command that runs it,
    to which ``--seed N`` is added.
    """
    per_run = histogram.seconds / histogram.runs if histogram.runs else 0.0
    lines = [f"stressed {what}: {histogram.runs} runs in {histogram.seconds:.1f} s "
             f"({per_run * 1000:.0f} ms a run)"
             + (", interrupted" if histogram.interrupted else "")]
    rows = [("count", "share", "verdict", "outcome", "first seen")]
    for tally in histogram.tallies():
        first = f"seed {tally.first_seed}" + (f": {tally.evidence}" if tally.evidence else "")
        rows.append((str(tally.count), f"{100 * tally.count / histogram.runs:.1f}%",
                     "acceptable" if tally.finding.acceptable else "forbidden",
                     tally.finding.describe(), first))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        lines.append("  ".join([row[0].rjust(widths[0]), row[1].rjust(widths[1]),
                                row[2].ljust(widths[2]), row[3].ljust(widths[3]), row[4]]
                               ).rstrip())
    forbidden = [tally for tally in histogram.tallies() if not tally.finding.acceptable]
    if forbidden:
        lines.append(f"rerun the first forbidden outcome (its seed fixes the jitter, not the OS "
                     f"scheduler): {replay} --seed {min(t.first_seed for t in forbidden)}")
    else:
        lines.append("no forbidden outcome in these runs: the OS scheduler may just not have "
                     "hit the race (`demo` searches for it)")
    return "\n".join(lines)
