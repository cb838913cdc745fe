"""Search strategies: which configuration to try next (grid, random; TPE and others to come)."""

from __future__ import annotations

from collections.abc import Sequence

from hpdesk.plan import Plan
from hpdesk.search.base import SearchStrategy, Tried, canonical
from hpdesk.search.grid import GridSearch, GridTooLarge, grid_configurations
from hpdesk.search.sampled import SampledSearch


def make_strategy(plan: Plan, history: Sequence[Tried] = ()) -> SearchStrategy:
    """The strategy the plan names, rebuilt from the trials already in the database."""
    if plan.strategy.name == "grid":
        return GridSearch(plan, history)
    return SampledSearch(plan, history)


__all__ = ["GridSearch", "GridTooLarge", "SampledSearch", "SearchStrategy", "Tried",
           "canonical", "grid_configurations", "make_strategy"]
