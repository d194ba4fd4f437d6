"""How a scenario declares the configurations it is tried in, parameter by parameter.

A space maps parameter names to what each one ranges over, in the order
they are drawn (which is also the order Hypothesis shrinks them in):

- ``(low, high)``: any number from ``low`` to ``high``, both included -
  whole numbers if both are ints, else any float between;
- ``OneOf(a, b, c)``: one of these values, the first being the simplest;
- anything else: that value, fixed.

It is plain data: scenario modules, which worker processes import, never
load Hypothesis. :mod:`sut.drive.strategies` turns a space into strategies.

Example:
    {"buyers": (1, 4), "jitter": JITTER, "kill_at": OneOf("", "read"), "readers": 0}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# What a parameter ranges over: (low, high), OneOf(...), or a fixed value.
Dimension = Any
Space = Mapping[str, Dimension]

# The jitter a test shakes a correct variant with: any width up to 50 ms, zero
# included - wide enough to open a scenario's race windows, short enough to
# keep every run cheap. (Races are hunted with jitter of their own.)
JITTER = (0.0, 0.05)


@dataclass(frozen=True, init=False)
class OneOf:
    """One of a few values, the first being the simplest (what a search shrinks to)."""

    values: tuple[Any, ...]

    def __init__(self, *values: Any) -> None:
        if not values:
            raise ValueError("OneOf needs at least one value")
        object.__setattr__(self, "values", values)


def validate_space(params: type, space: Space, what: str) -> None:
    """Raise ``ValueError`` unless every name in ``space`` is a field of ``params``.

    ``what`` says which space it is, for the message (``"ticket's small configurations"``).
    """
    fields = [field.name for field in dataclasses.fields(params)]
    unknown = [name for name in space if name not in fields]
    if unknown:
        raise ValueError(f"{what} name{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(map(repr, unknown))}, not a parameter "
                         f"(known: {', '.join(fields)})")
