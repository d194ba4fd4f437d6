"""The public API: its names, ``declare``, naming a scenario by where it is, and the one
clear line every bad declaration gets - in the API and on the command line."""

from __future__ import annotations

import dataclasses
import inspect
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sut
from sut.cli import main
from sut.drive import catalogue

# The public face, pinned: a name added or gone is a change of the API, made here too.
PUBLIC = [
    "Backend", "CLEAN_EXIT", "Checked", "Counterexample", "DEFAULT_TIMEOUT",
    "DeclarationError", "Drawing", "Event", "Exploration", "ITEMS", "Invariant", "Invariants",
    "JITTER", "Kill", "MAX_ITEMS", "MAX_PROCESSES", "MAX_ROUNDS", "NO_HANG", "NoGuard", "OneOf",
    "Outlasting", "PRIMITIVES", "Probe", "Result", "Run", "START_METHODS", "Scenario",
    "ScenarioError", "ScheduleLike", "Schedules", "Scripts", "Search", "Searches", "Status",
    "Variant", "Violation", "WorkerOutcome", "amount", "assert_breaks", "assert_holds",
    "assume_long_enough", "breaking_moment", "catalogue", "clean_exit", "counterexample",
    "declare", "default_start_method", "drain", "exits_cleanly", "explore", "get",
    "harness_deadline", "interleavings", "invariant", "items", "jitter_width", "join_queue",
    "lanes", "listing", "names", "numbers", "one_of", "param", "positive_int", "processes",
    "replay", "rounds", "run_command", "seconds", "shaking", "story", "svg",
]


def test_the_public_names_are_these() -> None:
    assert sut.__all__ == sorted(PUBLIC)


def test_every_public_callable_and_class_says_what_it_is() -> None:
    undocumented = [name for name in sut.__all__
                    if inspect.isclass(getattr(sut, name)) or inspect.isfunction(getattr(sut, name))
                    if not (getattr(sut, name).__doc__ or "").strip()]
    assert not undocumented


# --- a scenario declared the short way, in this module (workers are module-level) ---

@dataclasses.dataclass(frozen=True)
class Params(sut.Checked):
    workers: int = sut.processes(1)


def _nothing(probe: sut.Probe) -> None:
    probe.point("here")


@sut.invariant("fine")
def _fine(result: sut.Result) -> list[sut.Violation]:
    """Always holds."""
    return []


@sut.invariant("raises")
def _raises(result: sut.Result) -> list[sut.Violation]:
    """Reads what is not there."""
    return result.final["missing"]  # type: ignore[no-any-return]


def _lambda_worker(run: sut.Run, params: Params, wiring: Any) -> None:
    run.spawn("worker 0", lambda probe: None)


def _nested_worker(run: sut.Run, params: Params, wiring: Any) -> None:
    def inner(probe: sut.Probe) -> None:
        pass
    run.spawn("worker 0", inner)


def _misspelt_primitive(run: sut.Run, params: Params, wiring: Any) -> None:
    run.backend.Semaphor(1)


def _declared(program: sut.engine.declare.Program, *invariants: sut.Invariant,
              ) -> sut.Scenario:
    return sut.declare("tiny", "one worker", params=Params, program=program,
                       variants=[sut.Variant("only", "the one", "holds", None)],
                       invariants=invariants or [_fine], small={"workers": (1, 1)})


BAD_PROGRAMS = [
    (_lambda_worker, "worker 'worker 0' runs _lambda_worker.<locals>.<lambda>, which is not a "
                     "function defined at the top level of a module"),
    (_nested_worker, "worker 'worker 0' runs _nested_worker.<locals>.inner, which is not"),
    (_misspelt_primitive, "tiny's run raised AttributeError: the Backend offers no primitive "
                          "'Semaphor' (it offers Lock, RLock, Condition, Semaphore"),
]


