"""Evidence rules: each fires on the measured figures it is about, stays silent on healthy ones,
and never raises on junk."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpdesk.knowledge import advise
from hpdesk.knowledge.catalogue import has_cjk
from hpdesk.knowledge.findings import messages
from hpdesk.knowledge.rules_evidence import EVIDENCE_RULES, class_key

CLS = {"task": "classification", "fine_tune": False, "space": {}}
DET = {"task": "detection", "fine_tune": False,
       "space": {"box_loss_weight": {"type": "float", "low": 0.3, "high": 3.0, "log": True},
                 "cls_loss_weight": {"type": "fixed", "value": 1.0}}}
DIGITS = {str(i): 180 for i in range(10)}
IMBALANCED = {"cat": 400, "dog": 380, "newt": 20}

# (rule, plan, evidence, texts the English message must contain, a text the Chinese one must)
TRIGGERS: list[tuple[str, dict[str, Any], dict[str, Any], tuple[str, ...], str]] = [
    ("class_imbalance", CLS, {"class_counts": IMBALANCED}, ("newt", "20 samples", "20x"),
     "少样本类别 newt"),
    ("few_shot", CLS, {"class_counts": {f"c{i}": 10 for i in range(100)}},
     ("100 classes", "median of 10", "may be a good choice"), "可能是比较不错的选择"),
    ("rare_class_gap", CLS,
     {"class_counts": IMBALANCED,
      "per_class": {"cat": {"train_acc": 0.99, "val_acc": 0.95},
                    "newt": {"train_acc": 1.0, "val_acc": 0.45}}},
     ("newt", "100%", "45%", "55 percentage points"), "少样本类别 newt"),
    ("loss_value_scales", DET,
     {"loss_values": {"box_loss": 0.8, "cls_loss": 0.004, "train_loss": 0.804},
      "loss_weights": {"box_loss_weight": 1.0, "cls_loss_weight": 1.0}},
     ("box_loss (0.8)", "200 times", "not necessarily right", "paper"), "不一定完全正确"),
    ("data_duplicates", CLS, {"duplicates": [["cat/1.png", "dog/9.png"], ["x.png"]]},
     ("1 groups", "2 files", "cat/1.png = dog/9.png", "validation"), "内容完全相同"),
    ("data_unreadable", CLS, {"unreadable": ["cat/broken.jpg"]},
     ("1 image files", "cat/broken.jpg", "remove or repair"), "无法被图像读取器打开"),
    ("data_unlabelled", DET, {"images_without_labels": 3, "images": 10},
     ("3 of 10 images", "without objects"), "没有标注文件"),
]


@pytest.mark.parametrize(("rule", "plan", "evidence", "texts", "zh"), TRIGGERS,
                         ids=[t[0] for t in TRIGGERS])
def test_rule_fires_in_both_languages_with_sources(rule: str, plan: dict[str, Any],
                                                   evidence: dict[str, Any],
                                                   texts: tuple[str, ...], zh: str) -> None:
    found = [f for f in advise(plan, evidence) if f.rule == rule]
    assert found, advise(plan, evidence)
    f = found[0]
    for text in texts:
        assert text in f.message_en, f.message_en
    assert zh in f.message("zh") and has_cjk(f.message("zh"))
    assert "§" not in f.message_zh and "KNOWLEDGE" not in f.message_zh
    assert "{" not in f.message_en + f.message_zh
    assert f.sources and f.sources[0].startswith("guide:")
    assert advise(plan) == [f for f in advise(plan, {}) if f.rule == rule] == []  # needs evidence


def test_every_evidence_rule_has_a_trigger_and_messages() -> None:
    assert {r.__name__ for r in EVIDENCE_RULES} == {t[0] for t in TRIGGERS}
    keys = {m.rule: m for m in messages().values()}
    assert "guide:data" in keys["class_imbalance"].sources
    assert "hpdesk:threshold" in keys["few_shot"].sources
    assert keys["loss_value_scales"].sources == ("guide:ranges",)


def test_old_loss_weight_rule_is_gone() -> None:
    assert "loss_weight_scales" not in messages()
    wide = {**DET, "space": {"box_loss_weight": {"type": "float", "low": 0.1, "high": 10.0},
                             "cls_loss_weight": {"type": "fixed", "value": 0.05}}}
    assert advise(wide) == []  # weights alone say nothing: the guide speaks of values


def test_healthy_evidence_stays_silent() -> None:
    healthy = [
        (CLS, {"class_counts": DIGITS}),
        (CLS, {"class_counts": {"a": 100, "b": 10}}),                   # exactly 10x: not above
        (CLS, {"class_counts": {f"c{i}": 30 for i in range(100)}}),     # 30 a class: enough
        (CLS, {"class_counts": {"a": 5, "b": 5, "c": 5}}),              # classes < samples
        (CLS, {"class_counts": DIGITS,
               "per_class": {"3": {"train_acc": 1.0, "val_acc": 0.5}}}),  # not a rare class
        (CLS, {"class_counts": {**IMBALANCED, "newt": 41},
               "per_class": {"newt": {"train_acc": 0.9, "val_acc": 0.8}}}),  # small gap
        (DET, {"loss_values": {"box_loss": 0.8, "cls_loss": 0.01},
               "loss_weights": {"box_loss_weight": 1.0, "cls_loss_weight": 1.0}}),
        (DET, {"loss_values": {"box_loss": 0.8, "cls_loss": 0.004},
               "loss_weights": {"box_loss_weight": 0.1, "cls_loss_weight": 1.0}}),  # weighted
        (DET, {"loss_values": {"box_loss": 0.8, "cls_loss": 0.004}}),  # box weight searched
        ({"task": "gan", "space": {}}, {"loss_values": {"g_loss": 5.0, "d_loss": 0.01}}),
    ]
    for plan, evidence in healthy:
        assert advise(plan, evidence) == [], (evidence, advise(plan, evidence))


def test_loss_values_are_weighted_by_the_trial_or_the_plan() -> None:
    # The detection task reports cls_loss and box_loss unweighted: the weights come from the
    # trial's parameters, else from a plan that fixes them.
    fixed = {**DET, "space": {"box_loss_weight": {"type": "fixed", "value": 1.0},
                              "cls_loss_weight": {"type": "fixed", "value": 1.0}}}
    assert [f.rule for f in advise(fixed, {"loss_values": {"box_loss": 0.8, "cls_loss": 0.004}})
            ] == ["loss_value_scales"]
    evidence = {"loss_values": {"box_loss": 0.8, "cls_loss": 0.004},
                "loss_weights": {"box_loss_weight": 1.0, "cls_loss_weight": 100.0}}
    assert advise(fixed, evidence) == []


def test_class_names_meet_metric_names() -> None:
    from hpdesk.tasks.image_data import metric_suffix  # the name the task reports

    for name in ("cat", "zebra crossing", " a/b ", "Ünïcode", "x.y-z"):
        assert class_key(name) == metric_suffix(name)
    evidence = {"class_counts": {"big one": 500, "tiny one": 10},
                "per_class": {"tiny_one": {"train_acc": 1.0, "val_acc": 0.2}}}
    assert "rare_class_gap" in {f.rule for f in advise(CLS, evidence)}


junk = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=10)
evidence = st.fixed_dictionaries({}, optional={
    "class_counts": st.dictionaries(st.text(max_size=4), junk | st.integers(-5, 10**6)),
    "loss_values": st.dictionaries(st.sampled_from(["box_loss", "cls_loss", "x"]), junk),
    "loss_weights": st.dictionaries(st.sampled_from(["box_loss_weight", "x"]), junk),
    "per_class": st.dictionaries(st.text(max_size=4), junk
                                 | st.fixed_dictionaries({"train_acc": junk, "val_acc": junk})),
}) | junk


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([CLS, DET, {}, None]) | junk, evidence)
def test_rules_never_raise_on_junk(plan: Any, ev: Any) -> None:
    for rule in EVIDENCE_RULES:
        assert isinstance(rule(plan, ev), list)
    assert isinstance(advise(plan, ev), list)
