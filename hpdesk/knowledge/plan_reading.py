"""Reading a plan's exported form defensively, for the advice rules: what each parameter may
take, which optimisers and task apply. Plans come from files people edit, so nothing here
raises on odd input; a missing key or a wrong type reads as "nothing known"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hpdesk.knowledge.catalogue import (
    KnowledgeError,
    as_number,
    optimizers,
)
from hpdesk.knowledge.presets import preset

# Relative slack when comparing bounds, so 1e-4 read back as 1.0000000000000002e-4 is 1e-4.
_TOL = 1e-9


def _g(x: float) -> str:
    return f"{x:g}"


def _space(plan: Any) -> Mapping[str, Any]:
    space = plan.get("space") if isinstance(plan, Mapping) else None
    return space if isinstance(space, Mapping) else {}


def _entry(plan: Any, name: str) -> Mapping[str, Any] | None:
    entry = _space(plan).get(name)
    return entry if isinstance(entry, Mapping) else None


def _values(entry: Any) -> list[Any] | None:
    """The values a fixed or categorical entry may take; None for a range or anything else."""
    if not isinstance(entry, Mapping):
        return None
    if entry.get("type") == "fixed" and "value" in entry:
        return [entry["value"]]
    if entry.get("type") == "categorical" and isinstance(entry.get("choices"), (list, tuple)):
        return list(entry["choices"])
    return None


def _number(value: Any) -> float | None:
    return None if isinstance(value, str) else as_number(value)


def _bounds(entry: Any) -> tuple[float, float] | None:
    """The smallest and largest number an entry may take, or None when it holds no numbers."""
    values = _values(entry)
    if values is not None:
        numbers = [n for n in map(_number, values) if n is not None]
        return (min(numbers), max(numbers)) if numbers else None
    if isinstance(entry, Mapping) and entry.get("type") in ("float", "int"):
        lo, hi = _number(entry.get("low")), _number(entry.get("high"))
        if lo is not None and hi is not None and lo <= hi:
            return lo, hi
    return None


def _param_bounds(plan: Any, name: str) -> tuple[float, float] | None:
    return _bounds(_entry(plan, name))


def _may_take(entry: Any, value: str) -> bool:
    return any(isinstance(v, str) and v == value for v in _values(entry) or [])


def _task(plan: Any) -> str | None:
    task = plan.get("task") if isinstance(plan, Mapping) else None
    return task if isinstance(task, str) else None


def _preset_attr(plan: Any, attr: str) -> Any:
    task = _task(plan)
    try:
        return None if task is None else getattr(preset(task), attr)
    except KnowledgeError:
        return None


def _fine_tune(plan: Any) -> bool:
    return isinstance(plan, Mapping) and plan.get("fine_tune") is True


def _optimizers(plan: Any, for_param: str | None = None) -> list[str]:
    """The known optimisers the plan may use (with ``for_param``, those its ``when`` allows)."""
    entry = _space(plan).get("optimizer")
    values = _values(entry) if entry is not None else [_preset_attr(plan, "default_optimizer")]
    known = optimizers()
    names = [v for v in values or [] if isinstance(v, str) and v in known]
    when = (_entry(plan, for_param) or {}).get("when") if for_param else None
    allowed = when.get("optimizer") if isinstance(when, Mapping) else None
    if isinstance(allowed, (list, tuple)):
        names = [n for n in names if n in allowed]
    return list(dict.fromkeys(names))


def _above(x: float, limit: float) -> bool:
    return x > limit * (1 + _TOL) if limit >= 0 else x > limit * (1 - _TOL)


def _below(x: float, limit: float) -> bool:
    return x < limit * (1 - _TOL) if limit >= 0 else x < limit * (1 + _TOL)


def _label(name: str) -> tuple[str, str]:
    opt = optimizers()[name]
    return opt.label_en, opt.label_zh
