"""Scenario parameters: validation helpers and ``KEY=VALUE`` parsing.

Each scenario's ``Params`` is a frozen dataclass that validates itself in
``__post_init__`` with these helpers, so the API and the CLI reject the same
bad values with the same one-line ``ValueError``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable
from typing import Any, TypeVar

P = TypeVar("P")


def positive_int(name: str, value: object, *, at_most: int | None = None,
                 why: str = "") -> None:
    """Raise ``ValueError`` unless ``value`` is an int >= 1 (and <= ``at_most``, if given:
    ``why`` says what the bound is)."""
    whole_number(name, value, at_least=1, at_most=at_most, why=why)


def non_negative_int(name: str, value: object, *, at_most: int | None = None,
                     why: str = "") -> None:
    """Raise ``ValueError`` unless ``value`` is an int >= 0 (and <= ``at_most``, if given)."""
    whole_number(name, value, at_least=0, at_most=at_most, why=why)


def whole_number(name: str, value: object, *, at_least: int, at_most: int | None = None,
                 why: str = "") -> None:
    """Raise ``ValueError`` unless ``value`` is an int from ``at_least`` to ``at_most``.

    The message names the bound broken, and ``why`` it is there: ``buyers must
    be at most 1024 (the most processes one run starts), got 100000``.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < at_least:
        raise ValueError(f"{name} must be a whole number >= {at_least}, got {value!r}")
    if at_most is not None and value > at_most:
        because = f" ({why})" if why else ""
        raise ValueError(f"{name} must be at most {at_most}{because}, got {value!r}")


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


# A number on the command line is plain ASCII: an optional minus, digits, and for
# a float a decimal point and an exponent. ``int()`` and ``float()`` take more -
# any Unicode digit (``٣``), underscores (``1_0``), surrounding blanks - none of
# which a user means as a parameter. The lengths keep a typo from being a
# thousand-digit number to convert.
MAX_DIGITS = 18
MAX_NUMBER_LENGTH = 40
WHOLE_NUMBER = re.compile(r"-?[0-9]+")
DECIMAL = re.compile(r"-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
# What float() reads as infinity or not-a-number: parsed, so a Params rule that
# bounds the field names the problem; refused by parse_params if none does.
NON_FINITE = re.compile(r"[-+]?(inf|infinity|nan)", re.IGNORECASE | re.ASCII)
# How much of a bad value a message repeats: the line stays one line.
SHOWN = 40


def _shown(text: str) -> str:
    """``text`` as a message quotes it: cut short if it is long."""
    return repr(text) if len(text) <= SHOWN else f"{text[:SHOWN]!r}... ({len(text)} characters)"


def _convert(name: str, kind: Any, text: str) -> Any:
    if kind in (int, "int"):
        if not WHOLE_NUMBER.fullmatch(text):
            raise ValueError(f"{name} must be a whole number, got {_shown(text)}")
        if len(text.lstrip("-")) > MAX_DIGITS:
            raise ValueError(f"{name} must be a whole number of at most {MAX_DIGITS} digits, "
                             f"got {_shown(text)}")
        return int(text)
    if kind in (float, "float"):
        if NON_FINITE.fullmatch(text):
            return float(text)
        if len(text) > MAX_NUMBER_LENGTH or not DECIMAL.fullmatch(text):
            raise ValueError(f"{name} must be a number, got {_shown(text)}")
        number = float(text)
        if not math.isfinite(number):  # 1e999
            raise ValueError(f"{name} must be a finite number, got {_shown(text)}")
        return number
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
    params = cls(**values)
    _refuse_non_finite(values)
    return params


def _refuse_non_finite(values: dict[str, Any]) -> None:
    """``inf`` or ``nan`` the Params took, for a field no rule bounds: refused all the same."""
    for name, value in values.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")


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
