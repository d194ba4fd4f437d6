"""The short way to declare a scenario: a program that starts the workers, its variants
and its invariants - the run, its mode, its files and its bounds are the harness's.

A scenario written in full (:class:`~sut.engine.scenario.Scenario`) gives a
``run`` that makes a :class:`~sut.engine.runner.Run` with the right mode, seed
and timeout, spawns the workers and reads what they left. Most programs need
only the middle of that, and :func:`declare` takes just that middle::

    def bank(run, params, locked):
        '''Start the tellers, wait for them, return the balances they left.'''
        accounts = run.backend.Array("i", [100, 0], name="accounts")
        lock = run.backend.Lock("lock") if locked else NoGuard()
        for i in range(params.tellers):
            run.spawn(f"teller {i}", transfer, accounts, lock)
        run.wait()
        return {"balances": list(accounts)}

    SCENARIO = declare("bank", "tellers move money between two accounts",
                       params=Params, program=bank, variants=[...],
                       invariants=[money_kept], small={"tellers": (2, 3)})

The program runs in the test process; ``run.backend`` makes the primitives
(gated in schedule mode, so the coordinator chooses the interleaving), and
what it returns is ``Result.final`` (read it after ``run.wait()``). The
workers are waited for once it returns, if it did not wait itself; what it
handed them stays alive until then. Clean exits are always judged - by
:func:`~sut.engine.invariants.exits_cleanly` before the invariants given,
unless one of them reports ``clean-exit`` itself: a worker that crashes,
hangs or deadlocks never passes unseen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sut.engine.backend import Backend
from sut.engine.invariants import CLEAN_EXIT, Invariant, Invariants, exits_cleanly
from sut.engine.probe import ScheduleLike, shaking
from sut.engine.result import DeclarationError, Result
from sut.engine.runner import DEFAULT_TIMEOUT, Run
from sut.engine.scenario import Scenario, Schedules, Variant
from sut.engine.space import Space

# The jitter of a run whose params declare none: pauses up to this many seconds
# at each point widen the race windows when no schedule decides.
DEFAULT_JITTER = 0.01

# ``program(run, params, wiring)``: start the workers, wait, return the final state.
Program = Callable[[Run, Any, Any], Mapping[str, Any] | None]


def declare(name: str, description: str, *, params: type, program: Program,
            variants: Sequence[Variant[Any]], invariants: Sequence[Invariant],
            small: Space, space: Space | None = None, lesson: str = "") -> Scenario[Any, Any]:
    """A scenario searched by schedule whose run is ``program`` (see the module docstring).

    ``params`` is a frozen dataclass (a :class:`~sut.engine.checked.Checked` one
    checks its values); a field ``jitter`` sets the jitter of unscheduled runs.
    ``small`` is the space of small configurations a search and an exploration
    draw from (``{"tellers": (2, 3)}``: per parameter a range or a fixed value).

    Raises:
        DeclarationError: ``params`` is not a dataclass, ``program`` is not callable,
            an invariant is not declared with ``@invariant``, or a name is empty.
        ValueError: what :class:`~sut.engine.scenario.Scenario` refuses.
    """
    if not name or any(character.isspace() or character == ":" for character in name):
        raise DeclarationError(f"a scenario's name is one word with no ':', got {name!r}")
    if not (isinstance(params, type) and dataclasses.is_dataclass(params)):
        raise DeclarationError(f"{name}: params must be a dataclass, got {params!r}")
    if not callable(program):
        raise DeclarationError(f"{name}: program must be a function, got {program!r}")
    stray = [one for one in invariants if not isinstance(one, Invariant)]
    if stray:
        raise DeclarationError(f"{name}: {stray[0]!r} is not an invariant (declare it with "
                               f"@invariant(\"its-name\") and a docstring)")

    def run(params: Any, variant: Variant[Any], *, start_method: str, seed: int = 0,
            timeout: float = DEFAULT_TIMEOUT, schedule: ScheduleLike | None = None) -> Result:
        jitter = getattr(params, "jitter", DEFAULT_JITTER)
        with Run(Backend(start_method), name, variant.name, dataclasses.asdict(params),
                 mode=shaking(jitter, schedule), seed=seed, timeout=timeout) as going:
            final = program(going, params, variant.wiring)
            return going.result().with_final(final or {})  # result() waits for the workers

    run.__module__ = program.__module__  # where the scenario's story is told
    # Clean exits are always judged: by the scenario's own invariant reporting them
    # (which may say what a hung worker waited for), or else by the shared one.
    own_exits = any(CLEAN_EXIT in one.names for one in invariants)
    check = Invariants(*invariants) if own_exits else Invariants(exits_cleanly, *invariants)
    return Scenario(name=name, description=description, params=params, variants=variants,
                    run=run, check=check,
                    search=Schedules(small=small), space=space, lesson=lesson)
