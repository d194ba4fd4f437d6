"""Params whose fields check themselves: each field names its rule where it is declared.

A scenario's ``Params`` is a frozen dataclass that rejects a bad value with a
one-line ``ValueError`` naming it (:mod:`sut.engine.params` has the rules).
Declared with :func:`param` on a :class:`Checked` dataclass, every field
carries its rule, and the rules run in field order once the dataclass is
built - the first bad value is the one reported::

    @dataclass(frozen=True)
    class Params(Checked):
        buyers: int = processes(5)
        tickets: int = items(3)
        kill_at: str = param("", one_of, ("", "read"))
        jitter: float = param(0.05, jitter_width)

Every count has an upper bound (:mod:`sut.engine.limits`, docs/LIMITS.md):
:func:`rounds` for a worker's loop, :func:`items` for what a run handles in
all, :func:`processes` for worker processes. :meth:`Checked.processes` adds up
the fields declared with :func:`processes` and the processes a run starts
whatever its params (``fixed_processes``): the total is bounded by
``MAX_PROCESSES`` too, and ``Scenario.evaluate`` checks it against what the
machine leaves before a run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from sut.engine.limits import MAX_ITEMS, MAX_PROCESSES, MAX_ROUNDS
from sut.engine.params import jitter, whole_number

T = TypeVar("T")
# A rule: rule(name, value, *args, **kwargs) raises ValueError for a bad value.
Rule = Callable[..., None]


def param(default: T, rule: Rule, *args: Any, **kwargs: Any) -> T:
    """A field defaulting to ``default``, checked by ``rule(name, value, *args, **kwargs)``."""
    def check(name: str, value: object) -> None:
        rule(name, value, *args, **kwargs)
    field: T = dataclasses.field(default=default, metadata={"rule": check})
    return field


# Why each bound is there, as a message that refuses a value says it.
PROCESSES = "the most processes one run starts"
ROUNDS = "the most rounds one worker's loop goes"
ITEMS = "the most items one run handles in all"


def processes(default: int, *, at_least: int = 1, at_most: int = MAX_PROCESSES,
              why: str = PROCESSES) -> int:
    """A field counting worker processes: a whole number from ``at_least`` to ``at_most``
    (at most :data:`~sut.engine.limits.MAX_PROCESSES`), added up by :meth:`Checked.processes`."""
    def check(name: str, value: object) -> None:
        whole_number(name, value, at_least=at_least, at_most=at_most, why=why)
    field: int = dataclasses.field(default=default, metadata={"rule": check, "processes": True})
    return field


def rounds(default: int, *, at_least: int = 1) -> int:
    """A field counting the rounds of a worker's loop: at most
    :data:`~sut.engine.limits.MAX_ROUNDS`."""
    return param(default, whole_number, at_least=at_least, at_most=MAX_ROUNDS, why=ROUNDS)


def items(default: int, *, at_least: int = 0) -> int:
    """A field counting what a run handles in all: at most :data:`~sut.engine.limits.MAX_ITEMS`."""
    return param(default, whole_number, at_least=at_least, at_most=MAX_ITEMS, why=ITEMS)


def jitter_width(name: str, value: object) -> None:
    """The rule of every scenario's ``jitter``: seconds from 0 to ``MAX_JITTER``."""
    jitter(value)


class Checked:
    """Base of a Params dataclass whose fields are declared with :func:`param`."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]
    # The processes a run starts whatever its params say ("the light"), by name.
    fixed_processes: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            rule = field.metadata.get("rule")
            if rule is not None:
                rule(field.name, getattr(self, field.name))
        if self.processes() > MAX_PROCESSES:
            raise ValueError(f"{self.describe_processes()} would start {self.processes()} "
                             f"processes; at most {MAX_PROCESSES} ({PROCESSES})")

    def processes(self) -> int:
        """How many worker processes a run with these params starts."""
        counts: list[int] = [getattr(self, field.name) for field in self._process_fields()]
        return len(self.fixed_processes) + sum(counts)

    def describe_processes(self) -> str:
        """What decides :meth:`processes`, spelled as on the command line:
        ``cars=3 and the light``."""
        counts = " ".join(f"{field.name}={getattr(self, field.name)}"
                          for field in self._process_fields())
        return " and ".join(part for part in (counts, *self.fixed_processes) if part)

    def _process_fields(self) -> list[dataclasses.Field[Any]]:
        return [field for field in dataclasses.fields(self) if field.metadata.get("processes")]
