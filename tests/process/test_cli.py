"""``python -m sut``: exit codes, JSON, human reports, one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

import sut
from sut.cli import main


def _sut(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sut", *args], capture_output=True, text=True,
                          timeout=60, check=False)


def test_quickstart_command_shows_the_race_and_exits_1() -> None:
    shown = _sut("run", "ticket", "--variant", "unlocked", "buyers=2", "tickets=1")
    assert shown.returncode == 1, shown.stderr
    assert "VIOLATED" in shown.stdout
    assert "no-oversell: sold 2 of 1 ticket: buyer 0 and buyer 1 both read count=1" in shown.stdout
    assert "buyer 0 read count=1" in shown.stdout  # the timeline
    assert shown.stderr == ""


def test_a_correct_variant_exits_0(capsys) -> None:
    assert main(["run", "ktv", "--variant", "semaphore", "people=3", "rooms=2",
                 "--start-method", "spawn"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ktv --variant semaphore people=3 rooms=2 jitter=0.05  [spawn, seed 0]")
    assert "HELD: every invariant held" in out


def test_run_json_is_one_object_with_the_contracted_keys(capsys) -> None:
    assert main(["run", "ticket", "buyers=2", "--variant", "unlocked", "tickets=1", "--json",
                 "--seed", "3"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert {"scenario", "variant", "params", "start_method", "holds", "violations",
            "events"} <= set(document)
    assert document["params"]["buyers"] == 2
    assert (document["holds"], document["seed"]) == (False, 3)
    assert {"invariant": "no-oversell",
            "detail": "sold 2 of 1 ticket: buyer 0 and buyer 1 both read count=1"} \
        in document["violations"]
    assert {"t_ns", "worker", "label", "data"} == set(document["events"][0])


def test_bad_input_from_the_shell_has_no_traceback() -> None:
    shown = _sut("run", "ticket", "--variant", "locked", "jitter=soon")
    assert (shown.returncode, shown.stdout) == (2, "")
    assert shown.stderr == "sut: error: jitter must be a number, got 'soon'\n"


def test_db_gives_the_starting_count_and_is_never_written(tmp_path, capsys) -> None:
    db = tmp_path / "ticket"
    db.write_text('{"count": 3}')
    assert main(["run", "ticket", "--variant", "locked", "buyers=4", "--db", str(db)]) == 0
    assert "tickets=3" in capsys.readouterr().out
    assert db.read_text() == '{"count": 3}'


def test_a_reader_that_stops_early_gets_no_traceback() -> None:
    # `python -m sut run ... | head -1`: the verdict's exit code, and silence.
    with subprocess.Popen([sys.executable, "-m", "sut", "run", "ticket", "--variant", "unlocked",
                           "buyers=2", "tickets=1"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as shown:
        assert shown.stdout is not None
        assert shown.stderr is not None
        assert shown.stdout.readline().startswith("ticket --variant unlocked")
        shown.stdout.close()
        assert shown.wait(timeout=60) == 1
        assert shown.stderr.read() == ""


_INTERRUPTED_IN_A_STRING_EXEC = """
import runpy
import sut.cli

def interrupted(argv):  # a Ctrl-C as a module loads, while dataclasses builds a method
    exec("raise KeyboardInterrupt", {})

