"""Limits: numbers parsed strictly, every count bounded, the machine's room checked first,
and checkers that work in memory proportional to what happened."""

from __future__ import annotations

import dataclasses
import os
import re
import resource
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

import sut
from sut.cli import main
from sut.engine import Event, Result, WorkerOutcome, limits
from sut.engine.limits import MAX_ITEMS, MAX_PROCESSES, MAX_ROUNDS, Room, check_processes
from sut.engine.params import parse_params
from sut.report.lanes import breaking_moment, lanes
from sut.report.story import story
from sut.scenarios import bakery, event, ktv, pipe, printing, queue, ticket, traffic

# --- numbers on the command line: plain ASCII only -------------------------

@pytest.mark.parametrize(("pair", "message"), [
    ("buyers=٣", "buyers must be a whole number, got '٣'"),  # an Arabic-Indic digit
    ("buyers=1_0", "buyers must be a whole number, got '1_0'"),
    ("buyers= 3", "buyers must be a whole number, got ' 3'"),
    ("buyers=3\n", "buyers must be a whole number, got '3\\n'"),
    ("buyers=+3", "buyers must be a whole number, got '+3'"),
    ("buyers=3.0", "buyers must be a whole number, got '3.0'"),
    ("buyers=", "buyers must be a whole number, got ''"),
    ("buyers=" + "9" * 19, "buyers must be a whole number of at most 18 digits, got '9999"),
    ("buyers=" + "9" * 5000, "characters)"),  # a long value is quoted cut short
    ("jitter=0.1_0", "jitter must be a number, got '0.1_0'"),
    ("jitter=\uff11", "jitter must be a number, got '\uff11'"),  # a fullwidth digit
    ("jitter= 0.1", "jitter must be a number, got ' 0.1'"),
    ("jitter=0x1", "jitter must be a number, got '0x1'"),
    ("jitter=\u0131nf", "jitter must be a number, got '\u0131nf'"),  # a dotless i
    ("jitter=1e999", "jitter must be a finite number, got '1e999'"),
    ("jitter=inf", "jitter must be a number of seconds from 0 to 1.0, got inf"),
    ("jitter=-Infinity", "jitter must be a number of seconds from 0 to 1.0, got -inf"),
])
def test_a_number_that_is_not_plain_ascii_is_refused_in_one_line(pair, message) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        parse_params(ticket.Params, [pair])
    assert "\n" not in str(raised.value).replace("\\n", "")


@pytest.mark.parametrize(("pairs", "expected"), [
    (["buyers=007"], ticket.Params(buyers=7)),
    (["jitter=.5"], ticket.Params(jitter=0.5)),
    (["jitter=5e-2"], ticket.Params(jitter=0.05)),
    (["jitter=1."], ticket.Params(jitter=1.0)),
    (["jitter=0"], ticket.Params(jitter=0.0)),
])
def test_plain_ascii_numbers_still_parse(pairs, expected) -> None:
    assert parse_params(ticket.Params, pairs) == expected


@dataclasses.dataclass(frozen=True)
class _Unbounded:
    """Params whose float field no rule bounds: parsing still refuses inf and nan."""

    scale: float = 1.0


@pytest.mark.parametrize("text", ["inf", "nan", "-inf", "NaN"])
def test_inf_and_nan_are_refused_even_where_no_rule_bounds_the_field(text) -> None:
    with pytest.raises(ValueError, match="scale must be a finite number"):
        parse_params(_Unbounded, [f"scale={text}"])


# --- every count and size has an upper bound --------------------------------

# Each count of each scenario: its largest value, and the params it needs beside it
# (so that no other bound - the processes in all, the buns in all - is broken first).
BOUNDS = [
    (ticket.Params, "buyers", MAX_PROCESSES, {}),
    (ticket.Params, "readers", MAX_PROCESSES - 1, {"buyers": 1}),
    (ticket.Params, "tickets", MAX_ITEMS, {}),
    (ktv.Params, "people", MAX_PROCESSES, {}),
    (ktv.Params, "rooms", MAX_PROCESSES, {}),
    (printing.Params, "workers", MAX_PROCESSES, {}),
    (event.Params, "waiters", MAX_PROCESSES, {}),
    (traffic.Params, "cars", MAX_PROCESSES - 1, {}),
    (traffic.Params, "cycles", MAX_ROUNDS, {}),
    (queue.Params, "messages", MAX_ROUNDS, {}),
    (pipe.Params, "messages", MAX_ROUNDS, {}),
    (bakery.Params, "producers", MAX_PROCESSES - 1, {}),
    (bakery.Params, "consumers", MAX_PROCESSES - 1, {}),
    (bakery.Params, "buns", MAX_ROUNDS, {}),
]


