"""The catalogue and optimisers against KNOWLEDGE.md §2–§5, and the validation of their files."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hpdesk.knowledge import FAMILIES, KnowledgeError, catalogue, lr_range, optimizers
from hpdesk.knowledge.catalogue import (
    LEARNING_RATES,
    has_cjk,
    load_data,
    tidy_zh,
    validate_catalogue,
    validate_optimizers,
)

# KNOWLEDGE.md §5, copied by hand: the test fails if the data file drifts from the guide.
SECTION5_LR = {
    "sgd": (1e-2, 1e-1),
    "sgd_momentum": (1e-3, 1e-2),
    "adagrad": (1e-3, 1e-2),
    "adadelta": (1e-2, 1e-1),
    "rmsprop": (1e-3, 1e-2),
    "adam": (1e-3, 1e-2),
    "adamax": (1e-3, 1e-2),
    "nadam": (1e-3, 1e-2),
}
REQUIRED_NAMES = (
    "lr optimizer momentum beta1 beta2 batch_size grad_accum_steps epochs weight_decay dropout "
    "depth width kernel_size activation normalization gn_groups pretrained box_loss_weight "
    "cls_loss_weight lr_g lr_d d_steps label_smoothing spectral_norm seed"
).split()


def test_every_required_name_is_catalogued() -> None:
    assert set(REQUIRED_NAMES) <= set(catalogue())


def test_optimisers_are_the_eight_of_section5_plus_adamw_with_their_ranges() -> None:
    opts = optimizers()
    assert [n for n in opts if n != "adamw"] == list(SECTION5_LR)
    # AdamW (Loshchilov & Hutter 2019) differs from Adam only in how weight decay is applied.
    assert (opts["adamw"].lr_low, opts["adamw"].lr_high) == SECTION5_LR["adam"]
    for name, (low, high) in SECTION5_LR.items():
        assert (opts[name].lr_low, opts[name].lr_high) == (low, high), name
        assert lr_range(name) == (low, high)


def test_optimiser_extra_hyperparameters() -> None:
    uses = {name: set(o.uses) for name, o in optimizers().items()}
    assert uses["sgd_momentum"] == {"momentum", "nesterov"}
    for adam in ("adam", "adamw", "adamax", "nadam"):
        assert uses[adam] == {"beta1", "beta2", "eps"}
    assert uses["sgd"] == set()
    assert uses["adagrad"] == {"eps"}
    assert uses["adadelta"] == {"rho", "eps"}
    assert uses["rmsprop"] == {"alpha", "eps"}


def test_optimiser_labels_and_sources() -> None:
    for o in optimizers().values():
        assert o.label("en") == o.label_en and o.label("zh") == o.label_zh and has_cjk(o.label_zh)
        assert "guide:ranges" in o.sources
        assert "Suitable ranges of some hyperparameters" in o.source
        assert "部分超参数合适范围" in o.source_text("zh")


def _section5_from_guide() -> dict[str, tuple[float, float]] | None:
    """The §5 learning-rate rows of shared/KNOWLEDGE.md, where the checkout has it."""
    root = Path(__file__).resolve().parents[2]
    for path in (root / "shared" / "KNOWLEDGE.md", root.parent / "shared" / "KNOWLEDGE.md"):
        if path.is_file():
            rows = re.findall(r"initial learning rate, ([^|]+?) \| \[([\d.e-]+), ([\d.e-]+)\]",
                              path.read_text(encoding="utf-8"))
            names = {"SGD": "sgd", "SGD with momentum": "sgd_momentum"}
            return {names.get(n, n.lower()): (float(lo), float(hi)) for n, lo, hi in rows}
    return None


def test_section5_table_of_the_guide_matches_the_data() -> None:
    guide = _section5_from_guide()
    if guide is None:
        pytest.skip("shared/KNOWLEDGE.md is not beside this checkout")
    assert guide == SECTION5_LR
    assert {n: lr_range(n) for n in guide} == guide


def test_section5_ranges_of_batch_dropout_weight_decay_kernel() -> None:
    c = catalogue()
    assert (c["batch_size"].low, c["batch_size"].high, c["batch_size"].type) == (1, 1024, "int")
    assert (c["dropout"].low, c["dropout"].high) == (0.0, 0.5)
    # The guide's [0, 1e-4] is every L2 optimiser's recommendation; the catalogue's bounds also
    # hold AdamW's decoupled range.
    assert {(o.wd_low, o.wd_high) for n, o in optimizers().items() if n != "adamw"} == {(0.0, 1e-4)}
    assert (c["weight_decay"].low, c["weight_decay"].high) == (0.0, 1e-1)
    assert set(c["kernel_size"].choices or ()) == {"7x7", "5x5", "3x3", "1x1", "7x1+1x7"}
    assert c["normalization"].choices == ("batchnorm", "groupnorm", "frozen_batchnorm", "none")


def test_section3_tiers_and_section2_families() -> None:
    c = catalogue()
    tiers = {1: ("lr", "box_loss_weight", "cls_loss_weight", "lr_g", "lr_d"),
             2: ("batch_size", "momentum"),
             3: ("beta1", "beta2", "weight_decay", "dropout", "depth", "width", "kernel_size")}
    for tier, names in tiers.items():
        for name in names:
            assert c[name].tier == tier, name
    families = {"network": ("depth", "width", "kernel_size", "activation"),
                "optimisation": ("lr", "batch_size", "optimizer", "box_loss_weight"),
                "regularisation": ("weight_decay", "dropout")}
    for family, names in families.items():
        for name in names:
            assert c[name].family == family, name


def test_every_entry_is_complete_and_bilingual() -> None:
    for name, hp in catalogue().items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name)
        assert hp.name == name and hp.family in FAMILIES and hp.tier in (1, 2, 3)
        assert hp.help_en.strip() and hp.help_zh.strip() and hp.source.strip(), name
        assert has_cjk(hp.help_zh) and not has_cjk(hp.help_en), name
        assert hp.help("zh") == hp.help_zh and hp.help("zh_CN") == hp.help_zh
        assert hp.help() == hp.help_en and hp.help("fr") == hp.help_en
        assert hp.contains(hp.default), name
        if hp.type in ("float", "int"):
            assert hp.scale in ("log", "linear") and hp.low is not None and hp.high is not None
            assert hp.low < hp.high and hp.choices is None
            assert hp.scale == "linear" or hp.low > 0
        elif hp.type == "text":
            assert hp.scale is None and hp.choices is None and isinstance(hp.default, str)
        else:
            assert hp.scale is None and hp.choices


def test_untiered_entries_say_why_they_sit_where_they_are() -> None:
    for name in ("optimizer", "pretrained", "epochs", "d_steps", "label_smoothing", "spectral_norm",
                 "grad_accum_steps", "nesterov", "lars", "warmup_epochs", "lr_step_epochs",
                 "lr_gamma", "rho", "alpha"):
        assert catalogue()[name].tier_by == "hpdesk:tier", name
        assert "chosen by hpdesk" in catalogue()[name].tier_text("en"), name


def test_chinese_has_no_spaces_between_chinese_characters() -> None:
    for hp in catalogue().values():
        assert not re.search(r"[\u4e00-\u9fff，。；：）] +[\u4e00-\u9fff，。；：（]",
                             hp.help_zh), hp.name
    assert tidy_zh("学习率\n   过高，\n hpdesk 把它") == "学习率过高，hpdesk 把它"


def test_learning_rate_bounds_cover_every_optimiser_and_fine_tuning() -> None:
    lr = catalogue()["lr"]
    for name in optimizers():
        for fine in (False, True):
            low, high = lr_range(name, fine_tune=fine)
            assert lr.low <= low < high <= lr.high  # type: ignore[operator]
    assert set(LEARNING_RATES) <= set(catalogue())


@pytest.mark.parametrize("name", list(SECTION5_LR))
def test_fine_tune_lowers_by_one_to_two_orders(name: str) -> None:
    low, high = lr_range(name)
    assert lr_range(name, fine_tune=True) == pytest.approx((low / 100, high / 10), rel=1e-12)


def test_fine_tune_range_is_exact() -> None:
    assert lr_range("adam", fine_tune=True) == (1e-5, 1e-3)  # no floating-point dust
    assert lr_range("sgd", fine_tune=True) == (1e-4, 1e-2)


def test_unknown_optimiser_lists_the_known_ones() -> None:
    with pytest.raises(KnowledgeError) as info:
        lr_range("lion")
    assert isinstance(info.value, ValueError)
    for name in SECTION5_LR:
        assert name in str(info.value)


def test_records_are_frozen_and_mappings_read_only() -> None:
    with pytest.raises(AttributeError):
        catalogue()["lr"].low = 0.5  # type: ignore[misc]
    with pytest.raises(TypeError):
        catalogue()["lr"] = catalogue()["dropout"]  # type: ignore[index]
    with pytest.raises(TypeError):
        optimizers()["sgd"] = optimizers()["adam"]  # type: ignore[index]


def _good() -> dict[str, Any]:
    return {"family": "optimisation", "tier": 1, "type": "float", "scale": "log", "low": 1e-5,
            "high": 1e-1, "default": 1e-3, "help_en": "Learning rate.", "help_zh": "学习率。",
            "source": ["guide:ranges"], "tier_by": "guide:order"}


def test_a_good_entry_validates_and_yaml_numbers_written_as_text_are_read() -> None:
    raw = _good() | {"low": "1e-5"}  # YAML 1.1 reads 1e-5 as a string
    assert validate_catalogue({"lr": raw})["lr"].low == 1e-5


@pytest.mark.parametrize(("field", "value", "says"), [
    ("family", "architecture", "family"),
    ("tier", 4, "tier"),
    ("tier", True, "tier"),
    ("type", "complex", "type"),
    ("scale", "sqrt", "scale"),
    ("low", 1.0, "high"),           # low above high: reported on high
    ("low", 0.0, "low"),            # log scale through 0
    ("low", "a lot", "low"),
    ("default", 0.5, "default"),    # outside [low, high]
    ("help_zh", "learning rate", "help_zh"),  # no Chinese in the Chinese help
    ("help_en", "", "help_en"),
    ("source", None, "source"),
    ("source", "KNOWLEDGE.md §5", "source"),            # text, not a list of references
    ("source", ["guide:no_such_section"], "source"),
    ("source", ["hpdesk:no_such_reason"], "source"),
    ("source", ["Somebody, Some Paper"], "source"),     # a citation without its year
    ("tier_by", "Kingma & Ba 2015", "tier_by"),         # a tier is the guide's or hpdesk's
    ("help_en", "Learning rate ([[no_such_section]]).", "help_en"),
    ("help_zh", "学习率（§5）。", "help_zh"),              # Chinese cites titles, not § numbers
    ("choices", ["a"], "choices"),  # a float entry with choices
    ("colour", "red", "colour"),    # unknown field
])
def test_malformed_entry_names_file_entry_and_field(field: str, value: object, says: str) -> None:
    raw = _good() | {field: value}
    with pytest.raises(KnowledgeError) as info:
        validate_catalogue({"lr": raw}, file="catalogue.yaml")
    err = info.value
    assert (err.file, err.entry, err.field) == ("catalogue.yaml", "lr", says)
    assert "catalogue.yaml" in str(err) and "'lr'" in str(err) and says in str(err)


def test_malformed_categorical_and_bool_entries() -> None:
    cat = {"family": "network", "tier": 3, "type": "categorical", "default": "relu",
           "help_en": "x", "help_zh": "激活", "source": ["guide:families"],
           "tier_by": "guide:order"}
    with pytest.raises(KnowledgeError, match="'activation': field 'choices'"):
        validate_catalogue({"activation": cat | {"choices": []}})
    with pytest.raises(KnowledgeError, match="'activation': field 'default'"):
        validate_catalogue({"activation": cat | {"choices": ["gelu"]}})
    with pytest.raises(KnowledgeError, match="'activation': field 'choices'"):
        validate_catalogue({"activation": cat | {"choices": ["relu", "relu"]}})
    flag = cat | {"type": "bool", "default": "yes"}
    with pytest.raises(KnowledgeError, match="'flag': field 'default'"):
        validate_catalogue({"flag": flag})
    with pytest.raises(KnowledgeError, match="'Bad-Name'"):
        validate_catalogue({"Bad-Name": _good()})
    with pytest.raises(KnowledgeError, match="'lr': must be a mapping"):
        validate_catalogue({"lr": [1, 2]})
    with pytest.raises(KnowledgeError, match="catalogue.yaml"):
        validate_catalogue([])


def test_malformed_optimiser_names_the_entry() -> None:
    good = {"label_en": "Adam", "label_zh": "Adam 优化器", "lr": [1e-3, 1e-2], "uses": ["beta1"],
            "source": ["guide:ranges"]}
    assert validate_optimizers({"adam": good}, known=catalogue())["adam"].uses == ("beta1",)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"lr": [1e-3]}, "lr"), ({"lr": [1e-2, 1e-3]}, "lr"), ({"lr": [0.0, 1e-3]}, "lr"),
        ({"uses": ["gamma"]}, "uses"), ({"uses": "beta1"}, "uses"), ({"label_zh": ""}, "label_zh")]
    for change, field in cases:
        with pytest.raises(KnowledgeError) as info:
            validate_optimizers({"adam": good | change}, file="optimizers.yaml", known=catalogue())
        assert (info.value.file, info.value.entry, info.value.field) == (
            "optimizers.yaml", "adam", field)


def test_unreadable_data_file_names_it() -> None:
    with pytest.raises(KnowledgeError, match="no-such-file.yaml"):
        load_data("no-such-file.yaml")


def test_package_imports_neither_torch_numpy_nor_qt() -> None:
    code = ("import sys, hpdesk.knowledge as k; k.catalogue(); k.advise({}); "
            "bad = [m for m in ('torch', 'numpy', 'PySide6', 'pyqtgraph') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
