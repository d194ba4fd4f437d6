"""The stall detector, read from hand-made /proc contents: parsing, naming the wait,
and when a sample counts as blocked."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from sut.engine import stall
from sut.engine.stall import (
    CHILD,
    FILE_LOCK,
    FUTEX,
    POLL,
    READ,
    SETTLE,
    SLEEP,
    StallWatch,
    Wait,
    describe_blocked,
    parse_schedstat,
    parse_stat,
    parse_syscall,
    waits_in,
)

PID = 4242
# The main thread of a process blocked on a multiprocessing.Lock (x86_64, as read).
FUTEX_FOREVER = "202 0x7f1712c9a000 0x109 0x0 0x0 0x0 0xffffffff 0x7fff1ba2cb 0x7f17"
FUTEX_TIMED = "202 0x7f1712c9a000 0x109 0x0 0x7fff1ba2cc60 0x0 0xffffffff 0x7fff 0x7f17"
PIPE_READ = "0 0x3 0x7f1711cfc170 0x4 0x558043d20630 0x0 0x0 0x7fff1ba2cc 0x7f17"
CLOCK_NANOSLEEP = "230 0x1 0x1 0x7fff1ba2cce0 0x0 0x0 0x0 0x7fff1ba2ccc8 0x7f17"


def _stat(state: str = "S", utime: int = 3, stime: int = 1,
          command: str = "python3 (a) b") -> str:
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
    # utime stime ...: 52 fields in all.
    rest = ["100", "100", "100", "0", "-1", "4194304", "130", "0", "0", "0",
            str(utime), str(stime), *["0"] * 37]
    return f"{PID} ({command}) {state} {' '.join(rest)}\n"


def _proc(root: Path, *, state: str = "S", utime: int = 3, syscall: str = FUTEX_FOREVER,
          schedstat: str | None = "1500000 20000 7", wchan: str = "futex_do_wait") -> Path:
    """A /proc holding one process, PID, as given; returns the root, to write again."""
    folder = root / str(PID)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stat").write_text(_stat(state, utime))
    (folder / "syscall").write_text(syscall + "\n")
    (folder / "wchan").write_text(wchan)
    if schedstat is None:
        (folder / "schedstat").unlink(missing_ok=True)
    else:
        (folder / "schedstat").write_text(schedstat + "\n")
    return root


# --- parsing -----------------------------------------------------------------


def test_stat_gives_the_state_and_the_cpu_ticks_even_with_parentheses_in_the_command() -> None:
    assert parse_stat(_stat("S", utime=29, stime=4, command="a) R (b")) == ("S", 33)


@pytest.mark.parametrize("text", ["", "4242 (python3", "4242 (python3) S 1 2 3"])
def test_a_stat_cut_short_says_nothing(text: str) -> None:
    assert parse_stat(text) is None


def test_schedstat_gives_the_cpu_nanoseconds_and_the_runs() -> None:
    assert parse_schedstat("1500000 20000 7\n") == (1500000, 7)
    assert parse_schedstat("") is None


def test_syscall_gives_the_call_and_its_six_arguments() -> None:
    assert parse_syscall(FUTEX_FOREVER) == (202, (0x7f1712c9a000, 0x109, 0, 0, 0, 0xffffffff))


@pytest.mark.parametrize("text", ["running", "-1 0x7fff1ba2cb 0x7f17", "", "202 0x1 0x2"])
def test_a_thread_in_no_system_call_is_in_none(text: str) -> None:
    assert parse_syscall(text) is None


# --- what it waits in ----------------------------------------------------------


@pytest.mark.parametrize(("syscall", "wait"), [
    (FUTEX_FOREVER, Wait(FUTEX, ends_by_itself=False)),
    (FUTEX_TIMED, Wait(FUTEX, ends_by_itself=True)),  # Event.wait(5), Lock.acquire(timeout=5)
    (PIPE_READ, Wait(READ, ends_by_itself=False)),
    (CLOCK_NANOSLEEP, Wait(SLEEP, ends_by_itself=True)),  # time.sleep
    ("35 0x7ffd 0x0 0x0 0x0 0x0 0x0 0x1 0x2", Wait(SLEEP, ends_by_itself=True)),
    ("270 0x4 0x7fff 0x0 0x0 0x0 0x0 0x1 0x2", Wait(POLL, ends_by_itself=False)),
    ("270 0x4 0x7fff 0x0 0x0 0x7fff1ba20a50 0x0 0x1 0x2", Wait(POLL, ends_by_itself=True)),
    ("7 0x7fff 0x1 0xffffffff 0x0 0x0 0x0 0x1 0x2", Wait(POLL, ends_by_itself=False)),
    ("7 0x7fff 0x1 0x1388 0x0 0x0 0x0 0x1 0x2", Wait(POLL, ends_by_itself=True)),
    ("232 0x5 0x7fff 0x1 0xffffffffffffffff 0x0 0x0 0x1 0x2", Wait(POLL, ends_by_itself=False)),
    ("61 0x10e1 0x0 0x0 0x0 0x0 0x0 0x1 0x2", Wait(CHILD, ends_by_itself=False)),
    ("73 0x3 0x2 0x0 0x0 0x0 0x0 0x1 0x2", Wait(FILE_LOCK, ends_by_itself=False)),
])
def test_x86_64_numbers_name_the_wait_and_its_timeout(syscall: str, wait: Wait) -> None:
    assert waits_in(syscall, "", "x86_64") == wait


@pytest.mark.parametrize(("number", "what"), [
    (98, FUTEX), (63, READ), (73, POLL), (72, POLL), (101, SLEEP), (115, SLEEP), (260, CHILD),
])
def test_aarch64_has_numbers_of_its_own(number: int, what: str) -> None:
    wait = waits_in(f"{number} 0x1 0x80 0x0 0x0 0x0 0x0 0x1 0x2", "", "aarch64")
    assert wait is not None
    assert wait.waits_in == what


def test_a_call_it_does_not_know_is_no_wait_it_can_name() -> None:
    assert waits_in("39 0x0 0x0 0x0 0x0 0x0 0x0 0x1 0x2", "", "x86_64") is None  # getpid


@pytest.mark.parametrize(("wchan", "wait"), [
    ("futex_wait_queue_me", Wait(FUTEX, ends_by_itself=False)),  # kernels before 5.16
    ("futex_do_wait", Wait(FUTEX, ends_by_itself=False)),
    ("pipe_read", Wait(READ, ends_by_itself=False)),
    ("anon_pipe_read", Wait(READ, ends_by_itself=False)),
    ("do_wait", Wait(CHILD, ends_by_itself=False)),
    ("hrtimer_nanosleep", Wait(SLEEP, ends_by_itself=True)),
    ("do_sys_poll", None),  # poll or select, with or without a timeout: cannot tell
    ("0", None),
])
def test_elsewhere_the_kernel_function_names_the_wait(wchan: str, wait: Wait | None) -> None:
    assert waits_in(FUTEX_FOREVER, wchan, "") == wait


def test_elsewhere_a_futex_timeout_is_seen_all_the_same() -> None:
    assert waits_in(FUTEX_TIMED, "futex_wait_queue", "riscv64") == Wait(FUTEX, True)


def test_this_machine_is_one_whose_numbers_are_known_or_none() -> None:
    assert stall.machine() in ("", *stall.NUMBERS)


# --- when a process counts as blocked ------------------------------------------


def test_a_process_asleep_untouched_is_blocked_once_the_settle_period_is_over(
        tmp_path: Path) -> None:
    watch = StallWatch(proc=_proc(tmp_path), on="x86_64")
    assert watch.available
    assert watch.blocked(PID, 10.0) is None  # a first sample tells nothing yet
    assert watch.blocked(PID, 10.0 + SETTLE / 2) is None
    assert watch.blocked(PID, 10.0 + SETTLE) == FUTEX


@pytest.mark.parametrize("change", [{"utime": 4}, {"schedstat": "1500000 20000 8"},
                                    {"syscall": PIPE_READ}])
def test_any_progress_starts_the_settle_period_again(tmp_path: Path,
                                                     change: dict[str, Any]) -> None:
    watch = StallWatch(settle=0.3, proc=_proc(tmp_path), on="x86_64")
    assert watch.blocked(PID, 0.0) is None
    _proc(tmp_path, **change)
    assert watch.blocked(PID, 0.2) is None
    assert watch.blocked(PID, 0.4) is None
    assert watch.blocked(PID, 0.5) is not None


def test_without_schedstat_cpu_ticks_alone_tell_progress(tmp_path: Path) -> None:
    watch = StallWatch(settle=0.3, proc=_proc(tmp_path, schedstat=None), on="x86_64")
    assert watch.blocked(PID, 0.0) is None
    assert watch.blocked(PID, 0.3) == FUTEX


@pytest.mark.parametrize("process", [
    {"state": "R", "syscall": "running"},
    {"state": "S", "syscall": CLOCK_NANOSLEEP},  # time.sleep: ends by itself
    {"state": "S", "syscall": FUTEX_TIMED},  # a wait with a timeout: ends by itself
    {"state": "D", "syscall": PIPE_READ},  # the kernel at work for it
    {"state": "Z", "syscall": FUTEX_FOREVER},  # ended, not yet reaped
    {"state": "S", "syscall": "-1 0x7fff1ba2cb 0x7f17"},  # in the kernel, in no call
])
def test_a_process_that_is_not_waiting_for_ever_is_never_blocked(
        tmp_path: Path, process: dict[str, Any]) -> None:
    watch = StallWatch(settle=0.3, proc=_proc(tmp_path, **process), on="x86_64")
    assert [watch.blocked(PID, now) for now in (0.0, 0.3, 1.0, 5.0)] == [None] * 4


def test_a_process_it_cannot_read_is_never_blocked(tmp_path: Path) -> None:
    _proc(tmp_path)
    watch = StallWatch(settle=0.3, proc=tmp_path, on="x86_64")
    assert watch.blocked(PID + 1, 0.0) is None
    assert watch.blocked(PID + 1, 1.0) is None
    (tmp_path / str(PID) / "syscall").unlink()  # a kernel that keeps none, or not ours
    assert [watch.blocked(PID, now) for now in (0.0, 1.0)] == [None, None]


def test_a_process_gone_meanwhile_starts_afresh(tmp_path: Path) -> None:
    watch = StallWatch(settle=0.3, proc=_proc(tmp_path), on="x86_64")
    assert watch.blocked(PID, 0.0) is None
    (tmp_path / str(PID) / "stat").unlink()
    assert watch.blocked(PID, 0.2) is None
    _proc(tmp_path)  # the same pid again, a new process
    assert watch.blocked(PID, 0.4) is None
    assert watch.blocked(PID, 0.8) == FUTEX


def test_forget_starts_the_settle_period_again(tmp_path: Path) -> None:
    watch = StallWatch(settle=0.3, proc=_proc(tmp_path), on="x86_64")
    assert watch.blocked(PID, 0.0) is None
    watch.forget(PID)
    assert watch.blocked(PID, 0.3) is None
    assert watch.blocked(PID, 0.6) == FUTEX


def test_elsewhere_it_reads_the_kernel_function(tmp_path: Path) -> None:
    watch = StallWatch(settle=0.3, proc=_proc(tmp_path, wchan="pipe_read"), on="")
    assert watch.blocked(PID, 0.0) is None
    assert watch.blocked(PID, 0.3) == READ


def test_off_linux_it_cannot_tell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    watch = StallWatch(settle=0.3, proc=_proc(tmp_path), on="x86_64")
    assert not watch.available
    assert [watch.blocked(PID, now) for now in (0.0, 1.0)] == [None, None]


def test_without_proc_it_cannot_tell(tmp_path: Path) -> None:
    watch = StallWatch(settle=0.3, proc=tmp_path / "nowhere")
    assert not watch.available
    assert [watch.blocked(PID, now) for now in (0.0, 1.0)] == [None, None]


# --- how it is said ------------------------------------------------------------


def test_the_outcome_names_the_worker_where_it_stopped_and_the_likely_cause() -> None:
    assert describe_blocked("teller 0", "debited", FUTEX) == (
        "teller 0 is blocked outside the schedule after 'debited', in a futex (a lock, "
        "semaphore or condition): is it waiting on a primitive the Backend did not make?")


def test_a_worker_blocked_before_its_first_point_says_so() -> None:
    assert describe_blocked("buyer 1", None, READ) == (
        "buyer 1 is blocked outside the schedule before its first point, in a read (a pipe, "
        "socket or file): is it waiting on a primitive the Backend did not make?")
