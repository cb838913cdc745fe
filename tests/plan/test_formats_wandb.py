"""W&B sweeps in and out: every distribution W&B defines, nested parameters, hyperband, the
command macros, and exact round trips where W&B and hpdesk say the same thing."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings

from hpdesk.plan import Categorical, Fixed, FloatRange, IntRange, PlanError
from hpdesk.plan.formats import convert, read_space, wandb_write, write_space
from hpdesk.plan.formats import wandb as wb
from tests.plan.format_spaces import same_space, script_plan, spaces

#: The sweep of W&B's "Define sweep configuration" page and its PyTorch tutorial, as published.
DOCS_SWEEP = """\
program: train.py
method: bayes
name: sweep
description: Example of a sweep with hyperband stopping
metric:
  goal: minimize
  name: val_loss
parameters:
  batch_size:
    values: [16, 32, 64]
  epochs:
    values: [5, 10, 15]
  learning_rate:
    distribution: log_uniform_values
    min: 0.0001
    max: 0.1
  batch_size_q:
    distribution: q_log_uniform_values
    q: 8
    min: 32
    max: 256
  optimizer:
    values: ["adam", "sgd"]
  fc_layer_size:
    values: [128, 256, 512]
  dropout:
    values: [0.3, 0.4, 0.5]
  momentum:
    distribution: uniform
    min: 0
    max: 0.9
early_terminate:
  type: hyperband
  min_iter: 3
run_cap: 40
"""

NESTED = """\
method: random
metric: {name: loss, goal: minimize}
parameters:
  optimizer:
    parameters:
      name: {values: [adam, sgd]}
      lr: {min: 1e-4, max: 1e-2, distribution: uniform}
  epochs: {value: 3}
command:
  - ${env}
  - ${interpreter}
  - ${program}
  - ${args_no_hyphens}