@pytest.mark.parametrize(("program", "message"), BAD_PROGRAMS)
@pytest.mark.parametrize("caught", [ValueError, TypeError])
def test_a_bad_program_is_one_line_under_every_start_method(program: Any, message: str,
                                                            caught: type[Exception]) -> None:
    for start_method in sut.START_METHODS:  # refused before any process starts
        with pytest.raises(caught, match="^" + re.escape(message)) as raised:
            _declared(program).evaluate(Params(), "only", start_method=start_method)
        assert isinstance(raised.value, sut.DeclarationError)
        assert "\n" not in str(raised.value)


def test_an_invariant_that_raises_gives_no_verdict_but_one_line() -> None:
    scenario = _declared(_lambda_worker, _raises)
    result = sut.Result(scenario="tiny", variant="only", params={}, start_method="fork",
                        seed=0, workers=(), events=())
    with pytest.raises(sut.DeclarationError,
                       match=r"^invariant 'raises' \(_raises\) raised KeyError: 'missing'$"):
        scenario.check(result)


@pytest.mark.parametrize(("arguments", "message"), [
    ({"name": "two words"}, "a scenario's name is one word with no ':', got 'two words'"),
    ({"params": dict}, "tiny: params must be a dataclass"),
    ({"program": 3}, "tiny: program must be a function, got 3"),
    ({"invariants": [len]}, "tiny: <built-in function len> is not an invariant"),
])
def test_a_bad_declaration_is_refused_as_it_is_made(arguments: dict[str, Any],
                                                   message: str) -> None:
    declared = {"name": "tiny", "description": "one worker", "params": Params,
                "program": _lambda_worker, "variants": [sut.Variant("only", "", "holds", None)],
                "invariants": [_fine], "small": {"workers": (1, 1)}, **arguments}
    with pytest.raises(sut.DeclarationError) as raised:
        sut.declare(**declared)
    assert str(raised.value).startswith(message)


def test_a_small_space_naming_no_parameter_is_refused() -> None:
    with pytest.raises(ValueError, match="'waiters', not a parameter"):
        sut.declare("tiny", "", params=Params, program=_lambda_worker, variants=[],
                    invariants=[_fine], small={"waiters": (1, 2)})


# --- naming a scenario by where it is ---

USER_MODULE = '''
import dataclasses
import sut

@dataclasses.dataclass(frozen=True)
class Params(sut.Checked):
    workers: int = sut.processes(1)

def program(run, params, wiring):
    return {}

@sut.invariant("fine")
def fine(result):
    """Always holds."""
    return []

SCENARIO = sut.declare("mine", "nothing at all", params=Params, program=program,
                       variants=[sut.Variant("only", "", "holds", None)],
                       invariants=[fine], small={"workers": (1, 1)})
'''


@pytest.fixture
def leave_no_trace() -> Iterator[None]:
    """Whatever a load adds to the path and the modules goes again."""
    path, modules = list(sys.path), set(sys.modules)
    yield
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        del sys.modules[name]


@pytest.mark.usefixtures("leave_no_trace")
def test_a_file_and_a_module_name_the_same_scenario(tmp_path: Path) -> None:
    (tmp_path / "mine_scenario.py").write_text(USER_MODULE, encoding="utf-8")
    by_file = catalogue.get(f"{tmp_path}/mine_scenario.py:SCENARIO")
    assert by_file.name == "mine"
    assert catalogue.get("mine_scenario:SCENARIO") is by_file  # its folder is on the path now
    assert catalogue.spelling(by_file) == f"{tmp_path}/mine_scenario.py:SCENARIO"
    assert catalogue.spelling(catalogue.get("ticket")) == "ticket"


@pytest.mark.usefixtures("leave_no_trace")
def test_a_scenario_not_loaded_by_name_is_spelled_by_its_module() -> None:
    module = type(sys)("somewhere_else")
    sys.modules["somewhere_else"] = module
    exec(USER_MODULE, module.__dict__)
    assert catalogue.spelling(module.SCENARIO) == "somewhere_else:SCENARIO"


