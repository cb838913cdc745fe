"""Grid search: every combination, numeric ranges cut into `grid_points` values (log-spaced on
log scales), inactive conditional parameters dropped and the duplicates this creates removed."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from hpdesk.plan import Plan
from hpdesk.plan.space import active
from hpdesk.search.base import SearchStrategy, Suggestion, Tried, canonical

MAX_GRID = 100_000


class GridTooLarge(ValueError):
    pass


def grid_configurations(plan: Plan) -> list[dict[str, Any]]:
    names = list(plan.space)
    axes = [plan.space[n].grid(plan.strategy.grid_points) for n in names]
    size = 1
    for axis in axes:
        size *= len(axis)
    if size > MAX_GRID:
        raise GridTooLarge(
            f"the grid has {size:,} combinations (more than {MAX_GRID:,}); fix some parameters"
            " or lower strategy.grid_points"
        )
    seen: set[tuple[tuple[str, str], ...]] = set()
    out = []
    for combo in itertools.product(*axes):
        config = active(plan.space, dict(zip(names, combo)))
        key = canonical(config)
        if key not in seen:
            seen.add(key)
            out.append(config)
    return out


class GridSearch(SearchStrategy):
    def __init__(self, plan: Plan, history: Sequence[Tried] = ()) -> None:
        super().__init__(plan, history)
        self._configs = grid_configurations(plan)

    def suggest(self) -> Suggestion | None:
        for config in self._configs:
            if not self.seen(config):
                return Suggestion(self.claim(config))
        return None

    @property
    def size(self) -> int:
        return len(self._configs)
