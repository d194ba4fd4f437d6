"""Small programs of the kind users bring, on the primitives real programs use.

Module level, so spawn can import them. Each ``run_*`` runs one program once
(by a schedule, if given) and returns its Result; the tests judge it.
"""

from __future__ import annotations

import queue as queue_module
import time
from typing import Any

from sut.engine import Backend, Probe, Result, Run, Schedule, Violation, harness_deadline
from sut.engine.probe import ScheduleLike, shaking

TIMEOUT = 10.0


def _mode(schedule: ScheduleLike | None) -> Any:
    return shaking(0.0, schedule) if schedule is not None else Schedule()


# --- A: a shared Value written by two, read back by one -----------------------

def write_one(probe: Probe, value: Any) -> None:
    value.value = 1


def write_two_then_read(probe: Probe, value: Any) -> None:
    value.value = 2
    probe.record("read back", value=value.value)


def run_overwrite(start_method: str, schedule: ScheduleLike | None = None) -> Result:
    backend = Backend(start_method)
    with Run(backend, "overwrite", "unlocked", {}, mode=_mode(schedule), timeout=TIMEOUT) as run:
        value = backend.Value("i", 0, name="value")
        run.spawn("a", write_one, value)
        run.spawn("b", write_two_then_read, value)
        return run.result()


def overwritten(result: Result) -> list[Violation]:
    """b reads back what it wrote."""
    return [Violation("reads-back", f"b wrote 2 and read back {event.data['value']}")
            for event in result.events
            if event.label == "read back" and event.data["value"] != 2]


# --- B: what a queue holds, asked of the queue ---------------------------------

def report_queue(probe: Probe, queue: Any) -> None:
    probe.record("sees", qsize=queue.qsize(), empty=queue.empty(), full=queue.full())


def run_queue_questions(start_method: str, schedule: ScheduleLike | None = None) -> Result:
    backend = Backend(start_method)
    with Run(backend, "questions", "queue", {}, mode=_mode(schedule), timeout=TIMEOUT) as run:
        queue = backend.Queue(3, name="q")
        run.spawn("reader", report_queue, queue)
        for item in range(3):
            queue.put(item)
        result = run.result()
        left = [queue.get_nowait() for _ in range(3)]
        try:
            queue.get_nowait()
        except queue_module.Empty:
            left.append("empty")
        return result.with_final({"left": left})


