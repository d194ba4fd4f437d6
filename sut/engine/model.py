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
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Literal, TypeVar

from sut.engine.alike import Rename, renamed
from sut.engine.sqlite_model import STATEMENTS, Database, Journal, Statement

T = TypeVar("T")

# A Barrier's wait is three operations: ``arrive`` never blocks, ``pass``
# waits until the round the worker arrived in is complete (the coordinator
# lets a whole round pass at once, as the real barrier does), and ``resume``
# gives the order in which the parties go on. A worker asks its gate for
# ``arrive`` and ``pass`` at once: the coordinator takes the arrival and then
# holds the worker for its pass. A ``poll`` is one turn of a loop that looks
# at shared state until something changes.
#
# A Condition's wait is two: ``sleep`` releases its lock and joins its
# sleepers (never blocks), ``wake`` waits to be notified; retaking the lock
# is then an ``acquire`` of its own, as other processes may take it first.
# A ``read`` or ``write`` of a shared Value or Array waits for the lock that
# guards it, if another process holds it (the real access takes that lock).
# ``size``, ``peek`` and ``waiting`` are questions the model answers (how many
# items a queue holds, whether a pipe has something to read, how many wait
# at a barrier): decisions like the others, as the answer depends on when.
# A statement on a SQLite database is an operation of its own kind
# (:mod:`.sqlite_model`): it waits where SQLite's busy handler would.
Kind = Literal["point", "poll", "acquire", "try-acquire", "release", "set", "clear", "wait",
               "put", "try-put", "get", "try-get", "task-done", "join", "close", "readable",
               "arrive", "pass", "resume", "abort", "read", "write", "sleep", "wake", "notify",
               "notify-all", "size", "peek", "waiting", Statement]

# Operations that never block.
_ALWAYS_ENABLED = frozenset({"point", "poll", "try-acquire", "release", "set", "clear",
                             "try-put", "try-get", "task-done", "close", "arrive", "resume",
                             "abort", "sleep", "notify", "notify-all", "size", "peek", "waiting"})


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
    recursive: bool = False  # an RLock: its holder may take it again
    holder: str | None = None
    depth: int = 0  # how many times its holder has taken it (an RLock's count)
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
    maxsize: int = 0  # a queue's bound: a put waits while it holds this many (0: none)


