"""NNI search spaces in and out: every `_type`, randint's exclusive upper bound, nested
choices as hpdesk's conditions and back, and NNI's experiment config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings

from hpdesk.plan import Categorical, Condition, Fixed, FloatRange, IntRange, PlanError, parse_plan
from hpdesk.plan.formats import nni, read_space, write_space
from tests.plan.format_spaces import same_space, script_plan, spaces

#: examples/trials/mnist-pytorch/search_space.json of NNI, as published.
MNIST = {
    "batch_size": {"_type": "choice", "_value": [16, 32, 64, 128]},
    "hidden_size": {"_type": "choice", "_value": [128, 256, 512, 1024]},
    "lr": {"_type": "choice", "_value": [0.0001, 0.001, 0.01, 0.1]},
    "momentum": {"_type": "uniform", "_value": [0, 1]},
}

#: NNI's documented nested search space (examples/trials/mnist-nested-search-space).
NESTED = {
    "layer0": {"_type": "choice", "_value": [
        {"_name": "Empty"},
        {"_name": "Conv", "kernel_size": {"_type": "choice", "_value": [1, 2, 3, 5]}},
        {"_name": "Max_pool", "pooling_size": {"_type": "choice", "_value": [2, 3, 5]}},
        {"_name": "Avg_pool", "pooling_size": {"_type": "choice", "_value": [2, 3, 5]}},
    ]},
}


def _read(tmp_path: Path, data: dict, name: str = "search_space.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return read_space(path)


def test_the_mnist_search_space(tmp_path: Path) -> None:
    done = _read(tmp_path, MNIST)
    s = done.plan.space
    assert done.fmt == "nni" and s["batch_size"] == Categorical((16, 32, 64, 128))
    assert s["lr"] == Categorical((0.0001, 0.001, 0.01, 0.1))
    # momentum up to 1 is refused by hpdesk (a momentum of 1 never forgets): moved inside, said
    assert s["momentum"] == FloatRange(0.0, 0.999)
    assert any(line.startswith("momentum: hpdesk wants momentum in [0, 1)")
               for line in done.losses)


def test_every_type_and_randint_is_upper_exclusive(tmp_path: Path) -> None:
    done = _read(tmp_path, {
        "r": {"_type": "randint", "_value": [2, 10]},
        "u": {"_type": "uniform", "_value": ["0.1", 1]},
        "q": {"_type": "quniform", "_value": [0, 100, 10]},
        "qf": {"_type": "quniform", "_value": [0.0, 1.0, 0.25]},
        "lu": {"_type": "loguniform", "_value": [1e-5, 1e-2]},
        "qlu": {"_type": "qloguniform", "_value": [16, 256, 1]},
        "n": {"_type": "normal", "_value": [0, 1]},
        "qn": {"_type": "qnormal", "_value": [10, 2, 1]},
        "ln": {"_type": "lognormal", "_value": [0, 1]},
        "qln": {"_type": "qlognormal", "_value": [0, 1, 1]},
        "one": {"_type": "choice", "_value": ["x"]},
    })
    s = done.plan.space
    assert s["r"] == IntRange(2, 9) and s["u"] == FloatRange(0.1, 1.0)
    assert s["q"] == IntRange(0, 100, step=10) and s["qf"] == FloatRange(0.0, 1.0, step=0.25)
    assert s["lu"] == FloatRange(1e-5, 0.01, log=True) and s["qlu"] == IntRange(16, 256, log=True)
    assert s["n"] == FloatRange(-2.0, 2.0) and s["one"] == Fixed("x")
    for name in ("n", "qn", "ln", "qln"):
        assert sum(line.startswith(f"{name}: NNI's ") for line in done.losses) == 1


def test_a_nested_choice_becomes_conditions(tmp_path: Path) -> None:
    s = _read(tmp_path, NESTED).plan.space
    assert s["layer0"] == Categorical(("Empty", "Conv", "Max_pool", "Avg_pool"))
    assert s["kernel_size"].when == Condition((("layer0", ("Conv",)),))
    assert s["pooling_size"] == Categorical(
        (2, 3, 5), Condition((("layer0", ("Max_pool", "Avg_pool")),)))
    text = write_space(parse_plan({"hpdesk": 1, "task": "script", "command": ["python", "t.py"],
                                   "objective": {"metric": "acc"},
                                   "space": {n: d.to_dict() for n, d in s.items()}}),
                       "nni", "x.json").text
    assert json.loads(text) == NESTED  # and back to NNI's own nesting


def test_different_ranges_under_two_choices_keep_both(tmp_path: Path) -> None:
    done = _read(tmp_path, {"opt": {"_type": "choice", "_value": [
        {"_name": "sgd", "lr": {"_type": "uniform", "_value": [0.01, 0.1]}},
        {"_name": "adam", "lr": {"_type": "loguniform", "_value": [1e-4, 1e-2]}}]}})
    assert set(done.plan.space) == {"opt", "lr", "lr.adam"}
    assert any(line.startswith("lr: NNI has it with different ranges") for line in done.losses)
    # Written back, each branch names its parameter as NNI did.
    back = json.loads(write_space(done.plan, "nni", "x.json").text)
    assert [sorted(item) for item in back["opt"]["_value"]] == [["_name", "lr"], ["_name", "lr"]]
    assert back["opt"]["_value"][1]["lr"] == {"_type": "loguniform", "_value": [1e-4, 1e-2]}


def test_a_condition_nni_cannot_nest_is_said(tmp_path: Path) -> None:
    plan = parse_plan({"hpdesk": 1, "task": "script", "command": ["python", "t.py"],
                       "objective": {"metric": "acc"},
                       "space": {"a": ["x", "y"], "b": ["u", "v"],
                                 "c": {"type": "float", "low": 0.1, "high": 0.2,
                                       "when": {"a": ["x"], "b": ["u"]}}}})
    text, losses = nni.write(plan)
    assert json.loads(text)["c"] == {"_type": "uniform", "_value": [0.1, 0.2]}
    assert sum(line.startswith("c: NNI's nested choice holds a condition on one") for line in
               losses) == 1


def test_an_nni_config_brings_its_command_tuner_and_trials(tmp_path: Path) -> None:
    (tmp_path / "search_space.json").write_text(json.dumps(MNIST))
    (tmp_path / "config.yml").write_text(
        "searchSpaceFile: search_space.json\ntrialCommand: python3 mnist.py\n"
        "trialCodeDirectory: .\ntrialConcurrency: 2\nmaxTrialNumber: 10\n"
        "tuner:\n  name: TPE\n  classArgs:\n    optimize_mode: maximize\n"
        "trainingService:\n  platform: local\n")
    plan = read_space(tmp_path / "config.yml").plan
    assert plan.command == ("python3", "mnist.py") and plan.strategy.name == "tpe"
    assert plan.budget.trials == 10 and plan.concurrency == 2
    assert plan.objective.direction == "maximize" and "hidden_size" in plan.space


def test_malformed_nni_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"lr\._type: expected one of choice, randint"):
        _read(tmp_path, {"lr": {"_type": "gauss", "_value": [1, 2]}})


@settings(max_examples=60, deadline=None)
@given(spaces(conditions=True))
def test_hpdesk_to_nni_and_back_is_exact(space) -> None:
    plan = script_plan(space)
    text = write_space(plan, "nni", "x.json").text
    back, _ = nni.read(json.loads(text), "x.json")
    assert same_space(plan, back)


def test_nni_to_hpdesk_to_nni_keeps_the_mnist_file(tmp_path: Path) -> None:
    mnist = dict(MNIST, momentum={"_type": "uniform", "_value": [0, 0.9]})
    plan = _read(tmp_path, mnist).plan
    assert json.loads(write_space(plan, "nni", "x.json").text) == mnist
