"""Ticket office: the locked sale holds; the tutorial's programs are caught."""

from __future__ import annotations

import json

from sut.engine.invariants import NO_HANG
from sut.scenarios.ticket import (
    Params,
    buyer_reports,
    check,
    consistent_count,
    count_not_negative,
    no_oversell,
    valid_file,
)
from tests import handmade

# --- the checker, on hand-made results -------------------------------------

def _sale(*steps, tickets=1, final=None, **kwargs):
    final_doc = {"text": json.dumps({"count": final}), "count": final} if final is not None \
        else {"text": "", "count": None}
    return handmade.result("ticket", Params(buyers=2, tickets=tickets), list(steps),
                           final=final_doc, **kwargs)


def test_check_accepts_a_serial_sale() -> None:
    sale = _sale(("buyer 0", "read", {"count": 1}), ("buyer 0", "bought", {"left": 0}),
                 ("buyer 1", "read", {"count": 0}), ("buyer 1", "sold-out", {}), final=0)
    assert check(sale) == []


def test_check_finds_an_oversold_ticket_and_names_who_read_what() -> None:
    sale = _sale(("buyer 0", "read", {"count": 1}), ("buyer 1", "read", {"count": 1}),
                 ("buyer 0", "bought", {"left": 0}), ("buyer 1", "bought", {"left": 0}), final=0)
    found = {v.invariant: v.detail for v in check(sale)}
    assert found[no_oversell.name] == "sold 2 of 1 ticket: buyer 0 and buyer 1 both read count=1"
    assert found[consistent_count.name].startswith("final count is 0, but 1 ticket - 2 sold = -1")


def test_check_finds_a_lost_update_without_overselling() -> None:
    sale = _sale(("buyer 0", "read", {"count": 2}), ("buyer 1", "read", {"count": 2}),
                 ("buyer 0", "bought", {"left": 1}), ("buyer 1", "bought", {"left": 1}),
                 tickets=2, final=1)
    assert [v.invariant for v in check(sale)] == ["consistent-count"]


def test_check_finds_a_torn_file_during_and_after_the_run() -> None:
    sale = _sale(("reader 0", "torn", {"text": ""}), ("reader 0", "torn", {"text": '{"co'}),
                 ("buyer 0", "read", {"count": 1}), ("buyer 0", "bought", {"left": 0}),
                 ("buyer 1", "read", {"count": 0}), ("buyer 1", "sold-out", {}))
    details = [v.detail for v in check(sale) if v.invariant == valid_file.name]
    assert details == ["after the run the database holds '', not a valid document",
                       "reader 0 read '' (2 reads) while the file was being rewritten"]


def test_check_finds_a_negative_count() -> None:
    sale = _sale(("buyer 0", "read", {"count": 0}), ("buyer 0", "bought", {"left": -1}),
                 ("buyer 1", "read", {"count": -1}), ("buyer 1", "sold-out", {}),
                 tickets=0, final=-1)
    assert count_not_negative.name in {v.invariant for v in check(sale)}


def test_check_wants_one_report_per_buyer_and_clean_exits() -> None:
    sale = _sale(("buyer 0", "read", {"count": 1}), ("buyer 1", "query", {"count": 1}),
                 final=1, statuses={"buyer 1": "hung"})
    found = {v.invariant: v.detail for v in check(sale)}
    assert found[buyer_reports.name] == "buyer 0 reported 0 outcomes, not one"
    assert found[NO_HANG] == "buyer 1 hung after 'query' and was stopped at the deadline"


def test_check_exempts_only_the_buyer_killed_on_purpose() -> None:
    steps = [("buyer 0", "read", {"count": 1}), ("buyer 0", "killed", {"at": "read"}),
             ("buyer 1", "read", {"count": 1}), ("buyer 1", "bought", {"left": 0})]
    assert check(_sale(*steps, final=0, statuses={"buyer 0": "killed"}, injected="buyer 0")) == []
    assert [v.invariant for v in check(_sale(*steps, final=0, statuses={"buyer 0": "killed"}))] \
        == ["clean-exit"]