program: main.py
"""


def _read(tmp_path: Path, text: str, name: str = "sweep.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return read_space(path)


def test_the_docs_sweep_becomes_a_valid_script_plan(tmp_path: Path) -> None:
    done = _read(tmp_path, DOCS_SWEEP)
    plan = done.plan
    assert done.fmt == "wandb" and plan.task == "script"
    assert plan.command == ("python", "train.py") and plan.params_style == "equals"
    assert plan.objective.metric == "val_loss" and plan.objective.direction == "minimize"
    assert plan.strategy.name == "gp" and plan.budget.trials == 40
    assert plan.pruner.name == "hyperband" and plan.pruner.options["min_resource"] == 3
    assert plan.space["learning_rate"] == FloatRange(0.0001, 0.1, log=True)
    assert plan.space["batch_size"] == Categorical((16, 32, 64))
    assert plan.space["momentum"] == FloatRange(0.0, 0.9)
    assert plan.space["batch_size_q"] == IntRange(32, 256, log=True)
    assert any(line.startswith("batch_size_q: hpdesk has no step on a log scale")
               for line in done.losses)


def test_every_w_and_b_distribution_is_read(tmp_path: Path) -> None:
    params = {
        "c": {"distribution": "constant", "value": 7},
        "cat": {"distribution": "categorical", "values": ["a", "b"]},
        "iu": {"distribution": "int_uniform", "min": 1, "max": 9},
        "u": {"distribution": "uniform", "min": "1e-3", "max": 1},
        "qu": {"distribution": "q_uniform", "min": 0.0, "max": 1.0, "q": 0.25},
        "qui": {"distribution": "q_uniform", "min": 0, "max": 20, "q": 5},
        "luv": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
        "qluv": {"distribution": "q_log_uniform_values", "min": 16, "max": 512, "q": 1},
        "lu": {"distribution": "log_uniform", "min": -4.0, "max": 2.0},
        "qlu": {"distribution": "q_log_uniform", "min": math.log(32), "max": math.log(256),
                "q": 1},
        "ilu": {"distribution": "inv_log_uniform", "min": 1.0, "max": 3.0},
        "iluv": {"distribution": "inv_log_uniform_values", "min": 0.001, "max": 0.1},
        "n": {"distribution": "normal", "mu": 0.01, "sigma": 0.002},
        "qn": {"distribution": "q_normal", "mu": 10, "sigma": 2, "q": 1},
        "ln": {"distribution": "log_normal", "mu": 0, "sigma": 1},
        "qln": {"distribution": "q_log_normal", "mu": 0, "sigma": 1, "q": 1},
        "beta": {"distribution": "beta", "a": 2, "b": 5},
        "inferred_int": {"min": 2, "max": 8},
        "inferred_float": {"min": 0.1, "max": 2},
    }
    done = _read(tmp_path, yaml.safe_dump({"method": "random", "parameters": params}))
    s = done.plan.space
    assert s["c"] == Fixed(7) and s["cat"] == Categorical(("a", "b"))
    assert s["iu"] == IntRange(1, 9) and s["u"] == FloatRange(0.001, 1.0)
    assert s["qu"] == FloatRange(0.0, 1.0, step=0.25) and s["qui"] == IntRange(0, 20, step=5)
    assert s["luv"] == FloatRange(1e-5, 0.1, log=True)
    assert s["qluv"] == IntRange(16, 512, log=True)
    assert s["lu"] == FloatRange(math.exp(-4.0), math.exp(2.0), log=True)  # exactly exp
    assert s["qlu"] == IntRange(32, 256, log=True)
    assert s["ilu"] == FloatRange(math.exp(-3.0), math.exp(-1.0), log=True)
    assert s["iluv"] == FloatRange(0.001, 0.1, log=True)
    assert s["n"] == FloatRange(0.006, 0.014)
    assert s["qn"] == FloatRange(6.0, 14.0, step=1.0)
    assert s["ln"].log and s["ln"].low == pytest.approx(math.exp(-2), rel=1e-5)
    assert s["beta"] == FloatRange(0.0, 1.0)
    assert s["inferred_int"] == IntRange(2, 8) and s["inferred_float"] == FloatRange(0.1, 2.0)
    lines = "\n".join(done.losses)
    assert ("n: W&B's normal(0.01, 0.002) has no hpdesk form; kept as a range [0.006, 0.014] "
            "(mean ± 2 sd)") in done.losses
    for name in ("qn", "ln", "qln", "beta"):
        assert sum(line.startswith(f"{name}: ") for line in done.losses) == 1, lines
    assert "objective: the sweep names no metric; assumed val_loss" in lines


def test_nested_parameters_flatten_and_hydra_args(tmp_path: Path) -> None:
    done = _read(tmp_path, NESTED)
    plan = done.plan
    assert list(plan.space) == ["optimizer.name", "optimizer.lr", "epochs"]
    assert plan.params_style == "hydra" and plan.command == ("python", "main.py")
    assert plan.objective.metric == "loss"
    assert any(line.startswith("optimizer: W&B's nested parameters became optimizer.name, "
                               "optimizer.lr") for line in done.losses)


@pytest.mark.parametrize(("macro", "style", "booleans", "command"), [
    (["${args}"], "equals", "value", ("python", "t.py")),
    (["${args_no_boolean_flags}"], "equals", "switch", ("python", "t.py")),
    (["${args_no_hyphens}"], "hydra", "value", ("python", "t.py")),
    (["--params", "${args_json_file}"], "json", "value", ("python", "t.py")),
    (["${args_json_file}"], "template", "value", ("python", "t.py", "{params_file}")),
    (["${args_json}"], "json", "value", ("python", "t.py")),
])
def test_command_macros_map_to_params_styles_and_back(tmp_path: Path, macro, style, booleans,
                                                      command) -> None:
    sweep = {"program": "t.py", "method": "random", "metric": {"name": "acc", "goal": "maximize"},
             "command": ["${env}", "${interpreter}", "${program}", *macro],
             "parameters": {"flag": {"values": [True, False]}, "lr": {"min": 0.1, "max": 0.5}}}
    done = _read(tmp_path, yaml.safe_dump(sweep))
    plan = done.plan
    assert (plan.params_style, plan.booleans, plan.command) == (style, booleans, command)
    if macro != ["${args_json}"]:
        back = yaml.safe_load(write_space(plan, "wandb", "x.yaml").text)
        assert back.get("command", wb.DEFAULT_COMMAND) == sweep["command"]
        assert back["program"] == "t.py"


def test_a_sweep_that_runs_a_builtin_task_imports_as_that_task(tmp_path: Path) -> None:
    from hpdesk.plan import plan_from_preset

    plan = plan_from_preset("classification")
    text, losses = wandb_write.write(plan)
    assert any(line.startswith("task: the sweep runs hpdesk's classification task")
               for line in losses)
    back = _read(tmp_path, text).plan
    assert back.task == "classification" and back.command is None
    assert same_space(plan, back)


def test_malformed_sweeps_name_the_file_and_field(tmp_path: Path) -> None:
    with pytest.raises(PlanError) as err:
        _read(tmp_path, "method: random\nparameters:\n  lr: {distribution: gamma, min: 1}\n")
    assert str(err.value).startswith(f"{tmp_path / 'sweep.yaml'}: parameters.lr.distribution:")
    with pytest.raises(PlanError, match="parameters.lr.min: expected a number"):
        _read(tmp_path, "method: random\nparameters:\n  lr: {min: abc, max: 1}\n")
    with pytest.raises(PlanError, match="method: expected grid, random or bayes"):
        _read(tmp_path, "method: hyperopt\nparameters:\n  lr: {values: [1, 2]}\n")


def test_a_range_hpdesk_refuses_is_moved_inside_and_said(tmp_path: Path) -> None:
    done = _read(tmp_path, "method: random\nparameters:\n  lr: {min: 0.0, max: 0.1}\n"
                           "  momentum: {min: 0.0, max: 1.0}\n")
    assert done.plan.space["lr"].low > 0 and done.plan.space["momentum"].high < 1
    assert sum(line.startswith(("lr: hpdesk wants", "momentum: hpdesk wants"))
               for line in done.losses) == 2


def test_what_w_and_b_cannot_say_is_one_line_each() -> None:
    from hpdesk.plan import parse_plan

    plan = parse_plan({
        "hpdesk": 1, "task": "script", "command": ["python", "t.py"], "params_style": "flags",
        "objective": {"metric": "acc"}, "strategy": {"name": "tpe", "seed": 3},
        "pruner": {"name": "median"}, "concurrency": 2,
        "executor": {"trial_timeout": "10m"},
        "space": {"opt": ["sgd", "adam"], "width": {"type": "int", "low": 8, "high": 64,
                                                    "log": True},
                  "mom": {"type": "float", "low": 0.5, "high": 0.9, "when": {"opt": ["sgd"]}}}})
    text, losses = wandb_write.write(plan)
    joined = "\n".join(losses)
    for start in ("width: W&B has no integer log scale", "mom: W&B has no conditional",
                  "strategy: W&B has no tpe", "strategy.seed:", "pruner: W&B stops runs early",
                  "params_style: W&B passes --name=value", "concurrency:", "executor:"):
        assert sum(line.startswith(start) for line in losses) == 1, (start, joined)
    assert all("\n" not in line for line in losses)
    sweep = yaml.safe_load(text)
    assert sweep["method"] == "bayes" and "early_terminate" not in sweep


@settings(max_examples=60, deadline=None)
@given(spaces())
def test_hpdesk_to_w_and_b_and_back_is_exact(space) -> None:
    plan = script_plan(space)
    text = write_space(plan, "wandb", "x.yaml").text
    back, _ = wb.read(yaml.safe_load(text), "x.yaml")
    assert back == plan


def test_the_docs_sweep_round_trips_to_the_same_sweep(tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(DOCS_SWEEP)
    first = convert(tmp_path / "in.yaml", tmp_path / "x.yaml", "hpdesk")
    (tmp_path / "plan.yaml").write_text(first.text)
    again = yaml.safe_load(convert(tmp_path / "plan.yaml", tmp_path / "y.yaml", "wandb").text)
    original = yaml.safe_load(DOCS_SWEEP)
    assert again["method"] == "bayes" and again["metric"] == original["metric"]
    assert again["run_cap"] == 40 and again["program"] == "train.py"
    assert again["early_terminate"] == {"type": "hyperband", "min_iter": 3, "eta": 3}
    for name, spec in original["parameters"].items():
        if name != "batch_size_q":  # multiples of 8 on a log scale: hpdesk has no such range
            assert again["parameters"][name] == {k: v for k, v in spec.items()
                                                 if k != "distribution"} | (
                {"distribution": spec["distribution"]} if "distribution" in spec else {}), name
