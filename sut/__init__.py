"""Property-tested correctness suite for process synchronization.

The classic ``multiprocessing`` teaching programs - each with its correct
version and the broken ones people write - as scenarios that can be run,
checked against their invariants, and property-tested.
"""

from __future__ import annotations

from .registry import Scenario as Scenario
from .registry import Variant as Variant
from .registry import catalogue as catalogue
from .registry import get as get
from .runtime import Result as Result
from .runtime import Violation as Violation
