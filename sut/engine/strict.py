"""Strict reading of what a user types: numbers in ASCII digits within stated bounds, a
run's timeout, and JSON no longer or deeper than stated limits.

Python's own readers are generous where a user's slip should be refused:
``int`` takes ``"1_0"``, ``"+3"`` and ``"٣"`` (an Arabic-Indic three), ``float``
takes ``"inf"`` and ``"nan"``, and ``json.loads`` recurses once per level of
nesting, so a document of a thousand ``[`` ends in ``RecursionError``. Each
reader here raises one ``ValueError`` that names the value and the limit.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# The longest a run's timeout may be, in seconds. Timeouts detect hangs: an hour
# is far past any run here, and well inside what the OS's waits take (about
# 2,147,483 s, 2**31 ms, is where a wait overflows).
MAX_TIMEOUT = 3600.0

# The most characters a number may be written with (a bound on the work of reading it).
MAX_NUMBER_TEXT = 30

# The deepest JSON nesting a document or a value on the command line may have, and
# the longest such text, in characters. The documents read here (a database, the
# chat's per-client lists) are two levels deep.
MAX_JSON_DEPTH = 32
MAX_JSON_TEXT = 1 << 20

_WHOLE = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")
# A JSON string, so that the brackets inside one are not counted as nesting.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")


def whole_number(name: str, text: str, *, low: int = 0, high: int) -> int:
    """``text`` as a whole number from ``low`` to ``high``, written in ASCII digits only.

    Raises:
        ValueError: a sign, an underscore, a space, a non-ASCII digit, or a number out
            of bounds - naming ``name`` and the bounds.

    Example:
        >>> whole_number("--runs", "20", low=1, high=100)
        20
    """
    if len(text) > MAX_NUMBER_TEXT or not _WHOLE.fullmatch(text):
        raise ValueError(f"{name} must be a whole number from {low} to {high} in digits 0-9, "
                         f"got {text!r}")
    value = int(text)
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if value > high:
        raise ValueError(f"{name} must be at most {high}, got {value}")
    return value


def decimal_number(name: str, text: str, *, above: float = 0.0, high: float,
                   unit: str = "") -> float:
    """``text`` as a number greater than ``above`` and at most ``high``, in ASCII digits
    with an optional decimal point (no sign, exponent, ``inf`` or ``nan``).

    Raises:
        ValueError: naming ``name``, the bounds and what was given.

    Example:
        >>> decimal_number("--timeout", "2.5", high=60)
        2.5
    """
    if len(text) > MAX_NUMBER_TEXT or not _DECIMAL.fullmatch(text):
        raise ValueError(f"{name} must be > {above:g}{unit} and at most {high:g}, written in "
                         f"digits 0-9 with an optional decimal point, got {text!r}")
    value = float(text)
    if value <= above:
        raise ValueError(f"{name} must be > {above:g}{unit}, got {text}")
    if value > high:
        raise ValueError(f"{name} must be at most {high:g}{unit}, got {text}")
    return value


def timeout_seconds(text: str, name: str = "--timeout") -> float:
    """A run's timeout as typed: seconds, more than 0 and at most :data:`MAX_TIMEOUT`."""
    return decimal_number(name, text, high=MAX_TIMEOUT, unit=" seconds")


def check_timeout(timeout: object, name: str = "timeout") -> float:
    """``timeout`` if it is a finite number of seconds > 0 and at most :data:`MAX_TIMEOUT`.

    For the API, which takes a number rather than text.

    Raises:
        ValueError: naming ``name``, the bounds and what was given.
    """
    if (not isinstance(timeout, bool) and isinstance(timeout, int | float)
            and math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT):
        return float(timeout)
    raise ValueError(f"{name} must be a number of seconds greater than 0 and at most "
                     f"{MAX_TIMEOUT:g}, got {timeout!r}")


def json_depth(text: str, *, limit: int = MAX_JSON_DEPTH) -> int:
    """How deep the brackets of the JSON text ``text`` nest, counting no further than one
    past ``limit`` (strings are skipped; the text need not be valid JSON)."""
    depth = deepest = 0
    for bracket in _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text)):
        depth = depth + 1 if bracket in "[{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
        if deepest > limit:
            break
    return deepest


def check_json(text: str, name: str, *, max_text: int = MAX_JSON_TEXT,
               max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse JSON text longer than ``max_text`` characters or nested deeper than
    ``max_depth``, before ``json.loads`` spends memory or recursion on it.

    Raises:
        ValueError: one line naming ``name`` and the limit.
    """
    if len(text) > max_text:
        raise ValueError(f"{name} is {len(text)} characters long, over the limit of {max_text}")
    if json_depth(text, limit=max_depth) > max_depth:
        raise ValueError(f"{name} nests deeper than the limit of {max_depth} levels")


def loads(text: str, name: str, *, max_text: int = MAX_JSON_TEXT,
          max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads(text)`` for text no longer than ``max_text`` characters, nested no
    deeper than ``max_depth``.

    Raises:
        ValueError: too long or too deep (one line naming ``name``), or not JSON (what
            ``json.loads`` raises).
    """
    check_json(text, name, max_text=max_text, max_depth=max_depth)
    return json.loads(text)