@pytest.mark.usefixtures("leave_no_trace")
@pytest.mark.parametrize(("spelled", "message"), [
    ("no_such_module_here:SCENARIO", "no module named 'no_such_module_here' (a file is "
                                     "path/to/file.py:NAME)"),
    ("sut.engine.words:SCENARIO", "sut.engine.words has no 'SCENARIO'"),
    ("sut.engine.words:amount", "sut.engine.words:amount is a function, not a Scenario "
                                "(declare one with sut.declare or sut.Scenario)"),
    ("no/such/file.py:SCENARIO", "no Python file 'no/such/file.py'"),
    ("sut.engine.words:", "'sut.engine.words:' is not module:NAME or path/to/file.py:NAME"),
    ("ticket", None),
])
def test_a_scenario_that_is_not_there_is_one_line(spelled: str, message: str | None,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    if message is None:
        assert catalogue.get(spelled).name == "ticket"
        return
    with pytest.raises(sut.DeclarationError) as raised:
        catalogue.get(spelled)
    assert str(raised.value) == message
    assert main(["run", spelled, "--variant", "x"]) == 2
    assert capsys.readouterr().err == f"sut: error: {message}\n"


@pytest.mark.usefixtures("leave_no_trace")
def test_a_file_named_like_a_module_already_loaded_is_refused(tmp_path: Path) -> None:
    (tmp_path / "json.py").write_text(USER_MODULE, encoding="utf-8")
    with pytest.raises(sut.DeclarationError, match=r"would be imported as module 'json', which "
                                                   r"is .*json/__init__\.py: rename the file$"):
        catalogue.get(f"{tmp_path}/json.py:SCENARIO")


@pytest.mark.usefixtures("leave_no_trace")
def test_a_module_that_fails_to_import_says_why(tmp_path: Path) -> None:
    (tmp_path / "broken_scenario.py").write_text("import no_such_dependency\n", encoding="utf-8")
    with pytest.raises(sut.DeclarationError,
                       match=r"^module 'broken_scenario' does not import: No module named "
                             r"'no_such_dependency'$"):
        catalogue.get(f"{tmp_path}/broken_scenario.py:SCENARIO")


def test_params_without_a_default_are_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class Bare:
        workers: int

    with pytest.raises(ValueError, match=r"^tiny's params 'workers' have no default"):
        sut.declare("tiny", "", params=Bare, program=_lambda_worker, variants=[],
                    invariants=[_fine], small={"workers": (1, 1)})


@pytest.mark.usefixtures("leave_no_trace")
def test_list_tells_a_scenario_named_by_where_it_is(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mine_listed.py").write_text(USER_MODULE, encoding="utf-8")
    assert main(["list", f"{tmp_path}/mine_listed.py:SCENARIO"]) == 0
    assert capsys.readouterr().out == ("mine: nothing at all\n  params: workers=1\n"
                                       "  only  holds\n")


@pytest.mark.usefixtures("leave_no_trace")
def test_a_scenario_whose_invariant_raises_is_one_line_and_exit_2_on_the_command_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raising = USER_MODULE.replace('    return []\n\nSCENARIO',
                                  '    return result.final["gone"]\n\nSCENARIO')
    (tmp_path / "mine_raising.py").write_text(raising, encoding="utf-8")
    assert main(["run", f"{tmp_path}/mine_raising.py:SCENARIO", "--variant", "only"]) == 2
    assert capsys.readouterr() == ("", "sut: error: invariant 'fine' (fine) raised KeyError: "
                                       "'gone'\n")


@sut.invariant("evidence")
def _yields(result: sut.Result) -> Iterator[str]:
    """Says what it saw, one sentence per violation."""
    yield from (f"{outcome.name} was there" for outcome in result.workers)
    if result.final.get("boom"):
        raise RuntimeError("read past the end")


def test_an_invariant_may_yield_its_evidence_as_sentences() -> None:
    outcome = sut.WorkerOutcome(name="w", status="ok", exitcode=0)
    result = sut.Result(scenario="tiny", variant="only", params={}, start_method="fork",
                        seed=0, workers=(outcome,), events=())
    assert _yields(result) == [sut.Violation("evidence", "w was there")]
    with pytest.raises(sut.DeclarationError, match=r"raised RuntimeError: read past the end$"):
        _yields(result.with_final({"boom": True}))
