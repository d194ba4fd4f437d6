"""``python -m sut run``: run one variant of a scenario once, check it, and say why it
held or broke. Also what ``explore`` and ``stress`` share with it: choosing the
configuration, reporting a run, and the command that runs it again."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

from sut.cli import common
from sut.drive import catalogue
from sut.engine import Result, Violation
from sut.engine.coordinator import format_schedule, parse_schedule
from sut.engine.params import describe_params, parse_params
from sut.engine.scenario import Scenario, Variant
from sut.report.prove import run_command
from sut.report.story import story
from sut.scenarios import sqlite, ticket

# What reads the starting count of a scenario's ``--db``: a JSON document, a SQLite file.
DATABASE_READERS = {"ticket": ticket.read_database, "sqlite": sqlite.read_database}
# The timeline printed under a verdict stops after this many events.
TIMELINE_LIMIT = 40


def chosen(args: argparse.Namespace) -> tuple[Scenario, Variant, Any]:
    """The scenario, variant and params a command names (``run``: with ``--db``); its
    ``--timeout`` was checked as it was read."""
    scenario = catalogue.get(args.scenario)
    variant = scenario.variant(args.variant)
    params = _params(scenario, args.params, getattr(args, "db", None))
    return scenario, variant, params


def _params(scenario: Scenario, pairs: list[str], db: str | None) -> Any:
    if db is not None:
        if scenario.name not in DATABASE_READERS:
            raise common.UsageError("--db only applies to the ticket and sqlite scenarios")
        if any(pair.startswith("tickets=") for pair in pairs):
            raise common.UsageError("give tickets=N or --db PATH, not both")
        pairs = [*pairs, f"tickets={DATABASE_READERS[scenario.name](db)}"]
    return parse_params(scenario.params, pairs)


def _timeline(result: Result) -> list[str]:
    if not result.events:
        return ["  (no events)"]
    origin = result.events[0].t_ns
    shown = [e for e in result.events if e.label != "torn"]
    torn = len(result.events) - len(shown)
    # In schedule mode the order is the fact, not the milliseconds.
    told = [event for event in shown[:TIMELINE_LIMIT] if event.label != "crash"]
    lines = [f"  {number:4d}  {event.describe()}" if result.schedule is not None else
             f"  {(event.t_ns - origin) / 1e6:9.1f} ms  {event.describe()}"
             for number, event in enumerate(told, 1)]
    if len(shown) > TIMELINE_LIMIT:
        lines.append(f"  ... {len(shown) - TIMELINE_LIMIT} more events")
    if torn:
        lines.append(f"  ({torn} torn reads not shown)")
    return lines


def report(result: Result, violations: list[Violation], params: Any,
           spelled: str | None = None) -> str:
    """One run told: what ran, the verdict with its evidence, and the timeline; its
    replay names the scenario as ``spelled`` (default: by its name)."""
    how = (f"schedule {format_schedule(result.schedule) or '(default)'}"
           if result.schedule is not None else f"seed {result.seed}")
    header = (f"{result.scenario} --variant {result.variant} {describe_params(params)}"
              f"  [{result.start_method}, {how}]")
    if violations:
        verdict = [f"VIOLATED: {len(violations)} invariant violation"
                   f"{'s' if len(violations) != 1 else ''}"]
        verdict += [f"  {v.invariant}: {v.detail}" for v in violations]
    else:
        verdict = ["HELD: every invariant held"]
    if result.schedule is not None:
        replay = run_command(spelled or result.scenario, result.variant, params,
                             result.start_method, result.schedule)
        verdict += [f"steps: {story(result, violations)}", f"replay: {replay}"]
        verdict += [f"assumed: {assumption}" for assumption in result.assumed]
    return "\n".join([header, *verdict, "timeline:", *_timeline(result)])


def result_json(result: Result, violations: list[Violation]) -> dict[str, Any]:
    """One run as JSON: the run, whether it held, and its violations."""
    document = result.to_json()
    document["holds"] = not violations
    document["violations"] = [dataclasses.asdict(v) for v in violations]
    return document


def _options(command: argparse.ArgumentParser) -> None:
    common.configuration_options(command)
    common.seed_option(command, "seed of the jitter")
    command.add_argument("--db", metavar="PATH",
                         help="ticket and sqlite only: take the starting count from this "
                              "database file - a JSON document, or a SQLite database with a "
                              "table tickets(count) - which is read, never written")
    command.add_argument("--schedule", metavar="S",
                         help="run by this schedule instead of jitter: worker indices like "
                              "0,1,0, one per decision (as a report prints it); '' is the "
                              "default order")
    common.json_option(command)


def _run(args: argparse.Namespace) -> int:
    scenario, variant, params = chosen(args)
    schedule = None if args.schedule is None else parse_schedule(args.schedule)
    result, violations = scenario.evaluate(params, variant.name, start_method=args.start_method,
                                           seed=args.seed, timeout=args.timeout,
                                           schedule=schedule)
    if schedule and max(schedule) >= len(result.workers):
        raise common.UsageError(f"the schedule names worker {max(schedule)}, but this run has "
                                f"{len(result.workers)} (0 to {len(result.workers) - 1})")
    if args.json:
        common.emit(json.dumps(result_json(result, violations), ensure_ascii=False))
    else:
        common.emit(report(result, violations, params, args.scenario))
    return common.exit_code(bool(violations))


RUN = common.Command("run", "run one variant of a scenario and check it", _options, _run,
                     takes_params=True)
