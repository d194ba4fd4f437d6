"""The runtime every scenario stands on: backend, probe, runner, results."""

from __future__ import annotations

from .backend import START_METHODS as START_METHODS
from .backend import Backend as Backend
from .backend import default_start_method as default_start_method
from .invariants import clean_exit as clean_exit
from .probe import Jitter as Jitter
from .probe import Mode as Mode
from .probe import Probe as Probe
from .probe import Quiet as Quiet
from .probe import Schedule as Schedule
from .probe import Scheduled as Scheduled
from .probe import shaking as shaking
from .result import Event as Event
from .result import Result as Result
from .result import Violation as Violation
from .result import WorkerOutcome as WorkerOutcome
from .runner import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from .runner import Kill as Kill
from .runner import Run as Run
from .story import story as story
