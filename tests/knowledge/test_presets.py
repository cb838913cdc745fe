"""Task presets and the plan space they become."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hpdesk.knowledge import (
    KnowledgeError,
    catalogue,
    lr_range,
    optimizers,
    preset,
    preset_space,
    tasks,
)
from hpdesk.knowledge.catalogue import LEARNING_RATES, has_cjk
from hpdesk.knowledge.presets import validate_presets

OPTIMIZERS = list(optimizers())
ENTRY_KEYS = {
    "float": {"type", "low", "high", "log", "step", "when"},
    "int": {"type", "low", "high", "log", "step", "when"},
    "categorical": {"type", "choices", "when"},
    "fixed": {"type", "value", "when"},
}


def every_space() -> list[tuple[str, str, bool]]:
    # Only tasks that can start from pre-trained weights fine-tune (test_presets_fine_tune.py).
    return [(t, o, f) for t in tasks() for o in OPTIMIZERS for f in (False, True)
            if preset(t).can_fine_tune or not f]


def test_tasks_and_their_metadata() -> None:
    assert tasks() == ("classification", "detection", "gan", "script")
    expected = {
        "classification": ("hpdesk.tasks.classification", "val_acc", "maximize"),
        "detection": ("hpdesk.tasks.detection", "map50", "maximize"),
        "gan": ("hpdesk.tasks.gan", "fid", "minimize"),
        "script": (None, "val_loss", "minimize"),
    }
    for task, (module, metric, direction) in expected.items():
        p = preset(task)
        assert (p.module, p.objective_metric, p.direction) == (module, metric, direction)
        assert p.default_optimizer in optimizers() and p.why_optimizer
        assert has_cjk(p.label("zh")) and p.label("en") == p.label_en
        assert has_cjk(p.help("zh")) and p.help() == p.help_en
    assert preset("gan").default_optimizer == "adam"


@pytest.mark.parametrize(("task", "names"), [
    ("classification", "lr optimizer momentum beta1 beta2 batch_size epochs weight_decay dropout "
                       "width depth"),
    ("detection", "box_loss_weight cls_loss_weight pretrained normalization gn_groups lr optimizer "
                  "batch_size epochs weight_decay"),
    ("gan", "lr_g lr_d beta1 beta2 d_steps label_smoothing spectral_norm batch_size epochs "
            "optimizer"),
    ("script", "lr optimizer batch_size epochs"),
])
def test_preset_covers_the_required_hyperparameters(task: str, names: str) -> None:
    assert set(names.split()) <= set(preset(task).params)


def test_every_preset_parameter_is_catalogued_and_in_tier_order() -> None:
    c = catalogue()
    for task in tasks():
        params = preset(task).params
        assert set(params) <= set(c)
        tiers = [c[n].tier for n in params]
        assert tiers == sorted(tiers), task
        assert params[0] == "optimizer" or c[params[0]].tier == 1


@pytest.mark.parametrize(("task", "optimizer", "fine_tune"), every_space())
def test_space_entries_have_the_plan_form_and_stay_inside_the_catalogue(
        task: str, optimizer: str, fine_tune: bool) -> None:
    c = catalogue()
    space = preset_space(task, optimizer=optimizer, fine_tune=fine_tune)
    assert json.loads(json.dumps(space)) == space  # plain data, exportable as is
    tiers = [c[n].tier for n in space]
    assert tiers == sorted(tiers)
    assert space["optimizer"] == {"type": "fixed", "value": optimizer}
    for name, entry in space.items():
        hp = c[name]
        assert set(entry) <= ENTRY_KEYS[entry["type"]], name
        if entry["type"] == "fixed":
            assert hp.contains(entry["value"]), (name, entry)
        elif entry["type"] == "categorical":
            assert entry["choices"] and all(hp.contains(v) for v in entry["choices"]), name
        else:
            assert entry["type"] == hp.type, name
            assert isinstance(entry["log"], bool)
            assert hp.low <= entry["low"] < entry["high"] <= hp.high, (name, entry)
            assert not entry["log"] or entry["low"] > 0
            if hp.type == "int":
                assert isinstance(entry["low"], int) and isinstance(entry["high"], int)


@pytest.mark.parametrize(("task", "optimizer", "fine_tune"), every_space())
def test_lr_range_comes_from_the_optimiser(task: str, optimizer: str, fine_tune: bool) -> None:
    space = preset_space(task, optimizer=optimizer, fine_tune=fine_tune)
    if "lr" in preset(task).params:
        lr = space["lr"]
        assert (lr["low"], lr["high"], lr["log"]) == (
            *lr_range(optimizer, fine_tune=fine_tune), True)


@pytest.mark.parametrize("task", ["classification", "detection", "script"])  # the GAN cannot
def test_fine_tuning_lowers_every_learning_rate(task: str) -> None:
    scratch, fine = preset_space(task), preset_space(task, fine_tune=True)
    rates = [n for n in LEARNING_RATES if n in scratch]
    assert rates
    for name in rates:
        if scratch[name]["type"] == "fixed":
            assert fine[name]["value"] == pytest.approx(scratch[name]["value"] / 10)
        else:
            assert fine[name]["low"] == pytest.approx(scratch[name]["low"] / 100)
            assert fine[name]["high"] == pytest.approx(scratch[name]["high"] / 10)


@pytest.mark.parametrize(("task", "optimizer"), [(t, o) for t in tasks() for o in OPTIMIZERS])
def test_optimiser_knobs_appear_only_with_their_optimiser(task: str, optimizer: str) -> None:
    space = preset_space(task, optimizer=optimizer)
    uses = set(optimizers()[optimizer].uses)
    for knob in ("momentum", "beta1", "beta2"):
        if knob in preset(task).params:
            assert (knob in space) == (knob in uses), knob
    # The optimiser is fixed, so a knob it does not use is left out rather than conditioned.
    assert not any("optimizer" in e.get("when", {}) for e in space.values())


def test_classification_search_is_small_and_fast() -> None:
    space = preset_space("classification")
    assert space["epochs"]["type"] == "fixed" and 5 <= space["epochs"]["value"] <= 15
    assert space["width"]["high"] <= 256
    assert space["depth"]["type"] == "fixed" and space["depth"]["value"] <= 4
    assert space["lr"]["type"] == "float"  # tier 1 is always searched
    searched = [n for n, e in space.items() if e["type"] != "fixed"]
    assert len(searched) <= 7


def test_detection_scratch_versus_pretrained() -> None:
    scratch, fine = preset_space("detection"), preset_space("detection", fine_tune=True)
    assert scratch["pretrained"] == {"type": "fixed", "value": False}
    assert fine["pretrained"] == {"type": "fixed", "value": True}
    # Batches of 16 suit BatchNorm from scratch here; a pre-trained backbone keeps its statistics.
    assert scratch["normalization"]["value"] == "batchnorm"
    assert fine["normalization"]["value"] == "frozen_batchnorm"
    assert "gn_groups" not in scratch and "gn_groups" not in fine  # only with GroupNorm
    grouped = preset_space("detection", search={"normalization", "gn_groups"})
    assert grouped["gn_groups"]["when"] == {"normalization": ["groupnorm"]}
    assert 1 not in grouped["gn_groups"]["choices"]
    assert all(16 % g == 0 for g in grouped["gn_groups"]["choices"])  # divide the first stage
    # He et al. 2019: longer from scratch
    assert scratch["epochs"]["value"] > fine["epochs"]["value"]


def test_detection_loss_weights_span_one_order_around_the_paper_value() -> None:
    settings = preset("detection").settings
    for name in ("box_loss_weight", "cls_loss_weight"):
        s = settings[name]
        assert s.default == catalogue()[name].default == 1.0  # Fast R-CNN
        assert s.low is not None and s.high is not None
        assert s.low < s.default < s.high
        assert s.high / s.low == pytest.approx(10)
    assert preset_space("detection")["box_loss_weight"] == {
        "type": "float", "low": 0.3, "high": 3.0, "log": True}


def test_gan_uses_ttur_and_dcgan_beta1() -> None:
    space = preset_space("gan")
    assert "lr" not in space and space["lr_g"]["type"] == space["lr_d"]["type"] == "float"
    assert space["beta1"] == {"type": "fixed", "value": 0.5}
    settings = preset("gan").settings
    assert settings["lr_d"].default > settings["lr_g"].default
    assert space["spectral_norm"] == {"type": "categorical", "choices": [False, True]}


def test_search_override_and_when_conditions() -> None:
    space = preset_space("detection", search={"normalization"})
    assert space["normalization"]["type"] == "categorical"
    assert space["gn_groups"]["when"] == {"normalization": ["groupnorm"]}
    assert space["lr"]["type"] == "fixed"
    low, high = lr_range("sgd_momentum")
    assert low <= space["lr"]["value"] <= high
    frozen = preset_space("classification", search=())
    assert all(e["type"] == "fixed" for e in frozen.values())
    assert frozen["lr"]["value"] == pytest.approx(3e-3)


def test_unknown_task_and_optimiser_list_the_known_ones() -> None:
    with pytest.raises(KnowledgeError) as info:
        preset("segmentation")
    assert all(t in str(info.value) for t in tasks())
    with pytest.raises(KnowledgeError) as info:
        preset_space("classification", optimizer="lion")
    assert "nadam" in str(info.value) and "sgd_momentum" in str(info.value)


def _presets(**params: Any) -> dict[str, Any]:
    return {"mytask": {
        "label_en": "Mine", "label_zh": "我的任务", "help_en": "h", "help_zh": "说明",
        "module": "my.module", "objective": {"metric": "val_loss", "direction": "minimize"},
        "default_optimizer": "adam", "net_normalization": None,
        "why_optimizer": {"en": "because", "zh": "因为", "source": ["hpdesk:convention"]},
        "params": {"optimizer": {}, **params},
    }}


def test_a_good_preset_validates_in_tier_order() -> None:
    out = validate_presets(_presets(dropout={"search": True}, lr={"search": True}))
    assert out["mytask"].params == ("optimizer", "lr", "dropout")


@pytest.mark.parametrize(("params", "entry", "field"), [
    ({"colour": {}}, "mytask.colour", None),                              # not in the catalogue
    ({"dropout": {"high": 0.9, "low": 0.0}}, "mytask.dropout", "high"),   # outside §5 bounds
    ({"dropout": {"low": 0.1}}, "mytask.dropout", "high"),                # low without high
    ({"dropout": {"default": 0.4, "low": 0.0, "high": 0.3}}, "mytask.dropout", "default"),
    ({"dropout": {"search": "yes"}}, "mytask.dropout", "search"),
    ({"dropout": {"choices": [0.1]}}, "mytask.dropout", "choices"),
    ({"dropout": {"low": 0.0, "high": 0.5, "log": True}}, "mytask.dropout", "low"),
    ({"normalization": {"choices": ["layernorm"]}}, "mytask.normalization", "choices"),
    ({"normalization": {"default": "groupnorm", "choices": ["batchnorm"]}}, "mytask.normalization",
     "default"),
    ({"gn_groups": {"requires": {"normalisation": ["groupnorm"]}}}, "mytask.gn_groups", "requires"),
    ({"batch_size": {"default": 2.5}}, "mytask.batch_size", "default"),
    ({"dropout": {"why": 3}}, "mytask.dropout.why", None),
    ({"dropout": {"why": "a reason without its source"}}, "mytask.dropout.why", None),
    ({"dropout": {"why": {"en": "x", "zh": "丢弃", "source": []}}}, "mytask.dropout.why", "source"),
    ({"dropout": {"why": {"en": "x", "zh": "dropout", "source": ["hpdesk:budget"]}}},
     "mytask.dropout.why", "zh"),
    ({"dropout": {"why": {"en": "x", "zh": "丢弃（§5）", "source": ["hpdesk:budget"]}}},
     "mytask.dropout.why", "zh"),
    ({"dropout": {"serach": True}}, "mytask.dropout", "serach"),
])
def test_malformed_preset_names_the_entry_and_field(params: dict, entry: str,
                                                    field: str | None) -> None:
    with pytest.raises(KnowledgeError) as info:
        validate_presets(_presets(**params), file="presets.yaml")
    assert (info.value.file, info.value.entry, info.value.field) == ("presets.yaml", entry, field)
    assert "presets.yaml" in str(info.value) and entry in str(info.value)


@pytest.mark.parametrize(("change", "field"), [
    ({"objective": {"metric": "val_loss", "direction": "down"}}, "direction"),
    ({"default_optimizer": "lion"}, "default_optimizer"),
    ({"module": "not a module"}, "module"),
    ({"label_zh": "Mine"}, "label_zh"),
    ({"net_normalization": "layernorm"}, "net_normalization"),
    ({"params": {"lr": {}}}, "params"),  # no optimizer entry
])
def test_malformed_preset_header(change: dict, field: str) -> None:
    data = _presets()
    data["mytask"] |= change
    with pytest.raises(KnowledgeError) as info:
        validate_presets(data)
    assert info.value.field == field


def test_requires_must_name_a_parameter_of_the_same_preset() -> None:
    with pytest.raises(KnowledgeError, match="requires normalization"):
        validate_presets(_presets(gn_groups={"requires": {"normalization": ["groupnorm"]}}))
