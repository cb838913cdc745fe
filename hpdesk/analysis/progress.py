"""How far along trials are, and what a new plan will run: plain functions the trials table and
the new-experiment dialog share, kept out of Qt so they are tested without a window.

- progress: epochs done of epochs planned, elapsed time, a linear ETA, the running best;
- filtering: `parse_filter("lr>0.01 running")` turns a typed filter into a predicate over a row;
- preview: the example parameters of a plan (middle of each range) and the command one trial of a
  script plan runs with them, built by the runner's own `trial_argv`.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hpdesk.plan import Plan
from hpdesk.plan.script import PLACEHOLDERS
from hpdesk.plan.space import example_params

# --- progress -----------------------------------------------------------------------------------


def total_epochs(params: Mapping[str, Any], space: Mapping[str, Any] | None = None) -> int | None:
    """Epochs a trial is meant to run: its own `epochs` parameter, else the plan's fixed value
    (`space` in the exported form, where a fixed entry is `{"type": "fixed", "value": 8}` or a
    bare scalar); None when neither says."""
    for raw in (params.get("epochs"), _fixed_value((space or {}).get("epochs"))):
        number = _as_number(raw)
        if number is not None and number >= 1:
            return int(number)
    return None


def _fixed_value(entry: Any) -> Any:
    if isinstance(entry, Mapping):
        return entry.get("value") if entry.get("type") == "fixed" else None
    return entry


def epoch_fraction(epoch: float | None, total: int | None, *,
                   completed: bool = False) -> float | None:
    """Share of the run done. The built-in tasks report `epoch` as the number of epochs finished
    (1 after the first), so `epoch / total`, kept in [0, 1]; a completed trial is 1 whatever it
    reported. None when the total is unknown or nothing was reported yet (and not completed)."""
    if completed:
        return 1.0
    if total is None or epoch is None or not math.isfinite(epoch):
        return None
    return min(max(epoch / total, 0.0), 1.0)


def elapsed_seconds(started_at: float | None, ended_at: float | None, now: float) -> float | None:
    """Run time so far (or in total, once ended); None before the trial started."""
    if started_at is None:
        return None
    return max(0.0, (ended_at if ended_at is not None else now) - started_at)


def eta_seconds(elapsed: float | None, fraction: float | None) -> float | None:
    """Time left if the rest goes at the pace so far; None until some progress is made."""
    if elapsed is None or fraction is None or fraction <= 0 or fraction >= 1:
        return None
    return elapsed * (1 - fraction) / fraction


def format_duration(seconds: float | None) -> str:
    """`42s`, `3:05`, `1:02:03`: compact enough for a table column; empty when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return ""
    total = int(round(seconds))
    if total < 60:
        return f"{total}s"
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def running_best(values: Sequence[float | None], direction: str) -> list[float | None]:
    """The best value seen up to each position (None until the first value); direction is
    "maximize" or "minimize". NaN and missing values never become the best."""
    better = operator.gt if direction == "maximize" else operator.lt
    out: list[float | None] = []
    best: float | None = None
    for value in values:
        if value is not None and math.isfinite(value) and (best is None or better(value, best)):
            best = value
        out.append(best)
    return out


# --- filtering ----------------------------------------------------------------------------------

_CONDITION = re.compile(r"^([A-Za-z_#][A-Za-z0-9_.\-]*)\s*(>=|<=|!=|==|=|>|<)\s*(.*)$")
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge, "<=": operator.le, "!=": operator.ne, "==": operator.eq, "=": operator.eq,
    ">": operator.gt, "<": operator.lt,
}


@dataclass(frozen=True)
class Condition:
    """`name op value`, e.g. `lr>0.01` or `state=running`."""

    name: str
    op: str
    value: str

    def matches(self, values: Mapping[str, Any]) -> bool:
        key = next((k for k in values if k.lower() == self.name.lower()), None)
        if key is None:
            return False
        have = values[key]
        if have is None:
            return False
        want_number = _as_number(self.value)
        have_number = _as_number(have)
        compare = _OPS[self.op]
        if want_number is not None and have_number is not None:
            return compare(have_number, want_number)
        if self.op in ("=", "==", "!="):
            return compare(str(have).lower(), self.value.lower())
        return False  # an ordering between texts is no use to anyone


@dataclass(frozen=True)
class TrialFilter:
    """Every condition must hold and every word must appear in the row's text (case-blind)."""

    conditions: tuple[Condition, ...] = ()
    words: tuple[str, ...] = ()

    def matches(self, values: Mapping[str, Any], text: str) -> bool:
        lowered = text.lower()
        return (all(w in lowered for w in self.words)
                and all(c.matches(values) for c in self.conditions))

    def __bool__(self) -> bool:
        return bool(self.conditions or self.words)


def parse_filter(text: str) -> TrialFilter:
    """`lr>0.01 batch_size<=64 running`: conditions and plain words, separated by spaces or
    commas. A condition still being typed (`lr>`) is left out, so the table does not empty while
    the person types."""
    conditions: list[Condition] = []
    words: list[str] = []
    for token in re.split(r"[\s,]+", text.strip()):
        if not token:
            continue
        match = _CONDITION.match(token)
        if match:
            name, op, value = match.groups()
            if value:
                conditions.append(Condition(name, op, value))
            continue
        words.append(token.lower())
    return TrialFilter(tuple(conditions), tuple(words))


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


# --- preview of a new plan ----------------------------------------------------------------------

def unused_placeholders(plan: Plan) -> list[str]:
    """`{name}` placeholders of a script's command that name no parameter of the plan (they
    would reach the script as written)."""
    if plan.command is None:
        return []
    names = set(example_params(plan.space)) | set(PLACEHOLDERS)
    found = re.findall(r"\{([A-Za-z_][A-Za-z0-9_.\-]*)\}", " ".join(plan.command))
    return [n for n in dict.fromkeys(found) if n not in names]
