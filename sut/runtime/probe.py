"""Named instrumentation points, and how hard they shake the program.

Scenario code is written once and marks its interesting moments:
``probe.point("read", count=1)`` records an event and then, by the probe's
mode, pauses or not; ``probe.record("leave")`` only records. The mode decides
how hard a run is shaken:

- :class:`Quiet` never pauses (what a user's program would do);
- :class:`Jitter` pauses at every point for a seeded duration between 3/4 and
  all of ``width``. The pauses widen the race windows between points so that a
  race happens on every run; the seeded quarter perturbs the order of
  contenders, and the same seed gives the same pauses on every run.

Each worker appends its events to its own file with one ``write`` per line:
no thread, no queue, nothing a killed worker could leave locked, and the
parent reads them after the worker is gone.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .result import Event

# The share of a jitter pause that is fixed: contenders that start together
# drift apart by at most a quarter of the width per point, while every window
# between two points stays open for at least three quarters of it.
_FIXED_SHARE = 0.75


@dataclass(frozen=True)
class Quiet:
    """No pauses: points only record."""

    def pause(self, rng: random.Random) -> float:
        return 0.0


@dataclass(frozen=True)
class Jitter:
    """Pause at every point for ``width * U(0.75, 1)`` seconds, from the probe's seeded RNG."""

    width: float

    def __post_init__(self) -> None:
        if not self.width >= 0:
            raise ValueError(f"jitter width must be >= 0 seconds, got {self.width}")

    def pause(self, rng: random.Random) -> float:
        return self.width * (_FIXED_SHARE + (1 - _FIXED_SHARE) * rng.random())


Mode = Quiet | Jitter


class Probe:
    """The handle a worker uses to report its named points.

    Picklable, so it travels to the worker under every start method; the log
    file and the random generator are opened lazily inside the worker.
    """

    def __init__(self, worker: str, log_path: Path, mode: Mode, *,
                 seed: int = 0, kill_at: str | None = None, kill_token: Path | None = None) -> None:
        self.worker = worker
        self.log_path = log_path
        self.mode = mode
        self.seed = seed
        self.kill_at = kill_at
        self.kill_token = kill_token
        self._fd: int | None = None
        self._rng: random.Random | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_fd"] = None
        state["_rng"] = None
        return state

    def record(self, label: str, **data: Any) -> None:
        """Record that this worker reached ``label``, without pausing."""
        if self._fd is None:
            self._fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        line = json.dumps([time.monotonic_ns(), label, data], ensure_ascii=False) + "\n"
        os.write(self._fd, line.encode("utf-8"))

    def point(self, label: str, **data: Any) -> None:
        """Record ``label``, then pause as the mode says (a scheduling point).

        If this worker may die at ``label`` and is the first of the run to get
        there, it is killed here with SIGKILL right after the event is
        recorded: nothing it would have done next happens, as in a real crash.
        """
        self.record(label, **data)
        if label == self.kill_at and self._claim_kill():
            self.record("killed", at=label)
            os.kill(os.getpid(), signal.SIGKILL)
        if self._rng is None:
            # A string seed is hashed deterministically, unlike hash() of a str.
            self._rng = random.Random(f"{self.seed}/{self.worker}")
        delay = self.mode.pause(self._rng)
        if delay:
            time.sleep(delay)

    def _claim_kill(self) -> bool:
        """Take the run's one kill: creating the token file succeeds for one worker only."""
        if self.kill_token is None:
            return True
        try:
            os.close(os.open(self.kill_token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            return False
        return True

    def close(self) -> None:
        """Close the log file (the parent's own probe; workers close theirs by exiting)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def read_log(worker: str, log_path: Path) -> list[Event]:
    """The events one worker wrote, ignoring a last line cut short by a kill."""
    try:
        raw = log_path.read_bytes()
    except FileNotFoundError:
        return []
    events = []
    for line in raw.splitlines():
        try:
            t_ns, label, data = json.loads(line)
        except ValueError:
            continue
        events.append(Event(t_ns=t_ns, worker=worker, label=label, data=data))
    return events
