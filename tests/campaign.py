"""Flakiness campaign: the whole suite, run again and again, quietly and beside CPU hogs.

The project's target is zero flaky results in 20 runs (docs/DESIGN.md, "Testing rules").
This command runs ``pytest`` in a subprocess again and again, alternating runs
on a quiet machine with runs beside busy-loop processes that compete for the
CPU, reads each run's junit XML and reports every test that failed in one run
and passed in another (flaky), every test that failed in every run it ran in
(failing) and every run that gave no usable result (timed out, crashed, no
XML). Progress goes to stderr and the Markdown report to stdout. Exit status:
0 if all is clean, 1 if not, 2 for a bad command line, 130 after Ctrl-C (143
after SIGTERM), with what was gathered so far reported.

    python -m tests.campaign                  # 10 quiet and 10 loaded runs
    python -m tests.campaign --runs 2 --loaded-runs 2 --hogs 4 --json summary.json
    python -m tests.campaign -- tests/process/test_ticket.py -x   # after --: for pytest
    tox -e campaign
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, Literal, NoReturn
from xml.etree import ElementTree

PROG = "campaign"
DEFAULT_RUNS = 10
DEFAULT_LOADED_RUNS = 10
DEFAULT_PROFILE = "ci"
DEFAULT_RUN_TIMEOUT = 900.0
# How much of a failed run's log to show: pytest's summary of what failed fits.
LOG_TAIL_LINES = 30
HOG_CODE = "while True: pass"
# Seconds a hog gets to exit on SIGTERM before it is killed.
HOG_GRACE = 5.0
# How often a run is checked for its end: the delay it adds is noise next to a run.
POLL_SECONDS = 0.1
REPO_ROOT = Path(__file__).resolve().parent.parent

Kind = Literal["quiet", "loaded"]
TestStatus = Literal["passed", "failed", "error", "skipped"]

# A test id seen twice in one report (pytest records a teardown error after a
# failure as a second test case) keeps its worst outcome.
_SEVERITY: dict[TestStatus, int] = {"skipped": 0, "passed": 1, "error": 2, "failed": 3}
_PYTEST_EXITS = {2: "interrupted", 3: "internal error", 4: "usage error",
                 5: "no tests collected"}


# --- junit XML and the verdicts: plain functions of text and data -------------------------------

def parse_junit(text: str) -> dict[str, TestStatus]:
    """Per test id ``classname::name``, its outcome in one junit XML report.

    Raises ``ElementTree.ParseError`` on text that is not XML and ``ValueError``
    on XML that is not a junit report.
    """
    root = ElementTree.fromstring(text)
    if root.tag not in ("testsuites", "testsuite"):
        raise ValueError(f"not a junit report: root element <{root.tag}>")
    outcomes: dict[str, TestStatus] = {}
    for case in root.iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome = _outcome(case)
        previous = outcomes.get(test_id)
        if previous is None or _SEVERITY[outcome] > _SEVERITY[previous]:
            outcomes[test_id] = outcome
    return outcomes


def _outcome(case: ElementTree.Element) -> TestStatus:
    if case.find("failure") is not None:
        return "failed"
    if case.find("error") is not None:
        return "error"
    if case.find("skipped") is not None:
        return "skipped"
    return "passed"


def read_junit(path: Path) -> dict[str, TestStatus] | None:
    """The outcomes in the junit XML at ``path``; None if it is missing or unreadable."""
    try:
        return parse_junit(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ElementTree.ParseError, ValueError):
        return None


@dataclass(frozen=True)
class Tally:
    """One test over the campaign."""

    failures: int  # runs in which it failed or errored
    runs: int  # runs in which it ran: passed, failed or errored (a skip is not a run)


def tally(reports: Iterable[Mapping[str, TestStatus]]) -> dict[str, Tally]:
    """Per test id, in how many of the reports it failed and in how many it ran."""
    failures: dict[str, int] = {}
    runs: dict[str, int] = {}
    for outcomes in reports:
        for test_id, outcome in outcomes.items():
            if outcome != "skipped":
                runs[test_id] = runs.get(test_id, 0) + 1
                failures[test_id] = failures.get(test_id, 0) + (outcome != "passed")
    return {test_id: Tally(failures[test_id], runs[test_id]) for test_id in sorted(runs)}


def flaky(tallies: Mapping[str, Tally]) -> dict[str, Tally]:
    """The tests that failed or errored in at least one run and passed in another.

    Named in the report, never retried or discounted: one flaky test makes the
    campaign fail (exit 1, see ``clean``), as the never-flaky rule asks.
    """
    return {test_id: t for test_id, t in tallies.items() if 0 < t.failures < t.runs}


def failing(tallies: Mapping[str, Tally]) -> dict[str, Tally]:
    """The tests that failed or errored in every run they ran in."""
    return {test_id: t for test_id, t in tallies.items() if 0 < t.failures == t.runs}


def run_failure(exit_code: int, timed_out: bool,
                outcomes: Mapping[str, TestStatus] | None) -> str | None:
    """Why a run gave no usable result, or None if it did (failing tests are a usable result)."""
    if timed_out:
        return "timed out"
    if outcomes is None:
        return "no readable junit XML"
    if exit_code < 0:
        return f"killed by signal {-exit_code}"
    if exit_code not in (0, 1):
        return _PYTEST_EXITS.get(exit_code, "unexpected exit code")
    failed = any(outcome in ("failed", "error") for outcome in outcomes.values())
    if exit_code == 1 and not failed:
        return "failed without a failing test"
    if exit_code == 0 and failed:
        return "passed despite failing tests"
    return None


def plan(quiet: int, loaded: int) -> list[Kind]:
    """The kinds of the runs in order: alternating, quiet first, then whatever kind is left.

    Alternating spreads any drift of the machine over both kinds alike.
    """
    kinds: list[Kind] = []
    for index in range(max(quiet, loaded)):
        if index < quiet:
            kinds.append("quiet")
        if index < loaded:
            kinds.append("loaded")
    return kinds


def closing_line(flaky: int, failing: int, failed_runs: int, quiet: int, loaded: int,
                 hogs: int) -> str:
    """The report's last line, the campaign in one sentence."""
    runs = quiet + loaded
    return (f"flaky results: {flaky} in {runs} run{'' if runs == 1 else 's'} ({quiet} quiet, "
            f"{loaded} beside {_hogs(hogs)}); failing tests: {failing}; failed runs: {failed_runs}")


