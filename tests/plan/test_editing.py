"""The plan editor's form logic, without Qt: rows in, the same checked plan out."""

from __future__ import annotations

import pytest

from hpdesk.knowledge import lr_range, optimizers, preset, tasks
from hpdesk.plan import (
    Categorical,
    Fixed,
    FloatRange,
    IntRange,
    PlanError,
    Problem,
    dumps_plan,
    loads_plan,
    parse_plan,
    plan_from_preset,
)
from hpdesk.plan.editing import (
    RowForm,
    build_plan,
    form_state,
    format_scalar,
    forms_from_plan,
    locate,
    parse_scalar,
    recommended_lr,
    suggested_form,
)


def rows(plan):  # noqa: ANN001, ANN201
    forms = forms_from_plan(plan)
    return forms, {f.name: f for f in forms}


@pytest.mark.parametrize(("task", "fine_tune"), [
    (task, fine) for task in tasks() for fine in (False, True)
    if not fine or preset(task).can_fine_tune])  # the GAN cannot start from weights
def test_every_preset_and_optimizer_comes_back_unchanged(task: str, fine_tune: bool) -> None:
    for optimizer in optimizers():
        plan = plan_from_preset(task, optimizer=optimizer, fine_tune=fine_tune)
        forms = forms_from_plan(plan)
        assert build_plan(plan, forms) == plan


def test_values_read_back_as_shown() -> None:
    for kind, value in [("float", 1e-08), ("float", 0.001), ("int", 16), ("bool", True),
                        ("text", "3x3"), ("json", [1, 2])]:
        assert parse_scalar(kind, format_scalar(value)) == (value, None)
    assert parse_scalar("choice", "8", (2, 4, 8)) == (8, None)
    assert parse_scalar("choice", "swish", ("relu", "gelu"))[1] == "one of relu, gelu"
    assert parse_scalar("choice", "swish", ("relu",), strict=False) == ("swish", None)
    assert parse_scalar("float", "abc") == (None, "a number")
    assert parse_scalar("float", "nan") == (None, "a number")
    assert parse_scalar("int", "2.5") == (None, "an integer")
    assert parse_scalar("auto", "yes") == ("yes", None)
    assert parse_scalar("auto", "3") == (3, None)


def test_low_above_high_is_named_by_field() -> None:
    plan = plan_from_preset("classification")
    forms, by = rows(plan)
    by["lr"].low = "0.1"
    with pytest.raises(PlanError) as err:
        build_plan(plan, forms)
    [problem] = err.value.problems
    assert locate(problem, list(by)) == ("lr", "low")
    assert "below high" in problem.expected


def test_a_value_that_is_not_a_number_is_caught_before_the_task_sees_it() -> None:
    plan = plan_from_preset("classification")
    forms, by = rows(plan)
    by["lr_final_ratio"].value = "lots"  # parse_plan alone would accept a text here
    by["activation"].mode = "choices"
    by["activation"].choices = "relu, swish"
    with pytest.raises(PlanError) as err:
        build_plan(plan, forms)
    where = {locate(p, list(by)) for p in err.value.problems}
    assert where == {("lr_final_ratio", "value"), ("activation", "choices")}


def test_switching_the_schedule_brings_its_own_knobs_and_drops_the_others() -> None:
    plan = plan_from_preset("classification")
    forms, by = rows(plan)
    assert {"lr_step_epochs", "lr_gamma"} <= set(form_state(plan.task, forms).inactive)
    by["lr_schedule"].value = "step"
    edited = build_plan(plan, forms)
    assert edited.space["lr_step_epochs"] == Fixed(3)
    assert "lr_staircase" not in edited.space and "lr_final_ratio" not in edited.space
    by["lr_schedule"].mode = "choices"
    by["lr_schedule"].choices = "step, cosine"
    edited = build_plan(plan, forms)
    assert edited.space["lr_final_ratio"].when.to_dict() == {"lr_schedule": ["cosine"]}
    assert edited.space["lr_gamma"].when.to_dict() == {"lr_schedule": ["step"]}


def test_optimizer_knobs_follow_the_optimizer() -> None:
    plan = plan_from_preset("classification")
    forms, by = rows(plan)
    by["optimizer"].value = "sgd_momentum"
    edited = build_plan(plan, forms)
    assert "momentum" in edited.space and "beta1" not in edited.space
    by["optimizer"].mode = "choices"
    by["optimizer"].choices = "sgd_momentum, adam"
    edited = build_plan(plan, forms)
    assert edited.space["beta1"].when.to_dict() == {"optimizer": ["adam"]}
    assert edited.space["momentum"].when.to_dict() == {"optimizer": ["sgd_momentum"]}
    assert recommended_lr(["sgd_momentum", "sgd"], False) == (
        lr_range("sgd_momentum")[0], lr_range("sgd")[1])


def test_modes_switch_between_fixed_range_and_list() -> None:
    plan = plan_from_preset("classification")
    forms, by = rows(plan)
    by["batch_size"].mode = "fixed"
    by["width"].mode = "choices"
    by["width"].choices = "16, 32"
    by["depth"].mode = "range"
    edited = build_plan(plan, forms)
    assert edited.space["batch_size"] == Fixed(64)
    assert edited.space["width"] == Categorical((16, 32))
    assert isinstance(edited.space["depth"], IntRange)
    assert loads_plan(dumps_plan(edited)) == edited


def test_removed_rows_leave_the_plan_and_suggested_rows_join_it() -> None:
    plan = plan_from_preset("script")
    forms, by = rows(plan)
    by["dropout"].removed = True
    forms.append(suggested_form("my_flag", task="script", fine_tune=False))
    forms[-1].value = "true"
    forms.append(suggested_form("momentum", task="script", fine_tune=False))
    edited = build_plan(plan, forms)
    assert "dropout" not in edited.space
    assert edited.space["my_flag"] == Fixed(True)
    assert edited.space["momentum"] == Fixed(0.9)


def test_a_scripts_own_parameters_keep_their_types() -> None:
    data = plan_from_preset("script").to_dict()
    data["space"].update({"arch": "resnet18", "layers": [2, 3], "tag": "16",
                          "scale": {"type": "float", "low": 0.5, "high": 2.0}})
    plan = parse_plan(data)
    forms, by = rows(plan)
    assert build_plan(plan, forms) == plan
    by["scale"].high = "4"
    assert build_plan(plan, forms).space["scale"] == FloatRange(0.5, 4.0)


def test_problems_outside_the_space_are_located_by_path() -> None:
    assert locate(Problem("budget.trials", "at least 1", "0"), ["lr"]) == (None, "budget.trials")
    assert locate(Problem("space.lr.choices[1]", "x", "y"), ["lr", "lr_g"]) == ("lr", "choices")
    assert locate(Problem("space.a.b.low", "x", "y"), ["a", "a.b"]) == ("a.b", "low")


def test_a_row_form_offers_the_modes_its_kind_allows() -> None:
    assert RowForm("x", "json", "fixed").modes() == ("fixed",)
    assert RowForm("x", "bool", "fixed").modes() == ("fixed", "choices")
    assert RowForm("x", "float", "fixed").modes() == ("fixed", "range", "choices")
