"""Early stopping: Optuna's pruners, judged on every trial's intermediate objective values.

The scheduler reads each report of the objective metric as it arrives (the built-in tasks report
it once an epoch; a script, as often as it prints or reports it) and numbers them 1, 2, 3...: the
resource a pruner counts, as Ray Tune counts `training_iteration`. Counting reports rather than
steps keeps trials comparable when their steps are not (a batch of 16 makes four times the steps
of a batch of 64 in one epoch).

One in-memory Optuna study holds every trial of the experiment in the order they started, with
their intermediate values and what the pruner wrote into them (successive halving's rungs), so a
restarted scheduler judges exactly as the one before it. Options numbered in reports mean: a
trial is never stopped at or before report `n_warmup_steps` (Optuna's steps start at 0, ours at
1, hence the + 1 when they are handed over).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hpdesk.knowledge import preset, tasks
from hpdesk.plan import Fixed, Plan
from hpdesk.search.base import Tried


@dataclass(frozen=True)
class Decision:
    """A pruner's verdict on one report: stop the trial, and why (one sentence)."""

    resource: int
    value: float | None
    reason: str


def max_resource(plan: Plan) -> int | None:
    """A whole trial's reports of the objective: the plan's epochs for a built-in task."""
    epochs = plan.space.get("epochs")
    if isinstance(epochs, Fixed) and isinstance(epochs.value, int):
        return epochs.value
    if plan.command is None and plan.task in tasks() and "epochs" not in plan.space:
        default = preset(plan.task).settings.get("epochs")
        if default is not None and isinstance(default.default, int):
            return default.default
    return None


def make_pruner(plan: Plan) -> Any:
    """The Optuna pruner the plan's `pruner` section names (None for `none`)."""
    import optuna

    p = plan.pruner
    pruners = optuna.pruners
    if p.name == "median":
        return pruners.MedianPruner(n_startup_trials=p.option("n_startup_trials"),
                                    n_warmup_steps=p.option("n_warmup_steps") + 1,
                                    interval_steps=p.option("interval_steps"))
    if p.name == "asha":
        return pruners.SuccessiveHalvingPruner(
            min_resource=p.option("min_resource"), reduction_factor=p.option("reduction_factor"),
            min_early_stopping_rate=p.option("min_early_stopping_rate"))
    if p.name == "hyperband":
        top = p.option("max_resource") or max_resource(plan)
        return pruners.HyperbandPruner(min_resource=p.option("min_resource"),
                                       max_resource=top if top else "auto",
                                       reduction_factor=p.option("reduction_factor"))
    if p.name == "patience":
        return _patience_pruner(optuna, p.option("patience"), p.option("min_delta"),
                                plan.objective.direction)
    if p.name == "threshold":
        return pruners.ThresholdPruner(lower=p.option("lower"), upper=p.option("upper"),
                                       n_warmup_steps=p.option("n_warmup_steps") + 1)
    return None


def _patience_pruner(optuna: Any, patience: int, min_delta: float, direction: str) -> Any:
    """Stop a trial whose best of its last `patience` reports did not improve on its best
    before them by more than `min_delta`: a plateau stops too, as with Keras' EarlyStopping.
    (Optuna's PatientPruner stops only when the recent best is worse, so a flat plateau runs
    on; Prechelt 1998 calls both "patience", hpdesk takes the stricter one.)"""

    class Patience(optuna.pruners.BasePruner):  # type: ignore[misc,name-defined]
        def prune(self, study: Any, trial: Any) -> bool:
            values = [v for _, v in sorted(trial.intermediate_values.items())]
            if len(values) <= patience:
                return False
            if math.isnan(values[-1]):
                return True
            before, recent = values[:-patience], values[-patience:]
            finite_before = [v for v in before if math.isfinite(v)]
            finite_recent = [v for v in recent if math.isfinite(v)]
            if not finite_before or not finite_recent:
                return False
            if direction == "maximize":
                return max(finite_recent) <= max(finite_before) + min_delta
            return min(finite_recent) >= min(finite_before) - min_delta

    return Patience()


