"""The guide's order, acted on: stages by tier, their shares of the budget, the best values
carried forward, barriers between stages, and a restart that picks up in the same stage."""

from __future__ import annotations

import math
from typing import Any

from hpdesk.plan import loads_plan
from hpdesk.plan.space import FloatRange
from hpdesk.search import WAIT, StagedSearch, Suggestion, Tried, make_strategy, plan_stages
from hpdesk.search.staged import narrowed

PLAN = """
hpdesk: 1
task: classification
objective: {metric: val_loss, direction: minimize}
strategy: {name: staged, seed: 5%s}
budget: {trials: %d}
space:
  optimizer: [adam, sgd_momentum]
  lr: {type: float, low: 0.0001, high: 0.1, log: true}
  momentum: {type: float, low: 0.8, high: 0.99, when: {optimizer: [sgd_momentum]}}
  batch_size: {type: int, low: 16, high: 256, log: true}
  dropout: {type: float, low: 0.0, high: 0.5}
  width: {type: int, low: 8, high: 64, log: true}
  epochs: 3
"""


def plan(trials: int = 20, extra: str = "") -> Any:
    return loads_plan(PLAN % (extra, trials))


def loss(c: dict[str, Any]) -> float:
    return abs(math.log10(c["lr"]) + 2) + c["dropout"] / 10 + abs(math.log2(c["width"]) - 5) / 10


def run(search: StagedSearch, n: int, start: int = 0) -> list[Suggestion]:
    out = []
    for number in range(start, start + n):
        s = search.suggest()
        assert isinstance(s, Suggestion), s
        out.append(s)
        search.tell(Tried(s.params, "completed", loss(s.params), number=number,
                          search_state=s.search_state))
    return out


def test_stages_follow_the_tiers_with_their_shares() -> None:
    stages = plan_stages(plan(20))
    assert [s.params for s in stages] == [("optimizer", "lr"), ("momentum", "batch_size"),
                                          ("dropout", "width")]
    assert [s.trials for s in stages] == [10, 6, 4] and sum(s.trials for s in stages) == 20
    assert all(s.strategy == "tpe" for s in stages)
    shares = plan_stages(plan(10, ", shares: [0.4, 0.3, 0.3], inner: random"))
    assert [s.trials for s in shares] == [4, 3, 3] and shares[0].strategy == "random"
    tiny = plan_stages(plan(2))
    assert [s.trials for s in tiny] == [1, 1, 0]


def test_a_plan_may_name_its_own_stages() -> None:
    p = plan(10, ", stages: [{params: [lr, optimizer, batch_size], share: 0.7, strategy: "
                 "random}, [momentum, dropout, width]]")
    stages = plan_stages(p)
    assert [s.params for s in stages] == [("lr", "optimizer", "batch_size"),
                                          ("momentum", "dropout", "width")]
    assert [s.trials for s in stages] == [7, 3] and [s.strategy for s in stages] == ["random",
                                                                                    "tpe"]


def test_stage_one_searches_tier_one_with_the_rest_at_their_defaults() -> None:
    search = make_strategy(plan(20))
    assert isinstance(search, StagedSearch)
    first = run(search, 10)
    for s in first:
        assert s.search_state["stage"] == 1
        assert s.params["batch_size"] == 64 and s.params["width"] == 32  # preset defaults
        assert s.params["dropout"] == 0.1
        if s.params["optimizer"] == "sgd_momentum":
            assert s.params["momentum"] == 0.9
    assert len({(s.params["optimizer"], s.params["lr"]) for s in first}) == 10
    note = search.notes()[0]
    assert note.kind == "stage" and note.data["stage"] == 1 and note.data["open"] == [
        "optimizer", "lr"]


