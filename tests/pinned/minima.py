"""The pinned facts: each broken variant's minimal counterexample, and how
many interleavings each explored configuration of a correct variant has.

Data, and nothing else, read in two places: tests/pinned/test_schedules.py
replays every minimum and explores every configuration (the suite pins
these facts), and ``python -m benchmarks.schedules`` times the searches and
explorations that lead to them, and checks they still end here. A run by a
schedule is a function of its schedule, and an exploration's count a fact
of the program: each changes only with the program, and then here, once.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sut.scenarios import bakery, event, ktv, pipe, printing, queue, sqlite, ticket, traffic
from sut.scenarios.chat import Params as ChatParams


@dataclass(frozen=True)
class Minimum:
    """A broken variant's minimal counterexample: the search for the ``invariants``
    (None: any) ends on ``params`` and ``schedule``, and the run told in one line is
    ``story`` (or, where the start method decides, the story under each) - with
    printing's pids written ``<pid>`` and the event's measured waits ``<s>``."""

    scenario: str
    variant: str
    invariants: Collection[str] | None
    params: Any
    schedule: tuple[int, ...]
    story: str | Mapping[str, str]

    @property
    def name(self) -> str:
        """``ticket-unlocked-consistent-count+no-oversell``: a test's id."""
        return f"{self.scenario}-{self.variant}-{'+'.join(sorted(self.invariants or {'any'}))}"


@dataclass(frozen=True)
class Explored:
    """A configuration of a correct variant, and how many interleavings it has: it holds
    in every one."""

    scenario: str
    variant: str
    params: Any
    interleavings: int


UNPICKLABLE = ("main created is_set=False | main gave-up at='start' reason='waiter 0 could "
               "not start' -> clean-exit: waiter 0 crashed before its first point: could not "
               "start: TypeError: cannot pickle '_thread.lock' object")

