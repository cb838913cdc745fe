"""A seeded search makes the same trials whether or not it was interrupted: each draw's seed
comes from the plan's seed and the draw's ordinal, and what a sampler writes into its trials is
kept with them (search_state) and handed back when the strategy is rebuilt."""

from __future__ import annotations

import math
from typing import Any

import pytest

from hpdesk.plan import loads_plan
from hpdesk.search import Suggestion, Tried, make_strategy

PLAN = """
hpdesk: 1
task: classification
objective: {metric: val_loss, direction: minimize}
strategy: {name: %s, seed: 11}
budget: {trials: 12}
space:
  optimizer: [adam, sgd_momentum]
  lr: {type: float, low: 0.0001, high: 0.1, log: true}
  momentum: {type: float, low: 0.8, high: 0.99, when: {optimizer: [sgd_momentum]}}
  batch_size: {type: int, low: 16, high: 256, log: true}
  dropout: {type: float, low: 0.0, high: 0.5}
"""


def loss(config: dict[str, Any]) -> float:
    return (abs(math.log10(config["lr"]) + 2.5) + config["dropout"]
            + (0.2 if config["optimizer"] == "adam" else 0.0)
            + abs(math.log2(config["batch_size"]) - 6) / 10)


def run(name: str, trials: int, *, stop_after: int | None = None) -> list[dict[str, Any]]:
    plan = loads_plan(PLAN % name)
    history: list[Tried] = []
    search = make_strategy(plan, history)
    made: list[dict[str, Any]] = []
    while len(made) < trials:
        if stop_after is not None and len(made) == stop_after:
            search = make_strategy(plan, list(history))  # a new scheduler, from the database
            stop_after = None
        suggestion = search.suggest()
        assert isinstance(suggestion, Suggestion)
        params = suggestion.params
        tried = Tried(params, "completed", loss(params), number=len(made),
                      search_state=suggestion.search_state)
        kept = search.tell(tried) or {}
        history.append(Tried(params, "completed", loss(params), number=len(made),
                             search_state={**suggestion.search_state, **kept}))
        made.append(params)
    return made


@pytest.mark.parametrize("name", ["random", "sobol", "tpe", "cmaes", "nsga2", "staged"])
def test_interrupted_search_makes_the_same_trials(name: str) -> None:
    assert run(name, 12, stop_after=5) == run(name, 12)


def test_different_seeds_draw_different_points() -> None:
    first = run("random", 3)
    plan_text = PLAN.replace("seed: 11", "seed: 12")
    search = make_strategy(loads_plan(plan_text % "random"))
    other = search.suggest()
    assert isinstance(other, Suggestion) and other.params != first[0]
