"""Scenario parameters: validation helpers and ``KEY=VALUE`` parsing.

Each scenario's ``Params`` is a frozen dataclass that validates itself in
``__post_init__`` with these helpers, so the API and the CLI reject the same
bad values with the same one-line ``ValueError``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from typing import Any, TypeVar

P = TypeVar("P")


def positive_int(name: str, value: object) -> None:
    """Raise ``ValueError`` unless ``value`` is an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")


def non_negative_int(name: str, value: object) -> None:
    """Raise ``ValueError`` unless ``value`` is an int >= 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")


def seconds(name: str, value: object, *, at_most: float) -> None:
    """Raise ``ValueError`` unless ``value`` is a number of seconds in [0, at_most]."""
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or not 0 <= value <= at_most):
        raise ValueError(f"{name} must be a number of seconds from 0 to {at_most}, got {value!r}")


# The widest jitter a scenario accepts: a pause of up to a second per point.
MAX_JITTER = 1.0


def jitter(value: object) -> None:
    """Raise ``ValueError`` unless ``value`` is a jitter width: seconds in [0, MAX_JITTER]."""
    seconds("jitter", value, at_most=MAX_JITTER)


def one_of(name: str, value: object, choices: Iterable[str]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    options = tuple(choices)
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}, got {value!r}")


def _convert(name: str, kind: Any, text: str) -> Any:
    if kind in (int, "int"):
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{name} must be a whole number, got {text!r}") from None
    if kind in (float, "float"):
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{name} must be a number, got {text!r}") from None
    return text


def parse_params(cls: type[P], pairs: Iterable[str]) -> P:
    """Build ``cls`` (a Params dataclass) from ``["buyers=2", "tickets=1"]``.

    Raises:
        ValueError: for a malformed pair, an unknown or repeated name, a value
            of the wrong type, or one the dataclass rejects.
    """
    fields = {field.name: field for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"parameters are KEY=VALUE, got {pair!r}")
        if name not in fields:
            raise ValueError(f"unknown parameter {name!r} (known: {', '.join(fields)})")
        if name in values:
            raise ValueError(f"parameter {name!r} given twice")
        values[name] = _convert(name, fields[name].type, text)
    return cls(**values)


def describe_params(params: object) -> str:
    """``buyers=2 tickets=1 jitter=0.05``: a Params dataclass as the CLI spells it.

    Empty strings (an option left unset) are left out. Params whose values
    the command line takes in another form (JSON) spell themselves, by an
    ``arguments()`` method.
    """
    if hasattr(params, "arguments"):
        return str(params.arguments())
    values = dataclasses.asdict(params)  # type: ignore[call-overload]
    return " ".join(f"{key}={value}" for key, value in values.items() if value != "")