def test_later_stages_hold_the_best_values_and_open_the_next_tier() -> None:
    search = make_strategy(plan(20, ", carry: fix"))
    stage1 = run(search, 10)
    best = min(stage1, key=lambda s: loss(s.params)).params
    stage2 = run(search, 6, 10)
    notes = search.notes()
    assert [n.kind for n in notes] == ["stage", "stage_end", "stage"]
    assert notes[2].data["held"] == {"optimizer": best["optimizer"], "lr": best["lr"]}
    for s in stage2:
        assert s.search_state["stage"] == 2
        assert (s.params["optimizer"], s.params["lr"]) == (best["optimizer"], best["lr"])
    assert len({s.params["batch_size"] for s in stage2}) > 1
    stage3 = run(search, 4, 16)
    assert {s.search_state["stage"] for s in stage3} == {3}
    assert search.suggest() is None
    assert [n.kind for n in search.notes()] == ["stage_end", "stage", "stage_end"]


def test_the_next_stage_waits_for_the_running_trials() -> None:
    search = make_strategy(plan(6))  # stages of 3, 2 and 1 trials
    handed = [search.suggest() for _ in range(3)]
    assert all(isinstance(h, Suggestion) for h in handed)
    assert search.suggest() is WAIT
    for number, s in enumerate(handed[:2]):
        assert isinstance(s, Suggestion)
        search.tell(Tried(s.params, "completed", 1.0, number=number, search_state=s.search_state))
    assert search.suggest() is WAIT
    last = handed[2]
    assert isinstance(last, Suggestion)
    search.tell(Tried(last.params, "failed", None, number=2, search_state=last.search_state))
    nxt = search.suggest()
    assert isinstance(nxt, Suggestion) and nxt.search_state["stage"] == 2


def test_a_restarted_search_continues_in_its_stage_with_the_same_held_values() -> None:
    p = plan(20)
    search = make_strategy(p)
    done = run(search, 12)  # stage 1 (10) and two trials of stage 2
    history = [Tried(s.params, "completed", loss(s.params), number=i, search_state=s.search_state)
               for i, s in enumerate(done)]
    again = make_strategy(p, history)
    assert isinstance(again, StagedSearch) and again.current == 2
    nxt = again.suggest()
    assert isinstance(nxt, Suggestion) and nxt.search_state["stage"] == 2
    assert nxt.search_state["fixed"] == done[-1].search_state["fixed"]
    assert again.notes() == []  # stage 2 was announced before the restart


def test_a_stage_whose_parameters_cannot_apply_is_skipped() -> None:
    p = loads_plan("""
hpdesk: 1
task: classification
strategy: {name: staged, seed: 1, stages: [[optimizer], [momentum]]}
budget: {trials: 4}
objective: {metric: val_loss, direction: minimize}
space:
  optimizer: [adam, sgd_momentum]
  momentum: {type: float, low: 0.8, high: 0.99, when: {optimizer: [sgd_momentum]}}
""")
    search = make_strategy(p)
    made = []
    while isinstance(s := search.suggest(), Suggestion):
        made.append(s)
        value = 0.5 if s.params["optimizer"] == "adam" else 1.0
        search.tell(Tried(s.params, "completed", value, number=len(made),
                          search_state=s.search_state))
    assert s is None and len(made) == 2  # adam won: momentum does not apply to it
    assert any("skipped" in n.message for n in search.notes())


def test_narrow_carry_keeps_searching_near_the_best() -> None:
    dist = FloatRange(1e-4, 1e-1, log=True)
    near = narrowed(dist, 1e-2)
    assert isinstance(near, FloatRange) and near.log
    assert near.low < 1e-2 < near.high and near.high / near.low < (1e-1 / 1e-4) ** 0.3
    edge = narrowed(dist, 1e-1)
    assert isinstance(edge, FloatRange) and edge.high == 1e-1
    search = make_strategy(plan(20, ", carry: narrow"))
    run(search, 10)
    stage2 = run(search, 6, 10)
    lrs = {s.params["lr"] for s in stage2}
    assert len(lrs) > 1  # still searched, within the narrowed range
