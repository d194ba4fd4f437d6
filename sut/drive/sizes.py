"""A small space as plain data: every configuration in it, and their order of size.

A scenario's small space (:mod:`sut.engine.space`) is few values per
parameter, so it can be listed whole: that is how a search proves that no
configuration smaller than the one it found breaks (:mod:`sut.drive.smallest`).
Smaller means, in this order:

1. fewer processes - counted by running the configuration, so the count is
   the program's own, whatever its parameters are called;
2. then values nearer the simple end: the sum, over the parameters, of each
   value's distance from its range's low end, or its index in ``OneOf``;
3. then the order the values are declared in, parameter by parameter.

A float range has no list of values: :func:`continuous` names it, and no
such proof is made. Nothing here runs a process or imports Hypothesis.

Example:
    everything = configurations(Params, {"buyers": (1, 2), "readers": OneOf(0, 1)})
    ordered = sorted(everything, key=lambda c: c.size(workers(c.params)))
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Literal

from sut.engine.space import Dimension, OneOf, Space

Kind = Literal["one of", "whole", "continuous", "fixed"]
# How a configuration compares: processes, distance from the simple end, place.
Size = tuple[int, int, tuple[int, ...]]


def kind(dimension: Dimension) -> Kind:
    """What ``dimension`` ranges over: a ``OneOf``, a ``(low, high)`` of ints
    (``whole``) or of floats (``continuous``), or one ``fixed`` value."""
    if isinstance(dimension, OneOf):
        return "one of"
    if isinstance(dimension, tuple) and len(dimension) == 2:
        # bool is an int to Python, not a number to a search: (False, True) is a value.
        if all(isinstance(end, int) and not isinstance(end, bool) for end in dimension):
            return "whole"
        if all(isinstance(end, int | float) and not isinstance(end, bool) for end in dimension):
            return "continuous"
    return "fixed"


def values(dimension: Dimension) -> tuple[Any, ...]:
    """The values ``dimension`` takes, simplest first (none for a continuous range)."""
    found = kind(dimension)
    if found == "one of":
        return tuple(dimension.values)
    if found == "whole":
        return tuple(range(dimension[0], dimension[1] + 1))
    return () if found == "continuous" else (dimension,)


def continuous(space: Space) -> str | None:
    """The first parameter of ``space`` that ranges over floats, or None: it lists whole."""
    return next((name for name, dimension in space.items()
                 if kind(dimension) == "continuous"), None)


@dataclass(frozen=True)
class Configuration:
    """One configuration of a small space: its params, and where it lies in the space.

    ``place`` is each parameter's index among its values, in declared order;
    ``distance`` their sum (a fixed value's index is 0).
    """

    params: Any
    place: tuple[int, ...]

    @property
    def distance(self) -> int:
        return sum(self.place)

    def size(self, processes: int) -> Size:
        """How it compares with another, given the ``processes`` a run of it starts."""
        return processes, self.distance, self.place


def configurations(params: type, space: Space) -> list[Configuration]:
    """Every configuration of ``space``, built as ``params``, in declared order.

    A combination ``params`` refuses (``ValueError``) is no configuration.

    Raises:
        ValueError: a parameter ranges over floats (see :func:`continuous`).
    """
    name = continuous(space)
    if name is not None:
        raise ValueError(f"{name} is continuous: its values cannot be listed")
    axes = [values(dimension) for dimension in space.values()]
    found = []
    for place in itertools.product(*(range(len(axis)) for axis in axes)):
        chosen = {name: axis[index] for name, axis, index in zip(space, axes, place, strict=True)}
        try:
            found.append(Configuration(params(**chosen), place))
        except ValueError:
            continue
    return found
