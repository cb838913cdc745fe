"""One search replayed against the curves table, one trial after another (concurrency 1).

A trial "trains" by reading its configuration's curve epoch by epoch: each epoch read is paid
(one epoch, and the seconds the table recorded for it). The pruner sees the validation loss
after every epoch; a pruned trial pays only the epochs it ran; a curve that turns NaN ends the
trial as "diverged" in that epoch (the epoch is paid: it was trained until the loss blew up; no
value is reported for it, as the real task reports none).

hpdesk is driven as its scheduler drives it (`hpdesk.runner.search_driver.SearchDriver`):
`strategy.suggest()` -> `pruner.start(n)` -> `pruner.report(n, epoch, val_loss)` per epoch ->
`pruner.finish(n, tried)` -> `strategy.tell(tried)`, trial numbers from 0, the trial's params
and search_state passed through JSON as the database keeps them, and at most `budget.trials`
trials. Plain Optuna is driven through `study.optimize`, as people use it.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hpdesk.runner.search_driver import jsonable
from replay.table import Table


@dataclass
class Trace:
    """What one replayed search did: per trial, its table row, how it ended, the epochs and
    seconds it paid, and its final value (completed trials only)."""

    rows: list[int] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    epochs: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    finals: list[float | None] = field(default_factory=list)
    params: list[dict[str, Any]] = field(default_factory=list)
    wall_s: float = 0.0  # the search's own compute time (suggest / tell / prune decisions)
    notes: list[str] = field(default_factory=list)
    ended: str = ""

    def add(self, row: int, state: str, epochs: int, seconds: float, final: float | None,
            params: Mapping[str, Any] | None = None, keep_params: bool = False) -> None:
        self.rows.append(row)
        self.states.append(state)
        self.epochs.append(epochs)
        self.seconds.append(seconds)
        self.finals.append(final)
        if keep_params and params is not None:
            self.params.append(dict(params))


@dataclass(frozen=True)
class Trained:
    """One trial's replayed training."""

    state: str                      # completed, pruned, diverged
    epochs: int                     # epochs paid
    seconds: float
    intermediate: dict[int, float]  # epoch (from 1) -> val_loss, as the pruner saw them
    objective: float | None         # reduce last: the last value reported (None: diverged)


def train(table: Table, row: int, judge: Callable[[int, float], bool] | None) -> Trained:
    """Read row's curve epoch by epoch; `judge(epoch, value)` True stops the trial (pruned)."""
    curve = table.val_loss[row]
    times = table.epoch_time[row]
    intermediate: dict[int, float] = {}
    seconds = 0.0
    for epoch in range(1, table.epochs + 1):
        value = float(curve[epoch - 1])
        t = float(times[epoch - 1])
        seconds += t if math.isfinite(t) else 0.0
        if not math.isfinite(value):
            return Trained("diverged", epoch, seconds, intermediate, None)
        intermediate[epoch] = value
        if judge is not None and judge(epoch, value):
            return Trained("pruned", epoch, seconds, intermediate, value)
    return Trained("completed", table.epochs, seconds, intermediate,
                   intermediate[table.epochs])


def _through_json(value: Any) -> Any:
    """As the database gives it back (the scheduler stores search state through `jsonable`)."""
    return json.loads(json.dumps(jsonable(value)))


# --- hpdesk --------------------------------------------------------------------------------------
def replay_hpdesk(table: Table, plan: Any, *, keep_params: bool = False) -> Trace:
    import time

    from hpdesk.search import WAIT, Suggestion, TrialPruner, Tried, make_strategy

    clock = time.process_time()
    trace = Trace()
    strategy = make_strategy(plan, [])
    pruner = TrialPruner(plan, [])
    number = 0
    while number < plan.budget.trials:
        suggestion = strategy.suggest()
        trace.notes += [n.message for n in strategy.notes()]
        if suggestion is None:
            trace.ended = "strategy done"
            break
        if suggestion is WAIT or not isinstance(suggestion, Suggestion):
            # every trial has ended: a stage barrier must not hold here
            raise RuntimeError(
                f"{plan.strategy.name} answered WAIT with no trial running "
                f"(after {number} trials)")
        params = _through_json(suggestion.params)
        state = _through_json(suggestion.search_state)
        row = table.row(params)
        pruner.start(number)

        def judge(epoch: int, value: float, num: int = number) -> bool:
            return pruner.report(num, epoch, value) is not None

        trained = train(table, row, judge if pruner.enabled else None)
        tried = Tried(params, trained.state, trained.objective, number=number,
                      intermediate=dict(trained.intermediate), search_state=state)
        pruner.finish(number, tried)
        strategy.tell(tried)
        trace.notes += [n.message for n in strategy.notes()]
        trace.add(row, trained.state, trained.epochs, trained.seconds,
                  trained.objective if trained.state == "completed" else None, params,
                  keep_params)
        number += 1
    else:
        trace.ended = "trial budget spent"
    trace.wall_s = time.process_time() - clock
    return trace


