"""The docs say what is true: links that lead somewhere, commands and options that exist,
defaults and exit codes the code has, a README short enough to read.

Everything is read from the files and from the objects the code builds (the
CLI's argparse parser, the catalogue): no process is started.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import re
from pathlib import Path

import pytest

import sut
from benchmarks import __main__ as benchmarks_main
from sut import cli
from sut.cli.exploring import MOST_JOBS
from sut.drive.ahead import default_jobs
from sut.engine import default_start_method

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
CLI_DOC = DOCS / "CLI.md"
README_LIMIT = 12288  # bytes: a README a user reads through
DOCUMENTS = [README, ROOT / "CHANGELOG.md", *sorted(DOCS.glob("*.md"))]

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
COMMAND = re.compile(r"python -m sut ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?")
OPTION = re.compile(r"--[a-z][a-z-]*")
# How a doc names an exit code's meaning, and the constant in sut/cli.py that has it.
EXIT_CODES = {"held": cli.EXIT_HELD, "violated": cli.EXIT_VIOLATED,
              "bad input": cli.EXIT_USAGE, "interrupted": cli.EXIT_INTERRUPTED}


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return {name: child for action in parser._actions
            if isinstance(action, argparse._SubParsersAction)
            for name, child in action.choices.items()}


def _commands() -> dict[str, argparse.ArgumentParser]:
    """Every command of the real parser by its words: ``run``, ``chat serve``, ..."""
    found: dict[str, argparse.ArgumentParser] = {}
    for name, child in _subcommands(cli._build_parser()).items():
        found[name] = child
        found.update({f"{name} {sub}": grandchild
                      for sub, grandchild in _subcommands(child).items()})
    return found


COMMANDS = _commands()


def _options(command: str) -> dict[str, argparse.Action]:
    return {option: action for action in COMMANDS[command]._actions
            for option in action.option_strings
            if option.startswith("--") and option != "--help"}


def _sections(text: str) -> list[tuple[str, str]]:
    """``(heading, body)`` for every ``## `` section."""
    parts = re.split(r"^## (.*)$", text, flags=re.MULTILINE)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def _section_commands(heading: str) -> list[str]:
    """The commands a heading names: ``python -m sut run`` or a bare `` `run` ``."""
    named = [" ".join(word for word in match.groups() if word)
             for match in COMMAND.finditer(heading)]
    if not named:
        named = [word for word in re.findall(r"`([a-z ]+)`", heading) if word in COMMANDS]
    return named


def _option_rows(body: str) -> list[tuple[str, str]]:
    """``(option, default cell)`` for every row of an options table."""
    return [(match.group(1), match.group(2).strip())
            for match in re.finditer(r"^\| `(--[a-z-]+)` \| ([^|]*) \|", body, re.MULTILINE)]


def test_readme_is_short_enough_to_read() -> None:
    size = len(README.read_bytes())
    assert size <= README_LIMIT, (
        f"README.md is {size} bytes, over {README_LIMIT}: move what is not for users to docs/")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_relative_link_leads_to_a_file(document: Path) -> None:
    text = FENCE.sub("", _read(document))
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor in the same page
        path = (document.parent / target.split("#")[0]).resolve()
        assert path.exists(), f"{document.name} links to {target}, which does not exist"


@pytest.mark.parametrize("document", [README, CLI_DOC, DOCS / "DESIGN.md"],
                         ids=lambda path: path.name)
def test_every_command_named_exists(document: Path) -> None:
    for match in COMMAND.finditer(_read(document)):
        first, second = match.groups()
        assert first in COMMANDS, f"{document.name} names `python -m sut {first}`: no such command"
        if _subcommands(COMMANDS[first]):
            assert f"{first} {second}" in COMMANDS, (
                f"{document.name} names `python -m sut {first} {second}`: no such command")


def test_cli_doc_covers_every_command() -> None:
    headings = [command for heading, _ in _sections(_read(CLI_DOC))
                for command in _section_commands(heading)]
    commands = {name for name, parser in COMMANDS.items() if not _subcommands(parser)}
    assert commands <= set(headings), f"docs/CLI.md has no section for {commands - set(headings)}"


