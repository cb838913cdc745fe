"""Where a searched hyperparameter stands while it is not being searched: its default.

The staged search (KNOWLEDGE.md §3: tune the learning rate first with the rest at their
defaults) needs one value for every hyperparameter a stage leaves closed. In order: the task
preset's default, the catalogue's, then the middle of the plan's range (geometric on a log
scale) or its first choice, so a value is always inside what the plan allows.
"""

from __future__ import annotations

from typing import Any

from hpdesk.knowledge import catalogue, preset, tasks
from hpdesk.knowledge.search_methods import catalogue_name
from hpdesk.plan import Plan
from hpdesk.plan.space import Categorical, Distribution, Fixed, FloatRange, IntRange, middle_value


def default_value(plan: Plan, name: str) -> Any:
    dist = plan.space[name]
    if isinstance(dist, Fixed):
        return dist.value
    for candidate in _known_defaults(plan, name):
        fitted = _fit(dist, candidate)
        if fitted is not None:
            return fitted
    return middle_value(dist)


def _known_defaults(plan: Plan, name: str) -> list[Any]:
    out = []
    if plan.task in tasks() and plan.task != "script":
        setting = preset(plan.task).settings.get(name)
        if setting is not None and setting.default is not None:
            out.append(setting.default)
    known = catalogue_name(name)
    if known is not None and catalogue()[known].default is not None:
        out.append(catalogue()[known].default)
    return out


def _fit(dist: Distribution, value: Any) -> Any:
    """`value` as the distribution's type when it lies inside it, else None."""
    if isinstance(dist, Categorical):
        return next((c for c in dist.choices if type(c) is type(value) and c == value), None)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(dist, IntRange):
        if float(value).is_integer() and dist.low <= value <= dist.high:
            return int(value)
        return None
    if isinstance(dist, FloatRange) and dist.low <= value <= dist.high:
        return float(value)
    return None