class SlowToPickle:
    """An item its feeder thread takes a while to pickle: put first, it would reach the
    queue's pipe after an item put later by another process, had the put not waited."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __reduce__(self) -> tuple[Any, ...]:
        time.sleep(0.3)
        return (str, (self.name,))


def put_item(probe: Probe, queue: Any, item: Any) -> None:
    queue.put(item)


def run_two_putters(start_method: str, schedule: ScheduleLike | None = None) -> Result:
    """``first`` puts a slow item, then ``second`` a quick one (by the schedule); main
    takes both, in the order the queue holds them."""
    backend = Backend(start_method)
    with Run(backend, "putters", "queue", {}, mode=_mode(schedule), timeout=TIMEOUT) as run:
        queue = backend.Queue(name="q")
        run.spawn("first", put_item, queue, SlowToPickle("slow"))
        run.spawn("second", put_item, queue, "quick")
        result = run.result()
        return result.with_final({"taken": [queue.get(timeout=TIMEOUT) for _ in range(2)]})


# --- C: money moved between accounts under the Array's own lock -----------------

def transfer(probe: Probe, accounts: Any, times: int) -> None:
    for _ in range(times):
        with accounts.get_lock():
            accounts[0] = accounts[0] - 1
            probe.point("debited")
            accounts[1] = accounts[1] + 1


def transfer_unlocked(probe: Probe, accounts: Any, times: int) -> None:
    for _ in range(times):
        balance = accounts[0]
        probe.point("debited")
        accounts[0] = balance - 1
        accounts[1] = accounts[1] + 1


def run_bank(start_method: str, transferers: int, times: int, *, locked: bool = True,
             schedule: ScheduleLike | None = None, main_reads: bool = False) -> Result:
    backend = Backend(start_method)
    with Run(backend, "bank", "locked" if locked else "unlocked",
             {"transferers": transferers, "times": times}, mode=_mode(schedule),
             timeout=TIMEOUT) as run:
        accounts = backend.Array("i", [100, 0], name="accounts")
        for i in range(transferers):
            run.spawn(f"teller {i}", transfer if locked else transfer_unlocked, accounts, times)
        if main_reads:
            run.probe("main").record("total", total=accounts[0] + accounts[1])
        result = run.result()
        return result.with_final({"accounts": list(accounts[:])})


def money_kept(result: Result) -> list[Violation]:
    """No money is made or lost, and every transfer lands."""
    accounts = result.final["accounts"]
    moved = result.params["transferers"] * result.params["times"]
    if accounts != [100 - moved, moved]:
        return [Violation("money-kept", f"accounts {accounts} after {moved} transfers")]
    return []


# --- a Condition: a consumer waits for a producer's item -------------------------

def produce(probe: Probe, ready: Any, box: Any) -> None:
    with ready:
        box.value = 1
        ready.notify()


def consume(probe: Probe, ready: Any, box: Any) -> None:
    with ready:
        got = ready.wait_for(lambda: box.value == 1, timeout=harness_deadline(TIMEOUT))
        probe.record("consumed", got=got, value=box.value)


def consume_once(probe: Probe, ready: Any, box: Any) -> None:
    """The classic slip: wait() without looking first, so a notify before it is lost."""
    with ready:
        ready.wait()
        probe.record("consumed", got=True, value=box.value)


def run_condition(start_method: str, *, checks_first: bool = True,
                  schedule: ScheduleLike | None = None) -> Result:
    backend = Backend(start_method)
    with Run(backend, "condition", "wait_for" if checks_first else "wait", {},
             mode=_mode(schedule), timeout=TIMEOUT) as run:
        ready = backend.Condition(name="ready")
        box = backend.Value("i", 0, lock=False, name="box")
        run.spawn("consumer", consume if checks_first else consume_once, ready, box)
        run.spawn("producer", produce, ready, box)
        return run.result()


# --- a bounded queue: a put waits for room -------------------------------------

def put_items(probe: Probe, queue: Any, count: int) -> None:
    for item in range(count):
        queue.put(item)
        probe.point("put", item=item)


def get_items(probe: Probe, queue: Any, count: int) -> None:
    for _ in range(count):
        probe.point("got", item=queue.get())


def run_bounded(start_method: str, count: int, *, readers: int = 1,
                schedule: ScheduleLike | None = None) -> Result:
    backend = Backend(start_method)
    with Run(backend, "bounded", "queue", {"count": count}, mode=_mode(schedule),
             timeout=TIMEOUT) as run:
        queue = backend.Queue(1, name="q")
        run.spawn("putter", put_items, queue, count)
        for _ in range(readers):
            run.spawn("getter", get_items, queue, count)
        return run.result()


# --- a lock the Backend did not make: blocked outside the schedule -------------

def take_raw_lock(probe: Probe, lock: Any) -> None:
    with lock:
        probe.point("debited")


def run_raw_lock(start_method: str) -> Result:
    backend = Backend(start_method)
    with Run(backend, "raw lock", "unseen", {}, mode=Schedule(), timeout=TIMEOUT) as run:
        lock = backend.context.Lock()  # not the backend's: the schedule cannot see it
        for i in range(2):
            run.spawn(f"teller {i}", take_raw_lock, lock)
        return run.result()


# --- E: a reply awaited with a timeout -------------------------------------------

# How long the asker waits for its reply: the tutorial's half second.
REPLY_WAIT = 0.5


def ask(probe: Probe, requests: Any, replies: Any, wait: float) -> None:
    requests.put("ping")
    try:
        probe.record("answered", reply=replies.get(timeout=wait))
    except queue_module.Empty:
        probe.record("answered", reply=None)


def answer(probe: Probe, requests: Any, replies: Any) -> None:
    replies.put(requests.get() + " pong")


def run_request(start_method: str, wait: float, schedule: ScheduleLike | None = None) -> Result:
    """The asker puts a request and waits ``wait`` seconds for the answerer's reply."""
    backend = Backend(start_method)
    with Run(backend, "request", "reply", {}, mode=_mode(schedule), timeout=TIMEOUT) as run:
        requests, replies = backend.Queue(name="requests"), backend.Queue(name="replies")
        run.spawn("asker", ask, requests, replies, wait)
        run.spawn("answerer", answer, requests, replies)
        return run.result()


def answered(result: Result) -> list[Violation]:
    """The asker gets its reply."""
    return [Violation("answered", f"{event.worker} got no reply within its timeout")
            for event in result.events if event.label == "answered" and event.data["reply"] is None]


# --- the model held to the real primitives ------------------------------------

def enter(probe: Probe, door: Any) -> None:
    with door:
        probe.point("in")


def run_door(start_method: str, door: str, schedule: ScheduleLike | None = None) -> Result:
    """Two workers go through a door: ``flock`` (a file lock), or ``semaphore`` (of 1),
    each made wrong behind the model's back by the test (see test_model_agrees)."""
    backend = Backend(start_method)
    with Run(backend, "door", door, {}, mode=_mode(schedule), timeout=TIMEOUT) as run:
        guard = (backend.FileLock(run.workdir / "door.lock", "door") if door == "flock"
                 else backend.Semaphore(1, "door"))
        if door == "semaphore-one-larger":
            guard.real.release()  # behind the model's back: the real one lets two in
        if door == "semaphore-one-smaller":
            guard.real.acquire()  # behind the model's back: the real one lets nobody in
        run.spawn("a", enter, guard)
        run.spawn("b", enter, guard)
        return run.result()
