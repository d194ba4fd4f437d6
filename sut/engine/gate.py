"""The seam between the code of a process and the coordinator of a schedule.

In schedule mode every primitive the backend hands out asks the process's
*gate* before each operation: :func:`current` is the gate of the process it
runs in - a worker's probe, or the test process's own gate - and None outside
schedule mode, where the primitives behave exactly like the real ones.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Literal, NamedTuple, Protocol

from sut.engine.model import Kind

# ``go``: the operation can happen now (it will not block).
# ``timeout``: a wait with a timeout gives up.
Reply = Literal["go", "timeout"]

# What a worker started up in schedule mode tells the coordinator before its own
# code begins (``Coordinator.begin``); no operation's kind has a space in it.
STARTED_UP = "started up"

# Whether the real primitive would let an operation through now (see Gate.step).
Check = Callable[[], bool]

# What a gate is told of a wait's timeout: None, no timeout; seconds (a
# float), a timeout of the program, which may fire at any decision - under
# load any other process can be slower than any timeout; text, a timeout
# assumed to outlast what it waits for (:class:`Outlasting`), which fires only
# when nothing else can happen. The text is the assumption ("" for the
# harness's own deadlines, which are no part of the program).
Timed = float | str | None


class Outlasting(float):
    """A timeout, in seconds, assumed to outlast what it waits for.

    A schedule lets a wait with such a timeout give up only when nothing
    else can happen: never while the work it waits for could still be done.
    The harness bounds its own waits this way (:func:`harness_deadline`); a
    scenario whose correctness rests on a timeout of its program being long
    enough says so with :func:`assume_long_enough`, and every report of a
    scheduled run that relied on it shows the assumption. A plain number is
    a timeout of the program: the schedule may let it fire at any decision.
    It is a float, so the real primitives take it as they are.
    """

    assumption: str

    def __new__(cls, seconds: float, assumption: str = "") -> Outlasting:
        self = super().__new__(cls, seconds)
        self.assumption = assumption
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return Outlasting, (float(self), self.assumption)


class ModelDisagreement(RuntimeError):
    """The real primitive disagrees with the model: it let an operation through that
    the model says waits, or held back one the model let go on. The schedule's
    verdicts rest on the model, so this is an error of the scenario (a primitive
    the model mistakes for another: a shared flock taken for an exclusive one,
    a semaphore changed behind its back), not a finding about the program."""


def harness_deadline(seconds: float) -> Outlasting:
    """A timeout of the harness (a run's deadline), not of the program under test."""
    return Outlasting(seconds)


def assume_long_enough(seconds: float, assumption: str) -> Outlasting:
    """A timeout of the program that the scenario assumes is long enough; ``assumption``
    says so in words (``the first wave meets within 0.1 s``) for the report."""
    if not assumption:
        raise ValueError("an assumed timeout needs the assumption in words")
    return Outlasting(seconds, assumption)


def as_timed(timeout: float | None) -> Timed:
    """What the gate is told of ``timeout`` (see :data:`Timed`)."""
    if timeout is None:
        return None
    if isinstance(timeout, Outlasting):
        return timeout.assumption
    return float(timeout)


class Granted(NamedTuple):
    """The coordinator's answer at a gate: how the operation goes, and what the model
    says it returns where that is a fact of the model (the item a ``try-get`` takes,
    how many items a queue holds; see ``World.apply``)."""

    reply: Reply
    answer: Any = True


class Gate(Protocol):
    """Asks, before each operation, whether and how it may happen."""

    def step(self, kind: Kind, target: str = "", *, timed: Timed = None,
             detail: str = "", real: Check | None = None) -> Granted:
        """Block until the operation ``kind`` on ``target`` is chosen; say how it goes.

        ``detail`` is what the coordinator should know of it: the item a put
        puts, the payload a point carries. ``real`` answers, when the
        coordinator asks while the process waits at this gate, whether the
        real primitive would let the operation through (tried without
        blocking, and undone): the model is held to it.
        """
        ...

    def catch_up(self) -> None:
        """Before the calling process records an event: every worker started and not
        yet running its own code runs it now, up to its first gate (main's gate; a
        worker's has none to wait for)."""
        ...


_current: Gate | None = None


def install(gate: Gate | None) -> None:
    """Make ``gate`` the gate of this process (None: schedule mode is over)."""
    global _current
    _current = gate


def current() -> Gate | None:
    """The gate of this process, or None outside schedule mode."""
    return _current


def send(connection: Connection, message: object) -> None:
    """Send a message between a worker's gate and the coordinator: plain data - names,
    numbers, text, and tuples of them.

    Pickled by the C pickler itself: ``Connection.send`` pickles with
    multiprocessing's own pickler, which copies its table of reducers for each
    message - work plain data does not need, done twice at every decision.
    """
    connection.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))


def receive(connection: Connection) -> Any:
    """Receive a message :func:`send` sent."""
    return pickle.loads(connection.recv_bytes())
