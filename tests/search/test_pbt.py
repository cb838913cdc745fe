"""Population-based training's decisions: who copies whom, with which values, and when."""

from __future__ import annotations

import random

import pytest

from hpdesk.plan import PlanError, loads_plan
from hpdesk.plan.space import Categorical, FloatRange, IntRange
from hpdesk.search import WAIT, PopulationSearch, Suggestion, Tried, make_strategy
from hpdesk.search.pbt import perturb

PLAN = """
hpdesk: 1
task: classification
objective: {metric: val_acc, direction: maximize}
strategy: {name: pbt, seed: 4, population: 4, interval: 2}
concurrency: 4
space:
  lr: {type: float, low: 0.001, high: 0.1, log: true}
  momentum: {type: float, low: 0.5, high: 0.99}
  width: {type: int, low: 8, high: 64, log: true}
  optimizer: sgd_momentum
  epochs: 6
"""


def start(search: PopulationSearch) -> list[Suggestion]:
    members = []
    while isinstance(s := search.suggest(), Suggestion):
        members.append(s)
    assert s is WAIT
    return members


def pause_all(search: PopulationSearch, members: list[Suggestion], values: list[float],
              segment: int = 0) -> None:
    for number, (m, v) in enumerate(zip(members, values)):
        search.tell(Tried(m.params, "paused", v, number=number,
                          search_state={**m.search_state, "segment": segment}))


def test_the_population_starts_with_random_members_that_pause_at_the_interval() -> None:
    search = make_strategy(loads_plan(PLAN))
    assert isinstance(search, PopulationSearch)
    members = start(search)
    assert len(members) == 4 and [m.search_state["member"] for m in members] == [0, 1, 2, 3]
    assert all(m.search_state["until"] == 2 for m in members)
    assert search.boundaries == [2, 4, 6] and search.until(2) is None
    assert search.mutable == ["lr", "momentum"]  # width is the network's shape: never changed
    assert search.continuations() == []  # nobody has paused yet


def test_the_worst_copy_the_best_once_the_whole_generation_paused() -> None:
    search = make_strategy(loads_plan(PLAN))
    assert isinstance(search, PopulationSearch)
    members = start(search)
    pause_all(search, members[:3], [0.5, 0.9, 0.7])
    assert search.continuations() == []  # member 3 still runs
    search.tell(Tried(members[3].params, "paused", 0.6, number=3,
                      search_state=members[3].search_state))
    steps = search.continuations()
    assert [s.number for s in steps] == [0, 1, 2, 3]
    worst = steps[0]
    assert worst.copy_from == 1 and worst.until_epoch == 4  # the best member's weights
    assert worst.params["width"] == members[1].params["width"]  # its shape comes along
    assert worst.params["lr"] != members[1].params["lr"] or worst.params["momentum"] != (
        members[1].params["momentum"])
    assert all(s.copy_from is None and s.params == members[s.number].params
               for s in steps[1:])
    notes = [n for n in search.notes() if n.kind == "pbt"]
    assert len(notes) == 4 and notes[0].data["donor"] == 1 and notes[0].data["epoch"] == 2
    assert search.continuations() == []  # issued once


def test_the_last_interval_runs_to_the_end_and_then_the_search_is_done() -> None:
    search = make_strategy(loads_plan(PLAN))
    assert isinstance(search, PopulationSearch)
    members = start(search)
    pause_all(search, members, [0.1, 0.2, 0.3, 0.4])
    search.continuations()
    pause_all(search, members, [0.1, 0.2, 0.3, 0.4], segment=1)
    last = search.continuations()
    assert all(s.until_epoch is None for s in last)
    assert search.suggest() is WAIT
    for number, m in enumerate(members):
        search.tell(Tried(m.params, "completed", 0.5, number=number,
                          search_state={**m.search_state, "segment": 2}))
    assert search.suggest() is None


def test_decisions_are_the_same_after_a_restart() -> None:
    plan = loads_plan(PLAN)
    first = make_strategy(plan)
    assert isinstance(first, PopulationSearch)
    members = start(first)
    history = [Tried(m.params, "paused", v, number=i, search_state=m.search_state)
               for i, (m, v) in enumerate(zip(members, [0.5, 0.9, 0.7, 0.6]))]
    for t in history:
        first.tell(t)
    again = make_strategy(plan, history)
    assert isinstance(again, PopulationSearch)
    assert again.suggest() is WAIT
    assert again.continuations() == first.continuations()


def test_perturbation_stays_inside_the_range_and_moves_integers_and_choices() -> None:
    lr = FloatRange(0.001, 0.1, log=True)
    assert perturb(lr, 0.01, 1.2) == pytest.approx(0.012)
    assert perturb(lr, 0.1, 1.2) == 0.1
    assert perturb(IntRange(1, 10), 2, 1.2) == 3
    assert perturb(Categorical(("a", "b", "c")), "b", 0.8) == "a"
    search = make_strategy(loads_plan(PLAN))
    assert isinstance(search, PopulationSearch)
    rng = random.Random(0)
    for _ in range(50):
        out = search.explore({"lr": 0.05, "momentum": 0.9, "width": 16}, rng)
        assert 0.001 <= out["lr"] <= 0.1 and 0.5 <= out["momentum"] <= 0.99
        assert out["width"] == 16


@pytest.mark.parametrize("change, message", [
    ("batch_size: [16, 32]", "every member of a population must take the same steps"),
    ("task: classification\ncommand: [python, x.py]", "a built-in task for pbt"),
])
def test_pbt_plans_that_cannot_work_are_refused(change: str, message: str) -> None:
    text = PLAN.replace("  epochs: 6", "  epochs: 6\n  " + change) if "batch" in change else (
        PLAN.replace("task: classification", "task: script\ncommand: [python, x.py]"))
    with pytest.raises(PlanError) as caught:
        loads_plan(text)
    assert message in str(caught.value)
