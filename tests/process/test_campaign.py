"""``python -m tests.campaign``: its junit parsing, verdicts, hogs, runs and bad arguments.

Nothing here runs the real suite: the parts are tested on handmade XML, data
and tiny processes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from tests import campaign


def _state(pid: int) -> str | None:
    """A process's state letter (Z: a zombie), None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2]


# --- processes ---------------------------------------------------------------------------------

def test_cpu_hogs_are_started_and_all_reaped_after_the_block() -> None:
    with campaign.cpu_hogs(1) as hogs:
        assert len(hogs) == 1
        assert hogs[0].poll() is None
    assert hogs[0].returncode is not None  # reaped: the leak guard checks there is no zombie


def test_cpu_hogs_are_reaped_when_the_block_raises() -> None:
    with pytest.raises(KeyboardInterrupt), campaign.cpu_hogs(1) as hogs:
        raise KeyboardInterrupt
    assert hogs[0].returncode is not None


def test_a_hog_that_ignores_sigterm_is_killed_after_the_grace_time(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    code = ("import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "pathlib.Path(sys.argv[1]).touch(); time.sleep(30)")
    stubborn = campaign.start_run([sys.executable, "-c", code, str(ready)], tmp_path / "log")
    try:
        deadline = time.monotonic() + 10
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        campaign.stop_hogs([stubborn], grace=0.2)
    assert stubborn.returncode == -9


def test_run_command_reports_the_exit_code_and_writes_the_log(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    exit_code, seconds, timed_out = campaign.run_command(
        [sys.executable, "-c", "print('hello'); raise SystemExit(3)"], log, timeout=30)
    assert (exit_code, timed_out) == (3, False)
    assert 0 < seconds < 30
    assert log.read_text() == "hello\n"
    assert campaign.log_tail(log) == ["hello"]


def test_a_run_past_its_deadline_is_killed_with_its_whole_process_group(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    code = ("import subprocess, sys, time; "
            "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); "
            "print(child.pid, flush=True); time.sleep(30)")
    process = campaign.start_run([sys.executable, "-c", code], log)
    try:
        deadline = time.monotonic() + 10
        while not log.read_text() and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        ended = campaign.finish_run(process, deadline=time.monotonic())
    assert not ended
    assert process.returncode == -9
    grandchild = int(log.read_text())
    deadline = time.monotonic() + 5
    while _state(grandchild) not in (None, "Z") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _state(grandchild) in (None, "Z")  # its new parent may be slow to reap it
