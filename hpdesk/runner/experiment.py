"""Creating an experiment from a plan, and the summary printed when it ends."""

from __future__ import annotations

import math
import os
import secrets
from dataclasses import dataclass, replace
from typing import Any

from hpdesk.plan import Plan
from hpdesk.plan.model import objective_entries
from hpdesk.plan.secrets import export_secret_env
from hpdesk.runner.outcome import format_params
from hpdesk.runner.paths import new_experiment_dir
from hpdesk.store import Experiment, Store, Trial


def create_experiment(store: Store, plan: Plan) -> Experiment:
    """Store the plan exactly as it will run (overrides applied), so it can be exported again,
    with a fresh folder for its logs and checkpoints. A plan without a search seed gets a fresh
    one here, recorded with the experiment: two new experiments do not try the same points,
    and this one, exported or resumed, draws its own again."""
    if plan.command is not None and plan.workdir is None:
        plan = plan.with_changes(workdir=os.getcwd())  # what relative paths meant here
    if plan.strategy.seed is None:
        plan = plan.with_changes(strategy=replace(plan.strategy,
                                                  seed=secrets.randbelow(2**31 - 1)))
    # The plan is stored with its secret env values masked; the values travel in this
    # process's environment to the scheduler and the trials (hpdesk.plan.secrets).
    export_secret_env(plan, os.environ, source=plan.name or "the plan")
    store.ensure_writable()  # read-only, full or damaged: refused before anything is written
    experiment = store.create_experiment(plan.name or plan.task, plan.task, plan.to_dict())
    folder = new_experiment_dir(store.path, experiment.id)
    folder.mkdir(parents=True)
    store.update_experiment(experiment.id, workdir=str(folder.resolve()))
    return store.experiment(experiment.id)


@dataclass(frozen=True)
class Summary:
    experiment: Experiment
    trials: list[Trial]
    best: Trial | None

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.trials:
            out[t.state] = out.get(t.state, 0) + 1
        return out


def summarize(store: Store, experiment_id: int) -> Summary:
    """The experiment, its trials and its best trial (completed, with a finite objective: a
    database written before non-finite objectives were refused may still hold an infinity)."""
    from hpdesk.analysis.export import best_trial

    experiment = store.experiment(experiment_id)
    trials = store.trials(experiment_id)
    return Summary(experiment, trials, best_trial(experiment.plan, trials))


def summary_table(summary: Summary) -> str:
    """The plain-text table `hpdesk run` ends with: every trial, best first, then the best."""
    exp = summary.experiment
    first = objective_entries(exp.plan)[0]
    metric, maximize = first["metric"], first["direction"] == "maximize"
    def order(t: Trial) -> tuple[bool, float]:  # the best first; no value (or none finite) last
        value = t.objective
        if value is None or not math.isfinite(value):
            return (True, 0.0)
        return (False, -value if maximize else value)

    rows = sorted(summary.trials, key=order)
    lines = [f"experiment {exp.id} ({exp.name}): {exp.state}; "
             + ", ".join(f"{n} {s}" for s, n in sorted(summary.counts().items())),
             f"{'trial':>5}  {'state':<12} {metric:>12}  params"]
    for t in rows:
        value = "-" if t.objective is None else f"{t.objective:.5g}"
        lines.append(f"{t.number:>5}  {t.state:<12} {value:>12}  {format_params(t.params, 12)}")
    entries = objective_entries(exp.plan)
    if len(entries) > 1:
        lines.extend(["", *pareto_lines(summary.trials, entries)])
    elif summary.best is not None:
        b = summary.best
        lines.append("")
        lines.append(f"best: trial {b.number} with {metric} = {b.objective:.6g}")
        for name, value in b.params.items():
            lines.append(f"  {name}: {value}")
    else:
        lines.append("")
        lines.append("no trial completed with an objective value")
    return "\n".join(lines)


def pareto_lines(trials: list[Trial], entries: list[dict[str, Any]]) -> list[str]:
    """The Pareto front of an experiment with several objectives, a line per trial on it."""
    from hpdesk.analysis.pareto import pareto_front

    done = [t for t in trials if t.state == "completed" and t.objectives]
    front = [done[i] for i in pareto_front([t.objectives or [] for t in done],
                                           [e["direction"] for e in entries])]
    if not front:
        return ["no trial completed with every objective"]
    names = ", ".join(f"{e['metric']} ({e['direction']})" for e in entries)
    out = [f"Pareto front ({names}): {len(front)} of {len(done)} completed trials"]
    for t in front:
        shown = ", ".join("-" if v is None else f"{v:.4g}" for v in t.objectives or [])
        out.append(f"  trial {t.number}: {shown}  [{format_params(t.params, 6)}]")
    return out


@dataclass(frozen=True)
class ExperimentRow:
    """One line of the window's experiment list: cheap to compute for every experiment."""

    experiment: Experiment
    counts: dict[str, int]
    best: float | None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def experiment_rows(store: Store) -> list[ExperimentRow]:
    """Every experiment with its trial counts per state and its best objective, newest first,
    in two queries whatever the number of trials."""
    counts: dict[int, dict[str, int]] = {}
    for exp_id, state, n in store.conn.execute(
            "SELECT experiment_id, state, COUNT(*) FROM trials GROUP BY experiment_id, state"):
        counts.setdefault(exp_id, {})[state] = n
    extremes = {row[0]: (row[1], row[2]) for row in store.conn.execute(
        "SELECT experiment_id, MAX(objective), MIN(objective) FROM trials"
        " WHERE state = 'completed' AND objective > ? AND objective < ?"  # finite only
        " GROUP BY experiment_id", (-math.inf, math.inf))}
    rows = []
    for exp in reversed(store.experiments()):
        high, low = extremes.get(exp.id, (None, None))
        maximize = objective_entries(exp.plan)[0]["direction"] == "maximize"
        rows.append(ExperimentRow(exp, counts.get(exp.id, {}), high if maximize else low))
    return rows
