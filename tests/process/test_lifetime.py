"""Nothing outlives its run, whatever its workers do; the harness's own failures are
errors of the run, never verdicts on the program."""

from __future__ import annotations

import gc
import multiprocessing.synchronize
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import sut
from sut import orphans
from sut.engine import Backend, Run, runner
from sut.engine.result import HARNESS_EXIT, HarnessFailure
from tests import workers
from tests.adversarial import _left_in_session


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while orphans.alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.mark.slow
def test_a_worker_deaf_to_sigterm_ends_within_the_timeout_and_the_grace(
        start_method: str) -> None:
    began = time.monotonic()
    with Run(Backend(start_method), "test", "deaf", {}, timeout=0.5) as run:
        run.spawn("deaf", workers.shrug_off_terminate)
        result = run.result()
    assert result.worker("deaf").status == "hung"
    # Start-up, the timeout, the terminate grace, then SIGKILL.
    assert time.monotonic() - began < 0.5 + runner._TERMINATE_GRACE + 3.0


@pytest.mark.slow
def test_what_a_worker_started_ends_with_the_run(start_method: str, tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild"
    with Run(Backend(start_method), "test", "forks", {}) as run:
        run.spawn("parent", workers.start_a_grandchild, str(pid_file))
        result = run.result()
    assert result.worker("parent").status == "ok"
    assert _gone(int(pid_file.read_text()), within=3.0)


@pytest.mark.slow
def test_a_run_whose_every_worker_is_stuck_is_hung_long_before_its_deadline(
        start_method: str) -> None:
    backend = Backend(start_method)
    began = time.monotonic()
    with Run(backend, "test", "stuck", {}, timeout=60) as run:
        queue = backend.Queue()
        run.spawn("a", workers.wait_for_ever, queue)
        run.spawn("b", workers.wait_for_ever, queue)
        result = run.result()
    assert [outcome.status for outcome in result.workers] == ["hung", "hung"]
    assert time.monotonic() - began < 10  # settle periods, not the 60 s deadline


@pytest.mark.slow
def test_a_run_with_a_worker_at_work_waits_for_its_deadline() -> None:
    # One worker stuck, the other asleep in a timed wait: that one may yet do
    # something, so the stuck one is not hung before the deadline.
    backend = Backend("fork")
    began = time.monotonic()
    with Run(backend, "test", "not stuck", {}, timeout=1.5) as run:
        run.spawn("stuck", workers.wait_for_ever, backend.Queue())
        run.spawn("sleeping", workers.hang)
        result = run.result()
    assert time.monotonic() - began >= 1.5
    assert result.worker("stuck").status == "hung"


def test_a_worker_that_cannot_write_its_log_is_an_error_of_the_run() -> None:
    with Run(Backend("fork"), "test", "full disk", {}) as run:
        run.spawn("writer", workers.lose_the_log)
        with pytest.raises(HarnessFailure, match=rf"^writer could not write to the run's "
                                                 rf"folder sut-test-\d+-\w+ \(exit code "
                                                 rf"{HARNESS_EXIT}; "):
            run.result()


def test_no_folder_for_the_run_is_an_error_of_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args: object, **kwargs: object) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tempfile.mkdtemp", full)
    with pytest.raises(HarnessFailure, match=r"^no folder for the run: No space left on device$"):
        Run(Backend("fork"), "test", "no folder", {})


def test_workers_are_not_started_once_the_start_up_limit_ran_out(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "START_LIMIT", 0.0)
    with Run(Backend("fork"), "test", "too many", {}, timeout=0.2) as run:
        run.spawn("a", workers.steps, 1)
        time.sleep(0.3)
        with pytest.raises(HarnessFailure, match=r"^the run had started 1 workers when its "
                                                 r"start-up limit of 0.2 s ran out: b and any "
                                                 r"after it"):
            run.spawn("b", workers.steps, 1)


_RUNNER = textwrap.dedent("""
    import sys, time
    from sut.engine import Backend, Run
    from tests import workers

    backend = Backend(sys.argv[1])
    with Run(backend, "test", "orphans", {}, timeout=60) as run:
        run.spawn("a", workers.wait_for_ever, backend.Queue())
        run.spawn("b", workers.hang)
        print("started", flush=True)
        time.sleep(60)
""")


