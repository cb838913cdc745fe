"""The strategy and pruner sections: every name and option is validated like the rest of the
plan, round-trips exactly, and a mistake is one line naming the field and what is valid."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpdesk.plan import PlanError, dumps_plan, loads_plan, parse_plan
from hpdesk.plan.model import PRUNERS, STRATEGIES
from hpdesk.plan.search_options import PRUNER_OPTIONS, STRATEGY_OPTIONS

BASE = """
hpdesk: 1
task: classification
objective: {metric: val_loss, direction: minimize}
strategy: %s
pruner: %s
budget: {trials: 12, epochs: 100, steps: 5000}
space:
  lr: {type: float, low: 0.001, high: 0.1, log: true}
  dropout: {type: float, low: 0.0, high: 0.5}
  batch_size: 32
  epochs: 6
"""


def problems(strategy: str, pruner: str = "none") -> list[str]:
    try:
        loads_plan(BASE % (strategy, pruner))
    except PlanError as exc:
        return [str(p) for p in exc.problems]
    return []


@pytest.mark.parametrize("name", STRATEGIES)
def test_every_strategy_name_is_accepted(name: str) -> None:
    assert problems(name) == []
    assert loads_plan(BASE % (name, "none")).strategy.name == name


@pytest.mark.parametrize("name", PRUNERS)
def test_every_pruner_name_is_accepted(name: str) -> None:
    spec = "{name: threshold, upper: 2.0}" if name == "threshold" else name
    assert problems("tpe", spec) == []
    assert loads_plan(BASE % ("tpe", spec)).pruner.name == name


def test_a_misspelt_name_lists_the_valid_ones() -> None:
    (line,) = problems("tpee")
    assert "strategy.name: expected one of random, grid, sobol, tpe" in line
    assert "found the text 'tpee'" in line
    (line,) = problems("tpe", "hyperbnad")
    assert "pruner.name: expected one of none, median, asha, hyperband" in line


def test_hpdesk_plan_validate_exits_2_with_one_line(tmp_path: Path) -> None:
    plan = tmp_path / "p.yaml"
    plan.write_text(BASE % ("{name: tpe, seed: 1}", "{name: ashaa}"))
    out = subprocess.run([sys.executable, "-m", "hpdesk.cli", "plan", "validate", str(plan)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "pruner.name" in out.stderr
    plan.write_text(BASE % ("{name: tpe, seed: 1}", "{name: asha, reduction_factor: 4}"))
    ok = subprocess.run([sys.executable, "-m", "hpdesk.cli", "plan", "validate", str(plan)],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize("strategy, pruner, expected", [
    ("{name: tpe, n_startup_trials: -1}", "none",
     "strategy.n_startup_trials: expected an integer from 0 to 1,000,000"),
    ("{name: tpe, multivariate: maybe}", "none", "strategy.multivariate: expected true or false"),
    ("{name: tpe, population_size: 4}", "none",
     "strategy.population_size: expected one of the fields of the tpe strategy"),
    ("{name: staged, inner: nsga2}", "none",
     "strategy.inner: expected one of random, sobol, tpe, gp, cmaes"),
    ("{name: staged, stages: [[lr], [lr]]}", "none", "each hyperparameter in one stage"),
    ("{name: staged, stages: [[lr]]}", "none", "space.dropout: expected a stage that opens it"),
    ("{name: staged, stages: [{params: [lr, dropout], share: 1.5}]}", "none",
     "share of the trials"),
    ("{name: pbt, mutate: [width]}", "none", "hyperparameters a member can change"),
    ("{name: pbt, interval: 6}", "none", "fewer epochs than the whole run (6)"),
    ("pbt", "asha", "population-based training stops and copies members itself"),
    ("{name: nsga2, crossover_prob: 2}", "none", "expected a number from 0 to 1"),
    ("tpe", "{name: asha, reduction_factor: 1}",
     "pruner.reduction_factor: expected an integer from 2 to 100"),
    ("tpe", "{name: threshold}", "a lower or an upper bound"),
    ("tpe", "{name: threshold, lower: 3, upper: 1}", "a lower bound below the upper one"),
    ("tpe", "{name: hyperband, min_resource: 5, max_resource: 3}", "more epochs than min_resource"),
    ("tpe", "{name: median, patience: 3}",
     "pruner.patience: expected one of the fields of the median pruner"),
])
def test_bad_options_are_named(strategy: str, pruner: str, expected: str) -> None:
    found = problems(strategy, pruner)
    assert any(expected in p for p in found), found


def test_several_objectives_need_a_strategy_that_searches_a_front() -> None:
    text = BASE.replace("objective: {metric: val_loss, direction: minimize}",
                        "objective: [{metric: val_loss, direction: minimize},"
                        " {metric: n_params, direction: minimize}]")
    plan = loads_plan(text % ("nsga2", "none"))
    assert [o.metric for o in plan.objectives] == ["val_loss", "n_params"]
    assert parse_plan(plan.to_dict()) == plan
    for strategy, pruner, field in (("staged", "none", "strategy.name"),
                                    ("tpe", "asha", "pruner.name")):
        with pytest.raises(PlanError, match=field):
            loads_plan(text % (strategy, pruner))
    with pytest.raises(PlanError, match="each metric once"):
        loads_plan(text.replace("n_params", "val_loss") % ("nsga2", "none"))


def test_budgets_of_epochs_and_steps() -> None:
    plan = loads_plan(BASE % ("tpe", "none"))
    assert (plan.budget.epochs, plan.budget.steps) == (100, 5000)
    assert any("budget.epochs: expected from 1 to 10,000,000,000 epochs" in p
               for p in problems_with_budget("{trials: 3, epochs: 0}"))


def problems_with_budget(budget: str) -> list[str]:
    try:
        loads_plan((BASE % ("tpe", "none")).replace(
            "budget: {trials: 12, epochs: 100, steps: 5000}", f"budget: {budget}"))
    except PlanError as exc:
        return [str(p) for p in exc.problems]
    return []


def _option_value(draw: st.DrawFn, spec) -> object:  # type: ignore[no-untyped-def]
    if spec.kind == "int":
        high = spec.high if spec.high is not None and spec.high < 10**6 else spec.low + 50
        return draw(st.integers(int(spec.low), int(high)))
    if spec.kind == "float":
        low = spec.low if spec.low is not None else -5.0
        high = spec.high if spec.high is not None else low + 10
        return draw(st.floats(low, high, allow_nan=False))
    if spec.kind == "bool":
        return draw(st.booleans())
    if spec.kind == "choice":
        return draw(st.sampled_from(spec.choices))
    if spec.kind == "factors":
        return draw(st.lists(st.floats(0.5, 2.0), min_size=2, max_size=3))
    return None


@st.composite
def searches(draw: st.DrawFn) -> tuple[dict[str, object], dict[str, object]]:
    name = draw(st.sampled_from([n for n in STRATEGIES if n not in ("pbt",)]))
    strategy: dict[str, object] = {"name": name, "seed": draw(st.integers(0, 10**9))}
    for key, spec in STRATEGY_OPTIONS[name].items():
        value = _option_value(draw, spec)
        if value is not None and draw(st.booleans()):
            strategy[key] = value
    pruner_name = draw(st.sampled_from(["none", "median", "asha", "hyperband", "patience"]))
    pruner: dict[str, object] = {"name": pruner_name}
    for key, spec in PRUNER_OPTIONS[pruner_name].items():
        value = _option_value(draw, spec)
        if value is not None and key != "max_resource" and draw(st.booleans()):
            pruner[key] = value
    return strategy, pruner


@settings(max_examples=150, deadline=None)
@given(searches(), st.sampled_from(["yaml", "toml", "json"]))
def test_strategy_and_pruner_sections_round_trip_exactly(search, fmt: str) -> None:  # type: ignore[no-untyped-def]
    strategy, pruner = search
    data = loads_plan(BASE % ("{name: random}", "none")).to_dict()
    data["strategy"], data["pruner"] = strategy, pruner
    plan = parse_plan(data)
    assert parse_plan(plan.to_dict()) == plan
    assert loads_plan(dumps_plan(plan, fmt), fmt) == plan
    for key, value in strategy.items():
        if key not in ("name", "seed"):
            assert plan.strategy.option(key) == value
