"""Every strategy, pruner and option a plan may name is explained in English and Chinese with
its source, and the guide's tiers are found for the names people use in their own scripts."""

from __future__ import annotations

import pytest

from hpdesk.knowledge.catalogue import has_cjk
from hpdesk.knowledge.search_methods import (
    catalogue_name,
    option_help,
    pruners,
    strategies,
    tier_of,
)
from hpdesk.plan.model import PRUNERS, STRATEGIES
from hpdesk.plan.search_options import PRUNER_OPTIONS, STRATEGY_OPTIONS


def test_every_strategy_and_pruner_has_both_languages_and_a_source() -> None:
    assert tuple(strategies()) == STRATEGIES
    assert tuple(pruners()) == PRUNERS
    for method in [*strategies().values(), *pruners().values()]:
        assert method.label("en") and method.help("en") and not has_cjk(method.help("en"))
        assert has_cjk(method.label("zh_CN")) or method.name == "hyperband"
        assert has_cjk(method.help("zh_CN")), method.name
        assert method.source or method.name == "none"
        assert "\n" not in method.help("en")  # one line in the window


def test_the_guide_is_cited_where_it_names_the_method() -> None:
    for name in ("grid", "staged", "pbt"):
        assert "the guide, “" in strategies()[name].source


@pytest.mark.parametrize("option", sorted({*(k for o in STRATEGY_OPTIONS.values() for k in o),
                                           *(k for o in PRUNER_OPTIONS.values() for k in o),
                                           "seed", "repeats", "grid_points"}))
def test_every_option_is_explained_in_both_languages(option: str) -> None:
    assert option_help(option, "en") and not has_cjk(option_help(option, "en"))
    assert has_cjk(option_help(option, "zh_CN"))


@pytest.mark.parametrize("name, tier", [
    ("lr", 1), ("learning_rate", 1), ("--learning-rate", 1), ("LR", 1), ("optimizer", 1),
    ("batch_size", 2), ("batch-size", 2), ("bs", 2), ("momentum", 2),
    ("weight_decay", 3), ("wd", 3), ("dropout", 3), ("hidden_size", 3), ("num_layers", 3),
    ("box_loss_weight", 1), ("my_own_knob", None),
])
def test_tiers_for_the_names_scripts_use(name: str, tier: int | None) -> None:
    assert tier_of(name) == tier
    assert (catalogue_name(name) is None) == (tier is None)


def test_an_option_name_shared_by_methods_is_explained_for_each() -> None:
    tpe = option_help("n_startup_trials", "en", method="tpe")
    median = option_help("n_startup_trials", "en", method="median")
    assert tpe != median and "finish" in median
    assert has_cjk(option_help("n_startup_trials", "zh_CN", method="median"))
