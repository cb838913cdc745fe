"""Parsing the `space` section of a plan: one entry per hyperparameter, checked against the task.

An entry is a mapping with a `type` (float, int, categorical, fixed), or a shorthand: a scalar
means fixed, a list means categorical. Ranges outside the recommended ones are advice; ranges that
cannot train (a negative learning rate, a log range through 0) are errors.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from hpdesk.knowledge import optimizers, preset, tasks
from hpdesk.plan.reader import Reader
from hpdesk.plan.space import (
    Categorical,
    Condition,
    Distribution,
    Fixed,
    FloatRange,
    IntRange,
    Scalar,
    possible_values,
)

SPACE_TYPES = ("float", "int", "categorical", "fixed")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_ENTRY_FIELDS = ("type", "low", "high", "log", "step", "choices", "value", "when")
#: Values a range with a step may hold: a grid lists them all (and refuses grids past 100,000).
MAX_STEP_VALUES = 1_000_000

# Values outside these make training meaningless or crash it; the recommended (narrower) ranges
# are advice, not errors (hpdesk.knowledge.advice).
_POSITIVE = (0.0, None, True)
_FRACTION = (0.0, 1.0, False)  # [0, 1)
# name: (low, high, low excluded, what is expected). high is always excluded.
HARD_LIMITS: dict[str, tuple[float | None, float | None, bool, str]] = {
    **{n: (*_POSITIVE, "a learning rate above 0") for n in ("lr", "lr_g", "lr_d")},
    **{n: (*_POSITIVE, f"{n} above 0") for n in ("eps", "lars_eta", "lr_final_ratio", "lr_gamma",
                                                 "lr_decay_rate")},
    "lr_plateau_factor": (0.0, 1.0, True, "lr_plateau_factor in (0, 1)"),
    **{n: (*_FRACTION, f"{n} in [0, 1)") for n in (
        "dropout", "momentum", "beta1", "beta2", "rho", "alpha", "label_smoothing")},
    **{n: (1, None, False, f"{n} of at least 1") for n in (
        "batch_size", "epochs", "width", "grad_accum_steps", "gn_groups", "d_steps",
        "lr_step_epochs", "lr_decay_steps", "lr_plateau_patience")},
    **{n: (0.0, None, False, f"{n} of at least 0") for n in (
        "weight_decay", "depth", "grad_clip", "warmup_epochs")},
}


def parse_space(r: Reader, value: Any, task: str | None) -> dict[str, Distribution] | None:
    if not isinstance(value, Mapping) or not value:
        r.fail("space", "a mapping of hyperparameter names to ranges", value)
        return None
    honoured = preset(task).params if task in tasks() and task != "script" else None
    space: dict[str, Distribution] = {}
    for name, entry in value.items():
        path = f"space.{name}"
        if not isinstance(name, str) or not _NAME.match(name):
            r.fail(path, "a parameter name (letters, digits, _ . -)", name)
            continue
        if honoured is not None and name not in honoured:
            r.fail(path, f"a hyperparameter that the {task} task honours ({', '.join(honoured)})",
                   "an unknown name")
            continue
        dist = _entry(r, path, entry)
        if dist is not None:
            _check_limits(r, path, name, dist)
            space[name] = dist
    for name, dist in space.items():
        _check_condition(r, f"space.{name}.when", dist.when, space)
    if task in tasks() and task != "script" and "optimizer" in space:
        known = tuple(optimizers())
        dist = space["optimizer"]
        where = "value" if isinstance(dist, Fixed) else "choices"
        for i, opt in enumerate(possible_values(dist)):
            if opt not in known:
                sub = "" if where == "value" else f"[{i}]"
                r.fail(f"space.optimizer.{where}{sub}", f"an optimiser: {', '.join(known)}", opt)
    return space


def _entry(r: Reader, path: str, entry: Any) -> Distribution | None:
    if isinstance(entry, list):
        entry = {"type": "categorical", "choices": entry}
    elif not isinstance(entry, Mapping):
        entry = {"type": "fixed", "value": entry}
    m = r.mapping(path, entry, _ENTRY_FIELDS)
    if m is None:
        return None
    kind = m.get("type")
    if kind is None:
        kind = "categorical" if "choices" in m else "fixed" if "value" in m else None
    if kind not in SPACE_TYPES:
        r.fail(f"{path}.type", f"one of {', '.join(SPACE_TYPES)}", kind)
        return None
    when = _condition(r, f"{path}.when", m.get("when"))
    if kind == "fixed":
        if "value" not in m:
            r.fail(f"{path}.value", "the fixed value", None)
            return None
        fixed = m["value"]
        if not _is_plain(fixed):
            r.fail(f"{path}.value", "a number, text, true/false or a list of them", fixed)
            return None
        return Fixed(fixed, when)
    if kind == "categorical":
        return _categorical(r, path, m.get("choices"), when)
    return _range(r, path, m, kind == "int", when)


def _is_plain(value: Any) -> bool:
    if isinstance(value, list):
        return all(_is_plain(v) for v in value)
    return isinstance(value, (str, int, float, bool)) and not (
        isinstance(value, float) and not math.isfinite(value))


def _categorical(r: Reader, path: str, choices: Any, when: Condition) -> Categorical | None:
    if not isinstance(choices, list) or not choices:
        r.fail(f"{path}.choices", "a non-empty list of choices", choices)
        return None
    clean: list[Scalar] = []
    for i, choice in enumerate(choices):
        if not isinstance(choice, (str, int, float, bool)):
            r.fail(f"{path}.choices[{i}]", "a number, text or true/false", choice)
        elif any(type(choice) is type(c) and choice == c for c in clean):
            r.fail(f"{path}.choices[{i}]", "each choice once", choice)
        else:
            clean.append(choice)
    return Categorical(tuple(clean), when) if len(clean) == len(choices) else None


def _range(r: Reader, path: str, m: Mapping[str, Any], integer: bool,
           when: Condition) -> Distribution | None:
    low = r.number(f"{path}.low", m.get("low"), integer=integer)
    high = r.number(f"{path}.high", m.get("high"), integer=integer)
    log = r.boolean(f"{path}.log", m.get("log", False))
    step = m.get("step")
    if step is not None:
        step = r.number(f"{path}.step", step, integer=integer)
    if low is None or high is None or log is None:
        return None
    ok = True
    if low >= high:
        r.fail(f"{path}.low", f"a low end below high ({high})", low)
        ok = False
    if log and low <= 0:
        r.fail(f"{path}.low", "a low end above 0 for a log range", low)
        ok = False
    if step is not None:
        if step <= 0:
            r.fail(f"{path}.step", "a step above 0", step)
            ok = False
        elif log:
            r.fail(f"{path}.step", "no step on a log range", step)
            ok = False
        elif ok and (high - low) / step >= MAX_STEP_VALUES:
            r.fail(f"{path}.step", f"a step that cuts the range into at most "
                   f"{MAX_STEP_VALUES:,} values", step)
            ok = False
    if not ok:
        return None
    if integer:
        return IntRange(int(low), int(high), log, None if step is None else int(step), when)
    return FloatRange(float(low), float(high), log, None if step is None else float(step), when)


def _condition(r: Reader, path: str, value: Any) -> Condition:
    if value is None:
        return Condition()
    if not isinstance(value, Mapping) or not value:
        r.fail(path, "a mapping of parameter names to allowed values", value)
        return Condition()
    requires = []
    for name, allowed in value.items():
        allowed_list = allowed if isinstance(allowed, list) else [allowed]
        if not allowed_list or not all(isinstance(a, (str, int, float, bool))
                                       for a in allowed_list):
            r.fail(f"{path}.{name}", "a value or a list of values", allowed)
            continue
        requires.append((str(name), tuple(allowed_list)))
    return Condition(tuple(requires))


def _check_condition(r: Reader, path: str, when: Condition,
                     space: Mapping[str, Distribution]) -> None:
    for name, allowed in when.requires:
        target = space.get(name)
        if target is None:
            r.fail(f"{path}.{name}", "the name of another parameter in the space", name)
        elif not isinstance(target, (Categorical, Fixed)):
            r.fail(f"{path}.{name}", "a categorical or fixed parameter", f"a {target.kind} range")
        else:
            for value in allowed:
                if value not in possible_values(target):
                    r.fail(f"{path}.{name}", f"values that {name} can take", value)


def _check_limits(r: Reader, path: str, name: str, dist: Distribution) -> None:
    limits = HARD_LIMITS.get(name)
    if limits is None:
        return
    low, high, strict, wanted = limits
    if isinstance(dist, (FloatRange, IntRange)):
        checks = [(f"{path}.low", dist.low), (f"{path}.high", dist.high)]
    else:
        checks = [(f"{path}.{'value' if isinstance(dist, Fixed) else 'choices'}", v)
                  for v in possible_values(dist)]
    for where, v in checks:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            r.fail(where, wanted, v)
        elif low is not None and (v <= low if strict else v < low):
            r.fail(where, wanted, v)
        elif high is not None and v >= high:
            r.fail(where, wanted, v)