MINIMA: list[Minimum] = [
    Minimum("ticket", "unlocked", {"no-oversell", "consistent-count"},
        ticket.Params(buyers=2, tickets=1), (0, 0, 0, 1),
        "buyer 0 query count=1 | buyer 0 read count=1 | buyer 1 query count=1 | "
        "buyer 1 read count=1 | buyer 1 writing count=0 | buyer 1 bought left=0 | "
        "buyer 0 writing count=0 | buyer 0 bought left=0 -> no-oversell: sold 2 of 1 ticket: "
        "buyer 0 and buyer 1 both read count=1"),
    Minimum("ticket", "unlocked", {"valid-file"},
        ticket.Params(buyers=1, tickets=1, readers=1), (0, 0, 0, 0, 1),
        "buyer 0 query count=1 | buyer 0 read count=1 | buyer 0 writing count=0 | "
        "reader 0 torn text='' | buyer 0 bought left=0 | reader 0 queries count=2 -> "
        "valid-file: reader 0 read '' while the file was being rewritten"),
    Minimum("ticket", "tutorial", None,
        ticket.Params(buyers=1, tickets=1, readers=1), (0, 0, 0, 0, 0, 1),
        "buyer 0 query count=1 | buyer 0 read count=1 | buyer 0 writing count=0 | "
        "reader 0 torn text='' | buyer 0 bought left=0 | reader 0 queries count=2 -> "
        "valid-file: reader 0 read '' while the file was being rewritten"),
    Minimum("sqlite", "read-then-update", {"no-oversell", "consistent-count"},
        sqlite.Params(buyers=2, tickets=1), (0, 0, 0, 0, 0, 0, 1),
        "buyer 0 read count=1 | buyer 0 written count=0 | buyer 1 read count=1 | "
        "buyer 0 bought left=0 | buyer 1 written count=0 | buyer 1 bought left=0 -> "
        "no-oversell: sold 2 of 1 ticket: buyer 0 and buyer 1 both read count=1"),
    Minimum("sqlite", "deferred", {"buyer-answers"},
        sqlite.Params(buyers=2, tickets=1), (0, 0, 0, 0, 0, 0, 0, 1),
        "buyer 0 read count=1 | buyer 0 written count=0 | buyer 1 read count=1 | "
        "buyer 1 crashed: OperationalError: database is locked | buyer 0 bought left=0 -> "
        "clean-exit: buyer 1 crashed after 'read': OperationalError: database is locked"),
    Minimum("ktv", "unguarded", None, ktv.Params(people=2, rooms=1), (0, 0, 0, 0, 0, 0, 1),
        "person 0 arrive | person 0 enter | person 0 sing | person 1 arrive | person 1 enter | "
        "person 1 sing | person 1 leave | person 0 leave -> capacity: 2 people inside 1 room "
        "at once: person 0 and person 1"),
    Minimum("ktv", "lock", None, ktv.Params(people=2, rooms=2), (),
        "person 0 arrive | person 0 enter | person 1 arrive | person 0 alone | person 0 sing | "
        "person 0 leave | person 1 enter | person 1 alone | person 1 sing | person 1 leave -> "
        "rooms-fill-up: person 0 gave up waiting in a room for company while 1 other person "
        "was kept at the door (2 of 2 rooms should have filled)"),
    Minimum("printing", "unlocked", None, printing.Params(workers=2), (0, 0, 1),
        "worker 0 running n=0 | worker 1 running n=1 | worker 1 done n=1 | worker 0 done n=0 -> "
        "adjacent-lines: worker 0's lines were split by worker 1: '0 : <pid> is running' / "
        "'1 : <pid> is running' / '1 : <pid> is done' / '0 : <pid> is done'"),
    Minimum("bakery", "no-sentinel", None, bakery.Params(producers=1, consumers=1, buns=1), (),
        "consumer 0 get | producer 0 bake bun=0 | producer 0 put bun=0 | "
        "consumer 0 eat producer=0 bun=0 | consumer 0 ate | consumer 0 get | main gave-up "
        "waiting_for='consumer 0' | deadlock: consumer 0 waits for an item in buns (empty) -> "
        "no-hang: consumer 0 is stuck after 'get': it waits for an item in buns (empty)"),
    Minimum("bakery", "one-sentinel", None, bakery.Params(producers=1, consumers=2, buns=1), (),
        "consumer 0 get | consumer 1 get | producer 0 bake bun=0 | producer 0 put bun=0 | "
        "producer 0 put-none | consumer 0 eat producer=0 bun=0 | consumer 0 ate | consumer 0 "
        "get | consumer 0 got-none | main gave-up waiting_for='consumer 1' | deadlock: "
        "consumer 1 waits for an item in buns (empty) -> no-hang: consumer 1 is stuck after "
        "'get': it waits for an item in buns (empty)"),
    # task_done() before the work: main's join() returns while the bun is eaten.
    Minimum("bakery", "done-before-eating", None,
        bakery.Params(producers=1, consumers=1, buns=1), (0, 0, 1, 1, 1, 0, 0, -1),
        "consumer 0 get | producer 0 bake bun=0 | producer 0 put bun=0 | main producers-joined "
        "| consumer 0 eat producer=0 bun=0 | main buns-done | main put-none count=1 | consumer "
        "0 ate | consumer 0 get | consumer 0 got-none -> done-means-eaten: consumer 0 was still "
        "eating bun 0 of producer 0 when main's join() returned: it was marked done before it "
        "was eaten"),
    Minimum("traffic", "ignores-light", None, traffic.Params(cars=1, cycles=1), (0, 0, 0, 1),
        "light red cycle=1 | car 0 drive | car 0 pass | car 0 crossed green=False | light green "
        "cycle=1 | light stop cycles=1 -> green-only: car 0 passed at #3 while the light was "
        "red (red from #1 until #5)"),
    Minimum("traffic", "checks-once", None, traffic.Params(cars=1, cycles=1), (0, 0, 0, 1),
        "light red cycle=1 | car 0 drive | car 0 waiting | car 0 pass | car 0 crossed "
        "green=False | light green cycle=1 | light stop cycles=1 -> green-only: car 0 saw red "
        "at #3, then passed at #4 while the light was still red (red from #1 until #6)"),
    # The light changes colour before it takes the crossing lock to record it: the
    # car passes on a green the records do not show yet.
    Minimum("traffic", "unlocked-light", None, traffic.Params(cars=1, cycles=1),
        (0, 0, 0, 0, 1),
        "light red cycle=1 | car 0 drive | car 0 saw-green | car 0 pass | car 0 crossed "
        "green=True | light green cycle=1 | light stop cycles=1 -> green-only: car 0 passed at "
        "#4 while the light's records said red (red from #1 until #6), but saw green at #5, "
        "still in the crossing: the light changed colour without the crossing lock"),
    Minimum("queue", "two-way-single-queue", None, queue.Params(messages=1), (),
        "child ready | main put message=0 | main got sender='main' message=0 | deadlock: child "
        "waits for an item in to child (empty) -> no-hang: child is stuck after 'ready': it "
        "waits for an item in to child (empty)"),
    # A threading.Event fails by the start method, not by the interleaving:
    # a copy per child under fork, not picklable under the others.
    Minimum("event", "thread-event", None, event.Params(waiters=1, timeout=0.01), (), {
        "fork": "waiter 0 start is_set=False | main created is_set=False | main setting | "
                "main set is_set=True | waiter 0 woke returned=False is_set=False | main "
                "cleared is_set=False | waiter 0 timed-wait returned=False waited=<s> "
                "is_set=False -> set-wakes: main called set(), but waiter 0's wait() "
                "returned False",
        "forkserver": UNPICKLABLE, "spawn": UNPICKLABLE}),
    Minimum("pipe", "leaked-end", None, pipe.Params(messages=0), (),
        "receiver ready | main closed | deadlock: receiver waits for a message or end of file on "
        "pipe (left to right) (empty; its sending end is still open in receiver) -> no-hang: "
        "receiver is stuck after 'ready': it waits for a message or end of file on pipe "
        "(left to right) (empty; its sending end is still open in receiver)"),
]


