"""Bakery - the tutorial's producer/consumer model: buns passed through a Queue.

Producers (the cooks) bake ``buns`` buns each and put them on one queue;
consumers (the eaters) get buns off it and eat them. Main is the test process
itself: it starts every worker, then plays the tutorial's ``__main__``. All
workers meet at a barrier before the first bun is put, so every consumer is
already waiting when the baking starts.

The whole difficulty is the end: a consumer blocked in ``q.get()`` cannot tell
"no bun yet" from "no bun ever", so someone has to tell it, with a ``None``
(the sentinel). Variants differ only in the queue and in who sends the
sentinels:

- ``no-sentinel``: the tutorial's first program. Nobody sends one: once the
  buns are eaten every consumer waits in ``get()`` forever, and the
  tutorial's main, which joins its children at exit, never ends.
- ``one-sentinel``: the tutorial's fix. Each producer puts one ``None`` after
  its buns. Right only when there are as many producers as consumers: with
  more consumers, some never get a ``None`` and wait forever; with more
  producers, a consumer stops at the first ``None`` it sees, leaving the
  other Nones - and usually buns still coming behind them - in the queue.
- ``sentinel-per-consumer``: the tutorial's closing remark done right: main
  joins the producers, and only then puts one ``None`` per consumer. Every
  bun is in the queue ahead of every ``None``.
- ``joinable-queue``: a ``JoinableQueue``: consumers mark every item done,
  main joins the producers, waits until every bun is done, then sends one
  ``None`` per consumer and waits for the consumers.
- ``done-before-eating``: the same, but a consumer marks a bun done as soon
  as it gets it, before eating it: main's ``join()`` returns while buns are
  still being eaten. ``join()`` returning must mean every bun's work is
  done, and that is judged from the eating itself, not from the
  ``task_done()`` that is supposed to follow it.

Every wait of main is bounded by the run's deadline: a wait that runs out is
recorded (``gave-up``), the consumer still alive at the deadline is a hung
outcome, stuck after its ``get`` point. Once everyone has ended on their own,
main drains the queue to see what was left in it.

Invariants: every bun eaten exactly once; each consumer sees each producer's
buns in the order they were baked; every consumer ends through a ``None`` it
got itself; no bun is eaten after main was told every bun was done; main
finishes (none of its waits runs out); the queue is empty at the end; clean
exits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

import sut
from sut.engine.spans import SPELLED_OUT, missing

# A producer bakes and puts each bun, and maybe a None after them; a consumer
# gets (recorded before it blocks), eats and has eaten, or gets a None and stops.
BAKE, PUT, PUT_NONE = "bake", "put", "put-none"
GET, EAT, ATE, GOT_NONE = "get", "eat", "ate", "got-none"
# Main's part: the producers joined, every bun marked done, a wait it gave up.
PRODUCERS_JOINED, BUNS_DONE, GAVE_UP = "producers-joined", "buns-done", "gave-up"


@dataclass(frozen=True)
class Params(sut.Checked):
    """One cook baking 3 buns for one eater, as in the tutorial (with fewer buns).

    Limits (docs/LIMITS.md): ``producers`` and ``consumers`` 1 to 1024, at most
    1024 together (``MAX_PROCESSES``: each is a process); ``buns`` 1 to 10,000
    per producer (``MAX_ROUNDS``), and at most 100,000 in all (``MAX_ITEMS``:
    ``producers`` x ``buns``).
    """

    producers: int = sut.processes(1)
    consumers: int = sut.processes(1)
    buns: int = sut.rounds(3)  # per producer
    jitter: float = sut.param(0.05, sut.jitter_width)

    def __post_init__(self) -> None:
        super().__post_init__()
        baked = self.producers * self.buns
        if baked > sut.MAX_ITEMS:
            raise ValueError(f"producers={self.producers} buns={self.buns} would bake {baked} "
                             f"buns; at most {sut.MAX_ITEMS} ({sut.ITEMS})")


# --- the program -----------------------------------------------------------

def producer(probe: sut.Probe, queue: Any, index: int, buns: int, sends_none: bool,
             start: Any, start_timeout: float) -> None:
    start.wait(start_timeout)  # every consumer is waiting before the first bun is put
    for bun in range(buns):
        probe.point(BAKE, bun=bun)  # the baking time: time.sleep(random.randint(1, 3))
        queue.put((index, bun))
        probe.record(PUT, bun=bun)
    if sends_none:
        queue.put(None)  # the tutorial's v2: q.put(None), "send the end signal"
        probe.record(PUT_NONE)


def consumer(probe: sut.Probe, queue: Any, done: Done, start: Any, start_timeout: float) -> None:
    start.wait(start_timeout)
    while True:
        # Recorded before blocking: a consumer that waits forever is hung after 'get'.
        probe.record(GET)
        item = queue.get()
        if item is None:  # the tutorial's v2: if res is None: break
            probe.record(GOT_NONE)
            if done != "never":
                queue.task_done()
            return
        maker, bun = item
        if done == "before-eating":
            queue.task_done()
        probe.point(EAT, producer=maker, bun=bun)  # the eating time
        probe.record(ATE)  # the work is over
        if done == "after-eating":
            queue.task_done()


# --- variants and run ------------------------------------------------------

# When a consumer marks a bun done: never (a plain Queue), or before or after eating it.
Done = Literal["never", "before-eating", "after-eating"]


@dataclass(frozen=True)
class Wiring:
    """The queue, and who puts the Nones: nobody, each producer after its
    buns, or main once the producers are gone (one per consumer)."""

    queue: Literal["queue", "joinable"]
    nones: Literal["none", "per-producer", "per-consumer"]
    done: Done = "never"  # of a JoinableQueue: when a consumer marks a bun done


VARIANTS = (
    sut.Variant("no-sentinel", "the tutorial's first program: consumers loop on get() forever",
                "violates", Wiring("queue", "none")),
    sut.Variant("one-sentinel", "the tutorial's fix: each producer puts one None after its buns",
                "violates", Wiring("queue", "per-producer")),
    sut.Variant("sentinel-per-consumer", "main joins the producers, then puts one None per "
                "consumer", "holds", Wiring("queue", "per-consumer")),
    sut.Variant("joinable-queue", "a JoinableQueue: main joins the producers, waits until every "
                "bun is done, then puts one None per consumer", "holds",
                Wiring("joinable", "per-consumer", "after-eating")),
    sut.Variant("done-before-eating", "the JoinableQueue, but a consumer calls task_done() as "
                "soon as it gets a bun, before eating it", "violates",
                Wiring("joinable", "per-consumer", "before-eating")),
)


def _as_json(item: Any) -> Any:
    """A drained item as JSON keeps it: ``[producer, bun]`` or ``None``."""
    return None if item is None else list(item)


def run(params: Params, variant: sut.Variant[Wiring], *, start_method: str, seed: int = 0,
        timeout: float = sut.DEFAULT_TIMEOUT,
        schedule: sut.ScheduleLike | None = None) -> sut.Result:
    """Bake, eat, and return what happened."""
    wiring = variant.wiring
    backend = sut.Backend(start_method)
    with sut.Run(backend, "bakery", variant.name, asdict(params),
                 mode=sut.shaking(params.jitter, schedule), seed=seed,
                 timeout=timeout) as bakery:
        main = bakery.probe("main")
        joinable = wiring.queue == "joinable"
        queue = backend.JoinableQueue(name="buns") if joinable else backend.Queue(name="buns")
        start = backend.Barrier(params.producers + params.consumers, "start")
        producers = [f"producer {i}" for i in range(params.producers)]
        consumers = [f"consumer {i}" for i in range(params.consumers)]
        for name in consumers:
            bakery.spawn(name, consumer, queue, wiring.done, start, bakery.patience())
        for i, name in enumerate(producers):
            bakery.spawn(name, producer, queue, i, params.buns, wiring.nones == "per-producer",
                         start, bakery.patience())

        if wiring.nones == "per-consumer":
            _send_nones_after_producers(bakery, main, queue, joinable, producers, consumers)
        # The tutorial's main joins its children when it exits (they are not
        # daemons): waiting for everyone here is that join, bounded.
        everyone_gone = _wait_for(bakery, main, consumers + producers)
        # A consumer still blocked in get() holds the queue's read lock (and
        # would race main for what is left); stopped there, it dies holding
        # it. So the queue is drained only once everyone has ended on their
        # own; otherwise what it held is unknown (None) and not judged.
        leftover = [_as_json(item) for item in sut.drain(queue)] if everyone_gone else None
        return bakery.result().with_final({"leftover": leftover})


def _send_nones_after_producers(bakery: sut.Run, main: sut.Probe, queue: Any, joinable: bool,
                                producers: list[str], consumers: list[str]) -> None:
    """Main's part in the correct variants: join the producers, then one None per consumer.

    The tutorial: "the None can be sent by main too, but only once the
    producers are done". Joined, the producers have flushed every bun into
    the queue, so each None is behind all of them.
    """
    if not _wait_for(bakery, main, producers):
        return
    main.record(PRODUCERS_JOINED)
    if joinable:
        if not sut.join_queue(queue, bakery.remaining()):
            main.record(GAVE_UP, waiting_for="every bun to be marked done")
            return
        main.record(BUNS_DONE)
    for _ in consumers:
        queue.put(None)
    main.record(PUT_NONE, count=len(consumers))


def _wait_for(bakery: sut.Run, main: sut.Probe, workers: list[str]) -> bool:
    """Wait (until the deadline at most) for ``workers``; record those main gave up on."""
    stuck = [name for name in workers if not bakery.wait([name])]
    if stuck:
        main.record(GAVE_UP, waiting_for=sut.names(stuck))
    return not stuck


# --- invariants ------------------------------------------------------------

def _bun(maker: int, bun: int) -> str:
    return f"bun {bun} of producer {maker}"


def _nones(count: int) -> str:
    return "no None" if count == 0 else f"{count} None" + ("" if count == 1 else "s")


def _nones_sent(result: sut.Result) -> int:
    """Producers put one None each; main records how many it put at once."""
    return sum(event.data.get("count", 1) for event in result.events_of(PUT_NONE))


@sut.invariant("exactly-once")
def exactly_once(result: sut.Result) -> list[sut.Violation]:
    """Every bun baked is eaten exactly once."""
    producers: int = result.params["producers"]
    buns: int = result.params["buns"]
    eaters: dict[tuple[int, int], list[str]] = defaultdict(list)
    for event in result.events_of(EAT):
        eaters[event.data["producer"], event.data["bun"]].append(event.worker)
    never, count = _never_eaten(producers, buns, eaters)
    violations = []
    if never:
        violations.append(sut.Violation(
            "exactly-once", f"{sut.listing(never)} {'was' if count == 1 else 'were'} "
                            "never eaten"))
    for key, who in sorted(eaters.items()):
        if len(who) > 1:
            violations.append(sut.Violation(
                "exactly-once", f"{_bun(*key)} was eaten {len(who)} times: by {sut.names(who)}"))
    return violations


def _never_eaten(producers: int, buns: int,
                 eaten: Iterable[tuple[int, int]]) -> tuple[list[str], int]:
    """The buns baked but never eaten, told producer by producer, and how many.

    Worked out from the buns eaten, not from every bun baked: a run stopped at
    its deadline after 3 of a billion buns tells the rest as one span
    (``buns 3 to 999999999 of producer 0``), in memory proportional to its events.
    """
    eaten_of: dict[int, list[int]] = defaultdict(list)
    for maker, bun in eaten:
        eaten_of[maker].append(bun)
    never: list[str] = []
    count = 0
    for maker in range(producers):
        for span in missing(buns, eaten_of.get(maker, ())):
            count += len(span)
            if len(span) <= SPELLED_OUT:
                never += [_bun(maker, bun) for bun in span]
            else:
                never.append(f"buns {span[0]} to {span[-1]} of producer {maker}")
    return never, count


@sut.invariant("producer-order")
def producer_order(result: sut.Result) -> list[sut.Violation]:
    """Each consumer eats each producer's buns in the order they were baked."""
    # A FIFO queue hands a producer's buns out in the order they were put,
    # and one consumer's successive gets take them in that order. Across
    # consumers there is no such promise: two consumers may get bun 0 and bun
    # 1 in that order and record their "eat" in the other, so a merged
    # timeline of all consumers is not the queue's order - only each consumer's own is.
    violations = []
    last_seen: dict[tuple[str, int], int] = {}
    for event in result.events_of(EAT):
        maker, bun = event.data["producer"], event.data["bun"]
        before = last_seen.get((event.worker, maker))
        if before is not None and bun <= before:
            violations.append(sut.Violation(
                "producer-order", f"{event.worker} ate {_bun(maker, bun)} after bun {before}"))
        last_seen[event.worker, maker] = bun
    return violations


