"""docs/RACES.md says what the tool finds today: regenerated, it is the same, byte for byte.

One test per scenario, so that the searches behind the document run side by side.
They run every minimal-counterexample search from a cold start, which takes
most of a minute: they are marked ``docs`` and run by ``pytest -m docs`` (the
gate, ``.ci/run``, does). The default run replays every pinned minimum
instead (tests/pinned/test_schedules.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import sut
from sut.cli import main
from sut.report import races

DOCS = Path(__file__).resolve().parents[2] / "docs"
DOCUMENT = (DOCS / "RACES.md").read_text(encoding="utf-8")
STALE = "docs/ no longer matches what the tool finds: run `python -m sut races` and commit it"


def _committed_section(name: str) -> str:
    start = DOCUMENT.index(f"\n## {name}\n") + 1
    end = DOCUMENT.find("\n## ", start)
    return DOCUMENT[start:] if end < 0 else DOCUMENT[start:end + 1]


@pytest.mark.docs
@pytest.mark.parametrize("name", [scenario.name for scenario in sut.catalogue()])
def test_each_scenario_s_races_are_what_the_tool_finds(name: str) -> None:
    text, picture = races.section(sut.get(name), start_method="fork", progress=lambda _: None)
    assert text.rstrip("\n") == _committed_section(name).rstrip("\n"), STALE
    drawn = DOCS / races.PICTURES / f"{name}.svg"
    assert drawn.read_text(encoding="utf-8") == picture, STALE


def test_the_document_is_its_header_then_every_scenario_in_catalogue_order() -> None:
    assert DOCUMENT.startswith(races.header("fork"))
    names = [line[3:] for line in DOCUMENT.splitlines() if line.startswith("## ")]
    assert names == [scenario.name for scenario in sut.catalogue()]
    pictures = {path.stem for path in (DOCS / races.PICTURES).iterdir()}
    assert pictures == {scenario.name for scenario in sut.catalogue()}


@pytest.mark.docs
def test_the_readme_quickstart_shows_what_the_demo_prints(capsys) -> None:
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    command = "$ python -m sut demo ticket\n"
    shown = readme[readme.index(command) + len(command):readme.index("$ pytest\n")]
    assert main(["demo", "ticket"]) == 0
    assert capsys.readouterr().out == shown, "README.md's quickstart: paste what the demo prints"