@pytest.mark.slow
def test_a_runner_killed_with_sigkill_leaves_no_worker(start_method: str) -> None:
    runner_process = subprocess.Popen(
        [sys.executable, "-c", _RUNNER, start_method], stdout=subprocess.PIPE,
        cwd=Path(__file__).parents[2], start_new_session=True)
    try:
        assert runner_process.stdout is not None
        assert runner_process.stdout.readline() == b"started\n"
        runner_process.send_signal(signal.SIGKILL)
        runner_process.wait(10)
        # Only the workers' parent-death signal (or the fork server's end) stops them.
        assert _left_in_session(runner_process.pid) == []
    finally:
        runner_process.kill()
        runner_process.wait()
        runner_process.stdout.close()  # type: ignore[union-attr]


def test_no_process_to_be_had_is_an_error_of_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_process(self: Backend, process: object) -> None:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(Backend, "start", no_process)
    with Run(Backend("fork"), "test", "no process", {}) as run, \
            pytest.raises(HarnessFailure, match=r"^a could not be started: Resource "
                                                r"temporarily unavailable$"):
        run.spawn("a", workers.steps, 1)


def test_a_run_never_closed_leaves_no_folder_once_it_is_dropped() -> None:
    # A stop that comes between a run's making and the `with` that would close it.
    run = Run(Backend("fork"), "test", "dropped", {})
    folder = run.workdir
    assert folder.is_dir()
    del run
    assert not folder.exists()


def test_a_run_never_closed_leaves_no_folder_when_its_process_exits(tmp_path: Path) -> None:
    code = ("from sut.engine import Backend, Run\n"
            "run = Run(Backend('fork'), 'test', 'kept', {})\n"
            "print(run.workdir)")
    made = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True, env={**os.environ, "TMPDIR": str(tmp_path)})
    folder = Path(made.stdout.strip())
    assert folder.parent == tmp_path
    assert not folder.exists()


@pytest.mark.parametrize("scheduled", [True, False], ids=["scheduled", "unscheduled"])
def test_a_run_leaves_no_reference_cycle_behind(scheduled: bool) -> None:
    # Its semaphores then go with it. Left to the garbage collector, one could be
    # finalized inside multiprocessing's resource tracker, which it calls again: a
    # warning that it might leak, raised in a finalizer (pytest failed a test of
    # explorations on 16 of them under Python 3.12).
    bakery = sut.get("bakery")  # a queue fed in order, a barrier, a lock: the most to hold
    params = bakery.params(producers=1, consumers=1, buns=1)
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        bakery.evaluate(params, "joinable-queue", start_method="forkserver",
                        schedule=() if scheduled else None)
        gc.collect()
        left = [type(found).__qualname__ for found in gc.garbage
                if isinstance(found, multiprocessing.synchronize.SemLock)
                or type(found).__module__.startswith("sut.")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    assert left == []


_FIRST_START_BY_A_RUN = """
from sut.engine import Backend, Run
from tests import workers
backend = Backend("forkserver")
with Run(backend, "test", "held", {}) as run:  # its start starts the fork server
    run.spawn("a", workers.steps, 1)
    run.result()
ours, theirs = backend.context.Pipe()
process = backend.context.Process(target=workers.report_held_signals, args=(theirs,))
process.start()
theirs.close()
print(ours.recv())
process.join(60)
"""


def test_a_fork_server_a_run_starts_holds_no_signal_for_what_it_forks_later() -> None:
    # A fresh interpreter, so that the run starts the fork server. Started while the
    # run held its signals around a start, the server kept signals held in the
    # processes it forked after (the chat's own server held SIGINT, SIGTERM and SIGHUP,
    # and ignored its stop).
    made = subprocess.run([sys.executable, "-c", _FIRST_START_BY_A_RUN], capture_output=True,
                          text=True, timeout=120, check=True)
    assert made.stdout.strip() == "[]"
