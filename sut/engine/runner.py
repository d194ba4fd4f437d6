"""Start workers, bound every wait, and turn whatever happened into a Result.

A :class:`Run` is a context manager around one execution of a scenario::

    with Run(backend, "ticket", "locked", params, mode=Jitter(0.05)) as run:
        lock = backend.Lock()
        for i in range(3):
            run.spawn(f"buyer {i}", buy, lock)
        run.wait()
        result = run.result().with_final({"count": ...})

Every wait is bounded by one deadline for the whole run: ``timeout`` seconds
after the last worker started running its code. Start-up does not count - on
a loaded machine a spawned interpreter may take seconds to get going, and a
worker that has not started has not hung - up to START_LIMIT, after which a
worker still starting is hung too. A worker that raises is a ``crashed``
outcome with its traceback, one still alive at the deadline is a ``hung``
outcome with the last point it reached - never a stuck or failed test.
Leaving the block terminates, then kills, any straggler, reaps every child,
closes the backend's queues and pipes and removes the run's files, so a run
leaves nothing behind whatever happened inside it.

With ``mode=Schedule(schedule)`` the run has a coordinator
(:mod:`sut.engine.coordinator`): each worker gets a pipe to it, the
backend's primitives are declared in its model, and waiting for workers means
letting the coordinator take steps. A deadlock then ends the wait at once,
and the stuck workers are ``deadlocked`` outcomes that say what they wait
for. A worker the kernel shows blocked outside any gate is a ``blocked``
outcome - an error of the scenario (:attr:`Result.scenario_error`); the
deadline remains, for code that runs on outside any gate. What a worker is
handed that shares state the backend did not make (a ``multiprocessing``
Lock of its own, say), and what ``unseen`` declares, the Result says in
``unseen``: an exploration then compares no states.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
import weakref
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sut.engine import counting, gate, lifetime, strict, words
from sut.engine.backend import Backend, unseen_sharing
from sut.engine.model import Kind, Op, World
from sut.engine.probe import Mode, Probe, Quiet, Schedule, read_log
from sut.engine.reads import watch_opens
from sut.engine.result import (
    HARNESS_EXIT,
    DeclarationError,
    Event,
    HarnessFailure,
    Result,
    Status,
    WorkerOutcome,
)
from sut.engine.stall import StallWatch

if TYPE_CHECKING:  # imported where a run is scheduled: workers import this module too
    from sut.engine.coordinator import Coordinator, Shared, Step

# How long a run may take before its live workers count as hung. Runs here take
# well under a second; a hang is the only thing that reaches this.
DEFAULT_TIMEOUT = 10.0
# How long workers may take to start (they have not hung while they start):
# a spawned interpreter on a loaded machine takes seconds; one that takes
# this long is stuck.
START_LIMIT = 30.0
# How often a wait for a worker looks again whether the deadline moved.
_LOOK_AGAIN = 0.25
# A worker starting up for less than this is not looked at in /proc: so young a
# start-up is no stall yet (the stall watch wants its settle period anyway), and a
# look costs system calls at every step taken meanwhile.
_YOUNG_START = 0.1
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


def _worker_main(target: Callable[..., object], probe: Probe, args: tuple[Any, ...],
                 runner: int) -> None:
    """Tie its life to the ``runner``'s, say it has started, run ``target``, and record
    a crash as an event instead of printing it."""
    lifetime.bind_to_runner(runner)
    try:
        _started_marker(probe.log_path).touch()
    except OSError:
        os._exit(HARNESS_EXIT)  # the runner raises HarnessFailure for the whole run
    if probe.gate is not None:
        gate.install(probe)  # the primitives of this process now ask the coordinator
    if probe.noting:
        watch_opens(probe.log_path.parent, probe.opened)
    try:
        probe.begin()  # in schedule mode, its own code runs when the coordinator says so
        target(probe, *args)
    except SystemExit:
        raise  # an exit code is the worker's own answer, not a crash
    except HarnessFailure:
        # One line for the whole run, from the runner: a full disk has no room for
        # a crash event, and many workers would say the same at once.
        os._exit(HARNESS_EXIT)
    except BaseException as exc:
        try:
            probe.record("crash", error=f"{type(exc).__name__}: {exc}",
                         traceback=traceback.format_exc())
        except HarnessFailure:
            os._exit(HARNESS_EXIT)
        raise SystemExit(1) from None
    finally:
        if probe.gate is not None:
            probe.leave()  # the coordinator need not wait for the interpreter's teardown


def _check_module_level(worker: str, target: Callable[..., object]) -> None:
    """Refuse a function ``target`` that a spawned process could not find by its name (a
    lambda, a function defined inside another); other callables pickle as they pickle."""
    if not inspect.isfunction(target):
        return
    module = sys.modules.get(getattr(target, "__module__", None) or "")
    found: Any = module
    for part in getattr(target, "__qualname__", "").split("."):
        found = getattr(found, part, None)
    if found is not target:
        raise DeclarationError(
            f"worker {worker!r} runs {getattr(target, '__qualname__', repr(target))}, which is "
            f"not a function defined at the top level of a module: a process started by spawn "
            f"or forkserver finds its code by that name")


def _started_marker(log_path: Path) -> Path:
    """The file a worker creates once it runs its own code (not an event: the events
    are the program's)."""
    return log_path.with_suffix(".started")


@dataclass
class _Worker:
    name: str
    process: BaseProcess
    log_path: Path
    hung: bool = False
    start_error: str | None = None
    started_at: float | None = None  # when the runner first saw it had started
    spawned_at: float = 0.0  # when the runner started it
    stuck_starting: bool = False  # blocked before its code ran: hung, not slow
    # What it was handed, kept for as long as the run: ``Process.start`` lets go of
    # its arguments, and a named semaphore whose last owner here is collected is
    # unlinked - before a worker started by spawn has opened it.
    handed: tuple[Any, ...] = ()

    def starting(self, now: float, watch: StallWatch) -> bool:
        """Whether it is still starting up (and note when it is seen to have started).

        A worker is starting while it runs the interpreter's start-up (imports,
        unpickling): not once it ran its own code, not once it died, and not
        while the kernel shows it blocked - waiting for another process before
        its code even began is a hang, however early.
        """
        if self.started_at is not None or self.start_error is not None or self.stuck_starting:
            return False
        if _started_marker(self.log_path).exists():
            self.started_at = now
            return False
        if not self.process.is_alive():
            return False  # dead before it started: not starting any more
        if now - self.spawned_at < _YOUNG_START:
            return True
        if self.process.pid is not None and watch.blocked(self.process.pid, now) is not None:
            self.stuck_starting = True
            return False
        return True


class Run:
    """One bounded execution of a scenario; see the module docstring."""

    def __init__(self, backend: Backend, scenario: str, variant: str, params: dict[str, Any], *,
                 mode: Mode | None = None, seed: int = 0, timeout: float = DEFAULT_TIMEOUT,
                 kill: Kill | None = None, unseen: str = "") -> None:
        strict.check_timeout(timeout)
        lifetime.pay_owed_stop()
        self.backend = backend
        self.scenario = scenario
        self.variant = variant
        self.params = params
        self.mode: Mode = mode if mode is not None else Quiet()
        self.seed = seed
        self.timeout = timeout
        self.kill = kill
        # What the processes share that schedule mode cannot see: declared (``unseen``),
        # or found in what a worker is handed.
        self.unseen = [unseen] if unseen else []
        # Run files whose matches of a pattern are the run's pids (see pids_in).
        self._pid_fields: dict[str, re.Pattern[bytes]] = {}
        # Each worker declared interchangeable: its set, and what the set's first runs.
        self._alike: dict[str, tuple[str, ...]] = {}
        self._alike_code: dict[tuple[str, ...], tuple[Callable[..., object], tuple[Any, ...]]] = {}
        try:
            lifetime.sweep_once()
            # The folder goes with the run, however it ends: closed, or - if a stop
            # came before a `with` could hold it - when the run is collected, or at the
            # latest as this process exits. Held, a stop cannot come in between.
            with lifetime.signals_held():
                self.workdir = Path(tempfile.mkdtemp(prefix=lifetime.folder_prefix(scenario),
                                                     dir=lifetime.runs_folder()))
                self._remove_folder = weakref.finalize(self, shutil.rmtree, str(self.workdir),
                                                       ignore_errors=True)
        except OSError as exc:
            raise HarnessFailure(f"no folder for the run: {exc.strerror or exc}") from None
        self._began = time.monotonic()
        self._expired = False  # set when waiting longer can change nothing
        self._workers: list[_Worker] = []
        self._start_watch = StallWatch()  # tells a worker slow to start from a stuck one
        self._hang_watch = StallWatch()  # tells when every worker is stuck (see _all_stuck)
        self._participants: dict[str, Probe] = {}
        self._closed = False
        self._past_count: counting.PastCount | None = None  # stopped, counting processes
        self._coordinator: Coordinator | None = None
        if isinstance(self.mode, Schedule):
            try:
                self._coordinate(self.mode)
            except BaseException:
                self._remove_folder()  # no `with` to close it
                raise

    @property
    def scheduled(self) -> bool:
        """Whether a schedule decides this run's interleaving (else the OS does, shaken by
        jitter)."""
        return isinstance(self.mode, Schedule)

    def _coordinate(self, mode: Schedule) -> None:
        from sut.engine.coordinator import Coordinator

        world = World()
        self.backend.schedule_into(world)
        self._coordinator = Coordinator(world, mode.schedule, relative=mode.relative,
                                        shared=self._shared, folder=self.workdir)
        gate.install(self)

    def pids_in(self, name: str, pattern: str) -> None:
        """Declare that in the run's file ``name`` every match of ``pattern`` is the pid of
        one of the run's processes, written there to name it (the tutorial's workers
        print theirs).

        The processes of another run have other pids, so such a file would make every
        state after a write new to an exploration. Declared, a match that is the pid of
        a process of the run is fingerprinted as that process's name, and runs meet
        again. Only what ``pattern`` matches is renamed: the scenario promises that
        the program treats those numbers as names - it prints and compares them, and
        computes nothing from their values.
        """
        self._pid_fields[name] = re.compile(pattern.encode())

    def interchangeable(self, *names: str) -> None:
        """Declare the workers ``names``, to be spawned, interchangeable: they run the same
        function on equal arguments, and nothing in the run - their code, main's, the
        others' - tells them apart but by their names.

        An exploration then takes a state and the state with their names swapped for
        one (:mod:`sut.engine.alike`), which is sound only if the invariants judge a
        run and the run with the names swapped alike too. Where a name of theirs shows
        in what a process records or reads, in a file or in shared memory, the run
        takes its states as they are. Fewer than two names declare nothing.
        DeclarationError for a name given twice, or spawned or declared already;
        ``spawn`` raises it for a worker of the set that runs another function or on
        other arguments than the first.
        """
        if len(set(names)) < len(names):
            raise DeclarationError(f"interchangeable takes each name once: got {names!r}")
        for name in names:
            if name in self._alike or any(worker.name == name for worker in self._workers):
                raise DeclarationError(f"{name!r} is spawned or declared interchangeable "
                                       f"already: declare a set before spawning any of it")
        # The worker a kill names is not like the others.
        alike = tuple(name for name in names if self.kill is None or self.kill.worker != name)
        self._alike.update((name, alike) for name in alike)
        if self._coordinator is not None and len(alike) > 1:
            self._coordinator.interchangeable(alike)

    def _check_alike(self, name: str, target: Callable[..., object], args: tuple[Any, ...]) -> None:
        """A worker declared interchangeable runs what the first of its set runs."""
        members = self._alike.get(name)
        if members is None:
            return
        first = self._alike_code.setdefault(members, (target, args))
        try:
            same = first[0] is target and first[1] == args
        except Exception:  # an argument that cannot say whether it equals another
            same = False
        if not same:
            others = words.names([member for member in members if member != name])
            raise DeclarationError(
                f"{name} was declared interchangeable with {others} but runs another "
                f"function than the first of them, or on other arguments")

    def _shared(self) -> Shared:
        """What the processes share outside the model, as it is now: the run's files (not
        its own logs) and the backend's shared memory. Part of the state."""
        files = []
        # Read at every decision of an exploration: plain os calls, no pathlib.
        with os.scandir(self.workdir) as entries:
            for entry in entries:
                if not entry.name.startswith("events-") and entry.is_file():
                    with open(entry.path, "rb") as file:
                        files.append((entry.name, self._named(entry.name, file.read())))
        return tuple(sorted(files)), self.backend.shared_memory()

    def _named(self, name: str, content: bytes) -> bytes:
        """``content`` of the run's file ``name``, each declared pid of a process of the
        run written as the process's name (see pids_in)."""
        pattern = self._pid_fields.get(name)
        if pattern is None:
            return content
        pids = [(str(os.getpid()).encode(), b"main")] + [
            (str(worker.process.pid).encode(), worker.name.encode())
            for worker in self._workers if worker.process.pid is not None]
        # A pid the kernel gave twice in the run names no one: it is left as it is.
        given = Counter(pid for pid, _ in pids)
        names = {pid: name for pid, name in pids if given[pid] == 1}
        return pattern.sub(lambda match: names.get(match.group(), match.group()), content)

    def step(self, kind: Kind, target: str = "", *, timed: gate.Timed = None,
             detail: str = "", real: gate.Check | None = None) -> gate.Granted:
        """The gate of the test process in schedule mode: its operations wait for
        the workers' steps until they can happen (see ``Coordinator.parent_step``)."""
        from sut.engine.coordinator import MAIN

        assert self._coordinator is not None
        lifetime.pay_owed_stop()
        return self._coordinator.parent_step(Op(MAIN, kind, target), timed, detail, real,
                                             self._deadline)

    def catch_up(self) -> None:
        """Main's gate: the workers it started run their own code up to their first
        gate before main records anything (see ``Coordinator.begin``). One late to
        get there is found late again by the next wait."""
        if self._coordinator is not None and self._coordinator.starting_up:
            self._coordinator.begin(self._deadline)  # main records often: mostly no one

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def _deadline(self) -> float:
        """``timeout`` after the last worker started; while one is still starting, at
        least ``timeout`` from now - but never past START_LIMIT from the beginning."""
        now = time.monotonic()
        if self._expired:
            return now
        deadline = self._began + self.timeout
        for worker in self._workers:
            if worker.starting(now, self._start_watch):
                deadline = max(deadline, now + self.timeout)
            elif worker.started_at is not None:
                deadline = max(deadline, worker.started_at + self.timeout)
        return min(deadline, self._began + max(self.timeout, START_LIMIT))

    def remaining(self) -> gate.Outlasting:
        """Seconds left before the run's deadline (never negative) - or, while a worker is
        still starting, before the latest the deadline can move to: a wait given up
        cannot always be waited for again (a barrier breaks), and a worker starting up
        has not hung. A timeout of the harness: in schedule mode it fires only when
        nothing else can happen."""
        now = time.monotonic()
        deadline = self._deadline
        if not self._expired and any(worker.starting(now, self._start_watch)
                                     for worker in self._workers):
            deadline = self._began + max(self.timeout, START_LIMIT)
        return gate.harness_deadline(max(0.0, deadline - now))

    def patience(self) -> gate.Outlasting:
        """How long a worker may wait for the harness (at a start barrier, for main): long
        enough for every other worker to start up and then for the run's timeout. The
        run itself stops whoever is still waiting at its deadline."""
        return gate.harness_deadline(START_LIMIT + self.timeout)

    def spawn(self, name: str, target: Callable[..., object], *args: Any) -> None:
        """Start a worker running ``target(probe, *args)``; ``target`` must be a module-level
        function (else DeclarationError, under every start method: what runs under fork
        must not break under spawn). Inside :func:`~sut.engine.counting.counting_to`,
        a worker past the count is not started: PastCount."""
        lifetime.pay_owed_stop()
        self._check_new_name(name, target)
        self._check_alike(name, target, args)
        self._check_start(name)
        log_path = self.workdir / f"events-{len(self._workers)}.jsonl"
        kill_at = None
        if self.kill is not None and self.kill.worker in (None, name):
            kill_at = self.kill.at
        ours, theirs = self.backend.context.Pipe() if self._coordinator else (None, None)
        if self._coordinator is not None:
            self.unseen += unseen_sharing(name, args)
        probe = Probe(name, log_path, self.mode, seed=self.seed, kill_at=kill_at,
                      kill_token=self.workdir / "kill-token", gate=theirs,
                      noting=self._coordinator is not None and self._coordinator.fingerprints)
        process = self.backend.Process(_worker_main, (target, probe, args, os.getpid()),
                                       name=name)
        worker = _Worker(name, process, log_path, handed=args, spawned_at=time.monotonic())
        self._workers.append(worker)
        try:
            self.backend.ready_to_start()
            # Held, the signals reach neither this process until it returns nor the
            # worker until it has left this process's group (lifetime.bind_to_runner).
            with lifetime.signals_held():
                self.backend.start(process)
        except OSError as exc:  # no process or descriptor to be had: not the program's fault
            raise HarnessFailure(f"{name} could not be started: {exc.strerror or exc}") from None
        except Exception as exc:
            # E.g. an argument spawn cannot pickle: the program's failure, so an outcome.
            worker.start_error = f"could not start: {type(exc).__name__}: {exc}"
        if self._coordinator is not None and ours is not None and theirs is not None:
            theirs.close()  # the worker's copy is its own; ours ends when it ends
            if worker.start_error is None:
                self.backend.hand_over(name, args)
                self._coordinator.add(name, ours, process.pid)
                # The one started before it runs its own code now, alone up to
                # its first gate; this one starts up meanwhile (its start-up is
                # nobody else's business) and runs its code at main's next step.
                self._coordinator.begin(self._deadline, but_newest=True)
            else:
                ours.close()
                self._coordinator.add(name, None)

    def _check_new_name(self, name: str, target: Callable[..., object] | None = None) -> None:
        if target is not None:
            _check_module_level(name, target)
        if name in self._participants or any(worker.name == name for worker in self._workers):
            raise ValueError(f"a worker called {name!r} already exists in this run")

    def _check_start(self, name: str) -> None:
        """Refuse to start worker ``name`` past the count (PastCount, see :mod:`.counting`)
        or past the run's start-up limit (HarnessFailure)."""
        try:
            counting.check(len(self._workers))
        except counting.PastCount as past:
            self._past_count = past  # a program that swallows it gets no Result either
            raise
        if time.monotonic() - self._began > max(self.timeout, START_LIMIT):
            raise HarnessFailure(
                f"the run had started {len(self._workers)} workers when its start-up limit "
                f"of {max(self.timeout, START_LIMIT):g} s ran out: {name} and any after it "
                f"were not started")

    def started(self, name: str) -> bool:
        """Whether the worker ``name`` was started (spawn may fail to pickle its arguments)."""
        return any(worker.name == name and worker.start_error is None for worker in self._workers)

    def probe(self, name: str) -> Probe:
        """A probe for code the calling process runs itself, e.g. ``main``.

        Its events join the workers' in the Result. The caller must bound its
        own blocking calls, with :meth:`remaining` as the timeout.
        """
        self._check_new_name(name)
        probe = Probe(name, self.workdir / f"events-{name}.jsonl", self.mode, seed=self.seed)
        self._participants[name] = probe
        return probe

    def wait(self, names: Iterable[str] | None = None) -> bool:
        """Wait, until the deadline at most, for the named workers (default: all) to end.

        Returns whether all of them ended. Those still alive will be reported
        as hung by :meth:`result`.
        """
        lifetime.pay_owed_stop()
        wanted = set(names) if names is not None else None
        if self._coordinator is not None:
            self._drive(wanted)
        finished = True
        for worker in self._workers:
            if (wanted is not None and worker.name not in wanted) or worker.start_error:
                continue
            if self._coordinator is not None and not self._coordinator.finished(worker.name):
                # Stopped at a gate, or hung outside one: not over, and waiting
                # longer changes nothing. (Main may still let it go on later.)
                worker.hung = True
                finished = False
                continue
            # Joined until the deadline - which moves on while a worker is
            # starting, so it is asked again, often enough to see a starting
            # worker block (then it stops moving).
            while worker.process.is_alive() and (left := self._deadline - time.monotonic()) > 0:
                worker.process.join(min(left, _LOOK_AGAIN))
                lifetime.pay_owed_stop()
                if worker.process.is_alive() and self._all_stuck():
                    self._expired = True  # waiting longer can change nothing
                    break
            worker.hung = worker.process.is_alive()
            finished = finished and not worker.hung
        return finished

    def _all_stuck(self) -> bool:
        """Whether every live worker is blocked for good, while main waits for them: then
        nothing the run's processes do can end a wait any more, and it is hung now,
        not at its deadline (a failing property's shrinking runs many such runs).

        Every thread of every process of each worker's group must be blocked with no
        timeout and no progress over the stall watch's settle period, no worker may
        still be starting, and no queue of main's may still be feeding its pipe.
        """
        now = time.monotonic()
        live = [worker for worker in self._workers
                if worker.start_error is None and worker.process.is_alive()]
        if any(worker.starting(now, self._start_watch) for worker in live):
            return False
        if self.backend.feeding():
            return False
        return self._hang_watch.groups_blocked([worker.process.pid for worker in live
                                                if worker.process.pid is not None], now)

    def _drive(self, wanted: set[str] | None) -> None:
        """Let the coordinator take steps until the wanted workers end or cannot."""
        coordinator = self._coordinator
        assert coordinator is not None
        workers = [worker for worker in self._workers if worker.start_error is None
                   and (wanted is None or worker.name in wanted)]
        state = coordinator.drive(lambda: all(coordinator.finished(worker.name)
                                              for worker in workers), self._deadline)
        if state in ("late", "wrong"):
            self._expired = True  # someone hangs outside a gate, or the model is wrong

    def result(self) -> Result:
        """Wait for every worker, stop the hung ones, and gather the Result (the state
        the program left behind is the scenario's to add: :meth:`Result.with_final`)."""
        if self._past_count is not None:
            raise self._past_count
        self.wait()
        self._stop_stragglers()
        failed = [worker.name for worker in self._workers
                  if worker.process.exitcode == HARNESS_EXIT]
        if failed:
            raise HarnessFailure(
                f"{', '.join(failed)} could not write to the run's folder {self.workdir.name} "
                f"(exit code {HARNESS_EXIT}; {self._free_space()} free there)")
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
        schedule, deadlock = None, None
        steps: tuple[Step, ...] = ()
        assumed: tuple[str, ...] = ()
        if self._coordinator is not None:
            schedule = self._coordinator.schedule_taken()
            steps = tuple(self._coordinator.steps)
            assumed = tuple(sorted(self._coordinator.assumed))
            if self._coordinator.deadlock is not None and any(
                    outcome.status == "deadlocked" for outcome in outcomes):
                deadlock = self._coordinator.deadlock.describe()
        return Result(scenario=self.scenario, variant=self.variant, params=dict(self.params),
                      start_method=self.backend.start_method, seed=self.seed,
                      events=tuple(events), workers=tuple(outcomes), final={},
                      schedule=schedule, steps=steps, deadlock=deadlock,
                      unseen="; ".join(self.unseen), assumed=assumed,
                      disagreement=self._coordinator.disagreement
                      if self._coordinator is not None else None)

    def _free_space(self) -> str:
        try:
            return f"{shutil.disk_usage(self.workdir).free // 1024} KiB"
        except OSError:
            return "unknown space"

    def _outcome(self, worker: _Worker, events: list[Event]) -> WorkerOutcome:
        points = [event.label for event in events if event.label not in ("crash", "killed")]
        last_point = points[-1] if points else None
        exitcode = worker.process.exitcode
        crash = next((event for event in events if event.label == "crash"), None)
        status: Status
        waiting_for = blocked = None
        if self._coordinator is not None and worker.hung:
            waiting_for = self._coordinator.waiting().get(worker.name)
            blocked = self._coordinator.blocked.get(worker.name)
        if worker.start_error is not None:
            status = "crashed"
        elif blocked is not None:
            status, waiting_for = "blocked", blocked
        elif waiting_for is not None:
            status = "deadlocked"
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
            waiting_for=waiting_for,
        )

    def _stop_stragglers(self) -> None:
        """Stop every worker still alive (SIGTERM, then SIGKILL after a grace), and then
        whatever each started that outlived it: its process group."""
        alive = [worker.process for worker in self._workers if worker.process.is_alive()]
        for process in alive:
            process.terminate()
        for process in alive:
            process.join(_TERMINATE_GRACE)
            if process.is_alive():
                process.kill()
                process.join()
        for worker in self._workers:
            if worker.process.pid is not None:
                lifetime.stop_group(worker.process.pid)

    def close(self) -> None:
        """Stop and reap every worker, close the backend, remove the run's files."""
        if self._closed:
            return
        self._closed = True
        with lifetime.signals_held():  # a second Ctrl-C must not leave workers behind
            self._close()

    def _close(self) -> None:
        try:
            self._stop_stragglers()
            for worker in self._workers:
                worker.process.close()  # releases its sentinel fd; reaps it if need be
                worker.handed = ()  # what only the run kept alive goes (a queue: its pipe)
            self._alike_code.clear()  # the same: what the first of each alike set was handed
            for probe in self._participants.values():
                probe.close()
            if self._coordinator is not None:
                gate.install(None)
                self._coordinator.close()
            self.backend.close()
        finally:
            self._remove_folder()
