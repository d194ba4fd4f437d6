"""The coordinator: runs one worker at a time, in the order a schedule says.

Every worker in schedule mode stops at each of its gates - a named point, or
an operation on a primitive - and sends the coordinator what it is about to
do. The coordinator waits until every live worker is stopped, asks the model
(:class:`~.model.World`) which of them can go on, picks one as the schedule
says, applies its operation to the model and lets it go; then waits again.
So exactly one worker runs between two decisions, and the same schedule is
the same run on any machine, under any load and start method.

The test process - main - is a participant too: its operations and points
are gates like the workers', though it goes on by itself once chosen. A
schedule is a list of worker indices (spawn order; -1, written ``m``, for
main), one per decision (or, ``relative``, of picks among those that can go
on, 0 being the default). An
entry naming a worker that cannot go on, and every decision past the end of
the list, take the default: the worker that ran last if it can go on (and is
not merely polling), else the next one in spawn order that can. So ``[]``
runs each worker as far as it gets, one after the other, and every entry that
differs from the default is a context switch - shrinking a schedule shrinks
the interleaving.

Arriving at a barrier is no decision: it changes nothing another worker
could see, so the coordinator lets arrivals happen at once.

When no worker can go on, a wait with a timeout gives up (the schedule
chooses which, if several); when none has a timeout, that is a deadlock,
known at once and described by the model. Timeouts never race real work:
one only fires when nothing else could happen.

Each step also carries a fingerprint of the state it was taken in: the
model's state, every process's history (the operations it did, what it got
from them, the payloads of its points), what it is about to do, and what the
run's ``files`` callback returns. Exhaustive exploration (:mod:`.explore`)
visits each fingerprint once.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Literal

from sut.engine.gate import Reply
from sut.engine.model import Deadlock, Op, World

# A schedule longer than this is a livelock (a worker polling forever), not a run.
MAX_STEPS = 5_000
# The name the model knows the test process by, and how a schedule writes it.
MAIN = "main"
MAIN_LETTER = "m"

Drive = Literal["done", "stuck", "late"]


@dataclass(frozen=True)
class Step:
    """One decision: who went on, doing what, and who else could have."""

    worker: str
    op: Op
    reply: Reply
    choices: tuple[str, ...]  # the workers that could go on, in spawn order
    default: bool  # whether the default would have chosen ``worker`` too
    state: int  # fingerprint of the state the decision was taken in
    t_ns: int  # when it was taken (monotonic, as the events): places it among them


class Coordinator:
    """Decides, step by step, which worker goes on; see the module docstring."""

    def __init__(self, world: World, schedule: Sequence[int] = (), *, relative: bool = False,
                 files: Callable[[], Hashable] = tuple) -> None:
        self.world = world
        self.schedule = tuple(schedule)
        self.relative = relative
        self._files = files
        self.workers: list[str] = []  # by index
        self.steps: list[Step] = []
        self.deadlock: Deadlock | None = None
        self._connections: dict[str, Connection] = {}
        self._running: set[str] = set()  # let go, next stop not yet reported
        self._pending: dict[str, tuple[Op, bool, str]] = {}  # stopped: op, timed?, detail
        self._finished: set[str] = set()
        # Each process's history, folded into a digest as it grows (see _state).
        self._histories: dict[str, bytes] = {MAIN: b""}
        self._main_reply: Reply | None = None  # main's, once it was chosen
        self._last: str | None = None

    def add(self, worker: str, connection: Connection | None) -> None:
        """A worker just started (it runs until its first gate), or failed to (None).

        Every spawned worker gets its index, so indices are spawn order.
        """
        self.workers.append(worker)
        self._histories[worker] = b""
        if connection is None:
            self._finished.add(worker)
            return
        self._connections[worker] = connection
        self._running.add(worker)

    def settle(self, deadline: float) -> bool:
        """Wait until every running worker has stopped at a gate or ended (False: late)."""
        return self._collect(deadline)

    def finished(self, worker: str) -> bool:
        return worker in self._finished

    def waiting(self) -> dict[str, str]:
        """Each stopped worker that cannot go on, and what it waits for."""
        return {worker: self.world.waits_for(op) or "" for worker, (op, _, _) in
                self._pending.items() if not self.world.enabled(op) and worker != MAIN}

    def drive(self, until: Callable[[], bool], deadline: float) -> Drive:
        """Take steps until ``until()`` holds (``done``), nobody can go on
        (``stuck``, :attr:`deadlock` says why) or a worker fails to reach its
        next gate by ``deadline`` (``late``: it is hung outside any gate)."""
        while True:
            if not self._collect(deadline):
                return "late"
            if until():
                return "done"
            if len(self.steps) >= MAX_STEPS:
                return "late"  # a livelock: someone polls forever
            if not self._advance():
                return "stuck"
            if until():
                # Before waiting for anyone: main, just let go, may be what they
                # wait for (the other parties of its barrier round).
                return "done"

    def schedule_taken(self) -> tuple[int, ...]:
        """The shortest schedule that replays this run: up to its last context switch."""
        last = max((i for i, step in enumerate(self.steps) if not step.default), default=-1)
        return tuple(self._index(step.worker) for step in self.steps[:last + 1])

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()

    # --- one step ------------------------------------------------------------

    def _collect(self, deadline: float) -> bool:
        """Wait until every running worker has stopped at a gate or ended."""
        while self._running:
            connections = [self._connections[worker] for worker in self._running]
            ready = wait(connections, timeout=max(0.0, deadline - time.monotonic()))
            if not ready:
                return False
            for worker in list(self._running):
                connection = self._connections[worker]
                if connection not in ready:
                    continue
                self._running.discard(worker)
                try:
                    kind, target, timed, detail, notes = connection.recv()
                except (EOFError, OSError):  # killed, or gone without a word
                    kind, notes = "exit", ()
                self._remember(worker, notes)  # what it noted on the way here
                if kind == "exit":
                    self._finished.add(worker)
                    self.world.exit(worker)
                    continue
                self._pending[worker] = (Op(worker, kind, target), timed, detail)
        return True

    def _advance(self) -> bool:
        """Let one worker go on; False if none can (then :attr:`deadlock` is set)."""
        order = self._order()
        arriving = next((worker for worker in order if worker in self._pending
                         and self._pending[worker][0].kind == "arrive"), None)
        if arriving is not None:
            # Arrivals at a barrier commute with everything: no decision.
            self._go(arriving)
            return True
        reply: Reply = "go"
        choices = [worker for worker in order
                   if worker in self._pending and self.world.enabled(self._pending[worker][0])]
        if not choices:
            # Only now may a wait with a timeout give up: nothing else can happen.
            reply = "timeout"
            choices = [worker for worker in order
                       if worker in self._pending and self._pending[worker][1]]
        if not choices:
            self.deadlock = self.world.deadlock(
                {worker: op for worker, (op, _, _) in self._pending.items()})
            return False
        worker, default = self._choose(choices)
        op = self._pending[worker][0]
        self.steps.append(Step(worker, op, reply, tuple(choices), default, self._state(),
                               time.monotonic_ns()))
        self._last = worker
        if reply == "timeout":
            self.world.time_out(op)
            self._remember(worker, (op.kind, op.target, "timeout"))
            self._let_go(worker, "timeout")
        else:
            self._go(worker)
        return True

    def _go(self, worker: str) -> None:
        """Apply the pending operation of ``worker`` and let it go."""
        op, _, detail = self._pending[worker]
        got = self.world.apply(op, detail)
        self._remember(worker, (op.kind, op.target, detail, got))
        self._let_go(worker, "go")
        if op.kind == "pass" and got is True:
            # The real barrier lets a round through only all together.
            for other in self._round_of(op.target):
                other_op, _, other_detail = self._pending[other]
                self._remember(other, (other_op.kind, other_op.target, other_detail,
                                       self.world.apply(other_op)))
                self._let_go(other, "go")

    def _remember(self, worker: str, entry: Hashable) -> None:
        """Add ``entry`` to the history of ``worker``: a digest of the digest so far and it."""
        self._histories[worker] = _digest(self._histories[worker] + repr(entry).encode())

    def _state(self) -> int:
        """A fingerprint of the whole state; see the module docstring."""
        position = tuple(
            (worker, self._histories[worker], self._pending[worker][0::2]
             if worker in self._pending else worker in self._finished)
            for worker in [MAIN, *self.workers])
        # A digest of the repr, not hash(): the same on every run and machine.
        text = repr((self.world.snapshot(), position, self._files()))
        return int.from_bytes(_digest(text.encode()), "big")

    def _choose(self, choices: list[str]) -> tuple[str, bool]:
        default = self._default(choices)
        step = len(self.steps)
        if step >= len(self.schedule):
            return default, True
        entry = self.schedule[step]
        if self.relative:
            ordered = sorted(choices, key=lambda worker: self._after(default, worker))
            return ordered[entry % len(ordered)], entry % len(ordered) == 0
        wanted = next((worker for worker in choices if self._index(worker) == entry), default)
        return wanted, wanted == default

    def _default(self, choices: list[str]) -> str:
        """The worker that ran last goes on, unless it only polls: then the next one does.

        So a worker polling for a change lets the others make it, and the
        empty schedule ends.
        """
        last = self._last
        if last is not None and last in choices and self._pending[last][0].kind != "poll":
            return last
        if last is None:
            return choices[0]
        return min(choices, key=lambda worker: (self._after(last, worker) - 1)
                   % len(self._order()))

    def _order(self) -> list[str]:
        """Who may be chosen, in the order of the choices: the workers, then main."""
        return [*self.workers, MAIN]

    def _after(self, first: str, worker: str) -> int:
        """How far ``worker`` comes after ``first`` in that order, going round."""
        order = self._order()
        return (order.index(worker) - order.index(first)) % len(order)

    def _index(self, worker: str) -> int:
        """A worker's index in a schedule: its spawn order, and -1 for main."""
        return -1 if worker == MAIN else self.workers.index(worker)

    def _round_of(self, barrier: str) -> list[str]:
        return [worker for worker, (op, _, _) in self._pending.items()
                if op.kind == "pass" and op.target == barrier and self.world.enabled(op)]

    def _let_go(self, worker: str, reply: Reply) -> None:
        del self._pending[worker]
        if worker == MAIN:
            self._main_reply = reply  # main goes on by itself, see parent_step
            return
        self._running.add(worker)
        with contextlib.suppress(OSError):  # it died meanwhile: collect sees its end of file
            self._connections[worker].send(reply)

    # --- the test process's own operations -------------------------------

    def parent_step(self, op: Op, timed: bool, detail: str, deadline: float) -> Reply:
        """An operation of the test process, main: one more choice of the schedule.

        Main stops at its gate like a worker, and the workers take steps
        until the schedule chooses main (then it goes on by itself, in this
        process) or until nothing else can happen. A wait of main's that
        nothing can end either gives up (it has a timeout) or would never
        return - a bug of the scenario, not a finding.
        """
        self._pending[MAIN] = (op, timed, detail)
        self._main_reply = None
        try:
            state = self.drive(lambda: self._main_reply is not None, deadline)
            if self._main_reply is not None:
                return self._main_reply
        finally:
            self._pending.pop(MAIN, None)
        if self.world.enabled(op):  # the workers are late: main goes on alone
            self.world.apply(op, detail)
            return "go"
        if timed:
            return "timeout"
        raise RuntimeError(f"main would wait forever for {self.world.waits_for(op)}"
                           + (": a worker hangs outside any gate" if state == "late" else ""))

def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def parse_schedule(text: str) -> tuple[int, ...]:
    """``"0,1,m,0"`` (or ``"0 1 m 0"``) as worker indices, ``m`` being main (-1).

    Raises:
        ValueError: naming the first entry that is neither.
    """
    entries = text.replace(",", " ").split()
    for entry in entries:
        if not entry.isdigit() and entry != MAIN_LETTER:
            raise ValueError(f"a schedule lists worker indices like 0,1,m,0 (m is main); "
                             f"{entry!r} is not one")
    return tuple(-1 if entry == MAIN_LETTER else int(entry) for entry in entries)


def format_schedule(schedule: Sequence[int]) -> str:
    """The form :func:`parse_schedule` reads: ``0,1,m,0``."""
    return ",".join(MAIN_LETTER if entry == -1 else str(entry) for entry in schedule)
