"""The seam between the code of a process and the coordinator of a schedule.

In schedule mode every primitive the backend hands out asks the process's
*gate* before each operation: :func:`current` is the gate of the process it
runs in - a worker's probe, or the test process's own gate - and None outside
schedule mode, where the primitives behave exactly like the real ones.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple, Protocol

from sut.engine.model import Kind

# ``go``: the operation can happen now (it will not block).
# ``timeout``: a wait with a timeout gives up (nothing else could happen).
Reply = Literal["go", "timeout"]


class Granted(NamedTuple):
    """The coordinator's answer at a gate: how the operation goes, and what the model
    says it returns where that is a fact of the model (the item a ``try-get`` takes,
    how many items a queue holds; see ``World.apply``)."""

    reply: Reply
    answer: Any = True


class Gate(Protocol):
    """Asks, before each operation, whether and how it may happen."""

    def step(self, kind: Kind, target: str = "", *, timed: bool = False,
             detail: str = "") -> Granted:
        """Block until the operation ``kind`` on ``target`` is chosen; say how it goes.

        ``detail`` is what the coordinator should know of it: the item a put
        puts, the payload a point carries.
        """
        ...


_current: Gate | None = None


def install(gate: Gate | None) -> None:
    """Make ``gate`` the gate of this process (None: schedule mode is over)."""
    global _current
    _current = gate


def current() -> Gate | None:
    """The gate of this process, or None outside schedule mode."""
    return _current