class TrialPruner:
    """Judges running trials report by report. `start(number)` when a trial (re)starts,
    `report(number, resource, value)` for each report, `finish(number, tried)` when it ends,
    which returns what to keep with the trial (`search_state["pruner"]`)."""

    def __init__(self, plan: Plan, history: Sequence[Tried] = ()) -> None:
        self.plan = plan
        self._pruner = make_pruner(plan)
        self._live: dict[int, Any] = {}   # trial number -> its running Optuna trial
        self._reported: dict[int, set[int]] = {}
        if self._pruner is None:
            return
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self._optuna = optuna
        self._study = optuna.create_study(
            study_name="hpdesk-pruning",
            direction="maximize" if plan.objective.direction == "maximize" else "minimize",
            pruner=self._pruner, sampler=optuna.samplers.RandomSampler(seed=0))
        for tried in sorted(history, key=lambda t: t.number if t.number is not None else 0):
            if tried.finished:
                self._add_finished(tried)

    @property
    def enabled(self) -> bool:
        return self._pruner is not None

    def _add_finished(self, tried: Tried) -> None:
        state = self._optuna.trial.TrialState
        values = {int(k): float(v) for k, v in tried.intermediate.items()
                  if v is not None and math.isfinite(v)}
        value = tried.objective
        if tried.state == "completed" and value is not None and math.isfinite(value):
            kind = state.COMPLETE
        elif tried.state in ("pruned", "stopped") and values:
            kind, value = state.PRUNED, None
        else:
            kind, value = state.FAIL, None
        self._study.add_trial(self._optuna.trial.create_trial(
            value=value, state=kind, intermediate_values=values,
            system_attrs=dict(tried.search_state.get("pruner") or {})))

    def start(self, number: int, earlier: Mapping[int, float | None] | None = None) -> None:
        """A trial starts, or starts again from a checkpoint with `earlier` reports already
        made (those were judged before: they are recorded, not judged again)."""
        if not self.enabled or number in self._live:
            return
        trial = self._study.ask()
        self._live[number] = trial
        self._reported[number] = set()
        for resource, value in sorted((earlier or {}).items()):
            if value is not None and math.isfinite(value):
                trial.report(float(value), int(resource))
            self._reported[number].add(int(resource))

    def report(self, number: int, resource: int, value: float | None) -> Decision | None:
        """Record one report; a `Decision` when the trial should stop now."""
        trial = self._live.get(number)
        if trial is None or resource in self._reported[number]:
            return None
        self._reported[number].add(resource)
        reported = math.nan if value is None or not math.isfinite(value) else float(value)
        trial.report(reported, resource)
        if not trial.should_prune():
            return None
        return Decision(resource, value, self._why(resource, value))

    def finish(self, number: int, tried: Tried) -> dict[str, Any] | None:
        """Tell the study how the trial ended; returns the pruner's notes on it."""
        trial = self._live.pop(number, None)
        self._reported.pop(number, None)
        if trial is None:
            return None
        state = self._optuna.trial.TrialState
        value = tried.objective
        if tried.state == "completed" and value is not None and math.isfinite(value):
            self._study.tell(trial, value)
        elif tried.state in ("pruned", "stopped") and trial.number is not None and (
                self._study.get_trials(deepcopy=False)[trial.number].intermediate_values):
            self._study.tell(trial, state=state.PRUNED)
        elif tried.state in ("paused", "interrupted"):
            self._live[number] = trial  # it runs on later: keep judging the same trial
            self._reported[number] = set(tried.intermediate)
            return None
        else:
            self._study.tell(trial, state=state.FAIL)
        return dict(self._study.get_trials(deepcopy=False)[trial.number].system_attrs)

    # --- why, in one sentence ----------------------------------------------------------------
    def _why(self, resource: int, value: float | None) -> str:
        p = self.plan.pruner
        metric = self.plan.objective.metric
        shown = "not a number" if value is None or not math.isfinite(value) else f"{value:.4g}"
        at = f"report {resource} of {metric} ({shown})"
        if value is None or not math.isfinite(value):
            return f"{p.name}: {metric} is not a number at report {resource}"
        if p.name == "median":
            others = self._others_at(resource)
            middle = statistics.median(others) if others else None
            return f"median rule: {at} is worse than the median " + (
                f"{middle:.4g} of earlier trials there" if middle is not None else
                "of earlier trials there")
        if p.name in ("asha", "hyperband"):
            return (f"{'successive halving' if p.name == 'asha' else 'hyperband'}: {at} is not "
                    f"in the best 1/{p.option('reduction_factor')} of the trials that reached "
                    "this rung")
        if p.name == "patience":
            return (f"patience: no improvement of {metric} over the last "
                    f"{p.option('patience')} reports (now {shown} at report {resource})")
        bounds = [f"below {p.option('lower'):g}" if p.option("lower") is not None else "",
                  f"above {p.option('upper'):g}" if p.option("upper") is not None else ""]
        return f"threshold: {at} is outside the bounds (stop " + " or ".join(
            b for b in bounds if b) + ")"

    def _others_at(self, resource: int) -> list[float]:
        state = self._optuna.trial.TrialState
        return [t.intermediate_values[resource]
                for t in self._study.get_trials(deepcopy=False, states=(state.COMPLETE,))
                if resource in t.intermediate_values
                and math.isfinite(t.intermediate_values[resource])]
