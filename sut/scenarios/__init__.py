"""The built-in scenarios: the tutorial's programs, each with its variants and invariants."""

from __future__ import annotations

# The one list of scenario modules, in catalogue order: the catalogue imports
# them, and the forkserver preloads them (so its workers need not).
MODULES = (
    "sut.scenarios.ticket",
    "sut.scenarios.sqlite",
    "sut.scenarios.ktv",
    "sut.scenarios.printing",
    "sut.scenarios.event",
    "sut.scenarios.traffic",
    "sut.scenarios.queue",
    "sut.scenarios.bakery",
    "sut.scenarios.pipe",
    "sut.scenarios.chat",
)