@pytest.mark.parametrize(("cls", "name", "most", "beside"), BOUNDS,
                         ids=[f"{cls.__module__.rsplit('.', 1)[1]}-{name}"
                              for cls, name, _, _ in BOUNDS])
def test_every_count_takes_its_bound_and_refuses_one_more_naming_the_bound(
        cls, name, most, beside) -> None:
    assert getattr(cls(**{name: most, **beside}), name) == most
    with pytest.raises(ValueError, match=rf"^[^\n]*\b{most + 1}\b[^\n]*$") as raised:
        cls(**{name: most + 1, **beside})
    assert "at most" in str(raised.value)
    with pytest.raises(ValueError, match="at most"):
        cls(**{name: 10**9})


def test_every_int_field_of_every_scenario_is_bounded() -> None:
    # A count added later without a bound fails here.
    bounded = {(cls, name) for cls, name, _, _ in BOUNDS}
    for cls in (ticket.Params, ktv.Params, printing.Params, event.Params, traffic.Params,
                queue.Params, pipe.Params, bakery.Params):
        for field in dataclasses.fields(cls):
            if field.type in (int, "int"):
                assert (cls, field.name) in bounded, f"{cls.__module__}: {field.name}"


def _documented_bounds() -> dict[tuple[str, str], str]:
    """``(scenario, parameter) -> to`` from docs/LIMITS.md's table."""
    text = (Path(__file__).parents[2] / "docs" / "LIMITS.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\w+) \| `(\w+)` \| [^|]* \| ([^|]*) \|", text, re.MULTILINE)
    return {(scenario, name): to.strip() for scenario, name, to in rows}


def test_docs_limits_gives_every_counts_bound_as_its_rule_enforces_it() -> None:
    documented = _documented_bounds()
    for cls in {cls for cls, _, _, _ in BOUNDS}:
        scenario = cls.__module__.rsplit(".", 1)[1]
        for field in dataclasses.fields(cls):
            if field.type not in (int, "int"):
                continue
            most = int(documented[scenario, field.name])  # a row for every count
            rule = field.metadata["rule"]
            rule(field.name, most)
            with pytest.raises(ValueError, match="at most"):
                rule(field.name, most + 1)


def test_processes_in_all_are_bounded_and_named() -> None:
    message = (f"buyers=1000 readers=100 would start 1100 processes; at most {MAX_PROCESSES} "
               "(the most processes one run starts)")
    with pytest.raises(ValueError, match=re.escape(message)):
        ticket.Params(buyers=1000, readers=100)
    with pytest.raises(ValueError, match="producers=1000 consumers=1000 would start 2000"):
        bakery.Params(producers=1000, consumers=1000, buns=1)
    with pytest.raises(ValueError, match=f"cars must be at most {MAX_PROCESSES - 1} "
                                         f"\\({MAX_PROCESSES} processes at most, the light"):
        traffic.Params(cars=MAX_PROCESSES)