# --- plain Optuna --------------------------------------------------------------------------------
def optuna_params(trial: Any) -> dict[str, Any]:
    """The same space as the plan, define-by-run, as a person writes it for Optuna."""
    from replay.plans import OPTIMIZERS

    params: dict[str, Any] = {
        "optimizer": trial.suggest_categorical("optimizer", list(OPTIMIZERS)),
        "lr": trial.suggest_float("lr", 1e-4, 1.0, log=True),
        "batch_size": trial.suggest_int("batch_size", 16, 256, log=True),
    }
    if params["optimizer"] == "sgd_momentum":
        params["momentum"] = trial.suggest_float("momentum", 0.5, 0.99)
    params["dropout"] = trial.suggest_float("dropout", 0.0, 0.5)
    params["weight_decay"] = trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
    params["width"] = trial.suggest_int("width", 32, 128, log=True)
    return params


def replay_optuna(table: Table, *, seed: int, trials: int, sampler: str = "tpe",
                  pruner: Mapping[str, Any] | None = None, keep_params: bool = False,
                  sampler_options: Mapping[str, Any] | None = None) -> Trace:
    """`optuna.create_study(sampler=TPESampler(seed=seed), pruner=...)` and `study.optimize`,
    Optuna's defaults throughout. `pruner`: {"name": "hyperband" | "asha" | "median", and the
    options `min_resource`, `reduction_factor`}; Hyperband's max_resource is the 27 epochs.
    `sampler_options` go to the sampler as they are (none for the plain baselines).
    The study gets a fixed name only so that Hyperband's brackets (chosen from a hash of the
    study's name and the trial's number) are the same from one run to the next."""
    import time

    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    clock = time.process_time()
    trace = Trace()
    chosen: Any
    if sampler == "tpe":
        chosen = optuna.samplers.TPESampler(seed=seed, **dict(sampler_options or {}))
    elif sampler == "random":
        chosen = optuna.samplers.RandomSampler(seed=seed)
    elif sampler == "cmaes":
        chosen = optuna.samplers.CmaEsSampler(seed=seed, **dict(sampler_options or {}))
    else:
        raise ValueError(sampler)
    options = dict(pruner or {})
    kind = options.pop("name", None)
    made: Any
    if kind is None:
        made = None
    elif kind == "hyperband":
        made = optuna.pruners.HyperbandPruner(
            min_resource=options.get("min_resource", 1), max_resource=table.epochs,
            reduction_factor=options.get("reduction_factor", 3))
    elif kind == "asha":
        made = optuna.pruners.SuccessiveHalvingPruner(
            min_resource=options.get("min_resource", 1),
            reduction_factor=options.get("reduction_factor", 3))
    elif kind == "median":
        made = optuna.pruners.MedianPruner()
    else:
        raise ValueError(kind)
    study = optuna.create_study(study_name=f"replay-{seed}", sampler=chosen, pruner=made,
                                direction="minimize")

    def objective(trial: Any) -> float:
        params = optuna_params(trial)
        row = table.row(params)

        def judge(epoch: int, value: float) -> bool:
            trial.report(value, epoch)
            return trial.should_prune()

        trained = train(table, row, judge if made is not None else None)
        trace.add(row, trained.state, trained.epochs, trained.seconds,
                  trained.objective if trained.state == "completed" else None, params,
                  keep_params)
        if trained.state == "pruned":
            raise optuna.TrialPruned()
        if trained.state == "diverged":
            return math.nan  # Optuna records the trial as failed
        assert trained.objective is not None
        return trained.objective

    study.optimize(objective, n_trials=trials)
    trace.ended = "trial budget spent"
    trace.wall_s = time.process_time() - clock
    return trace


# --- what a trace is worth -----------------------------------------------------------------------
def measure(table: Table, trace: Trace, budget_epochs: int) -> dict[str, Any]:
    """Epochs (and recorded seconds, and trials) until the first fully trained trial in the
    target; the best final loss among fully trained trials that ended within `budget_epochs`."""
    spent = np.cumsum(trace.epochs) if trace.epochs else np.zeros(0)
    secs = np.cumsum(trace.seconds) if trace.seconds else np.zeros(0)
    out: dict[str, Any] = {"epochs_to_target": None, "seconds_to_target": None,
                           "trials_to_target": None}
    for i, (row, state) in enumerate(zip(trace.rows, trace.states)):
        if state == "completed" and row in table.target_rows:
            out.update(epochs_to_target=int(spent[i]), seconds_to_target=float(secs[i]),
                       trials_to_target=i + 1)
            break
    best_budget = math.inf
    best_all = math.inf
    for i, final in enumerate(trace.finals):
        if final is None:
            continue
        best_all = min(best_all, final)
        if spent[i] <= budget_epochs:
            best_budget = min(best_budget, final)
    out["best_at_budget"] = best_budget if math.isfinite(best_budget) else None
    out["best_overall"] = best_all if math.isfinite(best_all) else None
    out["epochs_total"] = int(spent[-1]) if len(spent) else 0
    out["seconds_total"] = float(secs[-1]) if len(secs) else 0.0
    out["trials"] = len(trace.rows)
    out["completed"] = sum(s == "completed" for s in trace.states)
    out["pruned"] = sum(s == "pruned" for s in trace.states)
    out["diverged"] = sum(s == "diverged" for s in trace.states)
    out["distinct_rows"] = len(set(trace.rows))
    out["search_cpu_s"] = trace.wall_s
    return out
