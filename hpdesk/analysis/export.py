"""What leaves the window as files: trials and metrics as CSV, the best trial as a plan.

The CSV files have the columns `hpdesk export` writes, through the same code
(`hpdesk.analysis.results_out`). Times in them are ISO 8601 with the writer's UTC offset
(`2026-03-01T14:05:09.250000+01:00`): a spreadsheet or pandas reads them as dates, and the
instant is exact whichever zone the reader is in."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Any

from hpdesk.analysis import results_out
from hpdesk.plan import Budget, Fixed, Plan, Strategy, parse_plan
from hpdesk.plan.model import Pruner, objective_entries
from hpdesk.store import Store, Trial


def iso_time(seconds: float | None, tz: tzinfo | None = None) -> str:
    """Unix seconds as ISO 8601 with the UTC offset of `tz` (None: this machine's zone);
    "" for no time.

    >>> from datetime import timezone
    >>> iso_time(0.25, timezone.utc)
    '1970-01-01T00:00:00.250000+00:00'
    """
    return results_out.iso_time(seconds, tz) or ""


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
    """One row per trial, with the columns `hpdesk export trials` writes (see
    `results_out.trial_columns`: ids, state, objectives, times in ISO 8601 in `tz` (None: this
    machine's zone), then `param.<name>` per parameter, empty where a trial had none). Returns
    the number of rows; a failure leaves no partial file (`results_out.write_file`)."""
    names: dict[str, None] = {}
    for t in trials:
        names.update(dict.fromkeys(t.params))
    columns = results_out.trial_columns({0: plan}, names)
    rows = (results_out.trial_row(t, plan, columns, tz)
            for t in sorted(trials, key=lambda t: t.number))
    return results_out.write_file(
        path, lambda fh: results_out.write_rows(fh, "csv", columns, rows))


def write_metrics_csv(path: str | os.PathLike[str], store: Store, trials: Sequence[Trial], *,
                      tz: tzinfo | None = None) -> int:
    """Every metric point of `trials` in the long format `hpdesk export metrics` writes
    (experiment, trial id and number, metric, step, value, wall time in ISO 8601 in `tz`, None:
    this machine's zone), streamed from SQLite so a large experiment never sits in memory.
    Returns the row count."""
    keys = [(t.experiment_id, t.id, t.number) for t in sorted(trials, key=lambda t: t.number)]
    return results_out.write_file(path, lambda fh: results_out.write_rows(
        fh, "csv", results_out.METRIC_COLUMNS, results_out.metric_rows(store, keys, tz=tz)))


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
