"""Assertions on a scenario's Params (``sut.Checked``): each bad value refused, by name."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest


def assert_refused(params: Callable[..., object], **bad: tuple[object, str]) -> None:
    """For each ``field=(value, message)``: ``params(field=value)``, every other field
    left at its default, raises a ValueError that says ``message``."""
    for field, (value, message) in bad.items():
        with pytest.raises(ValueError, match=re.escape(message)):
            params(**{field: value})
