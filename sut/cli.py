"""``python -m sut``: list the scenarios, run one and read why it held or broke; explore
every interleaving, see every race (``demo``), write the catalogue of races (``races``).

Exit codes: 0 the invariants held, 1 one was violated, 2 bad usage or input
(one line on stderr naming the problem, never a traceback). ``chat serve``
and ``chat client`` exit 0 when stopped or done, 1 when the connection
failed, 2 for bad usage or an address they cannot use.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn

from sut.chat import client as chat_client
from sut.chat import server as chat_server
from sut.chat.handlers import HANDLERS
from sut.chat.protocol import DEFAULT_SUFFIX, MAX_LINE
from sut.drive import catalogue
from sut.drive.explore import MAX_RUNS, Exploration, explore
from sut.drive.stress import Histogram, stress
from sut.drive.stress import report as stress_report
from sut.engine import DEFAULT_TIMEOUT, START_METHODS, Result, Violation, default_start_method
from sut.engine.coordinator import format_schedule, parse_schedule
from sut.engine.params import describe_params, parse_params
from sut.engine.scenario import Scenario, Variant
from sut.report import demo, races
from sut.report.picture import svg
from sut.report.story import story
from sut.scenarios import ticket

EXIT_HELD, EXIT_VIOLATED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# How many runs `stress` makes unless told.
STRESS_RUNS = 100
# The timeline printed under a verdict stops after this many events.
TIMELINE_LIMIT = 40


class UsageError(Exception):
    """Bad usage or input: reported as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _configuration_options(
        command: argparse.ArgumentParser,
        params: str = "scenario parameters; unspecified ones get their defaults") -> None:
    """The options of a command that runs one configuration: run, explore, stress."""
    command.add_argument("scenario", help="a scenario name (see `list`)")
    command.add_argument("--variant", required=True, help="a variant of the scenario")
    command.add_argument("params", nargs="*", metavar="KEY=VALUE", help=params)
    command.add_argument("--start-method", choices=START_METHODS,
                         default=default_start_method(),
                         help="how worker processes start (default: %(default)s)")
    command.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                         help="seconds before a run's live workers count as hung "
                              "(default: %(default)s)")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m sut",
                     description="List the scenarios, run one and read why it held or broke.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    listing = commands.add_parser("list", help="the scenarios, their variants and verdicts")
    listing.add_argument("--json", action="store_true", help="print one JSON object")

    run = commands.add_parser("run", help="run one variant of a scenario and check it")
    _configuration_options(run)
    run.add_argument("--seed", type=int, default=0, help="seed of the jitter (default: 0)")
    run.add_argument("--db", metavar="PATH",
                     help="ticket only: take the starting count from this database file "
                          "(it is read, never written)")
    run.add_argument("--schedule", metavar="S",
                     help="run by this schedule instead of jitter: worker indices like 0,1,0, "
                          "one per decision (as a report prints it); '' is the default order")
    run.add_argument("--json", action="store_true", help="print one JSON object")

    explore = commands.add_parser(
        "explore", help="run every interleaving of a small configuration and count violations")
    _configuration_options(explore, params="scenario parameters; keep them small "
                                           "(2-3 workers)")
    explore.add_argument("--max-runs", type=int, default=MAX_RUNS,
                         help="stop after this many interleavings (default: %(default)s)")
    explore.add_argument("--json", action="store_true", help="print one JSON object")

    stress = commands.add_parser(
        "stress", help="rerun one configuration many times under the real scheduler and "
                       "count each outcome (the tutorial's way to look for a race)")
    _configuration_options(stress)
    stress.add_argument("--runs", type=int, default=STRESS_RUNS,
                        help="how many runs (default: %(default)s)")
    stress.add_argument("--seed", type=int, default=0,
                        help="the first run's jitter seed; each run takes the next "
                             "(default: %(default)s)")
    stress.add_argument("--json", action="store_true", help="print one JSON object")

    demo = commands.add_parser(
        "demo", help="every race, drawn: each broken variant's minimal counterexample, and "
                     "each correct variant holding (in every interleaving, or on every input "
                     "that broke its siblings and more)")
    demo.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                      help="scenarios to show (default: every one)")
    demo.add_argument("--start-method", choices=START_METHODS, default=default_start_method(),
                      help="how worker processes start (default: %(default)s)")
    demo.add_argument("--svg", metavar="PATH",
                      help="also draw every race found, as one SVG picture, to PATH")

    races = commands.add_parser(
        "races", help="write docs/RACES.md and its pictures from what the tool finds")
    races.add_argument("--out", default="docs", metavar="DIR",
                       help="the folder to write RACES.md and races/*.svg in "
                            "(default: %(default)s)")
    races.add_argument("--start-method", choices=START_METHODS,
                       default=default_start_method(),
                       help="how worker processes start (default: %(default)s)")

    chat = commands.add_parser("chat", help="the tutorial's chat: a server with a process per "
                                            "connection, and its client")
    chat_commands = chat.add_subparsers(dest="chat_command", required=True, parser_class=_Parser)
    serve = chat_commands.add_parser("serve", help="serve until SIGTERM or Ctrl-C")
    serve.add_argument("--host", default=chat_server.LOOPBACK,
                       help="address to listen on (default: %(default)s)")
    serve.add_argument("--port", type=int, default=chat_server.DEFAULT_PORT,
                       help="port to listen on; 0 picks a free one (default: %(default)s)")
    serve.add_argument("--variant", choices=list(HANDLERS), default="framed",
                       help="framed: the line protocol; seed: the tutorial's handler "
                            "(default: %(default)s)")
    serve.add_argument("--max-clients", type=int, default=chat_server.DEFAULT_MAX_CLIENTS,
                       help="handlers at once; the other clients wait (default: %(default)s)")
    serve.add_argument("--suffix", default=DEFAULT_SUFFIX,
                       help="appended to every line (default: %(default)s)")
    serve.add_argument("--max-line", type=int, default=MAX_LINE,
                       help="longest line in bytes; a longer one ends the connection "
                            "(default: %(default)s)")
    serve.add_argument("--start-method", choices=START_METHODS, default=default_start_method(),
                       help="how handler processes start (default: %(default)s)")
    serve.add_argument("--log", metavar="PATH",
                       help="append what the server and its handlers do to PATH, as JSON lines")
    client = chat_commands.add_parser("client", help="send each line of input, print each reply")
    client.add_argument("--host", default=chat_server.LOOPBACK,
                        help="the server's address (default: %(default)s)")
    client.add_argument("--port", type=int, default=chat_server.DEFAULT_PORT,
                        help="the server's port (default: %(default)s)")
    return parser


