"""Named instrumentation points, and how hard they shake the program.

Scenario code is written once and marks its interesting moments:
``probe.point("read", count=1)`` records an event and then, by the probe's
mode, pauses or not; ``probe.record("leave")`` only records. The mode decides
how hard a run is shaken:

- :class:`Quiet` never pauses (what a user's program would do);
- :class:`Jitter` pauses at every point for a seeded duration between 3/4 and
  all of ``width``. The pauses widen the race windows between points so that a
  race happens on every run; the seeded quarter perturbs the order of
  contenders, and the same seed gives the same pauses on every run;
- :class:`Schedule` makes every point, and every operation on the backend's
  primitives, a gate: the worker stops there until the coordinator of the
  schedule (:mod:`sut.engine.coordinator`) lets it go on. The OS no longer
  decides the interleaving; the schedule does.

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
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sut.engine.gate import STARTED_UP, Check, Granted, Timed, receive, send
from sut.engine.gate import current as current_gate
from sut.engine.model import Kind
from sut.engine.result import Event, HarnessFailure

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


@dataclass(frozen=True)
class Schedule:
    """Every point is a decision of the coordinator, following ``schedule``.

    ``schedule`` lists worker indices, one per decision; see
    :mod:`sut.engine.coordinator` for what an entry means. ``relative``
    entries count instead among the workers that can go on, from the
    default: 0 is the default, 1 the next one in spawn order, and so on
    (modulo their number) - what a search draws, since every entry then
    means something and shrinks towards no context switch at all.
    """

    schedule: tuple[int, ...] = ()
    relative: bool = False

    def __post_init__(self) -> None:
        if any(not isinstance(entry, int) or entry < -1 for entry in self.schedule):
            raise ValueError(f"a schedule lists worker indices >= 0 (-1 for main), "
                             f"got {self.schedule}")

    def pause(self, rng: random.Random) -> float:
        return 0.0


Mode = Quiet | Jitter | Schedule


# What a scenario's ``run`` takes as its schedule: worker indices, or a whole mode.
ScheduleLike = Sequence[int] | Schedule


def shaking(jitter: float, schedule: ScheduleLike | None) -> Mode:
    """A scenario's mode: the given schedule, or else jitter of that width."""
    if schedule is None:
        return Jitter(jitter)
    return schedule if isinstance(schedule, Schedule) else Schedule(tuple(schedule))


class Probe:
    """The handle a worker uses to report its named points.

    Picklable, so it travels to the worker under every start method; the log
    file and the random generator are opened lazily inside the worker.
    """

    def __init__(self, worker: str, log_path: Path, mode: Mode, *,
                 seed: int = 0, kill_at: str | None = None, kill_token: Path | None = None,
                 gate: Connection | None = None, noting: bool = False) -> None:
        self.worker = worker
        self.gate = gate  # to the coordinator, in schedule mode
        # Whether the coordinator takes fingerprints: then what this worker records, and
        # which of the run's files it opens, are part of its state, told at its next gate.
        self.noting = noting
        self.log_path = log_path
        self.mode = mode
        self.seed = seed
        self.kill_at = kill_at
        self.kill_token = kill_token
        self._fd: int | None = None
        self._rng: random.Random | None = None
        self._notes: list[str] = []
        self._opened: list[str] = []  # files of the run it opened since its last gate

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_fd"] = None
        state["_rng"] = None
        state["_notes"] = []
        state["_opened"] = []
        return state

    def record(self, label: str, **data: Any) -> None:
        """Record that this worker reached ``label``, without pausing."""
        if self.gate is None:
            if isinstance(self.mode, Schedule) and (parent := current_gate()) is not None:
                parent.catch_up()  # main's event comes after what the workers it started did
        elif self.noting:  # part of its state: the next gate tells the coordinator
            self._notes.append(json.dumps([label, data], sort_keys=True, default=repr))
        line = json.dumps([time.monotonic_ns(), label, data], ensure_ascii=False) + "\n"
        try:
            if self._fd is None:
                self._fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            rest = line.encode("utf-8")
            while rest:
                rest = rest[os.write(self._fd, rest):]
        except OSError as exc:
            raise HarnessFailure(f"{self.worker} could not write its event log: "
                                 f"{exc.strerror or exc}") from None

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
        if isinstance(self.mode, Schedule):
            self.step("point", label)  # its payload goes with the notes
            return
        if self._rng is None:
            # A string seed is hashed deterministically, unlike hash() of a str.
            self._rng = random.Random(f"{self.seed}/{self.worker}")
        delay = self.mode.pause(self._rng)
        if delay:
            time.sleep(delay)

    def poll(self, interval: float) -> None:
        """Pause before a polling loop looks again: ``interval`` seconds, or in
        schedule mode a step the schedule may place anywhere between others'."""
        if isinstance(self.mode, Schedule):
            self.step("poll")
        else:
            time.sleep(interval)

    def sleep(self, seconds: float) -> None:
        """The program's own pause (a phase of the light, a slow start): ``seconds``,
        or in schedule mode a step - the schedule decides what happens meanwhile."""
        if isinstance(self.mode, Schedule):
            self.step("point", "sleep")
        else:
            time.sleep(seconds)

    def step(self, kind: Kind, target: str = "", *, timed: Timed = None,
             detail: str = "", real: Check | None = None) -> Granted:
        """Stop at a gate until the coordinator lets this worker go on (schedule mode).

        Main's own probe has no pipe to the coordinator: it asks the gate of
        its process, the run, which asks the coordinator in place.
        """
        if self.gate is None:
            parent = current_gate()
            if parent is None:
                raise ValueError(f"{self.worker} has no coordinator: it is not in schedule mode")
            return parent.step(kind, target, timed=timed, detail=detail, real=real)
        send(self.gate, (kind, target, timed, detail, real is not None, tuple(self._notes),
                         tuple(self._opened)))
        self._notes.clear()
        self._opened.clear()
        while True:
            reply, answer = receive(self.gate)
            if reply != "check":
                return Granted(reply, answer)
            assert real is not None
            send(self.gate, real())  # asked while waiting here: see Gate.step

    def begin(self) -> None:
        """Wait, started up, until the coordinator lets this worker's own code begin
        (schedule mode; see ``Coordinator.begin``). No decision of the schedule."""
        if self.gate is not None:
            send(self.gate, (STARTED_UP, "", None, "", False, (), ()))
            receive(self.gate)

    def catch_up(self) -> None:
        """A worker's gate: it starts nobody (see ``Gate.catch_up``)."""

    def opened(self, name: str) -> None:
        """This worker opened the run's file ``name`` (schedule mode): what it reads of it
        from now on is part of its state, and the next gate tells the coordinator."""
        if self.gate is not None and name not in self._opened:
            self._opened.append(name)

    def leave(self) -> None:
        """Tell the coordinator this worker's code is over (schedule mode).

        What is left is the interpreter's teardown, which touches nothing
        shared that the model tracks: a queue's feeder flushes items the model
        already counts, and the kernel closes pipe ends and frees flocks the
        model already counts as closed and free - a real operation waiting on
        one of them waits at most for the teardown to end.
        """
        if self.gate is not None:
            send(self.gate, ("exit", "", None, "", None, tuple(self._notes), tuple(self._opened)))
            self._notes.clear()
            self._opened.clear()

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
