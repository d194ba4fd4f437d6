"""The engine every scenario stands on - what a worker process imports: backend,
probe, runner, results, the model of the primitives and their gates."""

from __future__ import annotations

from sut.engine.backend import START_METHODS as START_METHODS
from sut.engine.backend import Backend as Backend
from sut.engine.backend import default_start_method as default_start_method
from sut.engine.gate import Outlasting as Outlasting
from sut.engine.gate import assume_long_enough as assume_long_enough
from sut.engine.gate import harness_deadline as harness_deadline
from sut.engine.invariants import clean_exit as clean_exit
from sut.engine.probe import Jitter as Jitter
from sut.engine.probe import Mode as Mode
from sut.engine.probe import Probe as Probe
from sut.engine.probe import Quiet as Quiet
from sut.engine.probe import Schedule as Schedule
from sut.engine.probe import ScheduleLike as ScheduleLike
from sut.engine.probe import shaking as shaking
from sut.engine.result import Event as Event
from sut.engine.result import Result as Result
from sut.engine.result import Violation as Violation
from sut.engine.result import WorkerOutcome as WorkerOutcome
from sut.engine.runner import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from sut.engine.runner import Kill as Kill
from sut.engine.runner import Run as Run
