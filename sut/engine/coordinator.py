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

A wait whose timeout is the program's may give up at any decision: under
load any other process can be slower than any timeout, so the schedule
chooses when, if ever, by naming the waiting worker while it cannot go on.
The default never does while another worker can go on. A timeout assumed to
outlast what it waits for (``gate.Outlasting``: the harness's own deadlines,
and what a scenario declares long enough) gives up only when nothing else
can happen, and a run that relied on such an assumption lists it
(:attr:`Coordinator.assumed`). When no worker can go on and none waits with a
timeout, that is a deadlock, known at once and described by the model.

Each step also carries a fingerprint of the state it was taken in: the
model's state, every process's history, what each is about to do, and the
data the processes share outside the model (the run's files and shared
memory, from the ``shared`` callback). A history holds what the process did
and got: its operations and their answers, the payloads of its points, and
whatever of the shared data it could have read - the files it opened for
reading or holds open (:mod:`.reads`), the Value or Array it read, and, for
main, whose reads are not watched, all of it. Workers declared
interchangeable are renamed in it the least way (:mod:`.alike`). Two runs
in states with one fingerprint go on alike, so exhaustive exploration
(:mod:`.explore`) visits each fingerprint once. Only an exploration compares
them, so only a run made inside :func:`fingerprinting` takes them (it costs
reading the shared data at every decision); any other run's steps have none
(``state`` None).

The model is held to the real primitives. A worker stopped at a gate that
the model says cannot go on is asked, once per stop, to try the real
primitive without blocking (and undo it) where it can - a lock, a semaphore,
an event: if the real one would let it through, the run ends there and
:attr:`Coordinator.disagreement` says so. The other way round, a worker let
go on that the real primitive holds back gives up after a while with
``gate.ModelDisagreement``. Either is an error of the scenario: the verdicts
rest on the model.

A worker that neither reaches its next gate nor ends, while every other
process waits at one, is waiting on something the schedule cannot see: once
the kernel shows it blocked (:mod:`.stall`), the wait ends and
:attr:`Coordinator.blocked` names it - an error of the scenario, not a hang
of the program.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import math
import os
import select
import socket
import struct
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Literal

from sut.engine.alike import Mentioned, Rename, mentions, renamed, renamings
from sut.engine.gate import (
    STARTED_UP,
    Check,
    Granted,
    ModelDisagreement,
    Reply,
    Timed,
    receive,
    send,
)
from sut.engine.model import Deadlock, Op, World
from sut.engine.reads import held_open
from sut.engine.stall import StallWatch

# A schedule longer than this is a livelock (a worker polling forever), not a run.
MAX_STEPS = 5_000
# How often, while waiting for a worker to reach its next gate, to look
# whether it is blocked outside the schedule (:mod:`sut.engine.stall`).
LOOK_EVERY = 0.05
# How long a reply to a worker waiting at its gate may take to be sent.
SEND_LIMIT = 10
# The name the model knows the test process by, and how a schedule writes it.
MAIN = "main"
MAIN_LETTER = "m"

Drive = Literal["done", "stuck", "late", "wrong"]
# What the processes share outside the model: the run's files and the shared
# memory, each as (name, contents) pairs.
Shared = tuple[tuple[tuple[str, bytes], ...], tuple[tuple[str, bytes], ...]]


@dataclass(frozen=True)
class Step:
    """One decision: who went on, doing what, and who else could have."""

    worker: str
    op: Op
    reply: Reply
    choices: tuple[str, ...]  # the workers that could go on, in spawn order
    default: bool  # whether the default would have chosen ``worker`` too
    state: int | None  # fingerprint of the state the decision was taken in (if taken)
    t_ns: int  # when it was taken (monotonic, as the events): places it among them


# Whether the runs made now take fingerprints of their states (see fingerprinting).
_FINGERPRINTS = contextvars.ContextVar("fingerprints", default=False)


