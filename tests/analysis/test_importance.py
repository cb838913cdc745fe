"""The comparison table and hyperparameter importance, on synthetic trials with known structure."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest

from hpdesk.analysis.importance import (
    MIN_TRIALS,
    compute_importance,
    shortfall,
)
from hpdesk.analysis.trials_table import format_value, tick_values, trials_table
from hpdesk.plan import plan_from_preset
from hpdesk.store import Trial

PLAN = plan_from_preset("classification").to_dict()
SEARCHED = ["lr", "batch_size", "weight_decay", "dropout", "width"]


def make_trial(i: int, params: dict[str, Any], state: str = "completed",
               objective: float | None = None) -> Trial:
    return Trial(id=100 + i, experiment_id=1, number=i, params=params, state=state,
                 requested_state=None, device=None, pid=None, host=None, created_at=0.0,
                 started_at=None, ended_at=None, exit_code=0, objective=objective,
                 log_path=None, message=None)


def lr_driven_trials(n: int, seed: int = 1) -> list[Trial]:
    """Accuracy peaks at lr = 10^-2.5 and barely depends on anything else."""
    rng = random.Random(seed)
    trials = []
    for i in range(n):
        p = {"lr": 10 ** rng.uniform(-3, -2), "batch_size": int(2 ** rng.uniform(4, 8)),
             "weight_decay": 10 ** rng.uniform(-6, -4), "dropout": rng.uniform(0, 0.5),
             "width": int(2 ** rng.uniform(3, 6)), "epochs": 8}
        score = 0.95 - 0.3 * (math.log10(p["lr"]) + 2.5) ** 2 + 0.002 * rng.random()
        trials.append(make_trial(i, p, "completed", score))
    return trials


def test_table_has_one_column_per_searched_parameter_with_log_axes_flagged() -> None:
    trials = lr_driven_trials(5) + [make_trial(5, {"lr": 0.004}, "failed"),
                                    make_trial(6, {"lr": 0.002}, "running")]
    table = trials_table(PLAN, trials)
    assert [a.name for a in table.axes] == SEARCHED  # fixed parameters (epochs) left out
    by_name = {a.name: a for a in table.axes}
    assert by_name["lr"].log and by_name["weight_decay"].log and not by_name["dropout"].log
    assert by_name["lr"].tier == 1 and by_name["dropout"].tier == 3
    assert (by_name["lr"].low, by_name["lr"].high) == (0.001, 0.01)
    assert table.values.shape == (7, 5)
    assert table.scored.tolist() == [True] * 5 + [False, False]
    assert math.isnan(table.values[5, 1])  # the failed trial never got a batch size
    assert table.param_value(0, 1) == trials[0].params["batch_size"]
    best = table.best_row()
    assert best is not None
    assert table.objective[best] == max(t.objective or 0 for t in trials[:5])
    lr = by_name["lr"]
    assert lr.position(np.array([0.001, 0.01, 10 ** -2.5])) == pytest.approx([0, 1, 0.5])
    assert [label for _, label in lr.ticks()] == ["0.001", "0.002", "0.005", "0.01"]


def test_categorical_and_conditional_parameters() -> None:
    plan = {
        "objective": {"metric": "loss", "direction": "minimize"},
        "space": {
            "optimizer": {"type": "categorical", "choices": ["sgd", "adam"]},
            "momentum": {"type": "float", "low": 0.8, "high": 0.99, "when": {"optimizer": ["sgd"]}},
            "spectral_norm": [False, True],
            "lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
            "seed": 0,
        },
    }
    rng = random.Random(3)
    trials = []
    for i in range(30):
        opt = rng.choice(["sgd", "adam"])
        p: dict[str, Any] = {"optimizer": opt, "spectral_norm": rng.random() < 0.5,
                             "lr": 10 ** rng.uniform(-4, -1), "seed": 0}
        if opt == "sgd":
            p["momentum"] = rng.uniform(0.8, 0.99)
        loss = (1.0 if p["spectral_norm"] else 0.0) + 0.01 * rng.random()
        trials.append(make_trial(i, p, "completed", loss))
    trials.append(make_trial(30, {"optimizer": "rmsprop", "lr": 0.01}, "failed"))
    table = trials_table(plan, trials)
    axes = {a.name: a for a in table.axes}
    assert list(axes) == ["optimizer", "momentum", "spectral_norm", "lr"]
    assert axes["optimizer"].labels == ("sgd", "adam", "rmsprop")  # an unlisted value kept
    assert axes["spectral_norm"].labels == ("false", "true")
    assert axes["momentum"].conditional
    assert table.param_value(30, 0) == "rmsprop"
    adam_rows = [i for i, t in enumerate(trials) if t.params["optimizer"] == "adam"]
    assert np.isnan(table.values[adam_rows, 1]).all()
    for evaluator in ("ped_anova", "fanova"):
        result = compute_importance(table, evaluator)
        assert result.ready, result.message()
        assert result.params[0].name == "spectral_norm", evaluator
        momentum = next(p for p in result.params if p.name == "momentum")
        if evaluator == "fanova":  # a random forest needs every parameter in every trial
            assert momentum.importance is None and result.params[-1] is momentum
        else:
            assert momentum.importance is not None
        assessed = [p.importance for p in result.params if p.importance is not None]
        assert sum(assessed) == pytest.approx(1.0)


@pytest.mark.parametrize("evaluator", ["ped_anova", "fanova"])
def test_the_parameter_that_drives_the_objective_ranks_first(evaluator: str) -> None:
    table = trials_table(PLAN, lr_driven_trials(40))
    result = compute_importance(table, evaluator, seed=0)
    assert result.ready and result.trials == 40
    assert [p.name for p in result.params][0] == "lr"
    assert result.params[0].importance is not None and result.params[0].importance > 0.4
    assert result.params[0].tier == 1
    assert compute_importance(table, evaluator, seed=0) == result  # deterministic


def test_not_enough_trials_gives_a_reason_instead_of_numbers() -> None:
    trials = lr_driven_trials(MIN_TRIALS - 1) + [
        make_trial(50 + i, {"lr": 0.003}, state) for i, state in
        enumerate(["failed", "running", "pruned"])]
    table = trials_table(PLAN, trials)
    result = compute_importance(table, "fanova")
    assert not result.ready and result.params == ()
    assert (result.reason, result.have, result.need) == ("too_few_trials", MIN_TRIALS - 1,
                                                         MIN_TRIALS)
    assert "7 scored trials" in result.message()
    assert shortfall(trials_table(PLAN, lr_driven_trials(MIN_TRIALS))) is None

    one_param = {"objective": PLAN["objective"], "space": {"lr": PLAN["space"]["lr"]}}
    lonely = shortfall(trials_table(one_param, lr_driven_trials(20)))
    assert lonely is not None and lonely.reason == "too_few_params"

    flat = [make_trial(i, t.params, "completed", 0.5) for i, t in enumerate(lr_driven_trials(9))]
    same = shortfall(trials_table(PLAN, flat))
    assert same is not None and same.reason == "constant_objective"
    with pytest.raises(ValueError, match="must be one of"):
        shortfall(table, "shap")


def test_signatures_change_only_with_what_they_summarise() -> None:
    trials = lr_driven_trials(10)
    a = trials_table(PLAN, trials)
    running = trials + [make_trial(99, {"lr": 0.002}, "running")]
    b = trials_table(PLAN, running)
    assert a.scored_signature() == b.scored_signature()  # a new running trial: same importance
    assert a.signature() != b.signature()  # but a different picture
    finished = running[:-1] + [make_trial(99, {**trials[0].params}, "completed", 0.5)]
    assert trials_table(PLAN, finished).scored_signature() != a.scored_signature()


def test_ticks_are_round_numbers_inside_the_range() -> None:
    assert tick_values(16, 256, log=True, integer=True) == [16, 32, 64, 128, 256]
    assert tick_values(0.0, 0.5) == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    assert tick_values(1, 3, integer=True) == [1, 2, 3]
    many = tick_values(1e-8, 1.0, log=True)
    assert 2 <= len(many) <= 7 and many[0] == 1e-8
    assert format_value(3e-5) == "3e-5" and format_value(0.25) == "0.25"
    assert format_value(128.0, integer=True) == "128"