def _hogs(count: int) -> str:
    return f"{count} CPU hog" if count == 1 else f"{count} CPU hogs"


# --- runs -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    """One run of the suite, finished."""

    index: int  # from 1
    kind: Kind
    hogs: int  # 0 in a quiet run
    seconds: float
    exit_code: int
    timed_out: bool
    outcomes: dict[str, TestStatus] | None  # None: no readable junit XML
    log: Path

    def count(self, *wanted: TestStatus) -> int:
        return sum(outcome in wanted for outcome in (self.outcomes or {}).values())

    @property
    def passed(self) -> int:
        return self.count("passed")

    @property
    def failed(self) -> int:
        """Failures and errors."""
        return self.count("failed", "error")

    @property
    def failure(self) -> str | None:
        """Why this run gave no usable result (see ``run_failure``)."""
        return run_failure(self.exit_code, self.timed_out, self.outcomes)

    @property
    def label(self) -> str:
        """``loaded, 2 hogs`` or ``quiet``."""
        if self.kind == "quiet":
            return "quiet"
        return f"loaded, {self.hogs} hog" + ("" if self.hogs == 1 else "s")

    @property
    def exit(self) -> str:
        """The exit code, and why the run failed if it did: ``-9 (timed out)``."""
        return f"{self.exit_code}" + (f" ({self.failure})" if self.failure else "")


