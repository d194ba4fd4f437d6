"""``python -m tests.campaign``: its junit parsing, verdicts, hogs, runs and bad arguments.

Nothing here runs the real suite: the parts are tested on handmade XML, data
and tiny processes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import campaign
from tests.campaign import Run, Tally

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4">
<testcase classname="tests.test_a" name="test_passes[fork]" time="0.1"/>
<testcase classname="tests.test_a" name="test_fails" time="0.1">
  <failure message="assert 1 == 2">details</failure></testcase>
<testcase classname="tests.test_b" name="test_errors" time="0.1">
  <error message="fixture broke">details</error></testcase>
<testcase classname="tests.test_b" name="test_skips" time="0.0">
  <skipped type="pytest.skip" message="no">skip</skipped></testcase>
</testsuite></testsuites>
"""


def _run(index: int, outcomes: dict[str, campaign.TestStatus] | None, *, exit_code: int = 0,
         kind: campaign.Kind = "quiet", seconds: float = 1.0, timed_out: bool = False) -> Run:
    return Run(index=index, kind=kind, hogs=2 if kind == "loaded" else 0, seconds=seconds,
               exit_code=exit_code, timed_out=timed_out, outcomes=outcomes,
               log=Path("unused.log"))


# --- junit XML ---------------------------------------------------------------------------------

def test_parse_junit_reads_passed_failed_error_and_skipped_by_classname_and_name() -> None:
    assert campaign.parse_junit(JUNIT) == {
        "tests.test_a::test_passes[fork]": "passed",
        "tests.test_a::test_fails": "failed",
        "tests.test_b::test_errors": "error",
        "tests.test_b::test_skips": "skipped",
    }


def test_parse_junit_keeps_the_worst_outcome_of_a_test_reported_twice() -> None:
    text = """<testsuite>
    <testcase classname="t" name="x"><failure/></testcase>
    <testcase classname="t" name="x"><error/></testcase>
    <testcase classname="t" name="y"/>
    <testcase classname="t" name="y"><error/></testcase>
    </testsuite>"""
    assert campaign.parse_junit(text) == {"t::x": "failed", "t::y": "error"}


def test_parse_junit_rejects_garbled_text_and_xml_that_is_no_junit_report() -> None:
    with pytest.raises(SyntaxError):  # ElementTree.ParseError
        campaign.parse_junit("<testsuites><testcase name=")
    with pytest.raises(ValueError, match="not a junit report"):
        campaign.parse_junit("<html/>")


def test_read_junit_gives_none_for_a_missing_or_garbled_file(tmp_path: Path) -> None:
    assert campaign.read_junit(tmp_path / "missing.xml") is None
    (tmp_path / "cut.xml").write_text(JUNIT[:200])
    assert campaign.read_junit(tmp_path / "cut.xml") is None
    (tmp_path / "binary.xml").write_bytes(b"\xff\xfe\x00junk")
    assert campaign.read_junit(tmp_path / "binary.xml") is None
    (tmp_path / "whole.xml").write_text(JUNIT)
    assert campaign.read_junit(tmp_path / "whole.xml") == campaign.parse_junit(JUNIT)


# --- verdicts ----------------------------------------------------------------------------------

def test_a_test_that_fails_once_and_passes_otherwise_is_flaky_not_failing() -> None:
    tallies = campaign.tally([{"t::x": "passed"}, {"t::x": "failed"}, {"t::x": "passed"}])
    assert tallies == {"t::x": Tally(failures=1, runs=3)}
    assert campaign.flaky(tallies) == {"t::x": Tally(1, 3)}
    assert campaign.failing(tallies) == {}


def test_an_error_counts_as_a_failure_for_flakiness() -> None:
    tallies = campaign.tally([{"t::x": "error"}, {"t::x": "passed"}])
    assert campaign.flaky(tallies) == {"t::x": Tally(1, 2)}


def test_a_test_that_fails_in_every_run_it_ran_in_is_failing_skips_aside() -> None:
    tallies = campaign.tally([{"t::x": "failed"}, {"t::x": "skipped"}, {"t::x": "error"}, {}])
    assert campaign.failing(tallies) == {"t::x": Tally(failures=2, runs=2)}
    assert campaign.flaky(tallies) == {}


def test_tests_that_only_pass_or_skip_are_neither_flaky_nor_failing() -> None:
    tallies = campaign.tally([{"t::x": "passed", "t::y": "skipped"},
                              {"t::x": "passed", "t::y": "skipped"}])
    assert campaign.flaky(tallies) == campaign.failing(tallies) == {}


