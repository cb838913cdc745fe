from __future__ import annotations

import pytest

from hpdesk.plan import loads_plan
from hpdesk.search import GridSearch, GridTooLarge, SampledSearch, Tried, canonical, make_strategy

PLAN = """
hpdesk: 1
task: classification
strategy: {name: %s, seed: 7, grid_points: 3}
budget: {trials: 50}
space:
  lr: {type: float, low: 0.001, high: 0.1, log: true}
  optimizer: [adam, sgd_momentum]
  momentum: {type: float, low: 0.8, high: 0.99, when: {optimizer: sgd_momentum}}
  batch_size: {type: int, low: 16, high: 64, log: true}
  epochs: 3
"""


def test_grid_covers_every_combination_once_with_conditions() -> None:
    plan = loads_plan(PLAN % "grid")
    search = GridSearch(plan)
    configs = []
    while (config := search.suggest()) is not None:
        configs.append(config)
        search.tell(Tried(config, "completed", 0.5))
    # adam: 3 lr x 3 batch; sgd_momentum: 3 lr x 3 momentum x 3 batch
    assert len(configs) == 9 + 27 == search.size
    assert len({canonical(c) for c in configs}) == len(configs)
    assert {c["lr"] for c in configs} == {0.001, 0.01, 0.1}
    assert {c["batch_size"] for c in configs} == {16, 32, 64}
    assert all(("momentum" in c) == (c["optimizer"] == "sgd_momentum") for c in configs)
    assert all(c["epochs"] == 3 for c in configs)


def test_grid_hands_out_distinct_configs_to_concurrent_trials() -> None:
    search = GridSearch(loads_plan(PLAN % "grid"))
    running = [search.suggest() for _ in range(4)]
    assert len({canonical(c) for c in running if c}) == 4


def test_grid_resumes_where_it_stopped() -> None:
    plan = loads_plan(PLAN % "grid")
    first = GridSearch(plan)
    done = []
    for _ in range(10):
        config = first.suggest()
        assert config is not None
        done.append(Tried(config, "completed", 0.1))
    resumed = GridSearch(plan, done)
    rest = []
    while (config := resumed.suggest()) is not None:
        rest.append(canonical(config))
    assert len(rest) == 36 - 10
    assert not set(rest) & {canonical(t.params) for t in done}


def test_grid_too_large_is_a_sentence() -> None:
    plan = loads_plan((PLAN % "grid").replace("grid_points: 3", "grid_points: 100")
                      .replace("epochs: 3", "epochs: 3\n  width: {type: int, low: 1, high: 1000}"
                               "\n  dropout: {type: float, low: 0, high: 0.5}"))
    with pytest.raises(GridTooLarge, match="combinations"):
        GridSearch(plan)


def test_random_respects_ranges_scales_and_conditions() -> None:
    plan = loads_plan(PLAN % "random")
    search = make_strategy(plan)
    assert isinstance(search, SampledSearch)
    configs = [search.suggest() for _ in range(200)]
    lrs = [c["lr"] for c in configs if c]
    assert all(0.001 <= lr <= 0.1 for lr in lrs)
    # log scale: about half the draws fall below the geometric middle 0.01
    assert 0.3 < sum(lr < 0.01 for lr in lrs) / len(lrs) < 0.7
    assert all(isinstance(c["batch_size"], int) and 16 <= c["batch_size"] <= 64 for c in configs if c)
    assert all(("momentum" in c) == (c["optimizer"] == "sgd_momentum") for c in configs if c)
    assert list(configs[0])[0] == "lr"  # plan order kept


def test_random_is_reproducible_and_does_not_replay_on_resume() -> None:
    plan = loads_plan(PLAN % "random")
    a = [make_strategy(plan).suggest() for _ in range(1)]
    b = [make_strategy(plan).suggest() for _ in range(1)]
    assert a == b
    first = make_strategy(plan)
    history = []
    for _ in range(5):
        config = first.suggest()
        assert config is not None
        history.append(Tried(config, "completed", 0.5))
    resumed = make_strategy(plan, history)
    nxt = resumed.suggest()
    assert nxt is not None and canonical(nxt) not in {canonical(t.params) for t in history}


def test_random_on_a_small_discrete_space_ends_instead_of_repeating() -> None:
    plan = loads_plan("hpdesk: 1\ntask: classification\nspace:\n  optimizer: [adam, nadam]\n"
                      "  epochs: 1\n")
    search = make_strategy(plan)
    seen = []
    while (config := search.suggest()) is not None:
        seen.append(config["optimizer"])
        search.tell(Tried(config, "completed", 1.0))
    assert sorted(seen) == ["adam", "nadam"]
