"""The SVG picture of a run: well-formed, every process a lane, the violation marked."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from typing import Any

from sut.engine import Violation
from sut.report.picture import Drawing, svg
from sut.scenarios import ticket
from tests import handmade

SVG = "{http://www.w3.org/2000/svg}"


def test_a_run_nothing_orders_is_drawn_in_columns_each_in_its_own_order() -> None:
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("client 0", "done", {}), ("handler 0", "begin", {})]
    steps += [("handler 0", "recv", {"n": 0}), ("handler 0", "send", {"n": 3})] * 4
    run = handmade.result("ticket", ticket.Params(buyers=1, tickets=1), steps)
    drawing = Drawing("chat tutorial", run, [Violation("clean-close", "never closed")], moment=0,
                      ordered=False)
    root = ElementTree.fromstring(svg([drawing]))
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert texts == ["chat tutorial", "client 0", "done", "handler 0", "begin", "recv n=0",
                     "send n=3", "(these 2 again and again)",
                     "Each column in its own order: nothing lines the processes up in time.",
                     "clean-close: never closed"]
    # A dot per event shown, the loop's note has none; the breaking event is red.
    circles = [(circle.findtext(f"{SVG}title"), circle.get("fill"))
               for circle in root.iter(f"{SVG}circle")]
    assert circles == [("client 0 done", "#c62828"), ("handler 0 begin", "#333"),
                       ("handler 0 recv n=0", "#333"), ("handler 0 send n=3", "#333")]
    assert not [rect for rect in root.iter(f"{SVG}rect") if rect.findtext(f"{SVG}title")]
