"""Progress, ETA, best-so-far, typed filters and the command preview: the numbers the trials
table and the new-experiment dialog show."""

from __future__ import annotations

import math
from pathlib import Path

from hpdesk.analysis.progress import (
    elapsed_seconds,
    epoch_fraction,
    eta_seconds,
    format_duration,
    parse_filter,
    running_best,
    total_epochs,
    unused_placeholders,
)
from hpdesk.plan import Categorical, Fixed, FloatRange, IntRange, plan_from_preset
from hpdesk.plan.space import Condition, middle_value
from hpdesk.plan.space import example_params as _example_params
from hpdesk.runner.launch import preview_argv, trial_argv


def example_params(plan):  # type: ignore[no-untyped-def]
    return _example_params(plan.space)


def test_total_epochs_prefers_the_trials_own_value_then_the_plans_fixed_one() -> None:
    space = {"epochs": {"type": "fixed", "value": 8}}
    assert total_epochs({"epochs": 12}, space) == 12
    assert total_epochs({}, space) == 8
    assert total_epochs({}, {"epochs": 5}) == 5                 # a bare scalar is fixed too
    assert total_epochs({}, {"epochs": {"type": "int", "low": 1, "high": 9}}) is None
    assert total_epochs({"epochs": "10"}, None) == 10            # YAML gave a string
    assert total_epochs({}, None) is None


def test_epoch_fraction_counts_finished_epochs_and_stays_in_range() -> None:
    assert epoch_fraction(3.0, 8) == 3 / 8
    assert epoch_fraction(9.0, 8) == 1.0
    assert epoch_fraction(None, 8) is None
    assert epoch_fraction(3.0, None) is None
    assert epoch_fraction(float("nan"), 8) is None
    assert epoch_fraction(None, None, completed=True) == 1.0


def test_elapsed_and_eta() -> None:
    assert elapsed_seconds(None, None, 100.0) is None
    assert elapsed_seconds(40.0, None, 100.0) == 60.0
    assert elapsed_seconds(40.0, 70.0, 100.0) == 30.0
    assert eta_seconds(30.0, 3 / 8) == 50.0                       # 3 of 8 epochs in 30 s
    assert eta_seconds(30.0, 0.0) is None
    assert eta_seconds(30.0, 1.0) is None
    assert eta_seconds(None, 0.5) is None


def test_format_duration() -> None:
    assert format_duration(None) == ""
    assert format_duration(42.4) == "42s"
    assert format_duration(185) == "3:05"
    assert format_duration(3723) == "1:02:03"
    assert format_duration(math.inf) == ""


def test_running_best_follows_the_direction_and_skips_gaps() -> None:
    values = [0.5, None, 0.3, 0.7, float("nan"), 0.6]
    assert running_best(values, "minimize") == [0.5, 0.5, 0.3, 0.3, 0.3, 0.3]
    assert running_best(values, "maximize") == [0.5, 0.5, 0.5, 0.7, 0.7, 0.7]
    assert running_best([None, 2.0], "maximize") == [None, 2.0]


def test_filter_conditions_and_words() -> None:
    row = {"lr": 0.02, "batch_size": 64, "state": "running", "model": "cnn", "objective": None}
    text = "3 running 0.02 64 cnn"
    assert parse_filter("lr>0.01").matches(row, text)
    assert not parse_filter("lr>0.05").matches(row, text)
    assert parse_filter("lr>0.01 batch_size<=64").matches(row, text)
    assert not parse_filter("lr>0.01, batch_size<64").matches(row, text)
    assert parse_filter("state=RUNNING").matches(row, text)
    assert parse_filter("model!=mlp").matches(row, text)
    assert parse_filter("Running").matches(row, text)                 # a word, case-blind
    assert not parse_filter("completed").matches(row, text)
    assert not parse_filter("objective>0").matches(row, text)        # no value: no match
    assert not parse_filter("momentum>0").matches(row, text)         # no such column
    assert not parse_filter("model>a").matches(row, text)            # texts do not order


def test_a_condition_still_being_typed_filters_nothing() -> None:
    f = parse_filter("lr>")
    assert not f
    assert f.matches({"lr": 1.0}, "")


def test_middle_values() -> None:
    assert middle_value(FloatRange(0.001, 0.01, log=True)) == 0.0032
    assert middle_value(FloatRange(0.0, 0.5)) == 0.25
    assert middle_value(FloatRange(0.0, 1.0, step=0.3)) == 0.6
    assert middle_value(IntRange(16, 256, log=True)) == 64
    assert middle_value(IntRange(1, 10, step=4)) == 5
    assert middle_value(Categorical(("a", "b"))) == "a"
    assert middle_value(Fixed(3)) == 3


def test_example_params_apply_conditions() -> None:
    plan = plan_from_preset("script", command=["python", "t.py"]).with_changes(space={
        "opt": Categorical(("adam", "sgd")),
        "momentum": FloatRange(0.8, 0.99, when=Condition((("opt", ("sgd",)),))),
        "lr": FloatRange(0.001, 0.1, log=True),
    })
    assert example_params(plan) == {"opt": "adam", "lr": 0.01}


def test_preview_is_the_runners_argv_with_the_example_values() -> None:
    plan = plan_from_preset("script", command=["python", "train.py", "--lr", "{lr}"])
    plan = plan.with_changes(params_style="hydra")
    params = example_params(plan)
    assert preview_argv(plan) == trial_argv(plan, params, python="python",
                                            params_file=Path("<trial folder>/params.json"))
    argv = preview_argv(plan)
    assert argv[:4] == ["python", "train.py", "--lr", "0.0032"]
    assert "batch_size=64" in argv and "epochs=10" in argv


def test_preview_of_a_json_plan_names_the_params_file() -> None:
    plan = plan_from_preset("script", command=["python", "train.py"]).with_changes(
        params_style="json")
    assert preview_argv(plan)[-2:] == ["--params", str(Path("<trial folder>") / "params.json")]


def test_unused_placeholders() -> None:
    plan = plan_from_preset("script", command=["python", "t.py", "--x", "{lrr}", "{lr}",
                                               "{params_file}"])
    assert unused_placeholders(plan) == ["lrr"]
    assert unused_placeholders(plan_from_preset("classification")) == []
