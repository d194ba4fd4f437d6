"""The runtime: outcomes of crashes, hangs and kills, bounded waits, no leftovers."""

from __future__ import annotations

import json
import multiprocessing
import pickle
import random
import re

import pytest

from sut.engine import Backend, Jitter, Probe, Quiet, Run, Schedule, runner
from sut.engine.params import describe_params, parse_params
from sut.engine.stall import StallWatch
from sut.scenarios import ticket

    # The leak guard fails this test if the sleeper survived.


def test_a_bad_start_method_or_timeout_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown start method 'threads'"):
        Backend("threads")
    for timeout in (0, -1, float("inf"), float("nan"), 2_147_484.0):
        with pytest.raises(ValueError, match="timeout must be a number of seconds greater "
                                             "than 0 and at most 3600"):
            Run(Backend("fork"), "test", "bad", {}, timeout=timeout)


def test_jitter_pauses_are_seeded_and_within_three_quarters_to_all_of_the_width() -> None:
    mode = Jitter(0.2)
    first = [mode.pause(random.Random("7/buyer 0")) for _ in range(50)]
    again = [mode.pause(random.Random("7/buyer 0")) for _ in range(50)]
    assert first == again
    assert all(0.15 <= pause <= 0.2 for pause in first)
    assert Quiet().pause(random.Random(0)) == 0.0
    with pytest.raises(ValueError, match="jitter width"):
        Jitter(-1)


def test_a_probe_survives_pickling_without_its_open_file(tmp_path) -> None:
    probe = Probe("w", tmp_path / "log", Quiet())
    probe.record("here")
    copy = pickle.loads(pickle.dumps(probe))
    assert copy._fd is None
    assert copy.worker == "w"
    probe.close()


@pytest.mark.parametrize("noting", [False, True])
def test_a_worker_tells_what_it_recorded_at_its_next_gate_only_to_a_fingerprinting_run(
        tmp_path, noting: bool) -> None:
    ours, theirs = multiprocessing.Pipe()
    probe = Probe("w", tmp_path / "log", Schedule(()), gate=theirs, noting=noting)
    probe.record("here", n=1)
    ours.send(("go", True))  # the answer, there before it is asked for
    probe.step("point", "p")
    kind, target, _, _, _, notes, _ = ours.recv()
    assert (kind, target) == ("point", "p")
    assert notes == ((json.dumps(["here", {"n": 1}], sort_keys=True),) if noting else ())
    probe.close()
    ours.close()
    theirs.close()


def test_params_parse_from_key_value_pairs_and_name_every_problem() -> None:
    params = parse_params(ticket.Params, ["buyers=2", "tickets=1", "jitter=0.1"])
    assert params == ticket.Params(buyers=2, tickets=1, jitter=0.1)
    assert describe_params(params) == "buyers=2 tickets=1 jitter=0.1 readers=0"
    for pairs, message in [
        (["buyers=0"], "buyers must be a whole number >= 1, got 0"),
        (["buyers=-3"], "buyers must be a whole number >= 1, got -3"),
        (["buyers=two"], "buyers must be a whole number, got 'two'"),
        (["jitter=fast"], "jitter must be a number, got 'fast'"),
        (["jitter=nan"], "jitter must be a number of seconds from 0 to 1.0, got nan"),
        (["colour=red"], "unknown parameter 'colour'"),
        (["buyers"], "parameters are KEY=VALUE, got 'buyers'"),
        (["buyers=1", "buyers=2"], "parameter 'buyers' given twice"),
        (["kill_at=nowhere"], "kill_at must be one of"),
    ]:
        with pytest.raises(ValueError, match=re.escape(message)):
            parse_params(ticket.Params, pairs)


def test_params_reject_wrong_types_in_the_api() -> None:
    with pytest.raises(ValueError, match="buyers must be a whole number >= 1, got True"):
        ticket.Params(buyers=True)
    with pytest.raises(ValueError, match=r"tickets must be a whole number >= 0, got 1\.5"):
        ticket.Params(tickets=1.5)  # type: ignore[arg-type]




class _Process:
    """A stand-in for a live process that never reaches its code."""

    pid = 4242

    def is_alive(self) -> bool:
        return True


class _Watch(StallWatch):
    """A stall watch that says what it is told."""

    def __init__(self, blocked: str | None) -> None:
        super().__init__()
        self.said = blocked

    def blocked(self, pid: int, now: float) -> str | None:
        return self.said


def test_a_worker_blocked_before_its_code_is_stuck_not_starting(tmp_path) -> None:
    worker = runner._Worker("w", _Process(), tmp_path / "events-0.jsonl")  # type: ignore[arg-type]
    assert worker.starting(0.0, _Watch(None))  # at work starting up: it may take its time
    assert not worker.starting(1.0, _Watch("a futex (a lock, semaphore or condition)"))
    assert worker.stuck_starting  # and so it moves no deadline any more
    assert not worker.starting(2.0, _Watch(None))
