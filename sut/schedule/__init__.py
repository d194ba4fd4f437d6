"""Schedule mode: the interleaving of a run, chosen by the test.

The model of the primitives (:mod:`.model`), the gates the primitives ask
(:mod:`.gate`, :mod:`.primitives`), the coordinator that lets one process go
at a time (:mod:`.coordinator`), exhaustive exploration (:mod:`.explore`) and
the search for a minimal schedule (:mod:`.search`, which needs Hypothesis and
is imported on its own).
"""

from __future__ import annotations

from .coordinator import Coordinator as Coordinator
from .coordinator import Step as Step
from .coordinator import format_schedule as format_schedule
from .coordinator import parse_schedule as parse_schedule
from .explore import Exploration as Exploration
from .explore import explore as explore
from .model import Deadlock as Deadlock
from .model import Op as Op
from .model import World as World
