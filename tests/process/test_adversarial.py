"""Every adversarial case of ``tests.adversarial``: the exit code it expects, within its
time, and nothing left behind - no process of its session, no file in its folder.

(New entries in /dev/shm are checked by the campaign alone, ``python -m
tests.adversarial``: beside this parallel test run, they could be anyone's.)
"""

from __future__ import annotations

import pytest

from tests.adversarial import Case, cases, run_case, verdict

CASES = [*cases("fork"), *(case for case in cases("spawn") if "SIG" in case.name)]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name + (
    " (spawn)" if "spawn" in case.argv else ""))
def test_an_adversarial_case_ends_as_expected_and_leaves_nothing(case: Case) -> None:
    assert verdict(case, run_case(case), shm=False) is None
