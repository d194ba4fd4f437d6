"""What a run leaves behind: events, worker outcomes, final state, violations.

These are plain, immutable data. A scenario's ``check`` reads a :class:`Result`
and returns :class:`Violation` objects; nothing here touches a process, so the
checkers can be unit-tested on hand-made results.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from sut.engine.gate import ModelDisagreement
from sut.engine.stall import describe_blocked

if TYPE_CHECKING:  # workers never need the coordinator: not imported at run time
    from sut.engine.coordinator import Step

Status = Literal["ok", "crashed", "hung", "deadlocked", "blocked", "killed", "failed"]


@dataclass(frozen=True)
class Event:
    """One named point reached by one worker, at a system-wide monotonic time."""

    t_ns: int
    worker: str
    label: str
    data: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """``buyer 0 read count=1``: the worker, the point and its payload (a crash's
        traceback is the outcome's to show: it is many lines, and names this machine's
        files)."""
        payload = " ".join(f"{key}={value!r}" if isinstance(value, str) else f"{key}={value}"
                           for key, value in self.data.items()
                           if not (self.label == "crash" and key == "traceback"))
        return f"{self.worker} {self.label}" + (f" {payload}" if payload else "")


@dataclass(frozen=True)
class WorkerOutcome:
    """How one worker process ended.

    ``status`` is ``ok`` (exit code 0), ``crashed`` (an exception escaped the
    worker; ``error`` and ``traceback`` say which), ``hung`` (still alive at the
    run's deadline, then terminated; ``last_point`` says where it was),
    ``deadlocked`` (in schedule mode: waiting, with no one left who could let
    it go on; ``waiting_for`` says for what - known at once, no deadline),
    ``blocked`` (in schedule mode: waiting outside the schedule, on something
    the engine does not know - an error of the scenario, not of the program;
    ``waiting_for`` says in what), ``killed`` (ended by a signal) or
    ``failed`` (any other exit code).
    ``injected`` marks the worker a run deliberately killed to test recovery.
    """

    name: str
    status: Status
    exitcode: int | None
    last_point: str | None = None
    error: str | None = None
    traceback: str | None = None
    injected: bool = False
    waiting_for: str | None = None

    def describe(self) -> str:
        where = f" after {self.last_point!r}" if self.last_point else " before its first point"
        if self.status == "ok":
            return f"{self.name} exited cleanly"
        if self.status == "hung":
            return f"{self.name} hung{where} and was stopped at the deadline"
        if self.status == "deadlocked":
            return f"{self.name} is stuck{where}: it waits for {self.waiting_for}"
        if self.status == "blocked":
            return describe_blocked(self.name, self.last_point, self.waiting_for or "")
        if self.status == "crashed":
            return f"{self.name} crashed{where}: {self.error}"
        if self.status == "killed":
            return f"{self.name} was killed by signal {-(self.exitcode or 0)}{where}"
        return f"{self.name} exited with code {self.exitcode}{where}"


# The exit code of a worker whose harness failed it (see HarnessFailure).
HARNESS_EXIT = 121


class HarnessFailure(BaseException):
    """The harness itself failed: no space for a worker's event log, no process to be
    had, no folder for the run. An error of the run, never a verdict on the program.

    A BaseException, like SystemExit: a program's ``except Exception`` around a
    probe's point does not swallow it. A worker it ends exits with HARNESS_EXIT
    (so a program's own ``sys.exit(121)`` would read as one too).
    """


class DeclarationError(ValueError, TypeError):
    """A scenario declared wrong: an invariant or the scenario's own run raised, a worker
    is no module-level function, a primitive the Backend does not offer, a
    ``module:NAME`` that names no scenario. One line saying which and why.

    Both a ValueError and a TypeError, so that a caller catching either - the
    errors a bad argument gives in Python - catches it.
    """


class ScenarioError(ValueError):
    """A run that says nothing about the program, because its scenario went wrong (a
    worker blocked outside the schedule, a primitive the model mistakes); ``result``
    is the run, if it came to an end."""

    def __init__(self, message: str, result: Result | None) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class Violation:
    """A broken invariant and the evidence, in one readable sentence."""

    invariant: str
    detail: str


@dataclass(frozen=True)
class Result:
    """Everything one run of a scenario produced.

    ``final`` is the state the program left behind - its files, what was
    left in its queues - as the scenario read it once every worker was gone;
    it is set one way, by :meth:`with_final`.
    """

    scenario: str
    variant: str
    params: dict[str, Any]
    start_method: str
    seed: int
    events: tuple[Event, ...]
    workers: tuple[WorkerOutcome, ...]
    final: dict[str, Any] = field(default_factory=dict)
    # In schedule mode: the schedule that replays this run, every decision
    # the coordinator took, and the deadlock that ended the run, if one did.
    schedule: tuple[int, ...] | None = None
    steps: tuple[Step, ...] = ()
    deadlock: str | None = None
    # What the processes shared that schedule mode could not see ("" if nothing):
    # an exploration of such runs does not prune.
    unseen: str = ""
    # What the schedule took for granted: the timeouts it assumed long enough
    # (``gate.assume_long_enough``) and kept from firing while others went on.
    assumed: tuple[str, ...] = ()
    # Where a real primitive let through what the model says waits (schedule mode).
    disagreement: str | None = None

    @property
    def scenario_error(self) -> str | None:
        """What went wrong with the scenario rather than its program (a worker blocked
        outside the schedule, a real primitive that disagrees with the model), or None:
        then the run says something about the program."""
        errors = [outcome.describe() for outcome in self.workers if outcome.status == "blocked"
                  or (outcome.error or "").startswith(f"{ModelDisagreement.__name__}:")]
        if self.disagreement is not None:
            errors.append(self.disagreement)
        return "; ".join(errors) or None

    def with_final(self, final: Mapping[str, Any]) -> Result:
        """This run, with ``final`` as the state its program left behind.

        Read it after ``Run.result()``: by then every worker has ended or been
        stopped, so nothing changes the files or queues any more, and nothing
        races the scenario for what is left in them.
        """
        return dataclasses.replace(self, final=dict(final))

    def events_of(self, label: str) -> list[Event]:
        """The events with this label, in time order."""
        return [event for event in self.events if event.label == label]

    def events_by(self, worker: str) -> list[Event]:
        """The events of the worker called ``worker``, in time order."""
        return [event for event in self.events if event.worker == worker]

    def exited_cleanly(self, role: str = "") -> list[WorkerOutcome]:
        """The workers that exited cleanly, whose names start with ``role`` (any, if empty):
        those a scenario can hold to what a finished worker must have done."""
        return [outcome for outcome in self.workers
                if outcome.status == "ok" and outcome.name.startswith(role)]

    def worker(self, name: str) -> WorkerOutcome:
        """The outcome of the worker called ``name``."""
        for outcome in self.workers:
            if outcome.name == name:
                return outcome
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of the whole result."""
        return asdict(self)
