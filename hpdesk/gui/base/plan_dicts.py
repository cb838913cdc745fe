"""Reading an experiment's plan in its exported form (the dict the database keeps), as the views
need it, without validating it: its objectives whether the file gave one or a list, its search
strategy and its options, a fixed hyperparameter's value, whether a range is logarithmic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hpdesk.plan.model import objective_entries


def objectives(plan: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Every objective as {metric, direction, reduce}, first one first; [] when the plan names
    none (`hpdesk.plan.model.objective_entries` reads them)."""
    if not (plan or {}).get("objective"):
        return []
    return objective_entries(plan)


def strategy_name(plan: Mapping[str, Any] | None) -> str:
    raw = (plan or {}).get("strategy")
    if isinstance(raw, str):
        return raw
    return str(raw.get("name", "random")) if isinstance(raw, Mapping) else "random"


def strategy_options(plan: Mapping[str, Any] | None) -> dict[str, Any]:
    raw = (plan or {}).get("strategy")
    return {k: v for k, v in raw.items() if k != "name"} if isinstance(raw, Mapping) else {}


def fixed_value(plan: Mapping[str, Any] | None, name: str) -> Any:
    """A fixed hyperparameter's value (a bare scalar or {type: fixed, value}), else None."""
    entry = ((plan or {}).get("space") or {}).get(name)
    if isinstance(entry, Mapping):
        return entry.get("value") if entry.get("type") == "fixed" else None
    return None if isinstance(entry, list) else entry


def is_log(plan: Mapping[str, Any] | None, name: str) -> bool:
    entry = ((plan or {}).get("space") or {}).get(name)
    return isinstance(entry, Mapping) and bool(entry.get("log"))


__all__ = ["fixed_value", "is_log", "objectives", "strategy_name", "strategy_options"]