def _list(as_json: bool) -> int:
    entries: list[dict[str, Any]] = [{
        "name": scenario.name,
        "description": scenario.description,
        "params": {field.name: field.default for field in dataclasses.fields(scenario.params)},
        "variants": [{"name": v.name, "description": v.description, "expected": v.expected}
                     for v in scenario.variants],
        "schedule_mode": scenario.schedulable,
    } for scenario in catalogue.catalogue()]
    if as_json:
        _emit(json.dumps({"scenarios": entries}, indent=2))
        return EXIT_HELD
    width = max(len(v["name"]) for entry in entries for v in entry["variants"])
    lines = []
    for entry in entries:
        defaults = " ".join(f"{key}={json.dumps(value)}" for key, value in entry["params"].items())
        lines += [f"{entry['name']}: {entry['description']}", f"  params: {defaults}"
                  + ("" if entry["schedule_mode"] else "  (no schedule mode)")]
        lines += [f"  {variant['name']:<{width}}  {variant['expected']:<9} {variant['description']}"
                  for variant in entry["variants"]]
    _emit("\n".join(lines))
    return EXIT_HELD


def _params(scenario: Scenario, pairs: list[str], db: str | None) -> Any:
    if db is not None:
        if scenario.name != "ticket":
            raise UsageError("--db only applies to the ticket scenario")
        if any(pair.startswith("tickets=") for pair in pairs):
            raise UsageError("give tickets=N or --db PATH, not both")
        pairs = [*pairs, f"tickets={ticket.read_database(db)}"]
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


