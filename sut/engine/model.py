"""What a schedule's coordinator knows of the primitives: who can run next.

In schedule mode every synchronization operation of every worker is a
decision of a coordinator in the test process. To choose only among workers
that can really proceed, the coordinator keeps a model of the primitives'
state - who holds each lock, each semaphore's value, each event's flag, how
many items each queue or pipe holds and which writers are left, each
barrier's round - and asks it, for each worker's pending operation, whether
it is enabled. When no pending operation is enabled and some worker has not
finished, that is a deadlock, reported at once with what each stuck worker
waits for: no timeout decides it.

This module is the pure part: no process, no clock. The real primitives are
still the ones the workers use; the model only mirrors their state.

Example:
    >>> world = World()
    >>> world.lock("lock")
    >>> world.apply(Op("buyer 0", "acquire", "lock"))
    True
    >>> world.enabled(Op("buyer 1", "acquire", "lock"))
    False
    >>> world.waits_for(Op("buyer 1", "acquire", "lock"))
    'lock held by buyer 0'
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import astuple, dataclass, field
from typing import Any, ClassVar, Literal, TypeVar

T = TypeVar("T")

# A Barrier's wait is three operations: ``arrive`` never blocks, ``pass``
# waits until the round the worker arrived in is complete (the coordinator
# lets a whole round pass at once, as the real barrier does), and ``resume``
# gives the order in which the parties go on. A ``poll`` is one turn of a
# loop that looks at shared state until something changes.
Kind = Literal["point", "poll", "acquire", "try-acquire", "release", "set", "clear", "wait",
               "put", "get", "task-done", "join", "close", "arrive", "pass", "resume"]

# Operations that never block and never change another worker's view.
_ALWAYS_ENABLED = frozenset({"point", "poll", "try-acquire", "release", "set", "clear", "put",
                             "task-done", "close", "arrive", "resume"})


@dataclass(frozen=True)
class Op:
    """One operation a worker is about to do on the primitive called ``target``."""

    worker: str
    kind: Kind
    target: str = ""


@dataclass(frozen=True)
class Deadlock:
    """No worker can proceed: ``stuck`` maps each waiting worker to what it waits for."""

    stuck: Mapping[str, str]

    def describe(self) -> str:
        """``deadlock: consumer 0 waits for an item in queue buns (empty)``."""
        return "deadlock: " + "; ".join(f"{worker} waits for {what}"
                                         for worker, what in sorted(self.stuck.items()))


@dataclass
class _Lock:
    freed_on_exit: bool  # an flock is; a multiprocessing Lock is not
    holder: str | None = None
    gone: bool = False  # the holder ended without releasing it


@dataclass
class _Channel:
    """A queue, or one direction of a pipe.

    A pipe has ``writers``: the processes holding its sending end open. Once
    none is left, an empty pipe reads as end of file. A queue has no end of
    file (``writers`` is None): a get on an empty queue waits for good.
    """

    items: deque[str] = field(default_factory=deque)  # what each item looks like (repr)
    writers: set[str] | None = None
    unfinished: int = 0  # of a JoinableQueue: items put and not yet marked done


@dataclass
class _Barrier:
    parties: int
    arrived: list[str] = field(default_factory=list)  # in the round still filling up
    released: set[str] = field(default_factory=set)  # of a complete round, not yet past
    broken: bool = False  # a party gave up waiting: every wait fails from now on


class World:
    """The state of every declared primitive, and the rules of each operation.

    Declare the primitives first (``lock``, ``semaphore``, ``event``,
    ``queue``, ``pipe``, ``barrier``), then for every step ask
    :meth:`enabled` and :meth:`apply` the chosen operation. An operation on an
    undeclared primitive is a ``ValueError``: the model must know every
    primitive a scenario uses, or it would guess.
    """

    def __init__(self) -> None:
        self._locks: dict[str, _Lock] = {}
        self._values: dict[str, int] = {}
        self._flags: dict[str, bool] = {}
        self._channels: dict[str, _Channel] = {}
        self._barriers: dict[str, _Barrier] = {}

    # --- declarations ----------------------------------------------------

    def lock(self, name: str, *, freed_on_exit: bool = False) -> None:
        """A Lock, free. ``freed_on_exit``: the kernel frees it when its holder dies."""
        self._declare(name)
        self._locks[name] = _Lock(freed_on_exit)

    def semaphore(self, name: str, value: int) -> None:
        """A Semaphore starting at ``value``."""
        if value < 0:
            raise ValueError(f"semaphore {name!r} cannot start at {value}")
        self._declare(name)
        self._values[name] = value

    def event(self, name: str) -> None:
        """An Event, clear."""
        self._declare(name)
        self._flags[name] = False

    def queue(self, name: str) -> None:
        """A Queue or JoinableQueue, empty."""
        self._declare(name)
        self._channels[name] = _Channel()

    def pipe(self, name: str, writers: Iterable[str]) -> None:
        """One direction of a Pipe, empty, its sending end held open by ``writers``."""
        self._declare(name)
        self._channels[name] = _Channel(writers=set(writers))

    def barrier(self, name: str, parties: int) -> None:
        """A Barrier of ``parties``."""
        if parties < 1:
            raise ValueError(f"barrier {name!r} needs at least one party, got {parties}")
        self._declare(name)
        self._barriers[name] = _Barrier(parties)

    def add_writer(self, name: str, worker: str) -> None:
        """``worker`` holds the sending end of the pipe ``name`` too (it was handed a copy)."""
        writers = self._channel(name).writers
        if writers is None:
            raise ValueError(f"{name!r} is a queue, not a pipe")
        writers.add(worker)

    def _declare(self, name: str) -> None:
        if any(name in table for table in self._tables()):
            raise ValueError(f"a primitive called {name!r} is already declared")

    # --- the rules ---------------------------------------------------------

    def enabled(self, op: Op) -> bool:
        """Whether ``op`` can happen now without blocking."""
        return self.waits_for(op) is None

    def waits_for(self, op: Op) -> str | None:
        """What ``op`` waits for, in words; None if it can happen now."""
        kind, target = op.kind, op.target
        if kind in ("point", "poll"):
            return None
        self._known(target)
        if kind in _ALWAYS_ENABLED:
            return None
        if kind == "acquire":
            if target in self._locks:
                lock = self._locks[target]
                if lock.holder is None:
                    return None
                return f"{target} held by {lock.holder}" + (
                    ", which ended without releasing it" if lock.gone else "")
            return None if self._value(target) > 0 else f"{target} (value 0)"
        if kind == "wait":
            return None if self._flag(target) else f"{target} to be set"
        if kind == "get":
            channel = self._channel(target)
            if channel.items or channel.writers == set():
                return None  # an item, or end of file
            if channel.writers is None:
                return f"an item in {target} (empty)"
            return (f"a message or end of file on {target} (empty; its sending end is "
                    f"still open in {', '.join(sorted(channel.writers))})")
        if kind == "join":
            unfinished = self._channel(target).unfinished
            return None if not unfinished else f"{unfinished} more task_done() on {target}"
        if kind == "pass":
            barrier = self._barrier(target)
            if op.worker in barrier.released or barrier.broken:
                return None
            return f"{barrier.parties - len(barrier.arrived)} more at barrier {target}"
        raise ValueError(f"unknown operation {kind!r}")

    def apply(self, op: Op, item: str = "") -> bool | str:
        """Do ``op`` to the model; ``ValueError`` if it is not enabled or not allowed.

        ``item`` is what a ``put`` puts (its repr). Returns what the real
        operation returns where that is a fact of the model: the item a
        ``get`` takes ("" at end of file), whether a ``try-acquire`` got it,
        whether a ``pass`` went through an unbroken barrier; True otherwise.
        """
        reason = self.waits_for(op)
        if reason is not None:
            raise ValueError(f"{op.worker} cannot {op.kind} now: it waits for {reason}")
        return self._EFFECTS[op.kind](self, op, item)

    def time_out(self, op: Op) -> None:
        """``op``, a wait with a timeout, gives up: a barrier it waited at breaks."""
        if self.enabled(op):
            raise ValueError(f"{op.worker} cannot time out on {op.target}: it can go on")
        if op.kind == "pass":
            barrier = self._barrier(op.target)
            barrier.broken = True
            barrier.arrived.clear()

    def exit(self, worker: str) -> None:
        """``worker`` has ended: the kernel closes its pipe ends and frees its flocks."""
        for channel in self._channels.values():
            if channel.writers is not None:
                channel.writers.discard(worker)
        for lock in self._locks.values():
            if lock.holder == worker:
                if lock.freed_on_exit:
                    lock.holder = None
                else:
                    lock.gone = True

    def snapshot(self) -> Hashable:
        """The whole state, comparable: equal snapshots behave alike from here on."""
        return tuple(tuple(sorted((name, _frozen(value)) for name, value in table.items()))
                     for table in self._tables())

    def deadlock(self, pending: Mapping[str, Op]) -> Deadlock | None:
        """A Deadlock if no pending operation is enabled, else None.

        ``pending`` holds the next operation of every worker that has not
        finished. A worker waiting to pass a barrier waits for the others: if
        they are all stuck too, so is it.
        """
        if not pending or any(self.enabled(op) for op in pending.values()):
            return None
        return Deadlock({worker: self.waits_for(op) or "" for worker, op in pending.items()})

    # --- the effect of each operation: called by apply once it is enabled ---
    # Each takes the operation and the item (a put's, else unused) and returns
    # what apply returns.

    def _unchanged(self, op: Op, item: str) -> bool:
        """A point, a poll, a wait, a join, a resume: the state stays as it is."""
        return True

    def _acquire(self, op: Op, item: str) -> bool:
        if op.target in self._locks:
            self._locks[op.target] = _Lock(self._locks[op.target].freed_on_exit, op.worker)
        else:
            self._values[op.target] -= 1
        return True

    def _try_acquire(self, op: Op, item: str) -> bool:
        if self.waits_for(Op(op.worker, "acquire", op.target)) is not None:
            return False
        return self._acquire(op, item)

    def _release(self, op: Op, item: str) -> bool:
        if op.target in self._locks:
            lock = self._locks[op.target]
            if lock.holder != op.worker:
                raise ValueError(f"{op.worker} releases {op.target}, held by "
                                 f"{lock.holder or 'nobody'}")
            lock.holder = None
        else:
            self._values[op.target] = self._value(op.target) + 1
        return True

    def _set_or_clear(self, op: Op, item: str) -> bool:
        self._flag(op.target)
        self._flags[op.target] = op.kind == "set"
        return True

    def _put(self, op: Op, item: str) -> bool:
        channel = self._channel(op.target)
        channel.items.append(item)
        channel.unfinished += 1
        return True

    def _get(self, op: Op, item: str) -> str:
        channel = self._channel(op.target)
        return channel.items.popleft() if channel.items else ""

    def _task_done(self, op: Op, item: str) -> bool:
        channel = self._channel(op.target)
        if not channel.unfinished:
            raise ValueError(f"{op.worker} calls task_done() on {op.target} more times "
                             "than items were put")
        channel.unfinished -= 1
        return True

    def _close(self, op: Op, item: str) -> bool:
        writers = self._channel(op.target).writers
        if writers is not None:
            writers.discard(op.worker)
        return True

    def _arrive(self, op: Op, item: str) -> bool:
        barrier = self._barrier(op.target)
        if not barrier.broken:
            barrier.arrived.append(op.worker)
            if len(barrier.arrived) >= barrier.parties:
                # The round is complete: its parties may pass; the next starts empty.
                barrier.released |= set(barrier.arrived)
                barrier.arrived.clear()
        return True

    def _pass(self, op: Op, item: str) -> bool:
        barrier = self._barrier(op.target)
        passed = op.worker in barrier.released
        barrier.released.discard(op.worker)
        return passed

    # What ``apply`` does for each kind of operation, once ``waits_for`` lets it.
    _EFFECTS: ClassVar[Mapping[Kind, Callable[[World, Op, str], bool | str]]] = {
        "point": _unchanged, "poll": _unchanged,
        # a lock or a semaphore
        "acquire": _acquire, "try-acquire": _try_acquire, "release": _release,
        # an event
        "set": _set_or_clear, "clear": _set_or_clear, "wait": _unchanged,
        # a queue or a pipe
        "put": _put, "get": _get, "task-done": _task_done, "join": _unchanged, "close": _close,
        # a barrier
        "arrive": _arrive, "pass": _pass, "resume": _unchanged,
    }

    # --- lookups -------------------------------------------------------------

    def _tables(self) -> tuple[dict[str, Any], ...]:
        return (self._locks, self._values, self._flags, self._channels, self._barriers)

    def _known(self, name: str) -> None:
        if not any(name in table for table in self._tables()):
            raise ValueError(f"no primitive called {name!r} was declared")

    def _lookup(self, table: dict[str, T], name: str, what: str) -> T:
        self._known(name)
        if name not in table:
            raise ValueError(f"{name!r} is not {what}")
        return table[name]

    def _value(self, name: str) -> int:
        return self._lookup(self._values, name, "a semaphore")

    def _flag(self, name: str) -> bool:
        return self._lookup(self._flags, name, "an event")

    def _channel(self, name: str) -> _Channel:
        return self._lookup(self._channels, name, "a queue or a pipe")

    def _barrier(self, name: str) -> _Barrier:
        return self._lookup(self._barriers, name, "a barrier")


def _frozen(value: Any) -> Hashable:
    """A primitive's state as nested tuples (sets sorted)."""
    if isinstance(value, (_Lock, _Channel, _Barrier)):
        return tuple(_frozen(part) for part in astuple(value))
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(value))
    if isinstance(value, (list, deque)):
        return tuple(value)
    return value  # type: ignore[no-any-return]