def test_cli_doc_options_exist_with_their_defaults() -> None:
    for heading, body in _sections(_read(CLI_DOC)):
        for command in _section_commands(heading):
            options = _options(command)
            for option, default in _option_rows(body):
                assert option in options, f"docs/CLI.md: `{command}` has no option {option}"
                real = options[option].default
                where = f"docs/CLI.md: `{command} {option}`"
                if default == "-":
                    assert real in (None, False), f"{where} defaults to {real!r}, not nothing"
                elif default == "the platform's":
                    assert real == default_start_method(), f"{where} defaults to {real!r}"
                elif default == "two per core the process may use":
                    assert real == min(default_jobs(), MOST_JOBS), f"{where} defaults to {real!r}"
                else:
                    literal = default.strip("`")
                    if isinstance(real, int | float):
                        assert float(literal) == real, f"{where} defaults to {real!r}"
                    else:
                        assert literal == str(real), f"{where} defaults to {real!r}"


def test_cli_doc_documents_every_option() -> None:
    documented: dict[str, set[str]] = {}
    for heading, body in _sections(_read(CLI_DOC)):
        for command in _section_commands(heading):
            documented.setdefault(command, set()).update(
                option for option, _ in _option_rows(body))
    for command in COMMANDS:
        missing = set(_options(command)) - documented.get(command, set())
        assert not missing, f"docs/CLI.md: `{command}` does not document {sorted(missing)}"


def test_cli_doc_synopsis_names_real_options() -> None:
    synopsis = FENCE.search(_read(CLI_DOC))
    assert synopsis is not None
    command = ""
    for line in synopsis.group(0).splitlines()[1:-1]:
        match = COMMAND.search(line)
        if match is not None:
            first, second = match.groups()
            command = f"{first} {second}" if f"{first} {second}" in COMMANDS else first
        for option in OPTION.findall(line):
            assert option in _options(command), (
                f"docs/CLI.md synopsis: `{command}` has no option {option}")


def test_exit_codes_are_the_cli_s() -> None:
    rows = dict(re.findall(r"^\| (\d+) \| ([a-z ]+):", _read(CLI_DOC), re.MULTILINE))
    assert {meaning: int(code) for code, meaning in rows.items()} == EXIT_CODES
    told = re.search(r"\((\d+) held, (\d+) violated, (\d+) bad input, (\d+)\s+interrupted\)",
                     _read(README))
    assert told is not None, "README.md no longer lists the exit codes"
    assert [int(code) for code in told.groups()] == list(EXIT_CODES.values())


def _verdicts(cell: str) -> dict[str, str]:
    """``{"locked": "holds", ...}`` from ``\\`locked\\`: holds; \\`a\\`, \\`b\\`: violate``."""
    verdicts = {}
    for part in cell.split(";"):
        names, _, verdict = part.rpartition(":")
        verdict = verdict.strip()
        verdict = {"hold": "holds", "violate": "violates"}.get(verdict, verdict)
        verdicts.update({name: verdict for name in re.findall(r"`([^`]+)`", names)})
    return verdicts


def test_readme_scenario_table_is_the_catalogue() -> None:
    text = _read(README)
    start = text.index("| scenario | params (defaults) |")
    table = text[start:text.index("\n\n", start)]
    rows = re.findall(r"^\| `([a-z]+)`[^|]*\|([^|]*)\|([^|]*)\|", table, re.MULTILINE)
    scenarios = {scenario.name: scenario for scenario in sut.catalogue()}
    assert [name for name, _, _ in rows] == list(scenarios)
    for name, params_cell, variants_cell in rows:
        fields = {field.name: field.default for field in dataclasses.fields(scenarios[name].params)}
        named = set()
        for chunk in re.findall(r"`([^`]+)`", params_cell):
            for pair in chunk.split():
                key, equals, value = pair.partition("=")
                assert key in fields, f"README: {name} has no parameter {key}"
                named.add(key)
                if equals:
                    default = fields[key]
                    assert value in (str(default), json.dumps(default)), (
                        f"README: {name} {key} defaults to {default!r}, not {value}")
        assert named == set(fields), f"README: {name} leaves out {set(fields) - named}"
        assert _verdicts(variants_cell) == {variant.name: variant.expected
                                           for variant in scenarios[name].variants}


def test_performance_doc_begins_with_the_generators_heading() -> None:
    text = _read(DOCS / "PERFORMANCE.md")
    measured = re.search(r"^Measured on (\d{4}-\d{2}-\d{2}): (.+)\.$", text, re.MULTILINE)
    assert measured is not None, "docs/PERFORMANCE.md does not say when and on what"
    machine = measured.group(2)
    assert re.fullmatch(r".+, \d+ cores(, \d+\.\d GiB memory)?, Python \d+\.\d+\.\d+\S*, \S+",
                        machine), f"not a machine as the generator names one: {machine}"
    day = datetime.date.fromisoformat(measured.group(1))
    assert text.startswith(benchmarks_main.heading(day, machine)), (
        "docs/PERFORMANCE.md does not begin as `python -m benchmarks --out` writes it")