@contextlib.contextmanager
def fingerprinting() -> Iterator[None]:
    """Runs scheduled inside take a fingerprint of the state at every decision."""
    token = _FINGERPRINTS.set(True)
    try:
        yield
    finally:
        _FINGERPRINTS.reset(token)


def fingerprinted() -> bool:
    """Whether runs scheduled now take fingerprints (inside :func:`fingerprinting`)."""
    return _FINGERPRINTS.get()


def _nothing_shared() -> Shared:
    """What a coordinator that reads no shared data sees of it."""
    return (), ()


class Coordinator:
    """Decides, step by step, which worker goes on; see the module docstring."""

    def __init__(self, world: World, schedule: Sequence[int] = (), *, relative: bool = False,
                 shared: Callable[[], Shared] = _nothing_shared,
                 folder: Path | None = None) -> None:
        self.world = world
        self.schedule = tuple(schedule)
        self.relative = relative
        self._shared = shared
        self._folder = folder.resolve() if folder is not None else None
        self.workers: list[str] = []  # by index
        self.steps: list[Step] = []
        self.deadlock: Deadlock | None = None
        self._connections: dict[str, Connection] = {}
        self._pids: dict[str, int] = {}
        self._watch = StallWatch()
        # The workers found blocked outside the schedule, and in what.
        self.blocked: dict[str, str] = {}
        # Where the real primitives let through what the model says waits.
        self.disagreement: str | None = None
        # How to ask each stopped worker whether its real primitive agrees it waits.
        self._checks: dict[str, Check] = {}
        self._running: set[str] = set()  # let go, next stop not yet reported
        self._unbegun: list[str] = []  # started, own code not yet begun (see begin)
        self._pending: dict[str, tuple[Op, Timed, str]] = {}  # stopped: op, timeout, detail
        # The assumptions of timeouts long enough that a decision relied on.
        self.assumed: set[str] = set()
        self._finished: set[str] = set()
        # Each process's history, folded into a digest as it grows (see _state).
        self._histories: dict[str, bytes] = {MAIN: b""}
        self._main_reply: Granted | None = None  # main's, once it was chosen
        self._last: str | None = None
        # The shared data as it is at this decision, and its digest.
        self._now: tuple[dict[str, bytes], dict[str, bytes]] = ({}, {})
        self._seen: bytes = b""
        # Per worker: the shared data as it was when it last went on, and the
        # run's files it ever opened for reading.
        self._seen_by: dict[str, tuple[dict[str, bytes], dict[str, bytes]]] = {}
        self._opened: dict[str, set[str]] = {}
        # Whether it fingerprints the state at every decision; the workers then tell it
        # at each gate what they recorded and which of the run's files they opened.
        self.fingerprints = fingerprinted()
        # The sets of workers declared interchangeable (:mod:`.alike`), and whether a
        # name of one has shown where it cannot be renamed (then none is renamed).
        self._alike: list[tuple[str, ...]] = []
        self._alike_names: list[str] = []  # theirs, every set's
        self._mentioned = False

    def interchangeable(self, names: Sequence[str]) -> None:
        """The workers ``names`` (none started yet) are interchangeable: see :mod:`.alike`.

        Anything remembered before cannot have been looked at for their names, so a
        run that declares them after its first step renames nobody.
        """
        self._alike.append(tuple(names))
        self._alike_names.extend(names)
        self._mentioned = self._mentioned or any(self._histories.values())

    def add(self, worker: str, connection: Connection | None, pid: int | None = None) -> None:
        """A worker was just started, or failed to be (None).

        Every spawned worker gets its index, so indices are spawn order. It
        starts up (the interpreter, the harness) while main goes on, and waits
        before its own code: :meth:`begin` lets it run that code.
        """
        self.workers.append(worker)
        self._histories[worker] = b""
        self._opened[worker] = set()
        if connection is None:
            self._finished.add(worker)
            return
        _bound_sends(connection)
        self._connections[worker] = connection
        if pid is not None:
            self._pids[worker] = pid
        self._running.add(worker)
        self._unbegun.append(worker)

    @property
    def starting_up(self) -> bool:
        """Whether a worker started has not yet begun its own code (see :meth:`begin`)."""
        return bool(self._unbegun)

    def begin(self, deadline: float, *, but_newest: bool = False) -> bool:
        """Let each started worker run its own code up to its first gate, alone, one
        after the other in spawn order (False: one is late to start or to get there).

        Where main spawns several workers in a row, each starts up while the
        ones before it do, but runs its own code only here: at main's next
        spawn (``but_newest``: all but the one just started), step or wait.
        Main's own code up to there runs first; it is no decision of the
        schedule either way, and the same on every run.
        """
        while len(self._unbegun) > but_newest:
            worker = self._unbegun[0]
            if not self._collect(deadline, among={worker}):
                return False
            del self._unbegun[0]
            if worker in self._finished:
                continue  # gone before its code began: its outcome says why
            if self.fingerprints:
                self._seen_by[worker] = self._look()  # what it sees as its code begins
            self._send(worker, Granted("go"))
            if not self._collect(deadline, among={worker}):
                return False
        return True

    def finished(self, worker: str) -> bool:
        return worker in self._finished

    def waiting(self) -> dict[str, str]:
        """Each stopped worker that cannot go on, and what it waits for."""
        return {worker: self.world.waits_for(op) or "" for worker, (op, _, _) in
                self._pending.items() if not self.world.enabled(op) and worker != MAIN}

    def drive(self, until: Callable[[], bool], deadline: float) -> Drive:
        """Take steps until ``until()`` holds (``done``), nobody can go on
        (``stuck``, :attr:`deadlock` says why), a worker fails to reach its
        next gate by ``deadline`` (``late``: it is hung outside any gate) or
        the real primitives disagree with the model (``wrong``)."""
        if not self.begin(deadline):
            return "late"
        while True:
            if not self._collect(deadline):
                return "late"
            if until():
                return "done"
            if len(self.steps) >= MAX_STEPS:
                return "late"  # a livelock: someone polls forever
            if not self._advance():
                return "wrong" if self.disagreement is not None else "stuck"
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
        # What reads the shared data is the run's: let go of it, so that the run and
        # this coordinator form no cycle, and the run's primitives go as soon as the
        # run does - not whenever the garbage collector comes, which may be inside
        # multiprocessing's resource tracker (a semaphore's finalizer calls it again:
        # a warning that it might leak, raised where nothing can catch it).
        self._shared = _nothing_shared

    # --- one step ------------------------------------------------------------

    def _collect(self, deadline: float, among: set[str] | None = None) -> bool:
        """Wait until every running worker (of ``among``, if given) has stopped at a
        gate, is ready to begin its own code, or ended (False: it is late, or blocked
        outside the schedule - then :attr:`blocked` says so)."""
        while running := [worker for worker in self._running
                          if among is None or worker in among]:
            connections = [self._connections[worker] for worker in running]
            left = deadline - time.monotonic()
            ready = _ready(connections, max(0.0, min(left, LOOK_EVERY)))
            if not ready:
                if left <= LOOK_EVERY or self._all_blocked(running):
                    return False
                continue
            for worker in running:
                connection = self._connections[worker]
                if connection not in ready:
                    continue
                self._running.discard(worker)
                self._watch.forget(self._pids.get(worker, 0))
                try:
                    kind, target, timed, detail, checkable, notes, opened = receive(connection)
                except (EOFError, OSError):  # killed, or gone without a word
                    kind, notes, opened = "exit", (), ()
                if kind == STARTED_UP:
                    continue  # ready to run its own code: see begin
                if self.fingerprints:
                    self._remember(worker, notes)  # what it noted on the way here
                    self._read(worker, opened)
                if kind == "exit":
                    self._finished.add(worker)
                    self.world.exit(worker)
                    continue
                self._stop(Op(worker, kind, target), timed, detail,
                           self._asker(worker) if checkable else None)
        return True

    def _stop(self, op: Op, timed: Timed, detail: str, real: Check | None) -> None:
        """``op.worker`` stopped at its gate for ``op``; ``real`` asks the real primitive
        whether it would let it through (see ``Gate.step``)."""
        self._pending[op.worker] = (op, timed, detail)
        if real is not None:
            self._checks[op.worker] = real

    def _asker(self, worker: str) -> Check:
        """Ask ``worker``, waiting at its gate, whether the real primitive would let it
        through (a worker gone meanwhile says no: its end of file is collected later)."""
        def ask() -> bool:
            connection = self._connections[worker]
            try:
                send(connection, ("check", None))
                return bool(connection.poll(SEND_LIMIT) and receive(connection))
            except (EOFError, OSError):
                return False
        return ask

    def _hold_to_real(self) -> None:
        """Ask each stopped worker the model holds back whether its real primitive agrees
        (once per stop); where it does not, :attr:`disagreement` says so."""
        for worker in [worker for worker in self._checks if worker in self._pending]:
            op = self._pending[worker][0]
            # A try-acquire never waits, but gets the lock only where an acquire would.
            asked = Op(worker, "acquire", op.target) if op.kind == "try-acquire" else op
            reason = self.world.waits_for(asked)
            if reason is None:
                continue
            if self._checks.pop(worker)():
                self.disagreement = (
                    f"the model says {worker}'s {op.kind} of {op.target} waits for {reason}, "
                    f"but the real {op.target} would let it through: the model mistakes it")

    def _all_blocked(self, running: list[str]) -> bool:
        """Whether every worker of ``running`` is blocked outside the schedule (then
        nothing will end its wait: every other process waits at a gate, waits to
        begin, or has ended).

        Every live worker must have been still for the settle period, those at
        their gates too: a thread of theirs at work (a queue's feeder, still
        delivering an item the running one waits for) may yet end the wait.
        """
        if any(worker not in self._pids for worker in running):
            return False
        now = time.monotonic()
        live = [worker for worker in self.workers
                if worker in self._pids and worker not in self._finished]
        found = {worker: self._watch.blocked(self._pids[worker], now) for worker in live}
        if None in found.values():
            return False
        self.blocked = {worker: found[worker] or "" for worker in running}
        return True

    def _advance(self) -> bool:
        """Let one worker go on; False if none can (then :attr:`deadlock` is set)."""
        self._hold_to_real()
        if self.disagreement is not None:
            return False
        order = self._order()
        if self.fingerprints:
            self._now = self._look()
            self._seen = _digest(repr(self._now).encode())
            self._mention(*self._now[0], *self._now[0].values(), *self._now[1],
                          *self._now[1].values())
        arriving = next((worker for worker in order if worker in self._pending
                         and self._pending[worker][0].kind == "arrive"), None)
        if arriving is not None:
            # Arrivals at a barrier commute with everything: no decision.
            self._arrive(arriving)
            return True
        stopped = [worker for worker in order if worker in self._pending]
        enabled = [worker for worker in stopped if self.world.enabled(self._pending[worker][0])]
        blocked = [worker for worker in stopped if worker not in enabled]
        if enabled:
            # A timeout of the program may fire now; an assumed one may not.
            timeouts = [worker for worker in blocked
                        if isinstance(self._pending[worker][1], float)]
            self.assumed.update(timed for worker in blocked
                                if isinstance(timed := self._pending[worker][1], str) and timed)
        else:
            # Nothing else can happen: any wait with a timeout may give up.
            timeouts = [worker for worker in blocked if self._pending[worker][1] is not None]
        choices = [worker for worker in stopped if worker in enabled or worker in timeouts]
        if not choices:
            self.deadlock = self.world.deadlock(
                {worker: op for worker, (op, _, _) in self._pending.items()})
            return False
        worker, default = self._choose(choices, enabled or choices)
        op = self._pending[worker][0]
        reply: Reply = "go" if worker in enabled else "timeout"
        state = self._state() if self.fingerprints else None
        self.steps.append(Step(worker, op, reply, tuple(choices), default, state,
                               time.monotonic_ns()))
        self._last = worker
        if reply == "timeout":
            self.world.time_out(op)
            self._let_go(worker, Granted("timeout", None), op, (op.kind, op.target, "timeout"))
        else:
            self._go(worker)
        return True

    def _go(self, worker: str) -> None:
        """Apply the pending operation of ``worker`` and let it go."""
        op, _, detail = self._pending[worker]
        got = self.world.apply(op, detail)
        self._let_go(worker, Granted("go", got), op, (op.kind, op.target, detail, got))
        if op.kind == "pass" and got is True:
            # The real barrier lets a round through only all together.
            for other in self._round_of(op.target):
                other_op, _, other_detail = self._pending[other]
                got = self.world.apply(other_op)
                self._let_go(other, Granted("go", got), other_op,
                             (other_op.kind, other_op.target, other_detail, got))

    def _arrive(self, worker: str) -> None:
        """Take the arrival of ``worker`` at its barrier, and hold it there for its pass:
        it asked for both at one gate (``ScheduledBarrier.wait``), so it hears only how
        its pass goes."""
        op, timed, detail = self._pending[worker]
        got = self.world.apply(op, detail)
        if self.fingerprints:
            self._remember(worker, ((op.kind, op.target, detail, got), self._visible(worker, op)))
        self._pending[worker] = (Op(worker, "pass", op.target), timed, detail)

    def _remember(self, worker: str, entry: Hashable) -> None:
        """Add ``entry`` to the history of ``worker``: a digest of the digest so far and it."""
        text = repr(entry)
        self._mention(text)
        self._histories[worker] = _digest(self._histories[worker] + text.encode())

    def _mention(self, *data: str | bytes) -> None:
        """Note whether ``data``, folded into a digest, names an interchangeable worker."""
        if self._alike_names and not self._mentioned:
            self._mentioned = any(mentions(part, self._alike_names) for part in data)

    def _look(self) -> tuple[dict[str, bytes], dict[str, bytes]]:
        """The shared data as it is now: the run's files, and its shared memory."""
        files, memory = self._shared()
        return dict(files), dict(memory)

    def _read(self, worker: str, opened: Sequence[str]) -> None:
        """``worker`` opened these files for reading since it last went on: it may have
        read them as they were then."""
        files = self._seen_by.get(worker, ({}, {}))[0]
        self._opened.setdefault(worker, set()).update(opened)
        for name in opened:
            self._remember(worker, ("opened", name, files.get(name)))

    def _visible(self, worker: str, op: Op) -> Hashable:
        """What of the shared data ``worker`` may read before its next gate: the files it
        opened and holds open (where the kernel does not say: every file it ever
        opened), and the Value or Array it is about to read. Main's own reads are not
        watched: all of it, for main."""
        files, memory = self._now
        if worker == MAIN:
            return self._seen
        held = opened = sorted(self._opened.get(worker, ()))
        if opened and self._folder is not None and worker in self._pids:
            # Of those, the ones it still holds open (asking the kernel costs a
            # few syscalls: only for a worker that opened any).
            asked = held_open(self._pids[worker], self._folder)
            held = opened if asked is None else asked
        return (tuple((name, files.get(name)) for name in held),
                memory.get(op.target) if op.kind == "read" else None)

    def _state(self) -> int:
        """A fingerprint of the whole state; see the module docstring."""
        text = self._renamed_state()
        if text is None:
            position = tuple(
                (worker, self._histories[worker],
                 self._pending.get(worker, worker in self._finished))
                for worker in [MAIN, *self.workers])
            text = repr((self.world.snapshot(), position, self._seen))
        # A digest of the repr, not hash(): the same on every run and machine.
        return int.from_bytes(_digest(text.encode()), "big")

    def _renamed_state(self) -> str | None:
        """The state as text, its interchangeable workers renamed the least way
        (:mod:`.alike`); None where none can be."""
        sets = [members for members in (tuple(worker for worker in declared
                                              if worker in self._histories)
                                        for declared in self._alike) if len(members) > 1]
        if not sets or self._mentioned:
            return None
        keys = {worker: repr((self._histories[worker], self._position(worker, {})[1:]))
                for members in sets for worker in members}
        # A model that names none of them is the same under every renaming: taken once.
        model = repr(self.world.snapshot())
        unnamed = not mentions(model, keys)
        try:
            return min(self._text(rename, model if unnamed else None)
                       for rename in renamings(sets, keys))
        except Mentioned:
            self._mentioned = True
            return None

    def _text(self, rename: Rename, model: str | None) -> str:
        """The state as text with workers renamed by ``rename`` (the model's text given,
        if no renaming changes it)."""
        position = sorted(self._position(worker, rename) for worker in [MAIN, *self.workers])
        if model is None:
            model = repr(self.world.snapshot(rename))
        return repr(("renamed", model, position, self._seen))

    def _position(self, worker: str, rename: Rename) -> tuple[Hashable, ...]:
        """Where ``worker`` is - its name, what it did, what it is about to do - renamed."""
        pending = self._pending.get(worker)
        if pending is None:
            return renamed(worker, rename), self._histories[worker], worker in self._finished
        op, timed, detail = pending
        # An operation on a worker of a set (main joining it) tells it apart from the
        # others: not renamed, it ends the renaming (Mentioned).
        if rename and mentions(repr((op.target, timed, detail)), rename):
            raise Mentioned(op.target)
        return renamed(worker, rename), self._histories[worker], op.kind, op.target, timed, detail

    def _choose(self, choices: list[str], defaults: list[str]) -> tuple[str, bool]:
        """The worker the schedule names at this decision, and whether the default
        (chosen among ``defaults``: never a timeout while a worker can go on) is it."""
        default = self._default(defaults)
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

    def _let_go(self, worker: str, granted: Granted, op: Op, entry: Hashable) -> None:
        """Let ``worker`` go on as ``granted`` from ``op``, noting ``entry`` in its history.

        With it goes what the worker may read of the shared data before its
        next gate (:meth:`_visible`): part of its state from then on.
        """
        if self.fingerprints:
            self._remember(worker, (entry, self._visible(worker, op)))
            self._seen_by[worker] = self._now
        del self._pending[worker]
        self._checks.pop(worker, None)
        if worker == MAIN:
            self._main_reply = granted  # main goes on by itself, see parent_step
            return
        self._send(worker, granted)

    def _send(self, worker: str, granted: Granted) -> None:
        """Let ``worker``, waiting for the coordinator, go on as ``granted``."""
        self._running.add(worker)
        try:
            send(self._connections[worker], tuple(granted))
        except BlockingIOError:
            raise RuntimeError(f"the coordinator could not reach {worker} at its gate for "
                               f"{SEND_LIMIT} s: it no longer reads its replies") from None
        except OSError:
            pass  # it died meanwhile: collect sees its end of file

    # --- the test process's own operations -------------------------------

    def parent_step(self, op: Op, timed: Timed, detail: str, real: Check | None,
                    deadline: float) -> Granted:
        """An operation of the test process, main: one more choice of the schedule.

        Main stops at its gate like a worker, and the workers take steps
        until the schedule chooses main (then it goes on by itself, in this
        process) or until nothing else can happen. A wait of main's that
        nothing can end either gives up (it has a timeout) or would never
        return - a bug of the scenario, not a finding.
        """
        self._stop(op, timed, detail, real)
        self._main_reply = None
        try:
            state = self.drive(lambda: self._main_reply is not None, deadline)
            if self._main_reply is not None:
                return self._main_reply
            if state != "wrong" and self._pending[MAIN][0].kind == "arrive":
                self._arrive(MAIN)  # taken now: main's answer is its pass's
            op = self._pending[MAIN][0]
        finally:
            self._pending.pop(MAIN, None)
        if state == "wrong":
            raise ModelDisagreement(self.disagreement)
        if self.world.enabled(op):  # the workers are late: main goes on alone
            return Granted("go", self.world.apply(op, detail))
        if timed is not None:
            return Granted("timeout", None)
        raise RuntimeError(f"main would wait forever for {self.world.waits_for(op)}"
                           + (": a worker hangs outside any gate" if state == "late" else ""))


