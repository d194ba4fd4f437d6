"""``python -m sut list``: the scenarios, their parameters, variants and verdicts."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

from sut.cli.common import EXIT_HELD, Command, emit, json_option
from sut.drive import catalogue
from sut.drive.hunt import scheduled
from sut.engine.scenario import Scenario


def _entries(scenarios: list[Scenario]) -> list[dict[str, Any]]:
    return [{
        "name": scenario.name,
        "description": scenario.description,
        "params": {field.name: field.default for field in dataclasses.fields(scenario.params)},
        "variants": [{"name": v.name, "description": v.description, "expected": v.expected}
                     for v in scenario.variants],
        "schedule_mode": scheduled(scenario),
    } for scenario in scenarios]


def _table(entries: list[dict[str, Any]]) -> str:
    width = max(len(v["name"]) for entry in entries for v in entry["variants"])
    lines = []
    for entry in entries:
        defaults = " ".join(f"{key}={json.dumps(value)}" for key, value in entry["params"].items())
        lines += [f"{entry['name']}: {entry['description']}", f"  params: {defaults}"
                  + ("" if entry["schedule_mode"] else "  (no schedule mode)")]
        lines += [f"  {variant['name']:<{width}}  {variant['expected']:<9} "
                  f"{variant['description']}".rstrip() for variant in entry["variants"]]
    return "\n".join(lines)


def _options(command: argparse.ArgumentParser) -> None:
    command.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                         help="scenarios to list: names, module:NAME or path/to/file.py:NAME "
                              "(default: the catalogue)")
    json_option(command)


def _list(args: argparse.Namespace) -> int:
    chosen = [catalogue.get(name) for name in dict.fromkeys(args.scenarios)]
    entries = _entries(chosen or catalogue.catalogue())
    emit(json.dumps({"scenarios": entries}, indent=2) if args.json else _table(entries))
    return EXIT_HELD


LIST = Command("list", "the scenarios, their variants and verdicts", _options, _list)
