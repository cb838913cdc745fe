"""Optuna's distributions as JSON, in and out: `{name: distribution}` where each distribution is
what `optuna.distributions.distribution_to_json` writes, `{"name": "FloatDistribution",
"attributes": {...}}` (as an object, or as that JSON text). Read by hpdesk's own parser, never
by Optuna: loading a file runs no code. The names before Optuna 3 are read too
(UniformDistribution, LogUniformDistribution, DiscreteUniformDistribution,
IntUniformDistribution, IntLogUniformDistribution).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from hpdesk.plan.formats.common import (
    condition_text,
    fail,
    fixed_as_choice,
    number,
    scalar_choice,
    script_plan,
    shown,
)
from hpdesk.plan.model import Plan
from hpdesk.plan.reader import PlanError
from hpdesk.plan.space import Categorical, Fixed, FloatRange, IntRange

NAMES = ("FloatDistribution", "IntDistribution", "CategoricalDistribution",
         "UniformDistribution", "LogUniformDistribution", "DiscreteUniformDistribution",
         "IntUniformDistribution", "IntLogUniformDistribution")


def _entries(data: Any) -> Any:
    if isinstance(data, Mapping) and isinstance(data.get("distributions"), Mapping):
        return data["distributions"]
    return data


def _decoded(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            return json.loads(value, parse_constant=_no_constant)
        except ValueError:
            return value
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"JSON has no {name}")


def looks_like(data: Any) -> bool:
    entries = _entries(data)
    if not isinstance(entries, Mapping) or not entries:
        return False
    return all(isinstance(d := _decoded(v), Mapping) and d.get("name") in NAMES
               and isinstance(d.get("attributes"), Mapping) for v in entries.values())


def read(data: Any, source: str) -> tuple[Plan, list[str]]:
    """The plan around the distributions in `data` (a script plan with placeholders)."""
    entries = _entries(data)
    if not isinstance(entries, Mapping) or not entries:
        raise fail(source, "", "Optuna distributions: {name: {\"name\": \"FloatDistribution\", "
                   "\"attributes\": {...}}}", entries)
    losses: list[str] = []
    space = {str(name): _entry(str(name), value, source, losses)
             for name, value in entries.items()}
    return script_plan(space, source=source, losses=losses, what="the Optuna file"), losses


def _entry(name: str, value: Any, source: str, losses: list[str]) -> dict[str, Any]:
    try:
        dist = _decoded(value)
    except ValueError as exc:
        raise fail(source, name, "a distribution's JSON", str(exc)) from None
    if not isinstance(dist, Mapping) or dist.get("name") not in NAMES:
        raise fail(source, f"{name}.name", f"one of {', '.join(NAMES)}",
                   dist.get("name") if isinstance(dist, Mapping) else dist)
    attrs = dist.get("attributes")
    if not isinstance(attrs, Mapping):
        raise fail(source, f"{name}.attributes", "a mapping", attrs)
    kind = dist["name"]
    path = f"{name}.attributes"
    if kind == "CategoricalDistribution":
        choices = attrs.get("choices")
        if not isinstance(choices, list) or not choices:
            raise fail(source, f"{path}.choices", "a non-empty list", choices)
        clean = []
        for choice in choices:
            item, changed = scalar_choice(choice)
            if changed:
                losses.append(f"{name}: hpdesk's choices are numbers, texts or true/false; "
                              f"{shown(choice)} is passed as the text {shown(item)}")
            clean.append(item)
        if len(clean) == 1:
            return {"type": "fixed", "value": clean[0]}
        return {"type": "categorical", "choices": clean}

    def num(key: str, integer: bool = False) -> Any:
        if key not in attrs:
            raise fail(source, f"{path}.{key}", f"{key} of the {kind}", None)
        return number(source, f"{path}.{key}", attrs[key], integer=integer)

    integer = kind.startswith("Int")
    low, high = num("low", integer), num("high", integer)
    log = bool(attrs.get("log", False)) or kind in ("LogUniformDistribution",
                                                    "IntLogUniformDistribution")
    step_key = "q" if kind == "DiscreteUniformDistribution" else "step"
    step = attrs.get(step_key)
    if step is not None:
        step = number(source, f"{path}.{step_key}", step, integer=integer)
    if integer and step == 1:
        step = None
    if log and step is not None:
        if integer:
            losses.append(f"{name}: hpdesk has no step on a log scale; step {step} dropped")
            step = None
        else:
            raise fail(source, f"{path}.step", "no step on a log range (Optuna refuses it too)",
                       step)
    if low > high:
        raise fail(source, f"{path}.low", f"a low end at most high ({shown(high)})", low)
    if low == high:
        return {"type": "fixed", "value": low}
    out: dict[str, Any] = {"type": "int" if integer else "float", "low": low, "high": high,
                           "log": log}
    if step is not None:
        out["step"] = step
    return out


def write(plan: Plan) -> tuple[str, list[str]]:
    """The plan's space as Optuna distributions JSON, and what it cannot say."""
    losses: list[str] = []
    out: dict[str, Any] = {}
    for name, dist in plan.space.items():
        if dist.when:
            losses.append(f"{name}: Optuna's distributions have no condition; written as if "
                          f"always searched (hpdesk searched it only when "
                          f"{condition_text(dist.when)}; the Optuna script form keeps it)")
        entry = distribution_json(name, dist, losses)
        if entry is not None:
            out[name] = entry
    losses += _settings_lost(plan)
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n", losses


def _settings_lost(plan: Plan) -> list[str]:
    return ["plan: Optuna's distributions JSON holds only the space; the objective, strategy, "
            "budget and the rest of the plan are not written (an OUT ending .py writes them as "
            "a runnable Optuna script)"]


def distribution_json(name: str, dist: Any, losses: list[str]) -> dict[str, Any] | None:
    """One parameter as `distribution_to_json` writes it (parsed), or None when Optuna cannot
    hold it."""
    if isinstance(dist, Fixed):
        choice = fixed_as_choice(name, dist, "Optuna", losses)
        return None if choice is None else {"name": "CategoricalDistribution",
                                            "attributes": {"choices": choice}}
    if isinstance(dist, Categorical):
        return {"name": "CategoricalDistribution", "attributes": {"choices": list(dist.choices)}}
    if isinstance(dist, FloatRange):
        if dist.step is not None:
            _check_divides(name, dist.low, dist.high, dist.step, losses)
        return {"name": "FloatDistribution",
                "attributes": {"step": dist.step, "low": dist.low, "high": dist.high,
                               "log": dist.log}}
    assert isinstance(dist, IntRange)
    if dist.step is not None:
        _check_divides(name, dist.low, dist.high, dist.step, losses)
    return {"name": "IntDistribution",
            "attributes": {"log": dist.log, "step": dist.step or 1, "low": dist.low,
                           "high": dist.high}}


def _check_divides(name: str, low: float, high: float, step: float, losses: list[str]) -> None:
    count = (high - low) / step
    if not math.isclose(count, round(count), rel_tol=0, abs_tol=1e-8):
        top = low + math.floor(count + 1e-9) * step
        losses.append(f"{name}: Optuna wants high - low to be a multiple of the step; it reads "
                      f"high as {shown(top)} (the last value on the step grid, as hpdesk)")


__all__ = ["NAMES", "PlanError", "distribution_json", "looks_like", "read", "write"]