def test_buns_in_all_are_bounded() -> None:
    assert bakery.Params(producers=10, buns=MAX_ITEMS // 10).buns == MAX_ITEMS // 10
    with pytest.raises(ValueError, match=f"producers=11 buns=10000 would bake 110000 buns; "
                                         f"at most {MAX_ITEMS}"):
        bakery.Params(producers=11, buns=10_000)


def test_params_say_how_many_processes_they_start() -> None:
    assert ticket.Params(buyers=5, readers=2).processes() == 7
    assert ticket.Params(buyers=5, readers=2).describe_processes() == "buyers=5 readers=2"
    assert traffic.Params(cars=3).processes() == 4
    assert traffic.Params(cars=3).describe_processes() == "cars=3 and the light"
    assert queue.Params().processes() == 1
    assert pipe.Params().describe_processes() == "the receiver"
    assert bakery.Params(producers=2, consumers=3).processes() == 5


def test_a_chat_session_says_how_many_processes_it_starts_and_is_bounded() -> None:
    from sut.scenarios.chat.params import Params as Chat

    assert Chat(messages=((),) * 3, max_clients=2).processes() == 1 + 3 + 2
    assert isinstance(Chat(), limits.StartsProcesses)
    with pytest.raises(ValueError, match=f"^messages lists {MAX_PROCESSES + 1} clients, but at "
                                         f"most {MAX_PROCESSES} are allowed"):
        Chat(messages=((),) * (MAX_PROCESSES + 1))


def test_the_cli_refuses_a_count_over_its_bound_in_one_line_before_any_process(capsys) -> None:
    # Once, this forked without end (the unit tier refuses any process).
    began = time.monotonic()
    code = main(["run", "ticket", "--variant", "locked", "buyers=100000", "jitter=0",
                 "--timeout", "5"])
    assert code == 2
    err = capsys.readouterr().err
    assert err == ("sut: error: buyers must be at most 1024 (the most processes one run "
                   "starts), got 100000\n")
    assert time.monotonic() - began < 1
    for args in (["run", "traffic", "--variant", "event", "cycles=1000000000"],
                 ["run", "bakery", "--variant", "sentinel-per-consumer", "buns=1000000000"],
                 ["run", "ktv", "--variant", "semaphore", "people=1000000000"],
                 ["run", "ticket", "--variant", "locked", "buyers=٣"]):
        assert main([*args, "--timeout", "3"]) == 2
        assert capsys.readouterr().err.count("\n") == 1


# --- the machine's room: RLIMIT_NPROC and available memory ------------------

def test_more_processes_than_rlimit_nproc_leaves_are_refused_naming_the_limit() -> None:
    with pytest.raises(ValueError, match=re.escape(
            "buyers=5000 readers=1 would start 5001 processes, but RLIMIT_NPROC leaves 4000")):
        check_processes(5001, "fork", asked="buyers=5000 readers=1",
                        room=Room(processes=4000, memory=None))
    check_processes(4000, "fork", room=Room(processes=4000, memory=None))
    with pytest.raises(ValueError, match="RLIMIT_NPROC leaves 0"):
        check_processes(1, "fork", room=Room(processes=-3, memory=None))


def test_more_memory_than_three_quarters_of_what_is_available_is_refused_per_start_method(
        ) -> None:
    room = Room(processes=None, memory=1024 * limits.MIB)  # 768 MiB may be taken
    check_processes(192, "fork", room=room)  # 4 MiB each
    with pytest.raises(ValueError, match=re.escape(
            "buyers=64 would start 64 processes, needing about 832 MiB (13 MiB each under "
            "spawn), but only 768 MiB may be taken (75% of MemAvailable, 1024 MiB)")):
        check_processes(64, "spawn", asked="buyers=64", room=room)


def test_a_machine_that_cannot_tell_is_not_refused() -> None:
    check_processes(MAX_PROCESSES, "spawn", room=Room(processes=None, memory=None))


def test_rlimit_nproc_is_the_soft_limit_less_the_users_tasks(monkeypatch) -> None:
    monkeypatch.setattr(resource, "getrlimit", lambda which: (4096, 8192))
    monkeypatch.setattr(os, "getuid", lambda: 1000)
    monkeypatch.setattr(limits, "tasks_on_machine", lambda: 500)
    monkeypatch.setattr(limits, "tasks_of", lambda uid: 96)
    # Room for 3000 even were every task on the machine this user's: nothing counted.
    assert limits.processes_left(3000) == 3596
    assert limits.processes_left(3597) == 4000  # the user's own, counted
    monkeypatch.setattr(limits, "tasks_on_machine", lambda: None)  # no /proc/loadavg
    assert limits.processes_left() == 4000
    monkeypatch.setattr(limits, "tasks_of", lambda uid: None)  # /proc cannot tell
    assert limits.processes_left() == 4096
    monkeypatch.setattr(os, "getuid", lambda: 0)  # the kernel does not limit root
    assert limits.processes_left() is None
    monkeypatch.setattr(os, "getuid", lambda: 1000)
    monkeypatch.setattr(resource, "getrlimit",
                        lambda which: (resource.RLIM_INFINITY,) * 2)
    assert limits.processes_left() is None


def test_a_users_tasks_are_counted_from_proc(monkeypatch, tmp_path: Path) -> None:
    for pid, threads in (("1", 1), ("42", 3)):
        for tid in range(threads):
            (tmp_path / pid / "task" / str(tid)).mkdir(parents=True)
    (tmp_path / "self").mkdir()  # not a process
    monkeypatch.setattr(limits, "PROC", tmp_path)
    owner = (tmp_path / "42").stat().st_uid
    assert limits.tasks_of(owner) == 4
    assert limits.tasks_of(owner + 1) == 0
    monkeypatch.setattr(limits, "PROC", tmp_path / "missing")
    assert limits.tasks_of(owner) is None


def test_every_task_on_the_machine_is_read_from_loadavg(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(limits, "PROC", tmp_path)
    assert limits.tasks_on_machine() is None
    (tmp_path / "loadavg").write_text("0.52 0.58 0.59 2/523 4242\n", encoding="ascii")
    assert limits.tasks_on_machine() == 523


def test_available_memory_is_read_from_meminfo(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(limits, "PROC", tmp_path)
    assert limits.memory_available() is None  # no /proc/meminfo
    (tmp_path / "meminfo").write_text("MemTotal:       24684092 kB\n"
                                      "MemAvailable:     2048 kB\n", encoding="ascii")
    assert limits.memory_available() == 2048 * 1024
    (tmp_path / "meminfo").write_text("MemFree: 1 kB\n", encoding="ascii")  # an old kernel
    assert limits.memory_available() is None


def test_a_run_the_machine_has_no_room_for_is_refused_before_any_process(monkeypatch) -> None:
    # The unit tier fails a test that starts a process: the refusal comes first.
    monkeypatch.setattr(limits, "room_here", lambda needed: Room(processes=3, memory=None))
    with pytest.raises(ValueError, match=re.escape(
            "buyers=5 readers=0 would start 5 processes, but RLIMIT_NPROC leaves 3")):
        sut.get("ticket").evaluate(ticket.Params(buyers=5), "locked", start_method="fork")
    monkeypatch.setattr(limits, "room_here",
                        lambda needed: Room(processes=None, memory=32 * limits.MIB))
    with pytest.raises(ValueError,
                       match=re.escape("needing about 39 MiB (13 MiB each under spawn)")):
        sut.get("traffic").evaluate(traffic.Params(cars=2), "event", start_method="spawn")


def test_a_low_rlimit_nproc_refuses_a_run_through_the_real_check(monkeypatch) -> None:
    # What the user already runs, counted from the real /proc, plus room for two more.
    running = limits.tasks_of(os.getuid()) or 0
    monkeypatch.setattr(resource, "getrlimit", lambda which: (running + 2, running + 2))
    monkeypatch.setattr(os, "getuid", lambda: 4242)  # not root: the limit applies
    monkeypatch.setattr(limits, "tasks_of", lambda uid: running)
    monkeypatch.setattr(limits, "tasks_on_machine", lambda: running + 1)
    with pytest.raises(ValueError, match=re.escape(
            "waiters=3 would start 3 processes, but RLIMIT_NPROC leaves 2")):
        sut.get("event").evaluate(event.Params(waiters=3), "event", start_method="fork")


def test_the_cli_says_the_machine_has_no_room_in_one_line(monkeypatch, capsys) -> None:
    monkeypatch.setattr(limits, "room_here", lambda needed: Room(processes=10, memory=None))
    assert main(["run", "ktv", "--variant", "semaphore", "people=20"]) == 2
    assert capsys.readouterr().err == (
        "sut: error: people=20 would start 20 processes, but RLIMIT_NPROC leaves 10\n")


# --- checkers and reports: memory proportional to what happened -------------

BILLION = 10**9
# A check of a handful of events may take this much memory at most, whatever the params say.
SMALL_MEMORY = 2 * 1024 * 1024


def _cut_short(scenario: str, params: dict[str, Any],
               steps: list[tuple[str, str, dict[str, Any]]],
               final: dict[str, Any] | None = None) -> Result:
    """A run stopped at its deadline after ``steps``, whatever ``params`` asked for:
    made by hand, as no Params would take a billion."""
    events = tuple(Event(t_ns=i * 1_000_000, worker=worker, label=label, data=data)
                   for i, (worker, label, data) in enumerate(steps))
    workers = tuple(WorkerOutcome(name=name, status="hung", exitcode=-15)
                    for name in dict.fromkeys(worker for worker, _, _ in steps)
                    if name != "main")
    return Result(scenario=scenario, variant="cut-short", params=params, start_method="fork",
                  seed=0, events=events, workers=workers, final=final or {})


CUT_SHORT = {
    "ticket": _cut_short("ticket", {"buyers": 1, "tickets": BILLION, "jitter": 0,
                                    "readers": 0, "kill_at": ""},
                         [("buyer 0", "read", {"count": BILLION})],
                         {"count": BILLION, "text": "{}"}),
    "ktv": _cut_short("ktv", {"people": 1, "rooms": BILLION, "jitter": 0},
                      [("person 0", "enter", {})]),
    "printing": _cut_short("printing", {"workers": 1, "jitter": 0},
                           [("worker 0", "running", {"n": 0})],
                           {"lines": ["0 : 1 is running"], "promises_order": False}),
    "event": _cut_short("event", {"waiters": 1, "timeout": 0.1, "jitter": 0},
                        [("waiter 0", "start", {"is_set": False})]),
    "traffic": _cut_short("traffic", {"cars": 1, "cycles": BILLION, "green": 0, "red": 0,
                                      "jitter": 0},
                          [("light", "red", {"cycle": 1}), ("light", "green", {"cycle": 1}),
                           ("light", "red", {"cycle": 2}), ("car 0", "drive", {})]),
    "queue": _cut_short("queue", {"messages": BILLION, "jitter": 0, "delay": 0},
                        [("main", "put", {"message": 0}),
                         ("child", "got", {"sender": "main", "message": 0})],
                        {"left": []}),
    "pipe": _cut_short("pipe", {"messages": BILLION, "jitter": 0},
                       [("main", "sent", {"message": 0}),
                        ("receiver", "received", {"message": 0})]),
    "bakery": _cut_short("bakery", {"producers": 1, "consumers": 1, "buns": BILLION,
                                    "jitter": 0},
                         [("producer 0", "bake", {"bun": 0}), ("producer 0", "put", {"bun": 0}),
                          ("consumer 0", "eat", {"producer": 0, "bun": 0}),
                          ("consumer 0", "eat", {"producer": 0, "bun": 2})],
                         {"leftover": None}),
}


@pytest.mark.parametrize("name", sorted(CUT_SHORT))
def test_a_run_cut_short_is_checked_and_told_in_memory_proportional_to_its_events(
        name) -> None:
    result = CUT_SHORT[name]
    check = sut.get(name).check
    began = time.monotonic()
    tracemalloc.start()
    try:
        violations = check(result)
        told = story(result, violations)
        drawn = lanes(result, violations,
                      moment=breaking_moment(result, violations[0].invariant, check))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert violations  # every one of them was stopped at its deadline
    assert peak < SMALL_MEMORY, f"{peak} bytes"
    assert time.monotonic() - began < 1
    assert len(told) < 2000
    assert sum(map(len, drawn)) < 4000


def _details(name: str, invariant: str) -> list[str]:
    result = CUT_SHORT[name]
    return [v.detail for v in sut.get(name).check(result) if v.invariant == invariant]


def test_a_bakery_cut_short_still_reports_every_bun_never_eaten() -> None:
    assert _details("bakery", "exactly-once") == [
        f"bun 1 of producer 0 and buns 3 to {BILLION - 1} of producer 0 were never eaten"]


def test_a_light_cut_short_still_reports_the_cycles_it_did_not_show() -> None:
    assert _details("traffic", "light-stops") == [
        f"the light showed red, green, red and never stopped; {BILLION} cycles are red, green "
        f"({BILLION} times), then stop on green"]


def test_a_pipe_cut_short_still_reports_the_messages_that_never_came() -> None:
    assert _details("pipe", "in-order") == [f"main sent 0 to {BILLION - 1}, the receiver got 0"]
