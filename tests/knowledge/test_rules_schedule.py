"""The schedule advice: a constant learning rate lacks the decay the guide asks for; a plateau
schedule whose patience outlasts the run never acts. And the catalogue and presets carry the
new schedule parameters the tasks read."""
from __future__ import annotations

from typing import Any

import pytest

from hpdesk.knowledge import catalogue, preset
from hpdesk.knowledge.advice import RULES, advise
from hpdesk.knowledge.catalogue import has_cjk
from hpdesk.knowledge.preset_space import preset_space
from hpdesk.knowledge.rules_schedule import SCHEDULE_RULES, constant_lr, plateau_never_acts

NEW = ("lr_decay_form", "lr_decay_rate", "lr_decay_steps", "lr_plateau_patience",
       "lr_plateau_factor", "lr_plateau_raise")


def fixed(value: Any) -> dict[str, Any]:
    return {"type": "fixed", "value": value}


def cat(*choices: Any) -> dict[str, Any]:
    return {"type": "categorical", "choices": list(choices)}


def plan(task: str = "classification", **space: Any) -> dict[str, Any]:
    return {"task": task, "fine_tune": False, "space": space}


def test_the_rules_are_registered() -> None:
    assert all(rule in RULES for rule in SCHEDULE_RULES)


def test_a_fixed_constant_rate_warns_in_both_languages_on_the_guides_word() -> None:
    [f] = constant_lr(plan(lr_schedule=fixed("constant")))
    assert f.level == "warning" and f.params == ("lr_schedule",)
    assert "decay strateg" in f.message_en
    assert "衰减策略" in f.message_zh and "§" not in f.message_zh and has_cjk(f.message_zh)
    assert set(f.sources) == {"guide:capacity", "guide:learning_rate"}
    assert [g.rule for g in advise(plan(lr_schedule=fixed("constant")))] == ["constant_lr"]


def test_a_constant_choice_is_an_info_naming_the_others() -> None:
    [f] = constant_lr(plan(lr_schedule=cat("cosine", "constant", "plateau")))
    assert f.level == "info" and "cosine, plateau" in f.message_en
    assert "cosine, plateau" in f.message_zh


@pytest.mark.parametrize("p", [
    plan(lr_schedule=fixed("exponential")),
    plan(lr_schedule=cat("step", "cosine", "plateau")),
    plan(),                                            # no schedule entry: nothing known
    plan(lr_schedule={"type": "fixed"}),               # odd input: silent, no raise
    {"space": "nonsense"},
])
def test_decaying_or_unknown_schedules_stay_silent(p: dict[str, Any]) -> None:
    assert constant_lr(p) == []


@pytest.mark.parametrize(("patience", "epochs", "fires"), [
    (fixed(5), fixed(6), True),                        # patience = epochs - 1: never acts
    (fixed(6), fixed(6), True),
    ({"type": "int", "low": 3, "high": 8}, {"type": "int", "low": 2, "high": 4}, True),
    (fixed(4), fixed(6), False),                       # patience = epochs - 2: acts once
    ({"type": "int", "low": 1, "high": 10}, fixed(6), False),   # some trials can act
    (fixed(5), {"type": "int", "low": 4, "high": 10}, False),
])
def test_plateau_patience_that_outlasts_the_run(patience: dict[str, Any], epochs: dict[str, Any],
                                                fires: bool) -> None:
    p = plan(lr_schedule=cat("plateau", "cosine"), lr_plateau_patience=patience, epochs=epochs)
    found = plateau_never_acts(p)
    assert bool(found) == fires
    if fires:
        assert found[0].level == "warning"
        assert found[0].params == ("lr_plateau_patience", "epochs")
        assert has_cjk(found[0].message_zh) and "{" not in found[0].message_en


def test_plateau_rule_needs_a_plateau_schedule_and_both_numbers() -> None:
    assert plateau_never_acts(plan(lr_schedule=fixed("cosine"), lr_plateau_patience=fixed(9),
                                   epochs=fixed(3))) == []
    assert plateau_never_acts(plan(lr_schedule=fixed("plateau"),
                                   lr_plateau_patience=fixed(9))) == []


def test_the_catalogue_knows_the_new_parameters_and_the_plateau_choice() -> None:
    known = catalogue()
    assert "plateau" in (known["lr_schedule"].choices or ())
    for name in NEW:
        hp = known[name]
        assert hp.tier == 1 and hp.family == "optimisation", name
        assert "guide:learning_rate" in hp.sources, name
    assert known["lr_decay_form"].choices == ("final_ratio", "rate")
    assert (known["lr_decay_rate"].default, known["lr_decay_steps"].default) == (0.96, 100000)


@pytest.mark.parametrize("task", ["classification", "detection", "gan"])
def test_presets_list_them_behind_their_schedule(task: str) -> None:
    settings = preset(task).settings
    for name in ("lr_plateau_patience", "lr_plateau_factor", "lr_plateau_raise"):
        assert dict(settings[name].requires) == {"lr_schedule": ("plateau",)}
    assert dict(settings["lr_decay_form"].requires) == {"lr_schedule": ("exponential",)}
    for name in ("lr_decay_rate", "lr_decay_steps"):
        assert dict(settings[name].requires) == {"lr_schedule": ("exponential",),
                                                 "lr_decay_form": ("rate",)}
    # a plan searching the schedule carries them with conditions; a fixed one drops them
    space = preset_space(task, search=["lr_schedule", "lr_decay_form"])
    assert space["lr_plateau_patience"]["when"] == {"lr_schedule": ["plateau"]}
    assert space["lr_decay_rate"]["when"] == {"lr_schedule": ["exponential"],
                                              "lr_decay_form": ["rate"]}
    fixed_space = preset_space(task, search=[])
    assert not {n for n in NEW if n != "lr_decay_form"} & set(fixed_space) or \
        fixed_space["lr_schedule"]["value"] in ("plateau", "exponential")