def _ready(connections: Sequence[Connection], timeout: float) -> list[Connection]:
    """Those of ``connections`` that have something to read, or are at their end, once
    one has (after ``timeout`` seconds at most: then none): what
    ``multiprocessing.connection.wait`` answers, without a selector made for each
    call - one is made at every decision."""
    poller = select.poll()
    by_number = {}
    for connection in connections:
        by_number[connection.fileno()] = connection
        poller.register(connection.fileno(), select.POLLIN)
    return [by_number[number] for number, _ in poller.poll(math.ceil(timeout * 1000))]


def _bound_sends(connection: Connection) -> None:
    """Make a send to a worker give up after SEND_LIMIT seconds instead of blocking.

    A reply is a few bytes to a worker waiting at its gate: it never blocks
    unless the worker stopped reading. Then the run must end with an error,
    not hang the harness.
    """
    with contextlib.suppress(OSError, ValueError):  # not a socket (a test's pipe)
        end = socket.socket(fileno=os.dup(connection.fileno()))
        with end:
            end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                           struct.pack("ll", int(SEND_LIMIT), 0))


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


# The most digits a schedule's worker index has, and the longest text a schedule
# of MAX_STEPS such entries, with a separator each, can be.
_INDEX_DIGITS = 6
_SCHEDULE_TEXT = MAX_STEPS * (_INDEX_DIGITS + 2)