def _command(result: Result, params: Any) -> str:
    """The command that runs ``result``'s configuration again (by its schedule, if any)."""
    return _run_command(result.scenario, result.variant, params, result.start_method,
                        result.schedule)


def _run_command(scenario: str, variant: str, params: Any, start_method: str,
                 schedule: Sequence[int] | None = None) -> str:
    """``python -m sut run ...`` for this configuration."""
    command = f"python -m sut run {scenario} --variant {variant}"
    if describe_params(params):
        command += f" {describe_params(params)}"
    if start_method != default_start_method():
        command += f" --start-method {start_method}"
    if schedule is not None:
        command += f" --schedule '{format_schedule(schedule)}'"
    return command


def _report(result: Result, violations: list[Violation], params: Any) -> str:
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
        verdict += [f"steps: {story(result, violations)}", f"replay: {_command(result, params)}"]
    return "\n".join([header, *verdict, "timeline:", *_timeline(result)])


def _result_json(result: Result, violations: list[Violation]) -> dict[str, Any]:
    document = result.to_json()
    document["holds"] = not violations
    document["violations"] = [dataclasses.asdict(v) for v in violations]
    return document


def _chosen(args: argparse.Namespace) -> tuple[Scenario, Variant, Any]:
    """The scenario, variant and params a command names (``run``: with ``--db``); its
    ``--timeout`` checked."""
    scenario = catalogue.get(args.scenario)
    variant = scenario.variant(args.variant)
    params = _params(scenario, args.params, getattr(args, "db", None))
    if not args.timeout > 0:
        raise UsageError(f"--timeout must be > 0 seconds, got {args.timeout}")
    return scenario, variant, params


def _run(args: argparse.Namespace) -> int:
    scenario, variant, params = _chosen(args)
    schedule = None if args.schedule is None else parse_schedule(args.schedule)
    result, violations = scenario.evaluate(params, variant.name, start_method=args.start_method,
                                           seed=args.seed, timeout=args.timeout,
                                           schedule=schedule)
    if schedule and max(schedule) >= len(result.workers):
        raise UsageError(f"the schedule names worker {max(schedule)}, but this run has "
                         f"{len(result.workers)} (0 to {len(result.workers) - 1})")
    if args.json:
        _emit(json.dumps(_result_json(result, violations), ensure_ascii=False))
    else:
        _emit(_report(result, violations, params))
    return EXIT_VIOLATED if violations else EXIT_HELD