@dataclass
class _Condition:
    """A Condition: the lock it is used with, who sleeps on it, who was notified."""

    lock: str
    sleepers: list[str] = field(default_factory=list)  # in the order they began to wait
    notified: set[str] = field(default_factory=set)  # woken, not yet past ``wake``


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
        self._conditions: dict[str, _Condition] = {}
        self._shared: dict[str, str | None] = {}  # a Value or Array: the lock guarding it
        self._databases: dict[str, Database] = {}

    # --- declarations ----------------------------------------------------

    def lock(self, name: str, *, freed_on_exit: bool = False, recursive: bool = False) -> None:
        """A Lock, free. ``freed_on_exit``: the kernel frees it when its holder dies;
        ``recursive``: an RLock, which its holder may take again."""
        self._declare(name)
        self._locks[name] = _Lock(freed_on_exit, recursive)

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

    def queue(self, name: str, maxsize: int = 0) -> None:
        """A Queue or JoinableQueue, empty; bounded by ``maxsize`` items (0: unbounded)."""
        if maxsize < 0:
            raise ValueError(f"queue {name!r} cannot hold at most {maxsize} items")
        self._declare(name)
        self._channels[name] = _Channel(maxsize=maxsize)

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

    def condition(self, name: str, lock: str) -> None:
        """A Condition used with the declared ``lock``, nobody waiting on it."""
        self._lookup(self._locks, lock, "a lock")
        self._declare(name)
        self._conditions[name] = _Condition(lock)

    def shared(self, name: str, lock: str | None) -> None:
        """A shared Value or Array, guarded by the declared ``lock`` (None: a raw one)."""
        if lock is not None:
            self._lookup(self._locks, lock, "a lock")
        self._declare(name)
        self._shared[name] = lock

    def database(self, name: str, journal: Journal, count: int) -> None:
        """A SQLite database holding ``count``, in ``journal`` mode, nobody connected."""
        self._declare(name)
        self._databases[name] = Database(journal, count)

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
        if kind in STATEMENTS:
            answer = self._database(target).answer(op.worker, kind)
            return answer.why if answer.verdict == "wait" else None
        if kind == "acquire":
            if target in self._locks:
                return self._lock_waits(op.worker, target)
            return None if self._value(target) > 0 else f"{target} (value 0)"
        if kind in ("read", "write"):
            lock = self._lookup(self._shared, target, "a Value or an Array")
            return None if lock is None else self._lock_waits(op.worker, lock)
        if kind == "wake":
            return None if op.worker in self._condition(target).notified else (
                f"a notify() of {target}")
        if kind == "wait":
            return None if self._flag(target) else f"{target} to be set"
        if kind == "put":
            channel = self._channel(target)
            if channel.maxsize and len(channel.items) >= channel.maxsize:
                return f"room in {target} (full: {len(channel.items)} items)"
            return None
        if kind in ("get", "readable"):
            return self._get_waits(target)
        if kind == "join":
            unfinished = self._channel(target).unfinished
            return None if not unfinished else f"{unfinished} more task_done() on {target}"
        if kind == "pass":
            barrier = self._barrier(target)
            if op.worker in barrier.released or barrier.broken:
                return None
            return f"{barrier.parties - len(barrier.arrived)} more at barrier {target}"
        raise ValueError(f"unknown operation {kind!r}")

    def _lock_waits(self, worker: str, name: str) -> str | None:
        """What taking the lock ``name`` waits for, in words; None if ``worker`` can now."""
        lock = self._locks[name]
        if lock.holder is None or (lock.recursive and lock.holder == worker):
            return None
        return f"{name} held by {lock.holder}" + (
            ", which ended without releasing it" if lock.gone else "")

    def _get_waits(self, name: str) -> str | None:
        """What a get from the queue or pipe ``name`` waits for; None if it can get now."""
        channel = self._channel(name)
        if channel.items or channel.writers == set():
            return None  # an item, or end of file
        if channel.writers is None:
            return f"an item in {name} (empty)"
        return (f"a message or end of file on {name} (empty; its sending end is "
                f"still open in {', '.join(sorted(channel.writers))})")

    def apply(self, op: Op, item: str = "") -> bool | int | str:
        """Do ``op`` to the model; ``ValueError`` if it is not enabled or not allowed.

        ``item`` is what a ``put`` puts (its repr). Returns what the real
        operation returns where that is a fact of the model: the item a
        ``get`` takes ("" at end of file), whether a ``try-acquire`` got it,
        whether a ``pass`` went through an unbroken barrier, whether a
        ``try-put`` found room, the item a ``try-get`` took (False: none),
        the answer to a query (:data:`QUERIES`); True otherwise.
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
            self._abort(op, "")
        if op.kind == "wake":
            self._condition(op.target).sleepers.remove(op.worker)
        if op.kind in STATEMENTS:
            self._database(op.target).fail(op.worker, op.kind)

    def exit(self, worker: str) -> None:
        """``worker`` has ended: the kernel closes its pipe ends and frees its flocks."""
        for channel in self._channels.values():
            if channel.writers is not None:
                channel.writers.discard(worker)
        for database in self._databases.values():
            database.close(worker)  # its connection is gone: rolled back
        for lock in self._locks.values():
            if lock.holder == worker:
                if lock.freed_on_exit:
                    lock.holder, lock.depth = None, 0
                else:
                    lock.gone = True

    def snapshot(self, rename: Rename | None = None) -> Hashable:
        """The whole state, comparable: equal snapshots behave alike from here on.

        ``rename`` names some workers otherwise, everywhere the state holds their
        names (:mod:`.alike`; Mentioned if one is where it cannot be renamed).
        """
        rename = rename or {}
        return tuple(tuple(sorted((renamed(name, rename), _frozen(value, rename))
                                  for name, value in table.items()))
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
            lock = self._locks[op.target]
            lock.holder, lock.depth = op.worker, lock.depth + 1
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
            lock.depth -= 1
            if not lock.depth:
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

    def _try_put(self, op: Op, item: str) -> bool:
        if self.waits_for(Op(op.worker, "put", op.target)) is not None:
            return False
        return self._put(op, item)

    def _try_get(self, op: Op, item: str) -> str | bool:
        if self.waits_for(Op(op.worker, "get", op.target)) is not None:
            return False
        return self._get(op, item)

    def _size(self, op: Op, item: str) -> int:
        return len(self._channel(op.target).items)

    def _peek(self, op: Op, item: str) -> bool:
        return self._get_waits(op.target) is None

    def _waiting(self, op: Op, item: str) -> int:
        return len(self._barrier(op.target).arrived)

    def _sleep(self, op: Op, item: str) -> int:
        """Release the condition's lock entirely and sleep: how deep it was held, to retake."""
        condition = self._condition(op.target)
        lock = self._locks[condition.lock]
        if lock.holder != op.worker:
            raise ValueError(f"{op.worker} waits on {op.target} without holding {condition.lock}")
        depth, lock.holder, lock.depth = lock.depth, None, 0
        condition.sleepers.append(op.worker)
        return depth

    def _wake(self, op: Op, item: str) -> bool:
        condition = self._condition(op.target)
        condition.notified.discard(op.worker)
        condition.sleepers.remove(op.worker)
        return True

    def _notify(self, op: Op, item: str) -> int:
        """Wake ``item`` sleepers (all for ``notify-all``), the longest waiting first."""
        condition = self._condition(op.target)
        lock = self._locks[condition.lock]
        if lock.holder != op.worker:
            raise ValueError(f"{op.worker} notifies {op.target} without holding {condition.lock}")
        asleep = [worker for worker in condition.sleepers if worker not in condition.notified]
        woken = asleep if op.kind == "notify-all" else asleep[:int(item or 1)]
        condition.notified.update(woken)
        return len(woken)

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

    def _statement(self, op: Op, item: str) -> int | bool | str:
        """Run it (the count a select read, the rows a decrement changed; True for the
        rest), or fail it at once: "busy". ``item`` is the count an update writes."""
        statement: Statement = op.kind  # type: ignore[assignment]
        database = self._database(op.target)
        if database.answer(op.worker, statement).verdict == "busy":
            database.fail(op.worker, statement)
            return "busy"
        got = database.run(op.worker, statement, int(item or 0))
        return True if got is None else got

    def _arrive(self, op: Op, item: str) -> bool:
        barrier = self._barrier(op.target)
        if not barrier.broken:
            barrier.arrived.append(op.worker)
            if len(barrier.arrived) >= barrier.parties:
                # The round is complete: its parties may pass; the next starts empty.
                barrier.released |= set(barrier.arrived)
                barrier.arrived.clear()
        return True

    def _abort(self, op: Op, item: str) -> bool:
        barrier = self._barrier(op.target)
        barrier.broken = True
        barrier.arrived.clear()
        return True

    def _pass(self, op: Op, item: str) -> bool:
        barrier = self._barrier(op.target)
        passed = op.worker in barrier.released
        barrier.released.discard(op.worker)
        return passed

    # What ``apply`` does for each kind of operation, once ``waits_for`` lets it.
    _EFFECTS: ClassVar[Mapping[Kind, Callable[[World, Op, str], bool | int | str]]] = {
        "point": _unchanged, "poll": _unchanged,
        # a lock or a semaphore
        "acquire": _acquire, "try-acquire": _try_acquire, "release": _release,
        # an event
        "set": _set_or_clear, "clear": _set_or_clear, "wait": _unchanged,
        # a queue or a pipe
        "put": _put, "get": _get, "task-done": _task_done, "join": _unchanged, "close": _close,
        "try-put": _try_put, "try-get": _try_get, "readable": _unchanged,
        "size": _size, "peek": _peek,
        # a barrier
        "arrive": _arrive, "pass": _pass, "resume": _unchanged, "abort": _abort,
        "waiting": _waiting,
        # a condition (its lock is a lock's)
        "sleep": _sleep, "wake": _wake, "notify": _notify, "notify-all": _notify,
        # a shared Value or Array: the access itself is the process's own
        "read": _unchanged, "write": _unchanged,
        # a SQLite database
        **dict.fromkeys(STATEMENTS, _statement),
    }

    # --- lookups -------------------------------------------------------------

    def _tables(self) -> tuple[dict[str, Any], ...]:
        return (self._locks, self._values, self._flags, self._channels, self._barriers,
                self._conditions, self._shared, self._databases)

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

    def _condition(self, name: str) -> _Condition:
        return self._lookup(self._conditions, name, "a condition")

    def _database(self, name: str) -> Database:
        return self._lookup(self._databases, name, "a SQLite database")


def _frozen(value: Any, rename: Rename) -> Hashable:
    """A primitive's state as nested tuples (sets sorted), workers named by ``rename``."""
    if isinstance(value, Database):
        return value.snapshot(rename)
    if isinstance(value, (_Lock, _Channel, _Barrier, _Condition)):
        # Not astuple(): it deep-copies, and this runs at every step.
        return tuple(_frozen(getattr(value, part.name), rename) for part in fields(value))
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(renamed(item, rename) if isinstance(item, str) else item
                            for item in value))
    if isinstance(value, (list, deque, tuple)):
        return tuple(_frozen(item, rename) for item in value)
    if isinstance(value, str):
        return renamed(value, rename)
    return value  # type: ignore[no-any-return]