@sut.invariant("ends-by-sentinel")
def ends_by_sentinel(result: sut.Result) -> Iterator[str]:
    """Every consumer ends through a None it got itself."""
    consumers: int = result.params["consumers"]
    sent = _nones_sent(result)
    for outcome in result.workers:
        if not outcome.name.startswith("consumer"):
            continue
        own = result.events_by(outcome.name)
        if any(event.label == GOT_NONE for event in own):
            continue
        last = [event for event in own if event.label == EAT]
        after = (f"after eating {_bun(last[-1].data['producer'], last[-1].data['bun'])}"
                 if last else "before eating any bun")
        if outcome.status == "hung":
            state = f"was still waiting in get() {after} at the deadline"
        elif outcome.status == "deadlocked":
            state = f"waits in get() {after}, and nobody can put anything"
        else:
            state = f"ended ({outcome.status}) {after}"
        yield (f"{outcome.name} never got a None: it {state} "
               f"({_nones(sent)} sent for {sut.amount(consumers, 'consumer')})")


@sut.invariant("done-means-eaten")
def done_means_eaten(result: sut.Result) -> list[sut.Violation]:
    """No bun is still being eaten once main's ``join()`` of the JoinableQueue returned.

    The join returning means every bun's work is done: judged from the eating
    itself, not from the ``task_done()`` calls that should follow it.
    """
    told = result.events_of(BUNS_DONE)
    if not told:
        return []
    violations = []
    for consumer in {event.worker for event in result.events_of(EAT)}:
        eating: sut.Event | None = None  # the bun this consumer is eating
        for event in result.events_by(consumer):
            if event.label == EAT:
                eating = event
            elif event.label == ATE and eating is not None:
                if event.t_ns > told[0].t_ns:
                    bun = _bun(eating.data["producer"], eating.data["bun"])
                    violations.append(sut.Violation("done-means-eaten", (
                        f"{consumer} was still eating {bun} when main's join() returned: "
                        "it was marked done before it was eaten")))
                eating = None
    return sorted(violations, key=lambda violation: violation.detail)