sut.cli._parse = interrupted
runpy.run_module("sut", run_name="__main__")
"""


def test_a_ctrl_c_that_passed_through_a_string_exec_still_exits_130(tmp_path) -> None:
    # CPython marks such a KeyboardInterrupt unhandled even once caught, and `-m` then
    # ends by SIGINT (exit -2): `python -m sut` must clear the mark.
    (tmp_path / "interrupted_in_exec.py").write_text(_INTERRUPTED_IN_A_STRING_EXEC)
    ended = subprocess.run([sys.executable, "-m", "interrupted_in_exec", "run", "ticket"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert (ended.returncode, ended.stderr) == (130, "sut: interrupted\n")


@pytest.mark.parametrize("scenario", [scenario.name for scenario in sut.catalogue()])
def test_every_scenario_runs_with_its_defaults_and_holds_when_correct(capsys, scenario) -> None:
    correct = next(v.name for v in sut.get(scenario).variants if v.expected == "holds")
    assert main(["run", scenario, "--variant", correct, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["scenario"], document["variant"], document["holds"]) == (
        scenario, correct, True)


# --- schedules ---------------------------------------------------------------

REPLAY = ["run", "ticket", "--variant", "unlocked", "buyers=2", "tickets=1",
          "--schedule", "0,0,1,1,0"]


# Ten fresh interpreters (the pinned replays prove the same in-process, under
# every start method): the gate's, pytest -m slow.
@pytest.mark.slow
def test_a_printed_schedule_replays_the_same_violation_ten_times_out_of_ten() -> None:
    shown = [_sut(*REPLAY) for _ in range(10)]
    assert {(run.returncode, run.stdout, run.stderr) for run in shown} == {
        (1, shown[0].stdout, "")}
    out = shown[0].stdout
    assert out.startswith("ticket --variant unlocked buyers=2 tickets=1 jitter=0.05 readers=0  "
                          "[fork, schedule 0,0,1,1,0]\nVIOLATED")
    assert ("steps: buyer 0 query count=1 | buyer 1 query count=1 | buyer 1 read count=1 | "
            "buyer 0 read count=1 | buyer 0 writing count=0 | buyer 0 bought left=0 | "
            "buyer 1 writing count=0 | buyer 1 bought left=0 -> no-oversell: sold 2 of 1 "
            "ticket: buyer 0 and buyer 1 both read count=1\n") in out
    assert ("replay: python -m sut run ticket --variant unlocked buyers=2 tickets=1 jitter=0.05 "
            "readers=0 --schedule '0,0,1,1,0'\n") in out
    assert "\n     1  buyer 0 query count=1\n" in out  # the timeline counts steps, not ms


def test_run_by_schedule_as_json_carries_the_schedule_and_its_steps(capsys) -> None:
    assert main([*REPLAY, "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["schedule"] == [0, 0, 1, 1, 0]
    assert document["deadlock"] is None
    first = document["steps"][0]
    assert {"worker", "op", "reply", "choices", "default", "state", "t_ns"} == set(first)


def test_a_deadlock_is_named_without_waiting_for_the_timeout(capsys) -> None:
    assert main(["run", "pipe", "--variant", "leaked-end", "messages=1", "--schedule", "",
                 "--timeout", "60"]) == 1
    out = capsys.readouterr().out
    assert ("no-hang: receiver is stuck after 'received': it waits for a message or end of file "
            "on pipe (left to right) (empty; its sending end is still open in receiver)") in out


@pytest.mark.parametrize(("args", "error"), [
    (["--schedule", "0,x"], "a schedule lists worker indices like 0,1,m,0 (m is main); "
                            "'x' is not one"),
    (["--schedule", "0,-1"], "a schedule lists worker indices like 0,1,m,0 (m is main); "
                             "'-1' is not one"),
    (["--schedule", "0,2"], "the schedule names worker 2, but this run has 2 (0 to 1)"),
])
def test_a_bad_schedule_is_one_line_and_exit_2(args: list[str], error: str, capsys) -> None:
    assert main(["run", "ticket", "--variant", "unlocked", "buyers=2", *args]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"sut: error: {error}\n")


def test_explore_counts_every_interleaving_and_shows_the_first_violation() -> None:
    shown = _sut("explore", "ticket", "--variant", "unlocked", "buyers=2", "tickets=1")
    assert (shown.returncode, shown.stderr) == (1, "")
    lines = shown.stdout.splitlines()
    assert re.fullmatch(r"explored 18 interleavings of ticket --variant unlocked buyers=2 "
                        r"tickets=1 jitter=0\.05 readers=0 \[fork\] in [0-9.]+ s "
                        r"\(every interleaving\): 11 violate", lines[0])
    assert lines[1] == "first violating schedule: 0,0,0,0,1"
    assert "replay: python -m sut run ticket --variant unlocked" in shown.stdout


def test_explore_in_jobs_explores_and_finds_what_one_job_does(capsys) -> None:
    found = []
    for jobs in ("1", "3"):
        assert main(["explore", "printing", "--variant", "unlocked", "workers=2",
                     "--jobs", jobs, "--json"]) == 1
        document = json.loads(capsys.readouterr().out)
        first = document.pop("first")  # a run: its times and the printed lines' own vary
        del document["seconds"]
        found.append((document, first["schedule"],
                      [violation["invariant"] for violation in first["violations"]]))
    assert found[0] == found[1]
    assert (found[0][0]["runs"], found[0][0]["violating"]) == (7, 4)


def test_explore_of_a_correct_variant_holds_and_exits_0(capsys) -> None:
    assert main(["explore", "ktv", "--variant", "semaphore", "people=2", "rooms=1",
                 "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["runs"], document["violating"], document["complete"],
            document["first"]) == (18, 0, True, None)


def test_explore_stops_at_max_runs_and_says_so(capsys) -> None:
    assert main(["explore", "ktv", "--variant", "semaphore", "people=2", "rooms=1",
                 "--max-runs", "5"]) == 0
    out = capsys.readouterr().out
    assert "explored 5 interleavings" in out
    assert "(stopped at --max-runs 5; more interleavings remain): 0 violate" in out


# --- demo --------------------------------------------------------------------

def test_demo_draws_each_race_and_each_fix_holding(capsys) -> None:
    # The lanes themselves are checked in docs/RACES.md, by test_races.py.
    assert main(["demo", "pipe"]) == 0
    captured = capsys.readouterr()
    assert ("leaked-end (the receiver leaves its copy of the send end open, so EOF never "
            "comes) breaks with messages=0, schedule (default):\n"
            "    #  main      receiver\n"
            "    1            ready\n"
            "    2  closed\n") in captured.out
    assert "\nsmallest: no smaller configuration exists\n" in captured.out
    assert captured.out.endswith(
        "scenario  variant      expected  verdict   counterexample / evidence\n"
        "--------  -----------  --------  --------  -------------------------\n"
        "pipe      leaked-end   violates  violates  messages=0, schedule (default)\n"
        "pipe      closed-ends  holds     holds     all 3 interleavings of messages=0\n")
    assert "pipe: searching leaked-end for its smallest race ..." in captured.err


def test_demo_draws_its_races_to_an_svg_file_whole(tmp_path, capsys) -> None:
    picture = tmp_path / "races.svg"
    assert main(["demo", "pipe", "--svg", str(picture)]) == 0
    text = picture.read_text(encoding="utf-8")
    assert text.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert "pipe leaked-end: messages=0, schedule (default)" in text
    assert list(tmp_path.iterdir()) == [picture]  # no temporary file left behind
    assert f"drew 1 races to {picture}" in capsys.readouterr().err