def parse_schedule(text: str) -> tuple[int, ...]:
    """``"0,1,m,0"`` (or ``"0 1 m 0"``) as worker indices, ``m`` being main (-1).

    Strict, for it is typed by hand: each entry is ASCII digits (at most
    :data:`_INDEX_DIGITS` of them) or ``m`` - no sign, underscore, other script's
    digit or empty entry (``0,,1``) - and there are at most :data:`MAX_STEPS`
    entries. Only a text that is empty (or blank) as a whole means the default order.

    Raises:
        ValueError: naming the first entry that is neither, or the limit passed.

    Example:
        >>> parse_schedule("0,1, m 2")
        (0, 1, -1, 2)
    """
    if not text.strip():
        return ()
    if len(text) > _SCHEDULE_TEXT:  # a bound on the work, before any splitting
        raise ValueError(f"a schedule has at most {MAX_STEPS} entries; this one is "
                         f"{len(text)} characters long")
    entries = [word for part in text.split(",") for word in part.split() or [""]]
    for entry in entries:
        if entry != MAIN_LETTER and not (entry.isascii() and entry.isdigit()
                                         and len(entry) <= _INDEX_DIGITS):
            what = repr(entry) if len(entry) <= 20 else f"{entry[:20]!r}..."
            what = what if entry else "an empty entry"
            raise ValueError(f"a schedule lists worker indices like 0,1,m,0 (m is main); "
                             f"{what} is not one")
    if len(entries) > MAX_STEPS:
        raise ValueError(f"a schedule has at most {MAX_STEPS} entries (one per decision), "
                         f"got {len(entries)}")
    return tuple(-1 if entry == MAIN_LETTER else int(entry) for entry in entries)


def format_schedule(schedule: Sequence[int]) -> str:
    """The form :func:`parse_schedule` reads: ``0,1,m,0``."""
    return ",".join(MAIN_LETTER if entry == -1 else str(entry) for entry in schedule)
