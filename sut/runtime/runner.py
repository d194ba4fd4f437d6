"""Start workers, bound every wait, and turn whatever happened into a Result.

A :class:`Run` is a context manager around one execution of a scenario::

    with Run(backend, "ticket", "locked", params, mode=Jitter(0.05)) as run:
        lock = backend.Lock()
        for i in range(3):
            run.spawn(f"buyer {i}", buy, lock)
        run.wait()
        result = run.result(final={"count": ...})

Every wait is bounded by one deadline for the whole run. A worker that raises
is a ``crashed`` outcome with its traceback, one still alive at the deadline is
a ``hung`` outcome with the last point it reached - never a stuck or failed
test. Leaving the block terminates, then kills, any straggler, reaps every
child, closes the backend's queues and pipes and removes the run's files, so a
run leaves nothing behind whatever happened inside it.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType
from typing import Any

from .backend import Backend
from .probe import Mode, Probe, Quiet, read_log
from .result import Event, Result, Status, WorkerOutcome

# How long a run may take before its live workers count as hung. Runs here take
# well under a second; a hang is the only thing that reaches this.
DEFAULT_TIMEOUT = 10.0
# After terminate (SIGTERM), how long a straggler gets before SIGKILL.
_TERMINATE_GRACE = 1.0


@dataclass(frozen=True)
class Kill:
    """Kill with SIGKILL the first worker to reach the point ``at``.

    ``worker`` limits it to the worker of that name. One worker dies at most:
    the first one there, whoever that is in this run's interleaving.
    """

    at: str
    worker: str | None = None


def _worker_main(target: Callable[..., object], probe: Probe, args: tuple[Any, ...]) -> None:
    """Run ``target`` and record a crash as an event instead of printing it."""
    try:
        target(probe, *args)
    except SystemExit:
        raise  # an exit code is the worker's own answer, not a crash
    except BaseException as exc:
        probe.record("crash", error=f"{type(exc).__name__}: {exc}",
                     traceback=traceback.format_exc())
        raise SystemExit(1) from None


@dataclass
class _Worker:
    name: str
    process: BaseProcess
    log_path: Path
    hung: bool = False
    start_error: str | None = None


class Run:
    """One bounded execution of a scenario; see the module docstring."""

    def __init__(self, backend: Backend, scenario: str, variant: str, params: dict[str, Any], *,
                 mode: Mode | None = None, seed: int = 0, timeout: float = DEFAULT_TIMEOUT,
                 kill: Kill | None = None) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        self.backend = backend
        self.scenario = scenario
        self.variant = variant
        self.params = params
        self.mode: Mode = mode if mode is not None else Quiet()
        self.seed = seed
        self.timeout = timeout
        self.kill = kill
        self.workdir = Path(tempfile.mkdtemp(prefix=f"sut-{scenario}-"))
        self._deadline = time.monotonic() + timeout
        self._workers: list[_Worker] = []
        self._participants: dict[str, Probe] = {}
        self._closed = False

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def remaining(self) -> float:
        """Seconds left before the run's deadline (never negative)."""
        return max(0.0, self._deadline - time.monotonic())

    def spawn(self, name: str, target: Callable[..., object], *args: Any) -> None:
        """Start a worker running ``target(probe, *args)``.

        ``target`` must be a module-level function (picklable under spawn).
        """
        if name in self._participants or any(worker.name == name for worker in self._workers):
            raise ValueError(f"a worker called {name!r} already exists in this run")
        log_path = self.workdir / f"events-{len(self._workers)}.jsonl"
        kill_at = None
        if self.kill is not None and self.kill.worker in (None, name):
            kill_at = self.kill.at
        probe = Probe(name, log_path, self.mode, seed=self.seed, kill_at=kill_at,
                      kill_token=self.workdir / "kill-token")
        process = self.backend.Process(_worker_main, (target, probe, args), name=name)
        worker = _Worker(name, process, log_path)
        self._workers.append(worker)
        try:
            self.backend.start(process)
        except Exception as exc:
            # E.g. an argument spawn cannot pickle: the program's failure, so an outcome.
            worker.start_error = f"could not start: {type(exc).__name__}: {exc}"

    def started(self, name: str) -> bool:
        """Whether the worker ``name`` was started (spawn may fail to pickle its arguments)."""
        return any(worker.name == name and worker.start_error is None for worker in self._workers)

    def probe(self, name: str) -> Probe:
        """A probe for code the calling process runs itself, e.g. ``main``.

        Its events join the workers' in the Result. The caller must bound its
        own blocking calls, with :meth:`remaining` as the timeout.
        """
        if name in self._participants or any(worker.name == name for worker in self._workers):
            raise ValueError(f"a worker called {name!r} already exists in this run")
        probe = Probe(name, self.workdir / f"events-{name}.jsonl", self.mode, seed=self.seed)
        self._participants[name] = probe
        return probe

    def wait(self, names: Iterable[str] | None = None) -> bool:
        """Wait, until the deadline at most, for the named workers (default: all) to end.

        Returns whether all of them ended. Those still alive will be reported
        as hung by :meth:`result`.
        """
        wanted = set(names) if names is not None else None
        finished = True
        for worker in self._workers:
            if (wanted is not None and worker.name not in wanted) or worker.start_error:
                continue
            worker.process.join(self.remaining())
            if worker.process.is_alive():
                worker.hung = True
                finished = False
        return finished

    def result(self, final: dict[str, Any] | None = None) -> Result:
        """Wait for every worker, stop the hung ones, and gather the Result."""
        self.wait()
        self._stop_stragglers()
        events: list[Event] = []
        outcomes = []
        for worker in self._workers:
            own = read_log(worker.name, worker.log_path)
            events += own
            outcomes.append(self._outcome(worker, own))
        for probe in self._participants.values():
            probe.close()
            events += read_log(probe.worker, probe.log_path)
        events.sort(key=lambda event: event.t_ns)
        return Result(scenario=self.scenario, variant=self.variant, params=dict(self.params),
                      start_method=self.backend.start_method, seed=self.seed,
                      events=tuple(events), workers=tuple(outcomes), final=dict(final or {}))

    def _outcome(self, worker: _Worker, events: list[Event]) -> WorkerOutcome:
        points = [event.label for event in events if event.label not in ("crash", "killed")]
        last_point = points[-1] if points else None
        exitcode = worker.process.exitcode
        crash = next((event for event in events if event.label == "crash"), None)
        status: Status
        if worker.start_error is not None:
            status = "crashed"
        elif worker.hung:
            status = "hung"
        elif crash is not None:
            status = "crashed"
        elif exitcode == 0:
            status = "ok"
        elif exitcode is not None and exitcode < 0:
            status = "killed"
        else:
            status = "failed"
        return WorkerOutcome(
            name=worker.name, status=status, exitcode=exitcode, last_point=last_point,
            error=worker.start_error or (crash.data.get("error") if crash else None),
            traceback=crash.data.get("traceback") if crash else None,
            injected=any(event.label == "killed" for event in events),
        )

    def _stop_stragglers(self) -> None:
        alive = [worker.process for worker in self._workers if worker.process.is_alive()]
        for process in alive:
            process.terminate()
        for process in alive:
            process.join(_TERMINATE_GRACE)
            if process.is_alive():
                process.kill()
                process.join()

    def close(self) -> None:
        """Stop and reap every worker, close the backend, remove the run's files."""
        if self._closed:
            return
        self._closed = True
        try:
            self._stop_stragglers()
            for worker in self._workers:
                worker.process.close()  # releases its sentinel fd; reaps it if need be
            for probe in self._participants.values():
                probe.close()
            self.backend.close()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)
