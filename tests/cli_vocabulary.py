"""What the CLI fuzz tests type: argument lists for ``python -m sut`` drawn from its
commands, options, ``KEY=VALUE`` pairs and the edge values a user slips into them.

Paths are drawn as placeholders (``<FIFO>``, ``<DIR>``, ...) that :func:`placed`
replaces with real ones made by :func:`make_places` in a temporary folder.

``cheap=True`` draws only what ends quickly in a fresh interpreter: every run
gets ``--timeout 2``, ``explore`` two interleavings, ``stress`` two runs, the
demo one small scenario at most, ``races`` only a folder it must refuse, and
the chat only forms it refuses before listening. No value makes a run start
many processes: a count is small or refused.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

from hypothesis import strategies as st

import sut

# How the fuzz tests tell an answer from a failure.
EXIT_CODES = frozenset({0, 1, 2, 130})

SCENARIOS = [scenario.name for scenario in sut.catalogue()]
VARIANTS = sorted({variant.name for scenario in sut.catalogue() for variant in scenario.variants})
PARAMS = sorted({field.name for scenario in sut.catalogue()
                 for field in dataclasses.fields(scenario.params)})

# Numbers as typed: fine ones, and every way to slip.
NUMBERS = ["0", "1", "2", "0.5", "3600", "", "-1", "+1", "1_0", "\u0663", "\u00b2", "inf",
           "nan", "-inf", "1e400", "1e3", "0x10", " 1", "1 ", "3600.1", "2147484",
           "9" * 30, "9" * 5000, "\udcff"]
# Parameter values: small or refused, never a count that starts many processes.
VALUES = ["0", "1", "2", "0.01", "", "-1", "1_0", "\u0663", "inf", "nan", "1e400", "x",
          "9" * 5000, "[" * 2000, '[["hi"]]', "[[" + '"x",' * 3 + '"y"]]', "\udcff"]
SCHEDULES = ["", "0", "0,1", "m", "0,1,m,0", "0,,1", ",", "1_0", "\u0663", "-1", "9999999",
             ",".join(["0"] * 6000), "0" * 50000]
START_METHODS = ["fork", "forkserver", "spawn", "threads"]
# Paths: each placeholder is made by make_places; the others are the machine's.
DB_PATHS = ["<DB>", "<DEEP>", "<BIG>", "<FIFO>", "<DIR>", "<MISSING>/db", "/dev/zero", "/proc",
            "/dev/null", ""]
SVG_PATHS = ["<DIR>/x.svg", "<MISSING>/x.svg", "<DIR>", "/proc/x.svg", "/dev/null", "/", ""]
REFUSED_OUT = ["<MISSING>", "<FILE>", "<RACES_IS_A_FILE>", "/proc", "/dev/null", ""]
# Beside every other value: a NUL cannot be passed to a fresh interpreter.
NUL = "a\x00b"


def make_places(folder: Path) -> dict[str, str]:
    """The placeholders' files, made in ``folder``: placeholder -> path."""
    (folder / "db.json").write_text('{"count": 2}')
    (folder / "deep.json").write_text("[" * 999)
    with open(folder / "big.json", "wb") as big:
        big.truncate(2 << 20)  # sparse: larger than any database may be
    os.mkfifo(folder / "fifo")
    (folder / "dir").mkdir()
    (folder / "file").write_text("")
    (folder / "races-is-a-file").mkdir()
    (folder / "races-is-a-file" / "races").write_text("")
    return {"<DB>": str(folder / "db.json"), "<DEEP>": str(folder / "deep.json"),
            "<BIG>": str(folder / "big.json"), "<FIFO>": str(folder / "fifo"),
            "<DIR>": str(folder / "dir"), "<MISSING>": str(folder / "missing"),
            "<FILE>": str(folder / "file"),
            "<RACES_IS_A_FILE>": str(folder / "races-is-a-file")}


def placed(args: Sequence[str], places: dict[str, str]) -> list[str]:
    """``args`` with each placeholder replaced by its path."""
    def place(arg: str) -> str:
        for placeholder, path in places.items():
            arg = arg.replace(placeholder, path)
        return arg

    return [place(arg) for arg in args]


