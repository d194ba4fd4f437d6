"""The adversarial campaign: what a user types or does to a command, and what it leaves.

Each case runs ``python -m sut ...`` in a process session of its own, with a
temporary folder of its own, does to it what the case says (a signal at a
moment, input on stdin), and then looks at what is left: processes of that
session, files in that folder, and new POSIX semaphores or shared memory in
/dev/shm. Expected: the exit code the case names, within its time, and nothing
left::

    python -m tests.adversarial [--only NAME,...] [--start-method fork]

prints a table (case, expected, observed, leftovers) and exits 1 if any case
went otherwise. ``tests/process/test_adversarial.py`` runs the same cases in
the gate's tier (all but the /dev/shm check, which a parallel test run would
confuse with its own).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sut.engine.stall import stat_fields

# After a command ended, how long what it started gets to be gone (the kernel
# delivers a parent-death signal at once; a group killed needs a moment).
SETTLE = 1.0
SHM = Path("/dev/shm")
# When the explore cases interrupt: from before the first run starts to well into
# the exploration (counted, as every case's moment, from when the command is ready).
MOMENTS = (0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 1.0, 1.3, 1.6, 2.0)


@dataclass(frozen=True)
class Case:
    """A command, what is done to it, and what must come of it."""

    name: str
    argv: tuple[str, ...]
    exit_codes: tuple[int, ...]  # any of these
    within: float  # seconds, from the start to the end of the command
    signal_at: float | None = None  # when to send ``signum``, counted from ready
    signum: int = signal.SIGTERM
    stdin: str | None = None  # a file to read from (e.g. /dev/zero)
    stdout: str | None = None  # a file to write to (e.g. /dev/full)
    then: tuple[str, ...] | None = None  # a command run after, in the same folder
    fifo: bool = False  # make a FIFO called ``fifo`` in the case's folder first
    group: bool = False  # signal the whole process group, as a terminal's Ctrl-C does


@dataclass
class Observed:
    exit_code: int | None  # None: it did not end within twice its time
    seconds: float
    processes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    shm: list[str] = field(default_factory=list)
    stderr: str = ""

    def leftovers(self, *, shm: bool = True) -> list[str]:
        return [*self.processes, *self.files, *(self.shm if shm else [])]


def _ticket(*extra: str) -> tuple[str, ...]:
    return ("run", "ticket", "--variant", "locked", "buyers=2", "jitter=0.5", "readers=1",
            *extra)


def cases(start_method: str) -> list[Case]:
    method = ("--start-method", start_method)
    sigterm, sighup, sigint = 128 + signal.SIGTERM, 128 + signal.SIGHUP, 128 + signal.SIGINT
    return [
        Case("run: SIGTERM", _ticket(*method), (sigterm,), 10, 2.0),
        Case("run: SIGHUP", _ticket(*method), (sighup,), 10, 2.0, signal.SIGHUP),
        Case("run: SIGINT", _ticket(*method), (sigint,), 10, 2.0, signal.SIGINT),
        Case("run killed at a point: SIGTERM",
             ("run", "ticket", "--variant", "locked", "kill_at=read", "readers=1",
              "jitter=0.5", *method), (sigterm,), 10, 1.0),
        Case("run hanging (bakery no-sentinel): SIGTERM",
             ("run", "bakery", "--variant", "no-sentinel", *method), (sigterm, 1), 10, 0.5),
        Case("run hanging (pipe leaked-end): SIGTERM",
             ("run", "pipe", "--variant", "leaked-end", *method), (sigterm, 1), 10, 0.5),
        Case("stress: SIGTERM",
             ("stress", "ticket", "--variant", "locked", "buyers=2", "--runs", "1000",
              *method), (sigterm,), 10, 2.0),
        *(Case(f"explore: SIGINT at {at:.2f} s",
               ("explore", "ticket", "--variant", "locked", "buyers=2", "readers=1",
                "--jobs", "2", *method),
               (sigint,), 10, at, signal.SIGINT) for at in MOMENTS),
        Case("demo: Ctrl-C from a terminal (the whole group)", ("demo", "ticket", *method),
             (sigint,), 10, 1.5, signal.SIGINT, group=True),
        Case("run: SIGKILL then the next run sweeps its folder", _ticket(*method),
             (-signal.SIGKILL,), 10, 2.0, signal.SIGKILL,
             then=("run", "ticket", "--variant", "locked", "buyers=1", "jitter=0", *method)),
        Case("chat serve: SIGHUP", ("chat", "serve", "--port", "0"), (0,), 10, 1.0,
             signal.SIGHUP),
        Case("--timeout inf", ("run", "ticket", "--variant", "locked", "--timeout", "inf"),
             (2,), 5),
        Case("--db /dev/zero", ("run", "ticket", "--variant", "locked", "--db", "/dev/zero"),
             (2,), 5),
        Case("--db a FIFO", ("run", "ticket", "--variant", "locked", "--db", "fifo"), (2,), 5,
             fifo=True),
        Case("buyers=100000", ("run", "ticket", "--variant", "locked", "buyers=100000",
                               "jitter=0", "--timeout", "5"), (2,), 5),
        Case("cycles=1000000000", ("run", "traffic", "--variant", "event",
                                   "cycles=1000000000", "--timeout", "3"), (2,), 5),
        Case("list > /dev/full", ("list",), (2,), 5, stdout="/dev/full"),
        Case("chat client < /dev/zero", ("chat", "client", "--port", "9"), (1, 2), 5,
             stdin="/dev/zero"),
        Case("chat serve --log a FIFO", ("chat", "serve", "--port", "0", "--log", "fifo"),
             (2,), 5, fifo=True),
    ]


def run_case(case: Case) -> Observed:
    """Run ``case`` in a session and a folder of its own; what came of it."""
    folder = Path(tempfile.mkdtemp(prefix="adversarial-"))
    shm_before = _shm()
    if case.fifo:
        os.mkfifo(folder / "fifo")
    env = {**os.environ, "TMPDIR": str(folder / "tmp")}
    (folder / "tmp").mkdir()
    began = time.monotonic()
    with open(case.stdin or os.devnull, "rb") as stdin, \
            open(case.stdout or os.devnull, "wb") as stdout:
        command = subprocess.Popen([sys.executable, "-m", "sut", *case.argv], cwd=folder,
                                   env=env, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE,
                                   start_new_session=True)
        stderr = _finish(command, case)
    observed = Observed(command.returncode, time.monotonic() - began, stderr=stderr)
    if observed.exit_code is not None and case.then is not None:
        subprocess.run([sys.executable, "-m", "sut", *case.then], cwd=folder, env=env,
                       capture_output=True, timeout=60, check=False)
    observed.processes = _left_in_session(command.pid)
    observed.files = [str(path.relative_to(folder / "tmp"))
                      for path in (folder / "tmp").iterdir()]
    observed.shm = sorted(_shm() - shm_before)
    for pid in _session(command.pid):  # leave nothing behind, whatever the verdict
        os.kill(pid, signal.SIGKILL)
    subprocess.run(["rm", "-rf", str(folder)], check=False)
    return observed


def _finish(command: subprocess.Popen[bytes], case: Case) -> str:
    """Signal ``command`` as the case says, wait for it (twice its time at most), and
    return its stderr."""
    try:
        if case.signal_at is not None:
            _wait_until_ready(command, case.within)
            try:
                command.wait(case.signal_at)
            except subprocess.TimeoutExpired:
                if case.group:
                    os.killpg(command.pid, case.signum)
                else:
                    command.send_signal(case.signum)
        _, err = command.communicate(timeout=2 * case.within)
    except subprocess.TimeoutExpired:
        command.kill()
        _, err = command.communicate()
        command.returncode = None
    return err.decode(errors="replace")


def _wait_until_ready(command: subprocess.Popen[bytes], limit: float) -> None:
    """Wait (``limit`` seconds at most) until ``command`` catches SIGTERM, which is
    the first thing the command line does. A signal sent earlier meets an
    interpreter still loading (slow on a loaded machine) and ends it as Python
    itself does, before any of the command's code could answer for it."""
    deadline = time.monotonic() + limit
    while command.poll() is None and time.monotonic() < deadline:
        if _catches(command.pid, signal.SIGTERM):
            return
        time.sleep(0.01)


