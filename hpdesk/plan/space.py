"""Search-space types: what values one hyperparameter may take, and when it exists at all.

Every type round-trips through a plain dict (the form written to plan files and stored with the
experiment), so a plan read back from YAML, TOML or the database compares equal to the original.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

Scalar = Union[str, int, float, bool]


@dataclass(frozen=True)
class Condition:
    """The parameter exists only when each named parameter takes one of the listed values."""

    requires: tuple[tuple[str, tuple[Scalar, ...]], ...] = ()

    def holds(self, values: Mapping[str, Any]) -> bool:
        return all(name in values and values[name] in allowed for name, allowed in self.requires)

    def to_dict(self) -> dict[str, list[Scalar]]:
        return {name: list(allowed) for name, allowed in self.requires}

    def __bool__(self) -> bool:
        return bool(self.requires)


@dataclass(frozen=True)
class FloatRange:
    low: float
    high: float
    log: bool = False
    step: float | None = None
    when: Condition = field(default_factory=Condition)
    kind = "float"

    def span(self) -> tuple[float, float]:
        return self.low, self.high

    def grid(self, points: int) -> list[float]:
        if self.step is not None:
            count = int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1
            return [round(self.low + i * self.step, 12) for i in range(count)]
        if points == 1:
            return [self.low]
        if self.log:
            a, b = math.log10(self.low), math.log10(self.high)
            return [float(f"{10 ** (a + (b - a) * i / (points - 1)):.6g}") for i in range(points)]
        return [float(f"{self.low + (self.high - self.low) * i / (points - 1):.6g}")
                for i in range(points)]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "float", "low": self.low, "high": self.high, "log": self.log}
        if self.step is not None:
            out["step"] = self.step
        return _with_when(out, self.when)


@dataclass(frozen=True)
class IntRange:
    low: int
    high: int
    log: bool = False
    step: int | None = None
    when: Condition = field(default_factory=Condition)
    kind = "int"

    def span(self) -> tuple[int, int]:
        return self.low, self.high

    def grid(self, points: int) -> list[int]:
        if self.step is not None:
            return list(range(self.low, self.high + 1, self.step))
        if self.log:
            a, b = math.log(self.low), math.log(self.high)
            raw = [round(math.exp(a + (b - a) * i / max(points - 1, 1))) for i in range(points)]
        else:
            raw = [round(self.low + (self.high - self.low) * i / max(points - 1, 1))
                   for i in range(points)]
        return sorted(set(raw))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "int", "low": self.low, "high": self.high, "log": self.log}
        if self.step is not None:
            out["step"] = self.step
        return _with_when(out, self.when)


@dataclass(frozen=True)
class Categorical:
    choices: tuple[Scalar, ...]
    when: Condition = field(default_factory=Condition)
    kind = "categorical"

    def grid(self, points: int) -> list[Scalar]:
        return list(self.choices)

    def to_dict(self) -> dict[str, Any]:
        return _with_when({"type": "categorical", "choices": list(self.choices)}, self.when)


@dataclass(frozen=True)
class Fixed:
    value: Any
    when: Condition = field(default_factory=Condition)
    kind = "fixed"

    def grid(self, points: int) -> list[Any]:
        return [self.value]

    def to_dict(self) -> dict[str, Any]:
        return _with_when({"type": "fixed", "value": self.value}, self.when)


Distribution = Union[FloatRange, IntRange, Categorical, Fixed]


def _with_when(out: dict[str, Any], when: Condition) -> dict[str, Any]:
    if when:
        out["when"] = when.to_dict()
    return out


def possible_values(dist: Distribution) -> tuple[Any, ...]:
    """The discrete values a parameter may take (empty for numeric ranges)."""
    if isinstance(dist, Categorical):
        return dist.choices
    if isinstance(dist, Fixed):
        return (dist.value,)
    return ()


def active(space: Mapping[str, Distribution], values: Mapping[str, Any]) -> dict[str, Any]:
    """Drop the parameters whose condition does not hold for `values`."""
    return {k: v for k, v in values.items() if k not in space or space[k].when.holds(values)}


def middle_value(dist: Distribution) -> Any:
    """One typical value of a parameter: the middle of a range (geometric on a log scale, on the
    step grid when there is one), the first choice, the fixed value."""
    if isinstance(dist, Fixed):
        return dist.value
    if isinstance(dist, Categorical):
        return dist.choices[0]
    if isinstance(dist, FloatRange):
        mid = math.sqrt(dist.low * dist.high) if dist.log else (dist.low + dist.high) / 2
        if dist.step:
            mid = dist.low + round((mid - dist.low) / dist.step) * dist.step
        return float(f"{mid:.2g}") if dist.log else float(f"{mid:.6g}")
    mid = math.sqrt(dist.low * dist.high) if dist.log else (dist.low + dist.high) / 2
    value = int(round(mid))
    if dist.step:
        value = dist.low + round((value - dist.low) / dist.step) * dist.step
    return min(max(value, dist.low), dist.high)


def example_params(space: Mapping[str, Distribution]) -> dict[str, Any]:
    """The parameters one trial could get, in the space's order, conditions applied."""
    return active(space, {name: middle_value(dist) for name, dist in space.items()})
