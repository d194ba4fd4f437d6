"""Every adversarial case of ``tests.adversarial``: the exit code it expects, within its
time, and nothing left behind - no process of its session, no file in its folder.

(New entries in /dev/shm are checked by the campaign alone, ``python -m
tests.adversarial``: beside this parallel test run, they could be anyone's.)
"""

from __future__ import annotations

import pytest

from tests.adversarial import Case, cases, run_case, verdict

# Every case under fork, the signals also under spawn; of the explore interruptions,
# three moments (the campaign takes all of them).
CASES = [case for case in [*cases("fork"), *(case for case in cases("spawn")
                                             if "SIG" in case.name or "Ctrl-C" in case.name)]
         if "explore" not in case.name or case.signal_at in (0.1, 0.7, 2.0)]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name + (
    " (spawn)" if "spawn" in case.argv else ""))
def test_an_adversarial_case_ends_as_expected_and_leaves_nothing(case: Case) -> None:
    observed = run_case(case)
    assert verdict(case, observed, shm=False) is None, observed.stderr
