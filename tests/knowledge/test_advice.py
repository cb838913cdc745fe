"""Advice rules: each fires on the plan it is about, none fires on the shipped presets."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hpdesk.knowledge import (
    RULES,
    Finding,
    KnowledgeError,
    advise,
    catalogue,
    optimizers,
    preset,
    preset_space,
    tasks,
)
from hpdesk.knowledge.catalogue import has_cjk
from hpdesk.knowledge.findings import LEVELS, messages, validate_messages
from hpdesk.knowledge.rules_evidence import EVIDENCE_RULES


def rng(low: float, high: float, kind: str = "float", log: bool = True) -> dict[str, Any]:
    return {"type": kind, "low": low, "high": high, "log": log}


def fixed(value: Any) -> dict[str, Any]:
    return {"type": "fixed", "value": value}


def cat(*choices: Any) -> dict[str, Any]:
    return {"type": "categorical", "choices": list(choices)}


def plan(task: str = "script", fine_tune: bool = False, **space: Any) -> dict[str, Any]:
    return {"task": task, "fine_tune": fine_tune, "space": space}


def rules_hit(p: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in advise(p):
        out.setdefault(f.rule, set()).add(f.level)
    return out


# (rule id, expected level, a plan that should raise it, a text the English message must contain)
TRIGGERS: list[tuple[str, str, dict[str, Any], str]] = [
    ("impossible_values", "error", plan(lr=rng(0.0, 1e-2, log=False)), "lr can be 0"),
    ("impossible_values", "error", plan(dropout=fixed(1.0)), "dropout can be 1"),
    ("impossible_values", "error", plan(batch_size=cat(0, 32)), "batch_size can be 0"),
    ("impossible_values", "error", plan(weight_decay=fixed(-1e-5)), "weight_decay can be -1e-05"),
    ("batch_size_extreme", "warning", plan(batch_size=rng(1, 64, "int")), "batch size can be 1"),
    ("batch_size_extreme", "warning", plan(batch_size=rng(256, 8192, "int")),
     "reaches 8192, above 6000"),
    ("fine_tune_lr_not_lowered", "warning",
     plan(fine_tune=True, optimizer=fixed("adam"), lr=rng(1e-3, 1e-2)), "[1e-05, 0.001]"),
    ("fine_tune_lr_not_lowered", "warning",
     plan(fine_tune=True, optimizer=fixed("sgd"), lr=rng(1e-4, 2e-2)), "up to 0.02"),
    ("lr_outside_range", "warning", plan(optimizer=fixed("adam"), lr=rng(1e-4, 1e-2)),
     "[0.001, 0.01]"),
    ("lr_outside_range", "warning", plan(optimizer=fixed("sgd"), lr=rng(1e-3, 1e-2)), "SGD"),
    ("lr_outside_range", "warning",
     plan(fine_tune=True, optimizer=fixed("adam"), lr=rng(1e-7, 1e-4)), "as low as 1e-07"),
    ("dropout_high", "warning", plan(dropout=rng(0.0, 0.8, log=False)),
     "0.8, above the recommended 0.5"),
    ("weight_decay_range", "warning", plan(weight_decay=rng(1e-6, 1e-2)),
     "0.01, above the 0.0001 recommended for Adam"),
    ("small_batch_batchnorm", "warning",
     plan(batch_size=cat(2, 4), normalization=fixed("batchnorm")), "GroupNorm"),
    ("small_batch_batchnorm", "warning", plan("gan", batch_size=fixed(2)), "BatchNorm"),
    ("small_batch_batchnorm", "info",
     plan(batch_size=fixed(4), normalization=cat("batchnorm", "groupnorm")), "below about 8"),
    ("small_batch_batchnorm", "info", plan("script", batch_size=fixed(2)),
     "if the network uses BatchNorm"),
    ("large_batch_lars", "warning", plan(batch_size=rng(512, 8192, "int")), "LARS"),
    ("large_batch_lars", "info", plan(batch_size=fixed(2048)), "above the recommended 1024"),
    ("small_batch_accumulate", "info", plan(batch_size=rng(4, 8, "int")), "grad_accum_steps = 4"),
    ("gan_beta1", "warning", plan("gan", beta1=fixed(0.9)), "at least 0.9"),
    ("gan_beta1", "warning",
     plan(lr_g=fixed(1e-4), lr_d=fixed(4e-4), beta1=rng(0.8, 0.95, log=False)), "0.5"),
    ("gan_equal_lrs", "info", plan("gan", lr_g=fixed(2e-4), lr_d=fixed(2e-4)), "0.0002"),
    ("gn_groups_degenerate", "warning", plan(gn_groups=cat(1, 8)), "can be 1"),
    ("gn_groups_degenerate", "warning", plan(gn_groups=cat(8, 32), width=rng(16, 64, "int")),
     "16 channels"),
    ("unused_optimizer_param", "info", plan(optimizer=fixed("adam"), momentum=fixed(0.9)), "Adam"),
    ("unused_optimizer_param", "info",
     plan(optimizer=cat("sgd", "adam"), beta1={**fixed(0.9), "when": {"optimizer": ["sgd"]}}),
     "SGD"),
    ("lr_linear_scale", "info", plan(optimizer=fixed("adam"), lr=rng(1e-3, 1e-2, log=False)),
     "log scale"),
    ("pretrained_without_checkpoint", "warning",
     plan("detection", pretrained=fixed(True), init_checkpoint=fixed("")), "init_checkpoint"),
    ("pretrained_without_checkpoint", "warning",
     plan("detection", pretrained=cat(False, True)), "checkpoint.pt"),
    ("fine_tune_without_weights", "warning",
     plan("classification", fine_tune=True, pretrained=fixed(False)), "random weights"),
    ("objective_not_reported", "error",
     {**plan("gan"), "data": {"source": "ring"}, "objective": {"metric": "fid"}},
     "modes_covered"),
    # the schedule rules (rules_schedule.py; more in test_rules_schedule.py)
    ("constant_lr", "warning", plan(lr_schedule=fixed("constant")), "decay strateg"),
    ("constant_lr", "info", plan(lr_schedule=cat("constant", "cosine")), "cosine"),
    ("plateau_never_acts", "warning",
     plan(lr_schedule=fixed("plateau"), lr_plateau_patience=fixed(5), epochs=fixed(6)),
     "lr_plateau_patience 5"),
]


@pytest.mark.parametrize(("rule", "level", "p", "text"), TRIGGERS,
                         ids=[f"{t[0]}-{i}" for i, t in enumerate(TRIGGERS)])
def test_rule_fires_with_numbers_and_both_languages(rule: str, level: str, p: dict[str, Any],
                                                    text: str) -> None:
    found = [f for f in advise(p) if f.rule == rule and f.level == level]
    assert found, advise(p)
    f = found[0]
    assert any(text in g.message_en for g in found), [g.message_en for g in found]
    assert has_cjk(f.message("zh")) and f.message() == f.message_en
    assert "{" not in f.message_en + f.message_zh  # every template field filled in
    assert f.source and set(f.params) <= set(p["space"]) | {
        "optimizer", "normalization", "lr", "grad_accum_steps", "init_checkpoint"}


def test_every_rule_has_a_trigger_in_this_file() -> None:
    assert {r.__name__ for r in RULES} == {t[0] for t in TRIGGERS}


@pytest.mark.parametrize(("task", "optimizer", "fine_tune"),
                         [(t, o, f) for t in tasks() for o in optimizers() for f in (False, True)
                          if preset(t).can_fine_tune or not f])
def test_shipped_presets_raise_nothing(task: str, optimizer: str, fine_tune: bool) -> None:
    p = plan(task, fine_tune, **preset_space(task, optimizer=optimizer, fine_tune=fine_tune))
    metric, direction = preset(task).objective()
    p["objective"] = {"metric": metric, "direction": direction}
    findings = advise(p)
    if preset(task).fine_tune_from == "checkpoint" and fine_tune:
        # The preset cannot know which checkpoint the person will start from: it says so.
        assert [f.rule for f in findings] == ["pretrained_without_checkpoint"]
        p["space"]["init_checkpoint"] = fixed("/runs/trial-3/checkpoint.pt")
        findings = advise(p)
    assert findings == []


def test_near_misses_stay_silent() -> None:
    quiet = [
        plan(batch_size=rng(2, 1024, "int"), normalization=fixed("groupnorm")),
        plan(fine_tune=True, optimizer=fixed("sgd"), lr=rng(1e-4, 1e-2)),   # sgd lowered exactly
        plan(optimizer=cat("adam", "nadam"), lr=rng(1e-3, 1e-2)),
        plan(dropout=rng(0.0, 0.5, log=False), weight_decay=rng(0.0, 1e-4, log=False)),
        plan(batch_size=fixed(4), normalization=fixed("frozen_batchnorm"),
             grad_accum_steps=fixed(8)),
        plan("detection", box_loss_weight=rng(0.1, 10.0), cls_loss_weight=fixed(1.0)),
        plan("detection", pretrained=fixed(False), init_checkpoint=fixed("")),
        plan("gan", beta1=rng(0.0, 0.9, log=False), lr_g=fixed(2e-3), lr_d=rng(1e-3, 1e-2)),
        plan(gn_groups=cat(8, 16), width=rng(64, 256, "int")),
        plan(optimizer=cat("sgd_momentum", "adam"),
             momentum={**fixed(0.9), "when": {"optimizer": ["sgd_momentum"]}}),
    ]
    for p in quiet:
        assert advise(p) == [], (p, advise(p))


def test_advice_reads_the_task_default_optimiser_and_network() -> None:
    # No optimizer entry: the classification preset's Adam is assumed, so SGD's range does not
    # apply.
    assert "lr_outside_range" not in rules_hit(plan("classification", lr=rng(1e-3, 1e-2)))
    assert "lr_outside_range" in rules_hit(plan("detection", lr=rng(1e-2, 1e-1)))  # SGD+momentum
    # DCGAN-style nets and the default classification CNN normalise with BatchNorm; the
    # classification MLP has no normalisation at all.
    assert rules_hit(plan("gan", batch_size=fixed(2)))["small_batch_batchnorm"] == {"warning"}
    assert rules_hit(plan("classification", batch_size=fixed(2)))["small_batch_batchnorm"] == {
        "warning"}
    assert "small_batch_batchnorm" not in rules_hit(
        plan("classification", batch_size=fixed(2), model=fixed("mlp")))


def test_findings_come_errors_first() -> None:
    found = advise(plan(dropout=fixed(1.0), batch_size=fixed(4), optimizer=fixed("adam"),
                        momentum=fixed(0.9)))
    order = [LEVELS[::-1].index(f.level) for f in found]
    assert order == sorted(order) and found[0].level == "error"


def test_messages_are_complete_and_belong_to_rules() -> None:
    names = {r.__name__ for r in (*RULES, *EVIDENCE_RULES)}
    for key, m in messages().items():
        assert m.rule in names, key
        assert m.level in LEVELS and m.en and has_cjk(m.zh) and m.sources
    with pytest.raises(KnowledgeError) as info:
        validate_messages(
            {"x": {"rule": "r", "level": "fatal", "en": "e", "zh": "中", "source": "s"}},
            file="advice.yaml")
    assert (info.value.file, info.value.entry, info.value.field) == ("advice.yaml", "x", "level")
    with pytest.raises(KnowledgeError, match="'x': field 'zh'"):
        validate_messages(
            {"x": {"rule": "r", "level": "info", "en": "e", "zh": "e", "source": "s"}})


# ---- junk never raises ----------------------------------------------------------------------

scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6)
           | st.sampled_from(["adam", "sgd", "batchnorm", "groupnorm", "gan", "classification"]))
junk = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=4),
                    max_leaves=12)
numbers = st.integers(min_value=-10**400, max_value=10**400) | st.floats() | st.booleans() | junk
names = st.sampled_from([*catalogue(), "foo_loss_weight", "bar_loss_weight"]) | st.text(max_size=6)
entries = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["fixed", "float", "int", "categorical", "nope"]) | junk,
    "value": (numbers | st.lists(scalars, max_size=2)
              | st.dictionaries(st.text(max_size=3), scalars, max_size=2)),
    "low": numbers, "high": numbers, "log": junk, "step": numbers,
    "choices": st.lists(numbers | scalars, max_size=5) | junk,
    "when": st.dictionaries(st.sampled_from(["optimizer", "normalization"]),
                            st.lists(scalars) | junk) | junk,
})
odd = st.floats() | st.integers(-10**6, 10**6) | st.sampled_from([0, 1, 2, 0.5, 1e-4, 6000, 1e308])
odd_entries = (odd.map(fixed)
               | st.tuples(odd, odd, st.booleans()).map(lambda t: rng(*t[:2], log=t[2]))
               | st.lists(odd, min_size=1, max_size=3).map(lambda c: cat(*c)))
# Odd entries under the names the rules read most are drawn on purpose, not left to chance.
spaces = st.tuples(
    st.dictionaries(names, entries | junk, max_size=6),
    st.dictionaries(st.sampled_from(["optimizer", "normalization", "batch_size", "lr", "width",
                                     "momentum", "beta1", "gn_groups"]),
                    entries | odd_entries, max_size=6),
    st.fixed_dictionaries({}, optional={
        "optimizer": st.fixed_dictionaries({"type": st.sampled_from(["fixed", "categorical"]),
                                            "value": junk,
                                            "choices": st.lists(junk, max_size=3)}),
        "lr": odd_entries, "momentum": odd_entries}),
).map(lambda t: {**t[0], **t[1], **t[2]})
plans = st.fixed_dictionaries({}, optional={
    "task": st.sampled_from([*tasks(), "other"]) | junk,
    "fine_tune": st.booleans() | junk,
    "space": spaces | junk,
    "objective": junk,
})


def _check(found: Any) -> None:
    assert isinstance(found, list)
    for f in found:
        assert isinstance(f, Finding) and f.level in LEVELS and f.message_en and f.message_zh
        assert "{" not in f.message_en


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans | junk)
def test_rules_never_raise_on_junk(p: Any) -> None:
    # Each rule on its own, outside advise()'s safety net: a crash here is a bug in the rule.
    for rule in RULES:
        _check(rule(p))
    _check(advise(p))


optimizer_entries = (st.sampled_from(list(optimizers())).map(fixed)
                     | st.lists(st.sampled_from(list(optimizers())), min_size=1, max_size=3)
                     .map(lambda c: cat(*c)))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([*tasks(), None]), st.booleans(),
       st.dictionaries(st.sampled_from(["lr", "lr_g", "lr_d", "batch_size", "dropout",
                                        "weight_decay", "beta1", "momentum", "gn_groups",
                                        "width", "grad_accum_steps",
                                        "box_loss_weight", "cls_loss_weight"]), odd_entries),
       optimizer_entries)
def test_rules_never_raise_on_odd_numbers(task: str | None, fine_tune: bool, space: dict[str, Any],
                                          optimizer: dict[str, Any]) -> None:
    p = plan(task, fine_tune, optimizer=optimizer, **space)  # type: ignore[arg-type]
    for rule in RULES:
        _check(rule(p))