def _option(name: str, values: Sequence[str]) -> st.SearchStrategy[list[str]]:
    return st.sampled_from(values).map(lambda value: [name, value])


def _flag(*words: str) -> st.SearchStrategy[list[str]]:
    return st.just(list(words))


def _pairs() -> st.SearchStrategy[list[str]]:
    keys = st.sampled_from([*PARAMS, "floors", ""])
    return st.builds(lambda key, value: [f"{key}={value}"], keys, st.sampled_from(VALUES))


def _configuring(command: str, *, cheap: bool) -> st.SearchStrategy[list[list[str]]]:
    """The options and pairs of ``run``, ``explore`` or ``stress``, in any order."""
    options = [_option("--variant", [*VARIANTS, "nope"]), _option("--timeout", NUMBERS),
               _option("--start-method", START_METHODS), _flag("--json"), _pairs(), _pairs(),
               _flag("--frobnicate"), _flag("-h")]
    if command in ("run", "stress"):
        options.append(_option("--seed", NUMBERS))
    if command == "run":
        options += [_option("--schedule", SCHEDULES), _option("--db", DB_PATHS)]
    if command == "stress":
        options.append(_option("--runs", NUMBERS))
    if command == "explore":
        options.append(_option("--max-runs", NUMBERS))
    groups = st.lists(st.one_of(options), max_size=6)
    if not cheap:
        return groups
    # Later occurrences win: the run ends soon whatever else was drawn.
    bounds = {"run": [["--timeout", "2"]],
              "explore": [["--timeout", "2"], ["--max-runs", "2"]],
              "stress": [["--timeout", "2"], ["--runs", "2"]]}[command]
    return groups.map(lambda drawn: [*drawn, *bounds])


@st.composite
def argument_lists(draw: st.DrawFn, *, cheap: bool = False) -> list[str]:
    """An argument list for ``python -m sut``, placeholders in it for paths."""
    command = draw(st.sampled_from(["list", "run", "explore", "stress", "demo", "races",
                                    "chat", "other"]))
    if command in ("run", "explore", "stress"):
        scenario = draw(st.sampled_from([*SCENARIOS, "lottery", ""]))
        groups = draw(_configuring(command, cheap=cheap))
        return [command, scenario, *(word for group in groups for word in group)]
    if command == "demo":
        names = draw(st.lists(st.sampled_from(["pipe", "lottery", ""] if cheap
                                              else [*SCENARIOS, "lottery", ""]),
                              min_size=1 if cheap else 0, max_size=3))
        options = draw(st.lists(st.one_of(_option("--svg", SVG_PATHS),
                                          _option("--start-method", START_METHODS)),
                                max_size=2))
        return ["demo", *names, *(word for group in options for word in group)]
    if command == "races":
        # Always an --out: the default is the repository's docs/.
        outs = REFUSED_OUT if cheap else [*REFUSED_OUT, "<DIR>"]
        return ["races", "--out", draw(st.sampled_from(outs)),
                *draw(st.sampled_from([[], ["--start-method", "spawn"], ["--start-method", ""]]))]
    if command == "list":
        return ["list", *draw(st.sampled_from([[], ["--json"], ["extra"], ["-h"]]))]
    if command == "chat":  # only forms refused before the server listens or the client dials
        return draw(st.sampled_from([
            ["chat"], ["chat", "bogus"], ["chat", "serve", "--max-clients", "0"],
            ["chat", "serve", "--max-line", "0"], ["chat", "client", "--port", "99999"],
            ["chat", "client", "--port", "-1"]]))
    return draw(st.sampled_from([[], ["bogus"], ["-h"], ["--help"], ["run"], ["run", "--help"],
                                 ["--timeout", "inf"]]))


def with_nul(args: list[str], where: int) -> list[str]:
    """``args`` with a NUL put into one argument (in-process only)."""
    if not args:
        return [NUL]
    index = where % len(args)
    return [*args[:index], args[index] + NUL, *args[index + 1:]]
