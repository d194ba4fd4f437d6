"""Queues - the tutorial's Queue examples: a message one way, and a reply the other.

Main puts ``messages`` messages, each ``(sender, number)``, for a child to get.
In the two-way programs the child answers every message it gets with a reply
of its own, and main - after the tutorial's ``time.sleep(0.5)`` - gets as many
replies. The child may start late: after ``delay`` seconds, as a child with a
slow start-up (imports, a busy machine) would.

Variants differ only in the queue the replies travel on:

- ``one-way``: no replies - the tutorial's first example;
- ``two-way-two-queues``: replies travel on a second queue, so no process ever
  gets from the queue it puts on;
- ``two-way-single-queue``: the tutorial's two-way example - both directions
  share one queue, and nothing but main's sleep keeps main from getting its own
  message. A child that starts after main's sleep is over finds main there
  first: main takes its own message back as the "reply", and the child then
  waits forever for a message that is gone.

To make "late" and "on time" certainties instead of matters of scheduling,
main and the child meet at a barrier once both processes exist (main has put
nothing yet), and ``delay`` counts from there.

Invariants: every message is taken off a queue exactly once; each receiver
gets a sender's messages in the order they were sent; no message goes back
to its own sender; no process waits for a message that never comes; every
process exits cleanly.
"""

from __future__ import annotations

import multiprocessing.queues
import queue as queue_module
import threading
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal

import sut

# The tutorial's time.sleep(0.5) between main's put and its get, scaled down like
# every pause here. It is all that orders main's get after the child's: a child
# that starts within it takes its message in time; one that starts after it does
# not. A child that is on time takes its last message at most one jitter width
# after the first (it pauses between a get and its reply), so with the race
# jitter and two messages main's get still comes 100 ms after the child's.
PARENT_SLEEP = 0.15
# How long draining waits for one more item. It drains once the child is gone
# and main is long done putting, so every put has reached the pipe; and an item
# it missed would not pass unseen, only be reported as taken by nobody.
DRAIN_SETTLE = 0.01
MAX_DELAY = 1.0
# A child this late certainly finds main at the queue first: main looks for its
# reply PARENT_SLEEP after the start, and this child comes another PARENT_SLEEP
# later - far more than the drift between two processes released by one barrier.
LATE = 2 * PARENT_SLEEP
# The child's start, and what both record: a put, a get (with who sent what);
# main's bounded waits that ran out - for a reply, for the child to start.
READY, PUT, GOT, NO_REPLY, NO_CHILD = "ready", "put", "got", "no-reply", "no-child"

Queue = multiprocessing.queues.Queue


@dataclass(frozen=True)
class Params(sut.Checked):
    """Parameters of one exchange. ``delay`` is the child's start-up time, in seconds.

    Limits (docs/LIMITS.md): ``messages`` 1 to 10,000 (``MAX_ROUNDS``);
    ``delay`` 0 to 1 s. A run starts one process, the child.
    """

    fixed_processes: ClassVar[tuple[str, ...]] = ("the child",)

    messages: int = sut.rounds(3)
    jitter: float = sut.param(0.05, sut.jitter_width)
    delay: float = sut.param(0.0, sut.seconds, at_most=MAX_DELAY)


# --- the program -----------------------------------------------------------

def child(probe: sut.Probe, inbox: Queue[Any], outbox: Queue[Any] | None, messages: int,
          delay: float, start: Any, start_timeout: float) -> None:
    """Get ``messages`` messages; answer each on ``outbox`` if there is one.

    The tutorial's ``haha(q)``: ``q.get()`` then ``q.put('你好')``. Its gets
    block for good, as the tutorial's do: the run's deadline ends a child that
    waits for a message that never comes, and reports it hung.
    """
    start.wait(start_timeout)  # both processes exist; main has put nothing yet
    probe.sleep(delay)  # a slow start-up
    probe.record(READY)
    for number in range(messages):
        sender, message = inbox.get()
        # Between a get and its reply: main's messages, all put at once, are
        # in the queue before any reply, so an on-time child gets only them.
        probe.point(GOT, sender=sender, message=message)
        if outbox is not None:
            outbox.put(("child", number))
            probe.record(PUT, message=number)


def parent(probe: sut.Probe, run: sut.Run, outbox: Queue[Any], inbox: Queue[Any] | None,
           messages: int, start: Any) -> None:
    """Main's side: put the messages, sleep, get the replies - every wait bounded.

    Everything is put after the child has started: forking a process whose
    queue already has a feeder thread is asking for a lock held forever.
    """
    if not run.started("child"):  # it could not even be started: nobody will come
        probe.record(NO_CHILD)
        return
    try:
        start.wait(run.remaining())  # the child may still be starting up: see remaining()
    except threading.BrokenBarrierError:
        probe.record(NO_CHILD)
        return
    for number in range(messages):
        outbox.put(("main", number))
        probe.record(PUT, message=number)
    if inbox is None:
        return
    probe.sleep(PARENT_SLEEP)  # the tutorial's time.sleep(0.5): "the reply is there by now"
    for got in range(messages):
        try:
            sender, message = inbox.get(timeout=run.remaining())
        except queue_module.Empty:
            probe.record(NO_REPLY, got=got)
            return
        probe.record(GOT, sender=sender, message=message)


# --- variants and run ------------------------------------------------------

@dataclass(frozen=True)
class Wiring:
    replies: Literal["none", "second-queue", "same-queue"]


VARIANTS = (
    sut.Variant("one-way", "main puts the messages, the child gets them (the tutorial's first "
                "example)", "holds", Wiring("none")),
    sut.Variant("two-way-two-queues", "the child replies on a second queue: no process gets from "
                "the queue it puts on", "holds", Wiring("second-queue")),
    sut.Variant("two-way-single-queue", "the tutorial's two-way example: both directions share "
                "one queue, and only main's sleep keeps main from getting its own message",
                "violates", Wiring("same-queue")),
)


