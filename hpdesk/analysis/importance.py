"""Which hyperparameters mattered in this experiment, beside what the tuning guide says matters.

Importance is computed by Optuna's evaluators on an in-memory study rebuilt from the scored
trials (completed, with a finite objective): PED-ANOVA (Optuna's default; it also weighs
conditional parameters) or fANOVA (a random forest; parameters present in every trial only).
Each result carries the guide's prior tier (KNOWLEDGE.md §3: tier 1 is tuned first), so a view can
show "what mattered here" against "what should matter".

A few trials say little: below `MIN_TRIALS` scored trials or `MIN_PARAMS` searched parameters
the result has no importances and a `reason` instead. Computing takes from milliseconds
(PED-ANOVA) to about a second (fANOVA, a hundred trials): call it off the GUI thread.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpdesk.analysis.trials_table import Axis, TrialsTable

MIN_TRIALS = 8
MIN_PARAMS = 2
#: Below this many scored trials fANOVA's random forest ranks noise (measured on synthetic runs
#: where one parameter drives the objective: right at 40 trials, often wrong at 12-20).
FANOVA_RELIABLE = 30
#: Optuna's note on PedAnovaImportanceEvaluator: "it is preferable to include at least 5 trials
#: above target_quantile", whose default is 0.1, so 50 scored trials. Below that hpdesk widens
#: the top group to keep 5 trials in it (`_target_quantile`: the top half at 10 trials) and the
#: shares rest on a handful of trials: a view shows them with a caveat.
PED_ANOVA_RELIABLE = 50
#: Scored trials below which each evaluator's ranking is uncertain.
RELIABLE_FROM = {"ped_anova": PED_ANOVA_RELIABLE, "fanova": FANOVA_RELIABLE}
EVALUATORS = ("ped_anova", "fanova")
EVALUATOR_NAMES = {"ped_anova": "PED-ANOVA", "fanova": "fANOVA"}

#: Why a result has no importances: each reason's English sentence (the GUI translates its own).
REASONS = {
    "too_few_trials": "{have} scored trials so far; importance needs at least {need}",
    "too_few_params": "{have} searched parameter(s); importance compares at least {need}",
    "constant_objective": "every scored trial has the same objective: nothing to explain",
}


@dataclass(frozen=True)
class ParamImportance:
    name: str
    importance: float | None  # share of the total (the assessed ones sum to 1); None: not assessed
    tier: int | None  # the guide's prior tier (1 = tune first); None when the guide has no entry
    conditional: bool = False


@dataclass(frozen=True)
class ImportanceResult:
    """`params` is most important first, the parameters not assessed last; empty with a
    `reason` (a key of REASONS, with `have` and `need`) when there is not enough to say."""

    evaluator: str
    trials: int
    params: tuple[ParamImportance, ...] = ()
    reason: str | None = None
    have: int = 0
    need: int = 0

    @property
    def ready(self) -> bool:
        return self.reason is None

    @property
    def uncertain(self) -> bool:
        """Ready, but on fewer scored trials than its evaluator needs to rank reliably
        (`RELIABLE_FROM`): show the shares with a caveat."""
        return self.ready and self.trials < RELIABLE_FROM[self.evaluator]

    def message(self) -> str:
        """The reason in English (the CLI's wording), empty when the result is ready."""
        if self.reason is None:
            return ""
        return REASONS[self.reason].format(have=self.have, need=self.need)


def shortfall(table: TrialsTable, evaluator: str = "ped_anova") -> ImportanceResult | None:
    """The empty result explaining why importance cannot be computed yet, or None when it can.
    Cheap: the GUI calls it on every update before starting any work."""
    _check_evaluator(evaluator)
    have = table.scored_count
    if len(table.axes) < MIN_PARAMS:
        return ImportanceResult(evaluator, have, reason="too_few_params", have=len(table.axes),
                                need=MIN_PARAMS)
    if have < MIN_TRIALS:
        return ImportanceResult(evaluator, have, reason="too_few_trials", have=have,
                                need=MIN_TRIALS)
    scores = table.objective[table.scored]
    if float(scores.max() - scores.min()) <= 1e-12 * max(1.0, float(np.abs(scores).max())):
        return ImportanceResult(evaluator, have, reason="constant_objective")
    return None


def compute_importance(table: TrialsTable, evaluator: str = "ped_anova", *,
                       seed: int = 0) -> ImportanceResult:
    """Importance of each searched parameter over the table's scored trials (deterministic for
    a given seed)."""
    short = shortfall(table, evaluator)
    if short is not None:
        return short
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = _study(optuna, table)
    if evaluator == "fanova":
        chosen: Any = optuna.importance.FanovaImportanceEvaluator(seed=seed)
    else:
        chosen = optuna.importance.PedAnovaImportanceEvaluator(
            target_quantile=_target_quantile(table.scored_count))
    with warnings.catch_warnings():
        # Small regimes of a conditional parameter and experimental flags only warn.
        warnings.simplefilter("ignore")
        raw = chosen.evaluate(study)
    # A parameter that took one value in every scored trial explained nothing: not assessed
    # (PED-ANOVA still gives it a few per cent of noise, as after a stage that held it fixed).
    held = set(constant_axes(table))
    raw = {name: value for name, value in raw.items() if name not in held}
    total = sum(v for v in raw.values() if math.isfinite(v))
    assessed = [ParamImportance(a.name, _share(raw[a.name], total), a.tier, a.conditional)
                for a in table.axes if a.name in raw]
    assessed.sort(key=lambda p: -(p.importance or 0.0))
    missing = [ParamImportance(a.name, None, a.tier, a.conditional)
               for a in table.axes if a.name not in raw]
    return ImportanceResult(evaluator, table.scored_count, tuple(assessed + missing))


def constant_axes(table: TrialsTable) -> list[str]:
    """The searched parameters whose value was the same in every scored trial."""
    rows = table.values[table.scored]
    out = []
    for column, axis in enumerate(table.axes):
        seen = rows[:, column]
        seen = seen[np.isfinite(seen)]
        if len(seen) == 0 or float(seen.max() - seen.min()) == 0.0:
            out.append(axis.name)
    return out


def _check_evaluator(evaluator: str) -> None:
    if evaluator not in EVALUATORS:
        raise ValueError(f"The importance evaluator must be one of {', '.join(EVALUATORS)}, "
                         f"not {evaluator!r}.")


def _target_quantile(scored: int) -> float:
    # Optuna advises at least 5 trials above the target quantile; its default 10 % needs 50.
    return min(0.5, max(0.1, 5 / scored))


def _share(value: float, total: float) -> float:
    if not math.isfinite(value) or total <= 0:
        return 0.0
    return float(value / total)


def _study(optuna: Any, table: TrialsTable) -> Any:
    distributions = {a.name: _distribution(optuna, a) for a in table.axes}
    study = optuna.create_study(direction=table.direction)
    frozen = []
    for row in np.flatnonzero(table.scored):
        params: dict[str, Any] = {}
        for column, axis in enumerate(table.axes):
            value = table.param_value(int(row), column)
            if value is not None:  # absent: a conditional parameter that was not active
                params[axis.name] = value
        frozen.append(optuna.trial.create_trial(
            params=params, distributions={n: distributions[n] for n in params},
            value=float(table.objective[row])))
    study.add_trials(frozen)
    return study


def _distribution(optuna: Any, axis: Axis) -> Any:
    """The Optuna distribution of an axis, bounds widened to the values seen (a trial from an
    earlier, wider plan must still fit) and without steps (importance needs none)."""
    d = optuna.distributions
    if axis.categorical:
        return d.CategoricalDistribution(axis.choices)
    if axis.kind == "int":
        first, last = math.floor(axis.low), math.ceil(axis.high)
        return d.IntDistribution(first, max(last, first + 1), log=axis.log and first >= 1)
    low, high = axis.low, axis.high
    if not high > low:
        high = low + (abs(low) or 1.0) * 1e-6
    return d.FloatDistribution(low, high, log=axis.log)