def start_run(command: Sequence[str], log: Path,
              env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start ``command`` in the repository root, output to ``log``, in a session of its own.

    Its own session makes it the leader of a process group that holds pytest,
    its xdist workers and the processes the tests start, so that one signal
    to the group ends them all; and Ctrl-C at the terminal reaches only this
    command, which ends the run itself.
    """
    with log.open("wb") as output:
        return subprocess.Popen(list(command), cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=output, stderr=subprocess.STDOUT, start_new_session=True)


def finish_run(process: subprocess.Popen[bytes], deadline: float) -> bool:
    """Wait for a run until ``deadline`` (time.monotonic); True if it ended by itself.

    Whatever happens - the end, the deadline, Ctrl-C - its whole process group
    is then killed (a finished pytest may leave stragglers behind) and the
    process reaped.
    """
    try:
        return _wait_unreaped(process.pid, deadline)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_unreaped(pid: int, deadline: float) -> bool:
    # WNOWAIT leaves an ended leader a zombie: while it is one, its pid - the
    # group's id - cannot be reused, so killing the group cannot hit a stranger.
    while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True


def run_command(command: Sequence[str], log: Path, timeout: float,
                env: Mapping[str, str] | None = None) -> tuple[int, float, bool]:
    """Run ``command`` (see ``start_run``): its exit code, wall time and whether it timed out."""
    began = time.monotonic()
    process = start_run(command, log, env)
    timed_out = not finish_run(process, began + timeout)
    return process.returncode, time.monotonic() - began, timed_out


def pytest_command(junit: Path, pytest_args: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            f"--junitxml={junit}", *pytest_args]


def start_hog() -> subprocess.Popen[bytes]:
    """One process that keeps a CPU busy until it is stopped.

    In a session of its own so that Ctrl-C at the terminal does not make
    every hog print a traceback: this command stops them itself.
    """
    return subprocess.Popen([sys.executable, "-c", HOG_CODE], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def stop_hogs(hogs: Iterable[subprocess.Popen[bytes]], grace: float = HOG_GRACE) -> None:
    """Terminate the hogs, kill those still running after ``grace`` seconds, reap them all."""
    hogs = list(hogs)
    for hog in hogs:
        hog.terminate()
    deadline = time.monotonic() + grace
    for hog in hogs:
        try:
            hog.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            hog.kill()
            hog.wait()


@contextmanager
def cpu_hogs(count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` hogs for the duration of the block, stopped and reaped however it ends."""
    hogs: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(count):
            hogs.append(start_hog())
        yield hogs
    finally:
        stop_hogs(hogs)


# --- the command ------------------------------------------------------------------------------

class UsageError(Exception):
    """A bad command line: reported in one line, exit status 2."""


class Terminated(BaseException):
    """SIGTERM, raised where the command is so that every cleanup (the hogs') runs."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse would print the usage as well; a bad argument takes one line here.
        raise UsageError(message)


@dataclass(frozen=True)
class Settings:
    runs: int
    loaded_runs: int
    hogs: int
    profile: str
    run_timeout: float
    json: Path | None
    pytest_args: list[str]


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:  # NaN too
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def parse_arguments(argv: Sequence[str]) -> Settings:
    """The settings of a command line; raises ``UsageError`` on a bad one."""
    argv = list(argv)
    # Everything after the first `--` is pytest's, whatever it looks like.
    ours, pytest_args = ((argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv
                         else (argv, []))
    parser = _Parser(prog=PROG, description=__doc__.splitlines()[0],
                     usage=f"python -m tests.{PROG} [options] [-- pytest arguments]")
    parser.add_argument("--runs", type=_count, default=DEFAULT_RUNS, metavar="N",
                        help="runs of the suite on a quiet machine (default: %(default)s)")
    parser.add_argument("--loaded-runs", type=_count, default=DEFAULT_LOADED_RUNS, metavar="M",
                        help="runs of the suite beside CPU hogs (default: %(default)s)")
    parser.add_argument("--hogs", type=_count, default=None, metavar="K",
                        help="busy-loop processes during a loaded run (default: one per CPU, "
                             f"{os.cpu_count() or 1} here)")
    parser.add_argument("--profile", default=DEFAULT_PROFILE, metavar="NAME",
                        help="the Hypothesis profile, passed as HYPOTHESIS_PROFILE "
                             "(default: %(default)s)")
    parser.add_argument("--run-timeout", type=_seconds, default=DEFAULT_RUN_TIMEOUT,
                        metavar="SECONDS", help="a run still going after this long is killed "
                                                "and counts as failed (default: %(default)s)")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH",
                        help="also write a JSON summary to PATH")
    args = parser.parse_args(ours)
    hogs: int = (os.cpu_count() or 1) if args.hogs is None else args.hogs
    if args.runs == 0 and args.loaded_runs == 0:
        parser.error("--runs and --loaded-runs are both 0: nothing to run")
    if hogs == 0 and args.loaded_runs > 0:
        parser.error("--hogs 0: a loaded run needs at least one hog (or use --loaded-runs 0)")
    if args.json is not None and not args.json.parent.is_dir():
        parser.error(f"--json: folder {args.json.parent} does not exist")
    if args.json is not None and args.json.is_dir():
        parser.error(f"--json: {args.json} is a folder")
    return Settings(runs=args.runs, loaded_runs=args.loaded_runs, hogs=hogs,
                    profile=args.profile, run_timeout=args.run_timeout, json=args.json,
                    pytest_args=pytest_args)


def run_suite(index: int, kind: Kind, hogs: int, settings: Settings, folder: Path) -> Run:
    """One run of the suite, beside ``hogs`` hogs, its files in ``folder``."""
    junit, log = folder / f"run-{index}.xml", folder / f"run-{index}.log"
    env = {**os.environ, "HYPOTHESIS_PROFILE": settings.profile}
    with cpu_hogs(hogs):
        exit_code, seconds, timed_out = run_command(
            pytest_command(junit, settings.pytest_args), log, settings.run_timeout, env)
    return Run(index=index, kind=kind, hogs=hogs, seconds=seconds, exit_code=exit_code,
               timed_out=timed_out, outcomes=None if timed_out else read_junit(junit), log=log)


def campaign(settings: Settings, folder: Path, done: list[Run]) -> None:
    """Run the planned runs, each appended to ``done`` as it ends, so an interrupt keeps them."""
    kinds = plan(settings.runs, settings.loaded_runs)
    for index, kind in enumerate(kinds, 1):
        run = run_suite(index, kind, settings.hogs if kind == "loaded" else 0, settings, folder)
        done.append(run)
        print(progress_line(run, len(kinds)), file=sys.stderr, flush=True)


def progress_line(run: Run, total: int) -> str:
    """``run 3/20 (loaded, 2 hogs): 52.1 s, 464 passed, 0 failed, exit 0``."""
    return (f"run {run.index}/{total} ({run.label}): {run.seconds:.1f} s, {run.passed} passed, "
            f"{run.failed} failed, exit {run.exit}")


def machine() -> str:
    # Not platform.platform(): it may run ``uname -p`` in a subprocess.
    return (f"{platform.system()} {platform.release()} {platform.machine()}, "
            f"Python {platform.python_version()}, {os.cpu_count()} CPUs")


def report(runs: Sequence[Run], settings: Settings, planned: int) -> str:
    """The campaign in Markdown, from the runs done (``planned`` of them were meant)."""
    tallies = tally(run.outcomes for run in runs if run.outcomes is not None)
    lines = ["# Flakiness campaign", "", f"- machine: {machine()}",
             f"- Hypothesis profile: {settings.profile}",
             f"- pytest arguments: {' '.join(settings.pytest_args) or '(none)'}", ""]
    if len(runs) < planned:
        lines += [f"**Interrupted** after {len(runs)} of {planned} runs: "
                  "what follows is of those.", ""]
    lines += ["| # | kind | seconds | passed | failed+errors | exit code |",
              "|---:|---|---:|---:|---:|---|"]
    lines += [f"| {run.index} | {run.label} | {run.seconds:.1f} | {run.passed} | {run.failed} "
              f"| {run.exit} |" for run in runs]
    lines += ["", "| kind | runs | min s | median s | max s |", "|---|---:|---:|---:|---:|"]
    for kind in ("quiet", "loaded"):
        seconds = [run.seconds for run in runs if run.kind == kind]
        if seconds:
            lines.append(f"| {kind} | {len(seconds)} | {min(seconds):.1f} | "
                         f"{statistics.median(seconds):.1f} | {max(seconds):.1f} |")
    lines += ["", *_tests_section("Flaky tests", flaky(tallies)),
              "", *_tests_section("Failing tests", failing(tallies)), ""]
    lines.append(closing_line(len(flaky(tallies)), len(failing(tallies)),
                              sum(run.failure is not None for run in runs),
                              sum(run.kind == "quiet" for run in runs),
                              sum(run.kind == "loaded" for run in runs), settings.hogs))
    return "\n".join(lines)


def _tests_section(title: str, tests: Mapping[str, Tally]) -> list[str]:
    if not tests:
        return [f"## {title}", "", "none"]
    return [f"## {title}", "", "| test | failures/runs |", "|---|---:|",
            *(f"| {_cell(test_id)} | {t.failures}/{t.runs} |" for test_id, t in tests.items())]


def _cell(text: str) -> str:
    # A parametrized id may hold a `|`, which would split the Markdown cell.
    return text.replace("|", "\\|")


def summary(runs: Sequence[Run], settings: Settings, planned: int) -> dict[str, Any]:
    """The campaign as JSON-ready data."""
    tallies = tally(run.outcomes for run in runs if run.outcomes is not None)
    found_flaky, found_failing = flaky(tallies), failing(tallies)
    return {
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpus": os.cpu_count()},
        "profile": settings.profile,
        "pytest_args": settings.pytest_args,
        "hogs": settings.hogs,
        "planned_runs": planned,
        "interrupted": len(runs) < planned,
        "runs": [{"index": run.index, "kind": run.kind, "hogs": run.hogs,
                  "seconds": round(run.seconds, 3), "exit_code": run.exit_code,
                  "passed": run.passed, "failed": run.count("failed"),
                  "errors": run.count("error"), "skipped": run.count("skipped"),
                  "failure": run.failure} for run in runs],
        "flaky": {test_id: {"failures": t.failures, "runs": t.runs}
                  for test_id, t in found_flaky.items()},
        "failing": {test_id: {"failures": t.failures, "runs": t.runs}
                    for test_id, t in found_failing.items()},
        "failed_runs": sum(run.failure is not None for run in runs),
        "clean": clean(runs),
    }


def clean(runs: Sequence[Run]) -> bool:
    """No flaky test, no failing test, no failed run."""
    tallies = tally(run.outcomes for run in runs if run.outcomes is not None)
    return not (flaky(tallies) or failing(tallies) or any(run.failure for run in runs))


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> list[str]:
    try:
        with path.open(encoding="utf-8", errors="replace") as log:
            return [line.rstrip("\n") for line in deque(log, maxlen=lines)]
    except OSError as error:
        return [f"(no log: {error})"]


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    def raise_terminated(signum: int, frame: FrameType | None) -> NoReturn:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the campaign the command line asks for; the exit status."""
    try:
        settings = parse_arguments(sys.argv[1:] if argv is None else argv)
    except UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else 0
    planned = settings.runs + settings.loaded_runs
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix=f"{PROG}-") as folder:
        try:
            with _sigterm_raises():
                campaign(settings, Path(folder), runs)
            status = 0 if clean(runs) else 1
        except KeyboardInterrupt:
            status = 130
        except Terminated:
            status = 128 + signal.SIGTERM
        if status > 1:
            print(f"{PROG}: stopped after {len(runs)} of {planned} runs", file=sys.stderr)
        # The logs go with the temporary folder: show the end of the failed ones first.
        for run in runs:
            if run.exit_code != 0 or run.failure:
                print(f"--- run {run.index} ({run.label}), exit {run.exit}: last "
                      f"{LOG_TAIL_LINES} lines of its log ---", *log_tail(run.log),
                      sep="\n", file=sys.stderr)
    print(report(runs, settings, planned), flush=True)
    if settings.json is not None:
        try:
            settings.json.write_text(json.dumps(summary(runs, settings, planned), indent=2)
                                     + "\n", encoding="utf-8")
        except OSError as error:  # checked before the runs, but the disk may have changed since
            print(f"{PROG}: error: --json: {error}", file=sys.stderr)
            return status or 1
    return status


if __name__ == "__main__":
    sys.exit(main())
