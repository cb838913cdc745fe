"""What leaves the window as files: trials and metrics as CSV, the best trial as a plan.

Times in the CSV files are ISO 8601 with the writer's UTC offset
(`2026-03-01T14:05:09.250000+01:00`): a spreadsheet or pandas reads them as dates, and the
instant is exact whichever zone the reader is in."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from hpdesk.jsonsafe import dumps
from hpdesk.plan import Budget, Fixed, Plan, Strategy, parse_plan
from hpdesk.plan.model import Pruner, objective_entries
from hpdesk.store import Store, Trial

TRIAL_COLUMNS = ("number", "state", "objective", "started_at", "ended_at", "device", "message")
TIME_COLUMNS = frozenset({"started_at", "ended_at"})


def iso_time(seconds: float | None, tz: tzinfo | None = None) -> str:
    """Unix seconds as ISO 8601 with the UTC offset of `tz` (None: this machine's zone);
    "" for no time.

    >>> from datetime import timezone
    >>> iso_time(0.25, timezone.utc)
    '1970-01-01T00:00:00.250000+00:00'
    """
    if seconds is None or not math.isfinite(seconds):
        return ""
    return datetime.fromtimestamp(seconds, tz).astimezone(tz).isoformat(timespec="microseconds")


def scored(trial: Trial) -> bool:
    """Completed with a finite objective: the trials a best is chosen among (NaN or an
    infinity is never the best, whatever the direction)."""
    return (trial.state == "completed" and trial.objective is not None
            and math.isfinite(trial.objective))


def best_trial(plan: Mapping[str, Any], trials: Sequence[Trial]) -> Trial | None:
    """The completed trial with the best finite objective, in the plan's direction (the
    first of equals)."""
    candidates = [t for t in trials if scored(t)]
    if not candidates:
        return None
    maximize = objective_entries(plan)[0]["direction"] == "maximize"
    pick = max if maximize else min
    return pick(candidates, key=lambda t: float(t.objective or 0.0))


def write_trials_csv(path: str | os.PathLike[str], plan: Mapping[str, Any],
                     trials: Sequence[Trial], *, tz: tzinfo | None = None) -> int:
    """One row per trial: its number, state, objective, start and end (ISO 8601 in `tz`, None:
    this machine's zone) and one column per parameter (values of parameters a trial did not
    have are left empty). Returns the number of rows."""
    names: list[str] = list(plan.get("space", {}))
    for t in trials:
        names.extend(n for n in t.params if n not in names)
    metric = objective_entries(plan)[0]["metric"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow([*TRIAL_COLUMNS[:2], metric, *TRIAL_COLUMNS[3:], *names])
        for t in sorted(trials, key=lambda t: t.number):
            row = [iso_time(getattr(t, c), tz) if c in TIME_COLUMNS else _cell(getattr(t, c))
                   for c in TRIAL_COLUMNS]
            out.writerow(row + [_cell(t.params.get(n)) for n in names])
    return len(trials)


def write_metrics_csv(path: str | os.PathLike[str], store: Store, trials: Sequence[Trial], *,
                      tz: tzinfo | None = None) -> int:
    """Every metric point of `trials` (long format: trial, metric, step, value, wall time in
    ISO 8601 in `tz`, None: this machine's zone), streamed from SQLite so a large experiment
    never sits in memory. Returns the row count."""
    numbers = {t.id: t.number for t in trials}
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["trial", "metric", "step", "value", "wall_time"])
        for trial_id in sorted(numbers, key=numbers.__getitem__):
            cursor = store.conn.execute(
                "SELECT name, step, value, wall_time FROM metrics WHERE trial_id = ?"
                " ORDER BY name, step", (trial_id,))
            for name, step, value, wall in cursor:
                out.writerow([numbers[trial_id], name, step, _cell(value), iso_time(wall, tz)])
                count += 1
    return count


def plan_of_trial(plan: Mapping[str, Any], trial: Trial) -> Plan:
    """The plan that runs exactly `trial` again: every parameter fixed to its value, one trial.
    Parameters the trial did not have (conditional ones) keep their fixed value or leave."""
    base = parse_plan(dict(plan), source=f"experiment {trial.experiment_id}")
    space: dict[str, Any] = {}
    for name, dist in base.space.items():
        if name in trial.params:
            space[name] = Fixed(trial.params[name])
        elif dist.kind == "fixed":
            space[name] = dist
    for name, value in trial.params.items():
        space.setdefault(name, Fixed(value))
    name = f"{base.name or base.task}-trial-{trial.number}"
    # One trial: nothing to search or stop early. (A population member's hyperparameters
    # changed while it trained; this runs its last ones from the start.)
    fixed = base.with_changes(space=space, name=name, budget=Budget(1), concurrency=1,
                              strategy=Strategy("grid", seed=base.strategy.seed),
                              pruner=Pruner())
    return parse_plan(fixed.to_dict(), source=name)  # proves the result is a valid plan


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dict, list)):
        return dumps(value)
    return value
