"""An experiment's trials as numeric columns, one per searched parameter, plus the objective.

The comparison views (parallel coordinates, slice plots) and the importance evaluators all read
the same table: values as floats (a categorical choice becomes its index), NaN where a trial has
no value (a conditional parameter that was not active, a failed trial without an objective), and
per axis what it takes to draw it (log scale, bounds, tick labels in real values).

The plan is read from its exported dict form (`experiment.plan`) without validation: a viewer
must still draw an experiment whose plan an older hpdesk wrote.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpdesk.knowledge import catalogue
from hpdesk.plan.model import objective_entries
from hpdesk.store import Trial

NUMERIC_KINDS = ("float", "int")


@dataclass(frozen=True)
class Axis:
    """One plotted quantity. `kind` is float, int, categorical or objective; for a categorical
    axis values are indices into `choices` and `labels` names them. `low`/`high` are the bounds
    drawn (the plan's range widened to every observed value)."""

    name: str
    kind: str
    low: float
    high: float
    log: bool = False
    choices: tuple[Any, ...] = ()
    labels: tuple[str, ...] = ()
    conditional: bool = False
    tier: int | None = None  # the tuning guide's prior (1 = tune first); None: not in the guide

    @property
    def categorical(self) -> bool:
        return self.kind == "categorical"

    def coordinate(self, values: np.ndarray) -> np.ndarray:
        """Where values sit on a plain linear axis: log10 for a log axis, the value otherwise
        (NaN for values a log axis cannot show)."""
        values = np.asarray(values, dtype=float)
        if not self.log:
            return values
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(values > 0, np.log10(np.where(values > 0, values, 1.0)), np.nan)

    def coordinate_bounds(self) -> tuple[float, float]:
        lo, hi = self.coordinate(np.array([self.low, self.high]))
        return float(lo), float(hi)

    def position(self, values: np.ndarray) -> np.ndarray:
        """Values scaled to [0, 1] between the bounds (0.5 everywhere when the axis is a point)."""
        lo, hi = self.coordinate_bounds()
        coords = self.coordinate(values)
        if not hi > lo:
            return np.where(np.isnan(coords), np.nan, 0.5)
        return (coords - lo) / (hi - lo)

    def ticks(self, target: int = 5) -> list[tuple[float, str]]:
        """(value, label) pairs for the axis, labels in real values: the choices of a categorical
        axis, 1-2-5 steps (or powers of two for integers) on a log axis, round steps otherwise."""
        if self.categorical:
            return [(float(i), label) for i, label in enumerate(self.labels)]
        values = tick_values(self.low, self.high, log=self.log,
                             integer=self.kind == "int", target=target)
        return [(v, format_value(v, integer=self.kind == "int")) for v in values]


@dataclass(frozen=True)
class TrialsTable:
    """Rows are trials (in the order given), columns the searched parameters of `axes`.
    `scored` marks the trials that count: completed, with a finite objective."""

    metric: str
    direction: str
    axes: tuple[Axis, ...]
    values: np.ndarray  # shape (trials, axes), float, NaN where absent
    objective: np.ndarray  # NaN where the trial has none
    trial_ids: tuple[int, ...]
    numbers: tuple[int, ...]
    states: tuple[str, ...]
    scored: np.ndarray  # bool per trial

    def __len__(self) -> int:
        return len(self.trial_ids)

    @property
    def maximize(self) -> bool:
        return self.direction != "minimize"

    @property
    def scored_count(self) -> int:
        return int(self.scored.sum())

    def best_row(self) -> int | None:
        """The row of the best scored trial, or None before any trial is scored."""
        if not self.scored.any():
            return None
        masked = np.where(self.scored, self.objective, -np.inf if self.maximize else np.inf)
        return int(np.argmax(masked) if self.maximize else np.argmin(masked))

    def objective_axis(self) -> Axis:
        """The objective as an axis, bounded by the finite objectives seen (scored or not)."""
        finite = self.objective[np.isfinite(self.objective)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        return Axis(self.metric, "objective", low, high)

    def row_of(self, trial_id: int) -> int | None:
        try:
            return self.trial_ids.index(trial_id)
        except ValueError:
            return None

    def param_value(self, row: int, column: int) -> Any:
        """The trial's value of a parameter as the trial had it (a choice, an int, a float), or
        None where the trial has none."""
        axis, value = self.axes[column], self.values[row, column]
        if math.isnan(value):
            return None
        if axis.categorical:
            return axis.choices[int(value)]
        return int(round(value)) if axis.kind == "int" else float(value)

    def signature(self) -> tuple[Any, ...]:
        """Equal for two tables that would draw the same (cheap to compare between polls)."""
        return (self.metric, self.direction, self.axes, self.trial_ids, self.states,
                self.objective.tobytes(), self.values.tobytes())

    def scored_signature(self) -> tuple[Any, ...]:
        """Equal while the scored trials (parameters and objectives) have not changed: what an
        importance computed from this table depends on."""
        rows = np.flatnonzero(self.scored)
        return (self.direction, self.axes, tuple(self.trial_ids[r] for r in rows),
                self.objective[rows].tobytes(), self.values[rows].tobytes())


def trials_table(plan: Mapping[str, Any], trials: Sequence[Trial]) -> TrialsTable:
    """The table the comparison views draw, from a plan's exported dict and its trials."""
    objective = objective_entries(plan)[0]
    metric = objective["metric"]
    direction = "minimize" if objective.get("direction") == "minimize" else "maximize"
    tiers = catalogue()
    axes: list[Axis] = []
    columns: list[np.ndarray] = []
    for name, entry in _space(plan).items():
        kind = entry.get("type")
        if kind not in (*NUMERIC_KINDS, "categorical"):
            continue  # fixed: the same for every trial, nothing to compare
        observed = [t.params.get(name) for t in trials]
        tier = tiers[name].tier if name in tiers else None
        conditional = bool(entry.get("when"))
        if kind == "categorical":
            axis, column = _categorical_axis(name, entry, observed, conditional, tier)
        else:
            axis, column = _numeric_axis(name, entry, observed, conditional, tier)
        axes.append(axis)
        columns.append(column)
    values = (np.column_stack(columns) if columns
              else np.empty((len(trials), 0), dtype=float))
    score = np.array([_number(t.objective) for t in trials], dtype=float)
    states = tuple(t.state for t in trials)
    scored = np.array([s == "completed" for s in states], dtype=bool) & np.isfinite(score)
    return TrialsTable(
        metric=metric, direction=direction, axes=tuple(axes),
        values=values.reshape(len(trials), len(axes)),
        objective=score, trial_ids=tuple(t.id for t in trials),
        numbers=tuple(t.number for t in trials), states=states, scored=scored)


def _space(plan: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The plan's space entries in their long form (the shorthands a plan file allows: a list
    means categorical, a scalar means fixed)."""
    space = plan.get("space")
    out: dict[str, dict[str, Any]] = {}
    if not isinstance(space, Mapping):
        return out
    for name, entry in space.items():
        if isinstance(entry, list):
            entry = {"type": "categorical", "choices": entry}
        elif not isinstance(entry, Mapping):
            entry = {"type": "fixed", "value": entry}
        elif "type" not in entry:
            entry = {**entry, "type": "categorical" if "choices" in entry else "fixed"}
        out[str(name)] = dict(entry)
    return out


def _categorical_axis(name: str, entry: Mapping[str, Any], observed: list[Any],
                      conditional: bool, tier: int | None) -> tuple[Axis, np.ndarray]:
    choices: list[Any] = list(entry.get("choices") or [])
    column = np.full(len(observed), np.nan)
    for row, value in enumerate(observed):
        if value is None:
            continue
        index = _index_of(choices, value)
        if index is None:  # a value the plan no longer lists: still shown, at the end
            choices.append(value)
            index = len(choices) - 1
        column[row] = index
    labels = tuple(format_choice(c) for c in choices)
    axis = Axis(name, "categorical", 0.0, float(max(len(choices) - 1, 0)), choices=tuple(choices),
                labels=labels, conditional=conditional, tier=tier)
    return axis, column


def _numeric_axis(name: str, entry: Mapping[str, Any], observed: list[Any],
                  conditional: bool, tier: int | None) -> tuple[Axis, np.ndarray]:
    column = np.array([_number(v) for v in observed], dtype=float)
    low, high = _number(entry.get("low")), _number(entry.get("high"))
    seen = column[np.isfinite(column)]
    if seen.size:
        low = float(seen.min()) if math.isnan(low) else min(low, float(seen.min()))
        high = float(seen.max()) if math.isnan(high) else max(high, float(seen.max()))
    if math.isnan(low) or math.isnan(high):
        low, high = 0.0, 1.0
    log = bool(entry.get("log")) and low > 0
    kind = "int" if entry.get("type") == "int" else "float"
    return Axis(name, kind, low, high, log=log, conditional=conditional, tier=tier), column


def _index_of(choices: list[Any], value: Any) -> int | None:
    for i, choice in enumerate(choices):  # True == 1 in Python; a choice keeps its type
        if choice == value and isinstance(choice, bool) == isinstance(value, bool):
            return i
    return None


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    number = float(value)
    return number if math.isfinite(number) else math.nan


def format_choice(value: Any) -> str:
    """A categorical choice as a plan file writes it (true/false for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_value(value)
    return str(value)


def format_value(value: float, *, integer: bool = False) -> str:
    """A number short enough for a tick or a tooltip: 0.001, 3e-05, 0.25, 128."""
    if integer:
        return str(int(round(value)))
    if value == 0:
        return "0"
    text = f"{value:.3g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def tick_values(low: float, high: float, *, log: bool = False, integer: bool = False,
                target: int = 5) -> list[float]:
    """Round values between low and high (inclusive) for axis ticks."""
    if not high > low:
        return [low]
    if log and low > 0:
        ticks = _log_ticks(low, high, integer, target)
        if len(ticks) >= 2:
            return ticks
    step = _nice_step((high - low) / max(target - 1, 1))
    if integer:
        step = max(1.0, round(step))
    start = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def _log_ticks(low: float, high: float, integer: bool, target: int) -> list[float]:
    if integer and high / low >= 4:  # batch sizes and widths: powers of two read best
        powers = [2.0 ** k for k in range(math.ceil(math.log2(low) - 1e-9),
                                           math.floor(math.log2(high) + 1e-9) + 1)]
        while len(powers) > target + 2:
            powers = powers[::2]
        return powers
    decades = range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1)
    for mantissas in ((1, 2, 5), (1, 3), (1,)):
        ticks = [m * 10.0 ** d for d in decades for m in mantissas]
        ticks = [float(f"{t:.6g}") for t in ticks if low * (1 - 1e-9) <= t <= high * (1 + 1e-9)]
        if len(ticks) <= target + 2:
            return ticks
    return ticks[:: math.ceil(len(ticks) / target)]


def _nice_step(raw: float) -> float:
    exponent = math.floor(math.log10(raw))
    fraction = raw / 10 ** exponent
    nice = 1.0 if fraction < 1.5 else 2.0 if fraction < 3.5 else 5.0 if fraction < 7.5 else 10.0
    return nice * 10 ** exponent