def run(params: Params, variant: sut.Variant[Wiring], *, start_method: str, seed: int = 0,
        timeout: float = sut.DEFAULT_TIMEOUT,
        schedule: sut.ScheduleLike | None = None) -> sut.Result:
    """Run one exchange and return what happened, with what was left in the queues."""
    backend = sut.Backend(start_method)
    with sut.Run(backend, "queue", variant.name, asdict(params),
                 mode=sut.shaking(params.jitter, schedule), seed=seed, timeout=timeout) as exchange:
        main = exchange.probe("main")
        to_child = backend.Queue(name="to child")
        replies = {"none": None, "second-queue": backend.Queue(name="replies"),
                   "same-queue": to_child}[variant.wiring.replies]
        start = backend.Barrier(2, "start")
        exchange.spawn("child", child, to_child, replies, params.messages, params.delay,
                       start, exchange.patience())
        parent(main, exchange, to_child, replies, params.messages, start)
        result = exchange.result()
        # The child is gone and main done: what is still queued was never taken.
        left = sut.drain(to_child, DRAIN_SETTLE)
        if replies is not None and replies is not to_child:
            left += sut.drain(replies, DRAIN_SETTLE)
    return result.with_final({"left": [list(item) for item in left]})


# --- invariants ------------------------------------------------------------

@sut.invariant(sut.CLEAN_EXIT, sut.NO_HANG)
def exits_cleanly(result: sut.Result) -> list[sut.Violation]:
    """Every process exits cleanly, and nobody waits for a message that never comes."""
    messages: int = result.params["messages"]

    def waiting_for(outcome: sut.WorkerOutcome) -> str:
        got = sum(1 for event in result.events_of(GOT) if event.worker == outcome.name)
        return (f", waiting for a message that never came (it had got {got} of "
                f"{sut.amount(messages, 'message')})" if got < messages else "")

    violations = sut.clean_exit(result, waiting_for=waiting_for)
    for event in result.events_of(NO_REPLY):
        violations.append(sut.Violation(
            sut.NO_HANG, f"main waited for a reply that never came (it had got {event.data['got']} "
                     f"of {messages} {'reply' if messages == 1 else 'replies'})"))
    if result.events_of(NO_CHILD):
        violations.append(sut.Violation(sut.NO_HANG, "main waited for the child to start, in vain"))
    return violations


@sut.invariant("exactly-once")
def exactly_once(result: sut.Result) -> list[sut.Violation]:
    """Every message put on a queue is taken off it exactly once."""
    violations = []
    sent = [(event.worker, event.data["message"]) for event in result.events_of(PUT)]
    taken = Counter((event.data["sender"], event.data["message"])
                    for event in result.events_of(GOT))
    left = Counter((sender, number) for sender, number in result.final.get("left", []))
    for sender, number in sent:
        times = taken[sender, number]
        if times > 1:
            violations.append(sut.Violation(
                "exactly-once", f"{sender}'s message {number} was taken {times} times"))
        elif times == 0:
            where = ("it was still in the queue at the end" if left[sender, number]
                     else "nobody got it and it was not in the queue either")
            violations.append(sut.Violation(
                "exactly-once", f"{sender}'s message {number} was never taken: {where}"))
    for sender, number in sorted(set(taken) - set(sent)):
        violations.append(sut.Violation(
            "exactly-once", f"{sender}'s message {number} was taken, but never put"))
    return violations


@sut.invariant("fifo")
def fifo(result: sut.Result) -> list[sut.Violation]:
    """Each receiver gets a sender's messages in the order they were sent."""
    order: dict[tuple[str, str], list[int]] = defaultdict(list)
    for event in result.events_of(GOT):
        order[event.worker, event.data["sender"]].append(event.data["message"])
    return [sut.Violation("fifo",
                          f"{receiver} got {sender}'s messages in the order {sut.numbers(got)}")
            for (receiver, sender), got in order.items() if got != sorted(got)]


@sut.invariant("not-to-sender")
def not_to_sender(result: sut.Result) -> list[sut.Violation]:
    """No message goes back to the process that sent it."""
    received = result.events_of(GOT)
    violations = []
    for receiver in dict.fromkeys(event.worker for event in received):
        own = [event.data["message"] for event in received
               if event.worker == receiver and event.data["sender"] == receiver]
        if own:
            violations.append(sut.Violation(
                "not-to-sender", f"{receiver} got its own message{'s' if len(own) > 1 else ''} "
                                 f"{sut.numbers(own)} back"))
    return violations


# The queue invariants, from the put/got events and what was left in the queues.
check = sut.Invariants(exits_cleanly, exactly_once, fifo, not_to_sender)


SCENARIO = sut.Scenario(
    name="queue",
    description="main and a child exchange messages through Queues, one way or two",
    params=Params, variants=VARIANTS, run=run, check=check,
    search=sut.Schedules(small={"messages": (1, 3)}),
    # The delay first: a search settles it before the message count, and so
    # replays one hanging run fewer for the late child.
    space={"delay": (0.0, LATE), "messages": (1, 4), "jitter": sut.JITTER},
    # What the tutorial's own programs get wrong, and why the fix works.
    lesson=(
        "One queue for both directions (the tutorial's two-way example) works only if the "
        "child takes main's messages before main looks for replies - which is all the "
        "tutorial's ``time.sleep(0.5)`` is for; otherwise main gets its own message back "
        "and the child waits forever. Two queues, one per direction, need no timing."
    ),
)
