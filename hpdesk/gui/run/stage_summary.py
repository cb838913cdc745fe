"""What the stage panel shows of a staged search, as plain data (no Qt: testable alone).

The stages come from the latest `stage` event (its `plan` lists every stage); before the
scheduler has written one, from the plan itself (`hpdesk.search.plan_stages`). A stage with a
`stage_end` event is done; the stage of the latest `stage` event is current until it ends; the
rest are to come. Each stage carries the values its `stage` event held fixed, its best trial
(from `stage_end`), and the importance measured after it (the `importance` event of the stage).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hpdesk.store import Event, Trial

log = logging.getLogger(__name__)

DONE, CURRENT, TO_COME = "done", "current", "to come"


@dataclass(frozen=True)
class StageRow:
    number: int
    params: tuple[str, ...]
    trials: int  # the stage's share of the budget
    strategy: str
    status: str  # DONE, CURRENT or TO_COME
    finished: int = 0  # trials of the stage that ended
    running: int = 0
    held: Mapping[str, Any] | None = None  # values fixed from earlier stages (once started)
    defaults: Mapping[str, Any] | None = None  # later stages' parameters, at their defaults
    carry: str | None = None
    best_trial: int | None = None
    best_value: float | None = None
    importance: Mapping[str, Any] | None = None  # the `importance` event's data
    disagreements: tuple[Mapping[str, Any], ...] = field(default=())


def planned_stages(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The stages the plan will run, as the `stage` event's `plan` lists them; [] when the plan
    cannot be read (a plan of an older version, say)."""
    try:
        from hpdesk.plan import parse_plan
        from hpdesk.search import plan_stages

        stages = plan_stages(parse_plan(dict(plan), source="experiment"))
    except Exception:  # a view never fails on a plan it cannot read; the log says why
        log.debug("cannot compute the stages of the plan", exc_info=True)
        return []
    return [{"stage": s.number, "params": list(s.params), "trials": s.trials,
             "strategy": s.strategy} for s in stages]


def stage_rows(plan: Mapping[str, Any], events: Sequence[Event],
               trials: Sequence[Trial]) -> list[StageRow]:
    """One row per stage, in order (see the module doc)."""
    starts: dict[int, Mapping[str, Any]] = {}
    ends: dict[int, Mapping[str, Any]] = {}
    importance: dict[int, Mapping[str, Any]] = {}
    latest: Mapping[str, Any] | None = None
    for event in events:
        data = event.data or {}
        stage = data.get("stage")
        if not isinstance(stage, int):
            continue
        if event.kind == "stage":
            starts[stage] = data
            latest = data
        elif event.kind == "stage_end":
            ends[stage] = data
        elif event.kind == "importance":
            importance[stage] = data
    listed = latest.get("plan") if latest is not None else None
    stages = list(listed) if isinstance(listed, list) and listed else planned_stages(plan)
    current = latest.get("stage") if latest is not None else None
    if current is None:
        seen = [t.stage for t in trials if t.stage is not None]
        current = max(seen) if seen else None
    rows: list[StageRow] = []
    for entry in stages:
        number = int(entry.get("stage", len(rows) + 1))
        mine = [t for t in trials if t.stage == number]
        if number in ends or (current is not None and number < current):
            status = DONE
        elif number == current:
            status = CURRENT
        else:
            status = TO_COME
        start, end = starts.get(number, {}), ends.get(number, {})
        measured = importance.get(number)
        rows.append(StageRow(
            number=number, params=tuple(str(p) for p in entry.get("params") or ()),
            trials=int(entry.get("trials") or 0), strategy=str(entry.get("strategy") or ""),
            status=status, finished=sum(t.finished for t in mine),
            running=sum(t.state == "running" for t in mine),
            held=start.get("held") if start else None,
            defaults=start.get("defaults") if start else None,
            carry=start.get("carry") if start else None,
            best_trial=end.get("best_trial"),
            best_value=end.get("best_value"),
            importance=measured,
            disagreements=tuple(d for d in (measured or {}).get("disagreements") or ()
                                if isinstance(d, Mapping))))
    return rows


def current_row(rows: Sequence[StageRow]) -> StageRow | None:
    return next((r for r in rows if r.status == CURRENT), None)


__all__ = ["CURRENT", "DONE", "TO_COME", "StageRow", "current_row", "planned_stages",
           "stage_rows"]
