from __future__ import annotations

import math

import pytest

from hpdesk.plan import loads_plan
from hpdesk.search import (
    GridSearch,
    GridTooLarge,
    SampledSearch,
    SearchStrategy,
    Tried,
    canonical,
    make_strategy,
)


def draw(search: SearchStrategy) -> dict | None:  # type: ignore[type-arg]
    suggestion = search.suggest()
    return None if suggestion is None else suggestion.params  # type: ignore[union-attr]

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
    while (config := draw(search)) is not None:
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
    running = [draw(search) for _ in range(4)]
    assert len({canonical(c) for c in running if c}) == 4


def test_grid_resumes_where_it_stopped() -> None:
    plan = loads_plan(PLAN % "grid")
    first = GridSearch(plan)
    done = []
    for _ in range(10):
        config = draw(first)
        assert config is not None
        done.append(Tried(config, "completed", 0.1))
    resumed = GridSearch(plan, done)
    rest = []
    while (config := draw(resumed)) is not None:
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
    configs = [draw(search) for _ in range(200)]
    lrs = [c["lr"] for c in configs if c]
    assert all(0.001 <= lr <= 0.1 for lr in lrs)
    # log scale: about half the draws fall below the geometric middle 0.01
    assert 0.3 < sum(lr < 0.01 for lr in lrs) / len(lrs) < 0.7
    assert all(isinstance(c["batch_size"], int) and 16 <= c["batch_size"] <= 64
               for c in configs if c)
    assert all(("momentum" in c) == (c["optimizer"] == "sgd_momentum") for c in configs if c)
    assert list(configs[0])[0] == "lr"  # plan order kept


def test_random_is_reproducible_and_does_not_replay_on_resume() -> None:
    plan = loads_plan(PLAN % "random")
    a = [draw(make_strategy(plan)) for _ in range(1)]
    b = [draw(make_strategy(plan)) for _ in range(1)]
    assert a == b
    first = make_strategy(plan)
    history = []
    for _ in range(5):
        config = draw(first)
        assert config is not None
        history.append(Tried(config, "completed", 0.5))
    resumed = make_strategy(plan, history)
    nxt = draw(resumed)
    assert nxt is not None and canonical(nxt) not in {canonical(t.params) for t in history}


def test_random_on_a_small_discrete_space_ends_instead_of_repeating() -> None:
    plan = loads_plan("hpdesk: 1\ntask: classification\nspace:\n  optimizer: [adam, nadam]\n"
                      "  epochs: 1\n")
    search = make_strategy(plan)
    seen = []
    while (config := draw(search)) is not None:
        seen.append(config["optimizer"])
        search.tell(Tried(config, "completed", 1.0))
    assert sorted(seen) == ["adam", "nadam"]


SAMPLERS = ["random", "sobol", "tpe", "gp", "cmaes", "nsga2"]


@pytest.mark.parametrize("name", SAMPLERS)
def test_every_sampler_learns_and_keeps_ranges_and_conditions(name: str) -> None:
    """Optuna's samplers behind hpdesk's interface: values inside the plan, conditional
    parameters only where their condition holds, never a configuration twice."""
    plan = loads_plan((PLAN % name).replace(", grid_points: 3", ""))
    search = make_strategy(plan)
    seen = set()
    for number in range(14):
        suggestion = search.suggest()
        assert suggestion is not None and not isinstance(suggestion, type(None))
        config = suggestion.params  # type: ignore[union-attr]
        assert 0.001 <= config["lr"] <= 0.1 and 16 <= config["batch_size"] <= 64
        assert ("momentum" in config) == (config["optimizer"] == "sgd_momentum")
        assert canonical(config) not in seen
        seen.add(canonical(config))
        score = -abs(config["lr"] - 0.01)  # the best learning rate is 0.01
        search.tell(Tried(config, "completed", score, number=number,
                          search_state=suggestion.search_state))  # type: ignore[union-attr]


def test_tpe_concentrates_where_the_good_trials_are() -> None:
    """After its random start-up, TPE samples near the optimum far more often than random."""
    def closeness(name: str) -> float:
        plan = loads_plan(f"""
hpdesk: 1
task: classification
objective: {{metric: val_loss, direction: minimize}}
strategy: {{name: {name}, seed: 3}}
budget: {{trials: 60}}
space:
  lr: {{type: float, low: 0.0001, high: 1.0, log: true}}
  dropout: {{type: float, low: 0.0, high: 0.5}}
""")
        search = make_strategy(plan)
        near = 0
        for number in range(60):
            suggestion = search.suggest()
            config = suggestion.params  # type: ignore[union-attr]
            loss = abs(math.log10(config["lr"]) + 2) + config["dropout"]
            near += number >= 30 and loss < 0.5
            search.tell(Tried(config, "completed", loss, number=number,
                              search_state=suggestion.search_state))  # type: ignore[union-attr]
        return near / 30

    assert closeness("tpe") > 2 * closeness("random")


def test_repeats_allow_the_same_configuration_again() -> None:
    text = "hpdesk: 1\ntask: classification\nstrategy: {name: random, seed: 1, repeats: 2}\n" \
           "space:\n  optimizer: [adam, nadam]\n  epochs: 1\n"
    search = make_strategy(loads_plan(text))
    seen = []
    while (config := draw(search)) is not None:
        seen.append(config["optimizer"])
        search.tell(Tried(config, "completed", 1.0, number=len(seen)))
    assert sorted(seen) == ["adam", "adam", "nadam", "nadam"]


def test_several_objectives_reach_the_sampler() -> None:
    """NSGA-II (and TPE) take every objective's value; a trial missing one is a failure."""
    plan = loads_plan("""
hpdesk: 1
task: classification
objective: [{metric: val_acc, direction: maximize}, {metric: n_params, direction: minimize}]
strategy: {name: nsga2, seed: 2, population_size: 4}
space:
  width: {type: int, low: 8, high: 64, log: true}
  lr: {type: float, low: 0.001, high: 0.01, log: true}
""")
    search = make_strategy(plan)
    for number in range(12):
        suggestion = search.suggest()
        config = suggestion.params  # type: ignore[union-attr]
        values = (1 - 1 / config["width"], float(config["width"] ** 2))
        search.tell(Tried(config, "completed", values[0], number=number, objectives=values,
                          search_state=suggestion.search_state))  # type: ignore[union-attr]
    study = search._study  # type: ignore[attr-defined]
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert len(complete) == 12 and all(len(t.values) == 2 for t in complete)
    assert len(study.best_trials) >= 2  # a front, not one best
