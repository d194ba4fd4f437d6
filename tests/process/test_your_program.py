"""A program from outside this repository, brought to the engine as a user would.

docs/YOUR-PROGRAM.md is run as written: its files are written to a fresh folder
and its commands run there, each output compared with the one shown (``…``
stands for what differs from run to run). The same project then meets the
pytest plugin through ``pytester``, and an installed package adds its scenario
to the catalogue through the entry point group.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

GUIDE = Path(__file__).parents[2] / "docs" / "YOUR-PROGRAM.md"
# Each command of the guide gets this long; the slowest (pytest under every start
# method) takes about 15 s here.
COMMAND_TIMEOUT = 240
FILE = re.compile(r"^File `([\w.]+)`:\n\n```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)
CONSOLE = re.compile(r"^```console\n(.*?)^```$", re.MULTILINE | re.DOTALL)
PLAIN_PROGRAM = re.compile(r"^```python\n(import multiprocessing as mp\n.*?)^```$",
                           re.MULTILINE | re.DOTALL)


def guide_files() -> dict[str, str]:
    return dict(FILE.findall(GUIDE.read_text(encoding="utf-8")))


def guide_commands() -> list[tuple[str, list[str]]]:
    """Each ``$ command`` of the guide, and the lines it shows."""
    found = []
    for block in CONSOLE.findall(GUIDE.read_text(encoding="utf-8")):
        lines = block.rstrip("\n").split("\n")
        assert lines[0].startswith("$ "), block
        found.append((lines[0][2:], lines[1:]))
    return found


def matches(expected: str, line: str) -> bool:
    pattern = ".*?".join(re.escape(part) for part in expected.split("…"))
    return re.fullmatch(pattern, line) is not None


def run(command: str, folder: Path, env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    words = shlex.split(command)
    assert words[0] == "python", command
    return subprocess.run([sys.executable, *words[1:]], cwd=folder, capture_output=True,
                          text=True, timeout=COMMAND_TIMEOUT, env=env, check=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder holding the guide's files, and nothing of this repository."""
    for name, text in guide_files().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_guide_has_its_files_and_commands() -> None:
    assert set(guide_files()) == {"bank.py", "test_bank.py"}
    assert [command.split()[:4] for command, _ in guide_commands()] == [
        ["python", "-m", "sut", "demo"], ["python", "-m", "sut", "run"],
        ["python", "-m", "sut", "explore"], ["python", "-m", "pytest", "-q"]]


@pytest.mark.slow
@pytest.mark.parametrize(("command", "shown"), guide_commands(),
                         ids=[command.split()[2 if "pytest" in command else 3]
                              for command, _ in guide_commands()])
def test_every_command_of_the_guide_says_what_the_guide_shows(
        project: Path, command: str, shown: list[str]) -> None:
    done = run(command, project)
    lines = done.stdout.rstrip("\n").split("\n")
    told = f"$ {command}\n{done.stdout}{done.stderr}"
    assert len(lines) == len(shown), told
    assert all(map(matches, shown, lines)), told
    # The verdict is the exit code: the demo's and the proofs' 0, a violation's 1.
    assert done.returncode == (1 if "VIOLATED" in done.stdout else 0), done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_the_guide_replay_breaks_alike_under_every_start_method(
        project: Path, method: str) -> None:
    command, shown = next((command, shown) for command, shown in guide_commands()
                          if " run " in command)
    done = run(f"{command} --start-method {method}", project)
    assert done.returncode == 1
    assert done.stdout.split("\n")[1:4] == shown[1:4]


@pytest.mark.slow
def test_the_plain_program_of_the_guide_runs(tmp_path: Path) -> None:
    (program,) = PLAIN_PROGRAM.findall(GUIDE.read_text(encoding="utf-8"))
    (tmp_path / "bank_plain.py").write_text(program, encoding="utf-8")
    done = run("python bank_plain.py", tmp_path)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"\[\d+, \d+\]\n", done.stdout), done.stdout


FAILING_TESTS = '''
import pytest
import sut
from bank import SCENARIO


def test_the_unlocked_bank_holds(start_method):
    sut.assert_holds(SCENARIO, "unlocked", [{"tellers": 2, "transfers": 1}],
                     start_method=start_method)


def test_the_locked_bank_breaks(start_method):
    sut.assert_breaks(SCENARIO, "locked", start_method=start_method)


@pytest.mark.no_leaks
def test_a_spec_names_the_scenario(start_method):
    found = sut.assert_breaks("bank:SCENARIO", "unlocked", start_method=start_method)
    assert found.replay.startswith("python -m sut run bank:SCENARIO --variant unlocked")
'''


@pytest.mark.slow
def test_the_plugin_in_a_project_of_its_own(pytester: pytest.Pytester) -> None:
    files = guide_files()
    pytester.makepyfile(bank=files["bank.py"], test_bank=files["test_bank.py"],
                        test_failing=FAILING_TESTS)
    outcome = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist",
                                            "--start-methods", "fork,spawn")
    outcome.assert_outcomes(passed=6, failed=4)
    outcome.stdout.fnmatch_lines([
        "*bank unlocked with tellers=2 transfers=1 broke in interleaving * [[]fork[]]:",
        "*-> every-transfer-counted: the balances are *",
        "*replay: python -m sut run bank:SCENARIO --variant unlocked tellers=2 transfers=1 "
        "--schedule '*'",
    ])
    outcome.stdout.fnmatch_lines(["*bank locked never broke any invariant*"])


@pytest.mark.slow
def test_a_bad_start_methods_option_is_one_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_one="def test_one(start_method):\n    pass\n")
    outcome = pytester.runpytest_subprocess("-p", "no:xdist", "--start-methods", "fork,vfork")
    assert outcome.ret == pytest.ExitCode.USAGE_ERROR
    outcome.stderr.fnmatch_lines(["*--start-methods: unknown vfork (known: *)"])


ENTRY_POINTS = """[sut.scenarios]
bank = bank:SCENARIO
"""


@pytest.mark.slow
def test_an_installed_package_adds_its_scenario_by_name(project: Path) -> None:
    """A distribution on the path whose entry points name the scenario: ``list``, ``run``
    and its replay line name it as ``bank``."""
    (project / "test_bank.py").unlink()
    info = project / "bank-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: bank\nVersion: 1.0\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    elsewhere = project / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(project)}
    listed = run("python -m sut list", elsewhere, env)
    assert listed.returncode == 0, listed.stderr
    assert "bank: tellers move money between two accounts in shared memory" in listed.stdout
    ran = run("python -m sut run bank --variant unlocked tellers=2 transfers=1 "
              "--schedule 0,0,0,0,1 --start-method spawn", elsewhere, env)
    assert ran.returncode == 1, ran.stderr
    assert ("replay: python -m sut run bank --variant unlocked tellers=2 transfers=1 "
            "--start-method spawn --schedule '0,0,0,0,1'") in ran.stdout


@pytest.mark.slow
def test_an_entry_point_that_is_no_scenario_is_one_line(project: Path) -> None:
    info = project / "broken-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 1.0\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text("[sut.scenarios]\nbank = bank:Params\n",
                                           encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(project)}
    listed = run("python -m sut list", project, env)
    assert (listed.returncode, listed.stdout) == (2, "")
    assert listed.stderr == ("sut: error: entry point 'bank' (bank:Params) of group "
                             "sut.scenarios is a type, not a Scenario (declare one with "
                             "sut.declare or sut.Scenario)\n")