def _counted(scenario: str, variant: str, *configurations: tuple[Any, int]) -> list[Explored]:
    """A correct variant's explored configurations: (its params, how many interleavings)."""
    return [Explored(scenario, variant, params, interleavings)
            for params, interleavings in configurations]


# A variant's configurations of 2 participants, then of 3 (main counts when it takes part).
EXPLORED: list[Explored] = [
    *_counted("ticket", "locked",
              (ticket.Params(buyers=2, tickets=1), 25), (ticket.Params(buyers=3, tickets=2), 414),
              (ticket.Params(buyers=1, tickets=1, readers=1), 20),
              (ticket.Params(buyers=2, tickets=1, readers=1), 382),
              (ticket.Params(buyers=2, tickets=1, kill_at="read"), 11)),
    *_counted("sqlite", "immediate",
              (sqlite.Params(buyers=2, tickets=1), 16),
              (sqlite.Params(buyers=2, tickets=1, kill_at="read"), 8),
              (sqlite.Params(buyers=2, tickets=1, kill_at="written", journal="wal"), 12),
              (sqlite.Params(buyers=3, tickets=2), 139)),
    *_counted("sqlite", "conditional-update",
              (sqlite.Params(buyers=2, tickets=1), 10),
              (sqlite.Params(buyers=2, tickets=1, kill_at="written"), 6),
              (sqlite.Params(buyers=3, tickets=2), 85)),
    *_counted("ktv", "semaphore",
              (ktv.Params(people=2, rooms=1), 18), (ktv.Params(people=2, rooms=2), 19),
              (ktv.Params(people=3, rooms=2), 101)),
    *_counted("printing", "locked",
              (printing.Params(workers=2), 10), (printing.Params(workers=3), 67)),
    *_counted("printing", "joined", (printing.Params(workers=3), 1)),
    *_counted("bakery", "sentinel-per-consumer",
              (bakery.Params(producers=1, consumers=1, buns=2), 16),
              (bakery.Params(producers=1, consumers=2, buns=1), 71)),
    *_counted("bakery", "joinable-queue",
              (bakery.Params(producers=1, consumers=1, buns=1), 5),
              (bakery.Params(producers=2, consumers=1, buns=1), 54)),
    *_counted("pipe", "closed-ends", (pipe.Params(messages=2), 19)),
    *_counted("traffic", "event",
              (traffic.Params(cars=1, cycles=1), 16), (traffic.Params(cars=1, cycles=2), 74),
              (traffic.Params(cars=2, cycles=1), 149)),
    *_counted("queue", "one-way", (queue.Params(messages=2), 10), (queue.Params(messages=3), 16)),
    *_counted("queue", "two-way-two-queues", (queue.Params(messages=2), 22)),
    *_counted("event", "event",
              (event.Params(waiters=1, timeout=0.01), 23),
              (event.Params(waiters=2, timeout=0.01), 189)),
]


# --- the chat: no schedule mode, its minimal inputs instead -----------------------

# The searches (sut/scenarios/chat/search.py, one per bug) run in tests/pinned/test_races.py: the
# demo runs them under fork, where a run takes milliseconds, and
# docs/RACES.md must say what they find. What they find is a fact of the
# handler's code, not of how its process started: the table below pins each
# minimal counterexample and replays it under every start method.
# The minimal counterexamples, and the evidence each gives per invariant (a
# pattern where the kernel may report EPIPE or ECONNRESET first).
TUTORIAL_COUNTEREXAMPLES = {
    # msg + '_sb': the message still carries its line end, so the suffix
    # lands at the start of the next line.
    "line-end": (ChatParams(messages=(("",),), max_clients=1), {
        "intact-replies": re.escape("client 0's reply to line 0 '' was '', not '_ok'")}),
    # while True: once the client is done, recv() returns b'' forever, and the
    # handler "answers" every empty message with the suffix; once the client
    # has gone, the next send raises.
    "eof": (ChatParams(messages=((),), max_clients=1), {
        "clean-close": re.escape(
            "client 0 was done sending, but the server went on sending "
            "('_ok_ok_ok_ok_ok_ok_ok_ok…', over 256 bytes more than it owed) and never closed "
            "the connection"),
        "clean-exit": r"handler 0 crashed after '(recv|send)': "
                      r"(BrokenPipeError|ConnectionResetError): .*"}),
    # recv(1024).decode('utf-8') of b'\xc2': half a character is not UTF-8;
    # the handler dies and the line is never answered.
    "split-character": (ChatParams(messages=(("\x80",),), chunking=((1,),), max_clients=1), {
        "one-reply-per-line": re.escape(
            "client 0 sent 1 line and got 0 replies: no reply to line 0 '\\x80'")}),
    # Neither is a byte that is not UTF-8 at all.
    "not-utf8": (ChatParams(messages=(("\udc80",),), max_clients=1), {
        "one-reply-per-line": re.escape(
            "client 0 sent 1 line and got 0 replies: no reply to line 0 '\\\\x80'")}),
}