def _catches(pid: int, signum: int) -> bool:
    """Whether process ``pid`` has a handler for ``signum`` (its SigCgt mask)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    for line in status.splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


def _session(session: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = stat_fields(entry / "stat")
            if fields is not None and fields[3] == session and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _left_in_session(session: int) -> list[str]:
    """The processes of the session still there once SETTLE has passed."""
    deadline = time.monotonic() + SETTLE
    while (left := _session(session)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [f"pid {pid}: {_command(pid)}" for pid in left]


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:80]
    except OSError:
        return "?"


def _shm() -> set[str]:
    return {path.name for path in SHM.iterdir()} if SHM.is_dir() else set()


def verdict(case: Case, observed: Observed, *, shm: bool = True) -> str | None:
    """What went otherwise than the case expects, or None."""
    if observed.exit_code is None:
        return f"did not end within {2 * case.within:g} s"
    if observed.exit_code not in case.exit_codes:
        return f"exit code {observed.exit_code}, expected {case.exit_codes}"
    if observed.seconds > case.within:
        return f"took {observed.seconds:.1f} s, more than {case.within:g} s"
    if "Traceback" in observed.stderr:
        return "printed a traceback"
    if observed.leftovers(shm=shm):
        return f"left {', '.join(observed.leftovers(shm=shm))}"
    return None


def table(chosen: list[Case], say: Callable[[str], None]) -> bool:
    """Run every case, print its row; whether all went as expected."""
    say("| case | expected | observed | leftovers |")
    say("|---|---|---|---|")
    good = True
    for case in chosen:
        observed = run_case(case)
        wrong = verdict(case, observed)
        good = good and wrong is None
        expected = f"exit {' or '.join(map(str, case.exit_codes))} within {case.within:g} s"
        seen = (f"exit {observed.exit_code} in {observed.seconds:.1f} s"
                if observed.exit_code is not None else "still running")
        left = ", ".join(observed.leftovers()) or "none"
        say(f"| {case.name} | {expected} | {seen}{'' if wrong is None else ' - ' + wrong} "
            f"| {left} |")
    return good


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="case names, comma-separated (default: every one)")
    parser.add_argument("--start-method", default="fork")
    args = parser.parse_args(argv)
    chosen = cases(args.start_method)
    if args.only:
        wanted = args.only.split(",")
        chosen = [case for case in chosen if case.name in wanted]
    return 0 if table(chosen, lambda line: print(line, flush=True)) else 1


if __name__ == "__main__":
    sys.exit(main())