def test_a_run_fails_when_it_gave_no_usable_result() -> None:
    passed: dict[str, campaign.TestStatus] = {"t::x": "passed"}
    failed: dict[str, campaign.TestStatus] = {"t::x": "failed"}
    assert campaign.run_failure(0, False, passed) is None
    assert campaign.run_failure(1, False, failed) is None  # a failing test is a result
    assert campaign.run_failure(-9, True, None) == "timed out"
    assert campaign.run_failure(0, False, None) == "no readable junit XML"
    assert campaign.run_failure(-11, False, passed) == "killed by signal 11"
    assert campaign.run_failure(3, False, passed) == "internal error"
    assert campaign.run_failure(1, False, passed) == "failed without a failing test"
    assert campaign.run_failure(0, False, failed) == "passed despite failing tests"


def test_quiet_and_loaded_runs_alternate_then_the_rest_are_of_the_kind_left() -> None:
    assert campaign.plan(2, 2) == ["quiet", "loaded", "quiet", "loaded"]
    assert campaign.plan(3, 1) == ["quiet", "loaded", "quiet", "quiet"]
    assert campaign.plan(0, 2) == ["loaded", "loaded"]
    assert campaign.plan(1, 0) == ["quiet"]


def test_the_closing_line_states_the_campaign_in_the_target_wording() -> None:
    assert campaign.closing_line(0, 0, 0, quiet=10, loaded=10, hogs=2) == (
        "flaky results: 0 in 20 runs (10 quiet, 10 beside 2 CPU hogs); failing tests: 0; "
        "failed runs: 0")
    assert campaign.closing_line(2, 1, 3, quiet=1, loaded=0, hogs=1) == (
        "flaky results: 2 in 1 run (1 quiet, 0 beside 1 CPU hog); failing tests: 1; "
        "failed runs: 3")


def test_the_report_shows_runs_durations_flaky_and_failing_tests_and_the_closing_line() -> None:
    runs = [_run(1, {"t::x[a|b]": "passed", "t::y": "failed"}, exit_code=1, seconds=50.0),
            _run(2, {"t::x[a|b]": "failed", "t::y": "failed"}, exit_code=1, kind="loaded",
                 seconds=80.0),
            _run(3, None, exit_code=-9, timed_out=True, seconds=900.0)]
    settings = campaign.parse_arguments(["--hogs", "2"])
    text = campaign.report(runs, settings, planned=20)
    assert "**Interrupted** after 3 of 20 runs" in text
    assert "| 2 | loaded, 2 hogs | 80.0 | 0 | 2 | 1 |" in text
    assert "| 3 | quiet | 900.0 | 0 | 0 | -9 (timed out) |" in text
    assert "| quiet | 2 | 50.0 | 475.0 | 900.0 |" in text
    assert "| t::x[a\\|b] | 1/2 |" in text  # flaky, its `|` kept out of the table's way
    assert "| t::y | 2/2 |" in text  # failing
    assert text.endswith("flaky results: 1 in 3 runs (2 quiet, 1 beside 2 CPU hogs); "
                         "failing tests: 1; failed runs: 1")
    assert not campaign.clean(runs)
    assert campaign.clean([_run(1, {"t::x": "passed"})])


def test_progress_line_names_the_run_its_kind_time_counts_and_exit() -> None:
    run = _run(3, {"t::x": "passed", "t::y": "error"}, exit_code=1, kind="loaded", seconds=52.14)
    assert campaign.progress_line(run, 20) == (
        "run 3/20 (loaded, 2 hogs): 52.1 s, 1 passed, 1 failed, exit 1")


# --- the command line ----------------------------------------------------------------------------

def test_arguments_after_a_double_dash_go_to_pytest() -> None:
    settings = campaign.parse_arguments(["--runs", "1", "--loaded-runs", "0", "--hogs", "0",
                                         "--", "tests/test_ticket.py", "-x", "--runs"])
    assert (settings.runs, settings.loaded_runs, settings.hogs) == (1, 0, 0)
    assert settings.pytest_args == ["tests/test_ticket.py", "-x", "--runs"]
    assert settings.profile == "ci"


@pytest.mark.parametrize("argv", [
    ["--runs", "-1"],
    ["--runs", "many"],
    ["--runs", "0", "--loaded-runs", "0"],
    ["--hogs", "0"],
    ["--run-timeout", "0"],
    ["--bogus"],
    ["tests/test_ticket.py"],
])
def test_bad_arguments_exit_2_with_one_line_on_stderr(argv: list[str], capsys) -> None:
    assert campaign.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("campaign: error: ")
    assert captured.err.count("\n") == 1


def test_a_json_path_in_a_missing_folder_exits_2(tmp_path: Path, capsys) -> None:
    assert campaign.main(["--json", str(tmp_path / "missing" / "summary.json")]) == 2
    assert capsys.readouterr().err == (
        f"campaign: error: --json: folder {tmp_path / 'missing'} does not exist\n")