class _Progress:
    """``explored 120 interleavings, 35 waiting`` on a terminal's stderr, twice a second."""

    def __init__(self) -> None:
        self._shown = 0.0
        self._live = sys.stderr.isatty()

    def __call__(self, runs: int, left: int) -> None:
        if self._live and time.monotonic() - self._shown > 0.5:
            self._shown = time.monotonic()
            print(f"\rexplored {runs} interleavings, {left} waiting ",
                  end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self._live and self._shown:
            print("\r" + " " * 60 + "\r", end="", file=sys.stderr, flush=True)


def _explore(args: argparse.Namespace) -> int:
    scenario, variant, params = _chosen(args)
    if args.max_runs < 1:
        raise UsageError(f"--max-runs must be >= 1, got {args.max_runs}")
    if not scenario.schedulable:
        raise UsageError(f"{scenario.name} cannot be explored: {scenario.unscheduled}")
    progress = _Progress()
    began = time.monotonic()
    exploration = explore(
        lambda schedule: scenario.evaluate(params, variant.name, start_method=args.start_method,
                                           timeout=args.timeout, schedule=schedule),
        max_runs=args.max_runs, progress=progress)
    progress.done()
    took = time.monotonic() - began
    if args.json:
        document: dict[str, Any] = {
            "scenario": scenario.name, "variant": variant.name,
            "params": dataclasses.asdict(params), "start_method": args.start_method,
            "runs": exploration.runs, "violating": exploration.violating,
            "complete": exploration.complete, "seconds": round(took, 3),
            "first": _result_json(*exploration.first) if exploration.first else None}
        _emit(json.dumps(document, ensure_ascii=False))
    else:
        _emit(_exploration_report(exploration, scenario.name, variant.name, params,
                                  args.start_method, took))
    return EXIT_VIOLATED if exploration.violating else EXIT_HELD


def _exploration_report(exploration: Exploration, scenario: str, variant: str, params: Any,
                        start_method: str, took: float) -> str:
    what = f"{scenario} --variant {variant} {describe_params(params)}".rstrip()
    scope = "every interleaving" if exploration.complete else (
        f"stopped at --max-runs {exploration.runs}; more interleavings remain")
    lines = [f"explored {exploration.runs} interleavings of {what} [{start_method}] "
             f"in {took:.1f} s ({scope}): {exploration.violating} violate"]
    if exploration.first is None:
        lines.append("HELD: every invariant held in every interleaving explored")
    else:
        result, violations = exploration.first
        lines += [f"first violating schedule: {format_schedule(result.schedule or ())}", "",
                  _report(result, violations, params)]
    return "\n".join(lines)


class _Bar:
    """``[#######.......]  120/200 runs, 18 forbidden`` on a terminal's stderr."""

    WIDTH = 30

    def __init__(self, total: int) -> None:
        self._total = total
        self._shown = 0.0
        self._live = sys.stderr.isatty()

    def __call__(self, histogram: Histogram) -> None:
        if self._live and (time.monotonic() - self._shown > 0.1
                           or histogram.runs == self._total):
            self._shown = time.monotonic()
            filled = self.WIDTH * histogram.runs // self._total
            print(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {histogram.runs}/"
                  f"{self._total} runs, {histogram.forbidden} forbidden ",
                  end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self._live and self._shown:
            print("\r" + " " * (self.WIDTH + 50) + "\r", end="", file=sys.stderr, flush=True)


def _stress(args: argparse.Namespace) -> int:
    scenario, variant, params = _chosen(args)
    if args.runs < 1:
        raise UsageError(f"--runs must be >= 1, got {args.runs}")
    bar = _Bar(args.runs)
    histogram = stress(
        lambda seed: scenario.evaluate(params, variant.name, start_method=args.start_method,
                                       seed=seed, timeout=args.timeout),
        runs=args.runs, first_seed=args.seed, progress=bar)
    bar.done()
    if args.json:
        _emit(json.dumps({
            "scenario": scenario.name, "variant": variant.name,
            "params": dataclasses.asdict(params), "start_method": args.start_method,
            "runs": histogram.runs, "seconds": round(histogram.seconds, 3),
            "interrupted": histogram.interrupted,
            "outcomes": [{"broken": list(tally.outcome.broken),
                          "acceptable": tally.outcome.acceptable, "count": tally.count,
                          "frequency": round(tally.count / histogram.runs, 4),
                          "first_seed": tally.first_seed, "evidence": tally.evidence}
                         for tally in histogram.tallies()]}, ensure_ascii=False))
    else:
        what = (f"{scenario.name} --variant {variant.name} {describe_params(params)}".rstrip()
                + f" [{args.start_method}]")
        _emit(stress_report(histogram, what=what, replay=_run_command(
            scenario.name, variant.name, params, args.start_method)))
    if histogram.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_VIOLATED if histogram.forbidden else EXIT_HELD


def _demo(args: argparse.Namespace) -> int:
    def progress(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    if args.svg is not None:
        _check_writable(args.svg)  # before the searches, not after
    verdicts = demo.show(args.scenarios, start_method=args.start_method, say=_emit,
                         progress=progress)
    drawings = [verdict.broken for verdict in verdicts if verdict.broken is not None]
    if args.svg is not None:
        _write_whole(args.svg, svg(drawings))
        progress(f"drew {len(drawings)} races to {args.svg}")
    return EXIT_HELD if all(verdict.as_expected for verdict in verdicts) else EXIT_VIOLATED


def _races(args: argparse.Namespace) -> int:
    if not os.path.isdir(args.out):
        raise UsageError(f"cannot write in {args.out!r}: no such folder")
    os.makedirs(os.path.join(args.out, races.PICTURES), exist_ok=True)
    files = races.document(start_method=args.start_method,
                           progress=lambda text: print(text, file=sys.stderr, flush=True))
    for name, text in files.items():
        _write_whole(os.path.join(args.out, name), text)
    _emit(f"wrote {', '.join(sorted(files))} in {args.out}")
    return EXIT_HELD


def _check_writable(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write {path!r}: no folder {folder!r}")
    if os.path.isdir(path):
        raise UsageError(f"cannot write {path!r}: it is a folder")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write {path!r}: the folder is not writable")


def _write_whole(path: str, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all: a temporary file, then a rename."""
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise UsageError(f"cannot write {path!r}: {exc.strerror or exc}") from None


def _port(port: int) -> int:
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be 0 to 65535, got {port}")
    return port


def _serve(args: argparse.Namespace) -> int:
    if args.max_clients < 1:
        raise UsageError(f"--max-clients must be >= 1, got {args.max_clients}")
    if args.max_line < 1:
        raise UsageError(f"--max-line must be >= 1 byte, got {args.max_line}")
    try:
        args.suffix.encode("utf-8")  # bytes that were not UTF-8 come as lone surrogates
    except UnicodeEncodeError:
        raise UsageError(f"--suffix must be UTF-8 text, got {args.suffix!r}") from None
    if "\n" in args.suffix:
        raise UsageError(f"--suffix must not hold a line break, got {args.suffix!r}")
    if args.log is not None:
        try:
            with open(args.log, "a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise UsageError(f"cannot write the log {args.log!r}: {exc.strerror or exc}") from None
    try:
        listener = chat_server.bind(args.host, _port(args.port))
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: "
                         f"{exc.strerror or exc}") from None
    config = chat_server.ServerConfig(
        handler=HANDLERS[args.variant], suffix=args.suffix, max_clients=args.max_clients,
        max_line=args.max_line, start_method=args.start_method, log=args.log)
    _emit(f"listening on {chat_server.address_of(listener)}")
    chat_server.serve(listener, config)
    return EXIT_HELD


def _client(args: argparse.Namespace) -> int:
    port = _port(args.port)
    try:
        chat_client.chat(args.host, port, sys.stdin.buffer, sys.stdout.buffer,
                         interactive=sys.stdin.isatty())
    except BrokenPipeError:
        _silence_stdout()  # the reader of the replies went away (| head)
    except chat_client.ServerGone as exc:
        print(f"sut: error: {exc}", file=sys.stderr)
        return EXIT_VIOLATED
    except OSError as exc:
        print(f"sut: error: cannot talk to {args.host}:{port}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_VIOLATED
    return EXIT_HELD


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m sut``; returns the exit code."""
    try:
        # KEY=VALUE pairs may stand before, between or after the options;
        # argparse only takes one run of positionals, so the rest come back here.
        args, extra = _build_parser().parse_known_args(argv)
        takes_params = args.command in ("run", "explore", "stress")
        unknown = [arg for arg in extra if not takes_params or arg.startswith("-")]
        if unknown:
            raise UsageError(f"unrecognized arguments: {' '.join(unknown)}")
        if takes_params:
            args.params += extra
        if args.command == "chat":
            return _serve(args) if args.chat_command == "serve" else _client(args)
        if args.command == "explore":
            return _explore(args)
        if args.command == "stress":
            return _stress(args)
        if args.command == "demo":
            return _demo(args)
        if args.command == "races":
            return _races(args)
        return _list(args.json) if args.command == "list" else _run(args)
    except (UsageError, ValueError) as exc:
        print(f"sut: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("sut: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _emit(text: str) -> None:
    """Print ``text``; if the reader went away (``| head``), stop printing quietly."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        _silence_stdout()


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the flush at exit does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
