"""Hand-made Results, to unit-test the checkers without running a process."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sut.engine import Event, Result, WorkerOutcome
from sut.engine.result import Status


def result(scenario: str, params: Any, steps: list[tuple[str, str, dict[str, Any]]], *,
           statuses: dict[str, Status] | None = None, final: dict[str, Any] | None = None,
           injected: str | None = None) -> Result:
    """A Result whose events are ``steps`` (worker, label, data), one millisecond apart.

    Every worker that appears in ``steps`` exited cleanly unless ``statuses``
    says otherwise; ``injected`` names a worker killed on purpose.
    """
    events = tuple(Event(t_ns=i * 1_000_000, worker=worker, label=label, data=data)
                   for i, (worker, label, data) in enumerate(steps))
    names = list(dict.fromkeys(worker for worker, _, _ in steps))
    for name in statuses or {}:
        if name not in names:
            names.append(name)
    outcomes = []
    for name in names:
        status = (statuses or {}).get(name, "ok")
        exitcode = {"ok": 0, "crashed": 1, "hung": -15, "killed": -9, "failed": 3}[status]
        last = [label for worker, label, _ in steps if worker == name]
        outcomes.append(WorkerOutcome(name=name, status=status, exitcode=exitcode,
                                      last_point=last[-1] if last else None,
                                      error="ValueError: boom" if status == "crashed" else None,
                                      injected=name == injected))
    return Result(scenario=scenario, variant="handmade", params=asdict(params),
                  start_method="fork", seed=0, events=events,
                  workers=tuple(outcomes)).with_final(final or {})
