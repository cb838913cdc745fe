"""Search strategies: which configuration to try next, and which running trial to stop early.

hpdesk adapts, Optuna samples: grid and the guide's staged order are hpdesk's own; random, Sobol,
TPE, GP, CMA-ES and NSGA-II are Optuna's samplers; population-based training is hpdesk's (Optuna
has none); early stopping is Optuna's pruners (`hpdesk.search.pruning`).
"""

from __future__ import annotations

from collections.abc import Sequence

from hpdesk.plan import Plan
from hpdesk.search.base import (
    WAIT,
    Continuation,
    Note,
    SearchStrategy,
    Suggestion,
    Tried,
    Wait,
    canonical,
    derive_seed,
)
from hpdesk.search.grid import GridSearch, GridTooLarge, grid_configurations
from hpdesk.search.pbt import PopulationSearch
from hpdesk.search.pruning import Decision, TrialPruner, max_resource
from hpdesk.search.sampled import SampledSearch
from hpdesk.search.staged import StagedSearch, plan_stages


def make_strategy(plan: Plan, history: Sequence[Tried] = ()) -> SearchStrategy:
    """The strategy the plan names, rebuilt from the trials already in the database."""
    if plan.strategy.name == "grid":
        return GridSearch(plan, history)
    if plan.strategy.name == "staged":
        return StagedSearch(plan, history)
    if plan.strategy.name == "pbt":
        return PopulationSearch(plan, history)
    return SampledSearch(plan, history)


__all__ = ["WAIT", "Wait", "Continuation", "Decision", "GridSearch", "GridTooLarge", "Note",
           "PopulationSearch", "SampledSearch", "SearchStrategy", "StagedSearch", "Suggestion",
           "Tried", "TrialPruner", "canonical", "derive_seed", "grid_configurations",
           "make_strategy", "max_resource", "plan_stages"]
