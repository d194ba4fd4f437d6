"""What a schedule's coordinator knows of the primitives: who can run next.

In schedule mode (issue 5) every synchronization operation of every worker
is a decision of a coordinator in the test process. To choose only among
workers that can really proceed, the coordinator keeps a model of the
primitives' state - who holds each lock, each semaphore's value, each
event's flag, how many items each queue or pipe holds and whether any writer
is left - and asks it, for each worker's pending operation, whether it is
enabled. When no pending operation is enabled and some worker has not
finished, that is a deadlock, reported at once with what each stuck worker
waits for: no timeout decides it.

This module is the pure part: no process, no clock. The real primitives are
still the ones the workers use; the model only mirrors their state.

Example:
    >>> world = World()
    >>> world.lock("lock")
    >>> world.apply(Op("buyer 0", "acquire", "lock"))
    >>> world.enabled(Op("buyer 1", "acquire", "lock"))
    False
    >>> world.waits_for(Op("buyer 1", "acquire", "lock"))
    'lock held by buyer 0'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

T = TypeVar("T")

# A Barrier's wait is two operations: ``arrive`` never blocks, ``pass`` waits
# until the round the worker arrived in is complete.
Kind = Literal["point", "acquire", "release", "set", "clear", "wait", "put", "get",
               "close-writer", "arrive", "pass"]


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
        """``deadlock: consumer 0 waits for an item in queue buns (empty, no writer left)``."""
        return "deadlock: " + "; ".join(f"{worker} waits for {what}"
                                         for worker, what in sorted(self.stuck.items()))


@dataclass
class _Channel:
    """A queue or a pipe: items in flight, and how many writers may still add some."""

    items: int = 0
    writers: int = 1


@dataclass
class _Barrier:
    parties: int
    arrived: set[str] = field(default_factory=set)  # in the round still filling up
    released: set[str] = field(default_factory=set)  # of a complete round, not yet past


class World:
    """The state of every declared primitive, and the rules of each operation.

    Declare the primitives first (``lock``, ``semaphore``, ``event``,
    ``channel``, ``barrier``), then for every step ask :meth:`enabled` and
    :meth:`apply` the chosen operation. An operation on an undeclared
    primitive is a ``ValueError``: the model must know every primitive a
    scenario uses, or it would guess.
    """

    def __init__(self) -> None:
        self._holders: dict[str, str | None] = {}
        self._values: dict[str, int] = {}
        self._flags: dict[str, bool] = {}
        self._channels: dict[str, _Channel] = {}
        self._barriers: dict[str, _Barrier] = {}

    # --- declarations ----------------------------------------------------

    def lock(self, name: str) -> None:
        """A Lock, free."""
        self._declare(name)
        self._holders[name] = None

    def semaphore(self, name: str, value: int) -> None:
        """A Semaphore (or BoundedSemaphore) starting at ``value``."""
        if value < 0:
            raise ValueError(f"semaphore {name!r} cannot start at {value}")
        self._declare(name)
        self._values[name] = value

    def event(self, name: str) -> None:
        """An Event, clear."""
        self._declare(name)
        self._flags[name] = False

    def channel(self, name: str, writers: int = 1) -> None:
        """A Queue or a Pipe direction, empty, with ``writers`` ends that may still put."""
        self._declare(name)
        self._channels[name] = _Channel(writers=writers)

    def barrier(self, name: str, parties: int) -> None:
        """A Barrier of ``parties``."""
        if parties < 1:
            raise ValueError(f"barrier {name!r} needs at least one party, got {parties}")
        self._declare(name)
        self._barriers[name] = _Barrier(parties)

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
        if kind == "point":
            return None
        if kind == "acquire":
            if target in self._holders:
                holder = self._holders[target]
                return None if holder is None else f"{target} held by {holder}"
            return None if self._value(target) > 0 else f"{target} (value 0)"
        if kind == "wait":
            return None if self._flag(target) else f"{target} to be set"
        if kind == "get":
            channel = self._channel(target)
            if channel.items or not channel.writers:
                return None  # an item, or end of file
            return f"an item in {target} (empty)"
        if kind == "pass":
            barrier = self._barrier(target)
            if op.worker in barrier.released:
                return None
            return f"{barrier.parties - len(barrier.arrived)} more at barrier {target}"
        if kind == "arrive":
            self._barrier(target)
            return None
        if kind in ("release", "set", "clear", "put", "close-writer"):
            self._known(target)
            return None
        raise ValueError(f"unknown operation {kind!r}")

    def apply(self, op: Op) -> None:
        """Do ``op`` to the model; ``ValueError`` if it is not enabled or not allowed."""
        reason = self.waits_for(op)
        if reason is not None:
            raise ValueError(f"{op.worker} cannot {op.kind} now: it waits for {reason}")
        kind, target = op.kind, op.target
        if kind == "acquire":
            if target in self._holders:
                self._holders[target] = op.worker
            else:
                self._values[target] -= 1
        elif kind == "release":
            if target in self._holders:
                if self._holders[target] != op.worker:
                    raise ValueError(f"{op.worker} releases {target}, held by "
                                     f"{self._holders[target] or 'nobody'}")
                self._holders[target] = None
            else:
                self._values[target] = self._value(target) + 1
        elif kind in ("set", "clear"):
            self._flag(target)
            self._flags[target] = kind == "set"
        elif kind == "put":
            self._channel(target).items += 1
        elif kind == "get":
            channel = self._channel(target)
            channel.items = max(0, channel.items - 1)
        elif kind == "close-writer":
            channel = self._channel(target)
            channel.writers = max(0, channel.writers - 1)
        elif kind == "arrive":
            barrier = self._barrier(target)
            barrier.arrived.add(op.worker)
            if len(barrier.arrived) >= barrier.parties:
                # The round is complete: its parties may pass; the next round starts empty.
                barrier.released |= barrier.arrived
                barrier.arrived.clear()
        elif kind == "pass":
            self._barrier(target).released.discard(op.worker)

    def deadlock(self, pending: Mapping[str, Op]) -> Deadlock | None:
        """A Deadlock if no pending operation is enabled, else None.

        ``pending`` holds the next operation of every worker that has not
        finished. A worker waiting to pass a barrier waits for the others: if
        they are all stuck too, so is it.
        """
        if not pending or any(self.enabled(op) for op in pending.values()):
            return None
        return Deadlock({worker: self.waits_for(op) or "" for worker, op in pending.items()})

    # --- lookups -------------------------------------------------------------

    def _tables(self) -> tuple[dict[str, Any], ...]:
        return (self._holders, self._values, self._flags, self._channels, self._barriers)

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