@sut.invariant("main-finishes")
def main_finishes(result: sut.Result) -> list[sut.Violation]:
    """Main finishes: none of its waits runs out - where the tutorial's main hangs."""
    return [sut.Violation("main-finishes", f"main gave up waiting for {event.data['waiting_for']}: "
                                       "unbounded, it would wait forever")
            for event in result.events_of(GAVE_UP)]


@sut.invariant("queue-empty")
def queue_empty(result: sut.Result) -> list[sut.Violation]:
    """The queue is empty once everyone is gone (not judged if someone never went)."""
    consumers: int = result.params["consumers"]
    leftover = result.final.get("leftover")
    if not leftover:
        return []
    violations = []
    nones = sum(item is None for item in leftover)
    if nones:
        violations.append(sut.Violation(
            "queue-empty", f"{_nones(nones)} {'was' if nones == 1 else 'were'} left in "
                           f"the queue ({_nones(_nones_sent(result))} sent for "
                           f"{sut.amount(consumers, 'consumer')})"))
    left = [_bun(*item) for item in leftover if item is not None]
    if left:
        violations.append(sut.Violation(
            "queue-empty", f"{sut.listing(left)} {'was' if len(left) == 1 else 'were'} left "
                           "in the queue"))
    return violations


# The bakery invariants, from the events and what was left in the queue.
check = sut.Invariants(sut.exits_cleanly, exactly_once, producer_order, ends_by_sentinel,
                       done_means_eaten, main_finishes, queue_empty)


SCENARIO = sut.Scenario(
    name="bakery",
    description="producers and consumers pass buns through a Queue and must all stop "
                "(sentinels)",
    params=Params, variants=VARIANTS, run=run, check=check,
    search=sut.Schedules(small={"producers": (1, 3), "consumers": (1, 3), "buns": (1, 3)}),
    # Producers and consumers are drawn apart: the tutorial's one None per
    # producer is right exactly when their counts happen to be equal.
    space={"producers": (1, 3), "consumers": (1, 3), "buns": (1, 3), "jitter": sut.JITTER},
    # What the tutorial's own programs get wrong, and why the fix works.
    lesson=(
        "Consumers blocked in ``get()`` cannot tell that the producers are done. The "
        "tutorial's first program never tells them (``no-sentinel``: they wait forever). "
        "Its fix - each producer puts one ``None`` (``one-sentinel``) - is right only "
        "when producers and consumers are as many: otherwise a consumer waits forever, or "
        "a ``None`` is left behind. Main putting one ``None`` per consumer once it has "
        "joined the producers holds, and so does a JoinableQueue main joins first - if "
        "each bun is marked done once it is eaten: marked done before (``done-before-"
        "eating``), main's ``join()`` returns while buns are still being eaten."
    ),
)
