"""docs/RACES.md says what the tool finds today: regenerated, it is the same, byte for byte."""

from __future__ import annotations

from pathlib import Path

from sut import races

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_the_committed_catalogue_of_races_matches_what_the_tool_finds() -> None:
    found = races.document(start_method="fork", progress=lambda text: None)
    committed = {str(path.relative_to(DOCS)): path.read_text(encoding="utf-8")
                 for path in [DOCS / "RACES.md", *sorted((DOCS / races.PICTURES).iterdir())]}
    stale = sorted(name for name in found.keys() | committed.keys()
                   if found.get(name) != committed.get(name))
    assert not stale, (f"{', '.join(stale)} in docs/ no longer match what the tool finds: "
                       "run `python -m sut races` and commit the result")
