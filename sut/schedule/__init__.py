"""Schedule mode: the interleaving of a run, chosen by the test.

The model of the primitives (:mod:`.model`), the gates the primitives ask
(:mod:`.gate`, :mod:`.primitives`), the coordinator that lets one process go
at a time (:mod:`.coordinator`), exhaustive exploration (:mod:`.explore`) and
the search for a minimal schedule (:mod:`.search`, which needs Hypothesis and
is imported on its own).

Only the model is imported here: a worker imports this package with its
scenario, and under spawn every worker pays for every import; the
coordinator and the exploration run in the test process and are imported
from their own modules.
"""

from __future__ import annotations

from .model import Deadlock as Deadlock
from .model import Op as Op
from .model import World as World
