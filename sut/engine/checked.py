"""Params whose fields check themselves: each field names its rule where it is declared.

A scenario's ``Params`` is a frozen dataclass that rejects a bad value with a
one-line ``ValueError`` naming it (:mod:`sut.engine.params` has the rules).
Declared with :func:`param` on a :class:`Checked` dataclass, every field
carries its rule, and the rules run in field order once the dataclass is
built - the first bad value is the one reported::

    @dataclass(frozen=True)
    class Params(Checked):
        buyers: int = param(5, positive_int)
        kill_at: str = param("", one_of, ("", "read"))
        jitter: float = param(0.05, jitter_width)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from sut.engine.params import jitter

T = TypeVar("T")
# A rule: rule(name, value, *args, **kwargs) raises ValueError for a bad value.
Rule = Callable[..., None]


def param(default: T, rule: Rule, *args: Any, **kwargs: Any) -> T:
    """A field defaulting to ``default``, checked by ``rule(name, value, *args, **kwargs)``."""
    def check(name: str, value: object) -> None:
        rule(name, value, *args, **kwargs)
    field: T = dataclasses.field(default=default, metadata={"rule": check})
    return field


def jitter_width(name: str, value: object) -> None:
    """The rule of every scenario's ``jitter``: seconds from 0 to ``MAX_JITTER``."""
    jitter(value)


class Checked:
    """Base of a Params dataclass whose fields are declared with :func:`param`."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            rule = field.metadata.get("rule")
            if rule is not None:
                rule(field.name, getattr(self, field.name))
