"""Deterministic schedules (issue 5, in progress): the model of the primitives' state."""

from __future__ import annotations

from .model import Deadlock as Deadlock
from .model import Op as Op
from .model import World as World
