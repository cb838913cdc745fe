"""The knowledge is true to its sources (issue 13): every range follows the guide or says whose it
is, hpdesk's own choices are labelled as such, the presets say why, and the Chinese texts use
the guide's own terms and section titles."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from hpdesk.knowledge import advise, catalogue, optimizers, preset, preset_space, tasks
from hpdesk.knowledge.catalogue import load_data
from hpdesk.knowledge.findings import messages
from hpdesk.knowledge.sources import GUIDE, HPDESK, kind, sources
from hpdesk.plan import plan_from_preset
from hpdesk.plan.files import dumps_plan

ROOT = Path(__file__).resolve().parents[2]
#: What the guide's "超参数重要顺序" itself ranks: learning rates, the loss terms, batch size,
#: momentum, Adam's own hyperparameters, weight decay, dropout and the network's shape.
GUIDE_RANKED = {"lr", "lr_g", "lr_d", "box_loss_weight", "cls_loss_weight", "focal_gamma",
                "focal_alpha", "batch_size", "momentum", "beta1", "beta2", "eps",
                "weight_decay", "dropout", "depth", "width", "kernel_size", "activation",
                "connectivity", "model"}


def fixed(v: Any) -> dict[str, Any]:
    return {"type": "fixed", "value": v}


@pytest.mark.parametrize("optimizer", list(optimizers()))
def test_gan_learning_rates_follow_the_optimiser(optimizer: str) -> None:
    opt = optimizers()[optimizer]
    space = preset_space("gan", optimizer=optimizer)
    for name in ("lr_g", "lr_d"):
        assert (space[name]["low"], space[name]["high"]) == (opt.lr_low, opt.lr_high), name
    fixed_space = preset_space("gan", optimizer=optimizer, search=())
    for name in ("lr_g", "lr_d"):
        assert opt.lr_low <= fixed_space[name]["value"] <= opt.lr_high, name
    plan = plan_from_preset("gan", optimizer=optimizer).to_dict()
    assert not [f for f in advise(plan) if f.rule == "lr_outside_range"]


def test_a_gan_plan_outside_its_optimisers_range_is_advised() -> None:
    plan = {"task": "gan", "space": {
        "optimizer": fixed("sgd"),
        "lr_g": {"type": "float", "low": 5e-4, "high": 5e-3, "log": True},
        "lr_d": fixed(3e-3)}}
    found = {f.params[0]: f for f in advise(plan) if f.rule == "lr_outside_range"}
    assert set(found) == {"lr_g", "lr_d"}
    assert "lr_g range [0.0005, 0.005]" in found["lr_g"].message_en
    assert "[0.01, 0.1]" in found["lr_g"].message_en and "lr_g" in found["lr_g"].message("zh")


def test_adamw_weight_decay_has_its_own_cited_range() -> None:
    adamw = optimizers()["adamw"]
    assert (adamw.wd_low, adamw.wd_high, adamw.wd_default) == (1e-4, 1e-1, 1e-2)
    assert any("Loshchilov & Hutter 2019" in s for s in adamw.wd_sources)
    assert any(kind(s) == HPDESK for s in adamw.wd_sources)  # the range itself is hpdesk's
    at_default = {"task": "classification",
                  "space": {"optimizer": fixed("adamw"), "weight_decay": fixed(0.01)}}
    assert advise(at_default) == []
    space = preset_space("classification", optimizer="adamw")
    assert (space["weight_decay"]["low"], space["weight_decay"]["high"]) == (1e-4, 1e-1)
    assert preset_space("classification", optimizer="adamw", search=())["weight_decay"] == \
        fixed(1e-2)
    inert = {"task": "classification",
             "space": {"optimizer": fixed("adamw"), "weight_decay": fixed(1e-5)}}
    assert [f.rule for f in advise(inert)] == ["weight_decay_range"]
    # The guide's [0, 1e-4] still holds for an L2 penalty (Adam, SGD...).
    l2 = {"task": "classification", "space": {"optimizer": fixed("adam"),
                                              "weight_decay": fixed(0.01)}}
    assert [f.level for f in advise(l2) if f.rule == "weight_decay_range"] == ["warning"]
    assert (preset_space("classification", optimizer="adam")["weight_decay"]["high"]) == 1e-4


def test_only_what_the_guide_ranks_claims_the_guides_order() -> None:
    for name, hp in catalogue().items():
        if hp.tier_by == "guide:order":
            assert name in GUIDE_RANKED, f"{name}: the guide does not rank it"
        else:
            assert kind(hp.tier_by) == HPDESK and "chosen by hpdesk" in hp.tier_text("en")
    for name in ("nesterov", "lars", "warmup_epochs", "lr_step_epochs", "lr_gamma", "rho",
                 "alpha"):
        assert catalogue()[name].tier_by == "hpdesk:tier", name


def test_sanity_rules_do_not_credit_the_guide() -> None:
    for key in ("impossible_lr", "impossible_count", "impossible_negative", "impossible_rate",
                "batch_size_above_data"):
        assert "hpdesk:sanity" in messages()[key].sources, key
        assert not any(kind(s) == GUIDE for s in messages()[key].sources), key
    huge = messages()["batch_size_huge"]
    assert {"guide:ranges", "guide:batch_size"} <= set(huge.sources)
    assert any("Goyal et al. 2017" in s for s in huge.sources)  # the warm-up is Goyal's


def _departs(name: str, setting: Any) -> bool:
    hp = catalogue()[name]
    return (setting.low is not None or setting.choices is not None
            or setting.default_fine_tune is not None
            or (setting.default is not None and setting.default != hp.default))


@pytest.mark.parametrize("task", tasks())
def test_every_preset_value_that_departs_from_the_catalogue_says_why(task: str) -> None:
    p = preset(task)
    assert p.why_optimizer is not None and p.why_optimizer.sources
    for name, setting in p.settings.items():
        if _departs(name, setting) and name not in ("optimizer", "lr_plateau_raise"):
            assert setting.why is not None, f"{task}.{name} departs without a reason"
        if setting.why is not None:
            assert setting.why.en and re.search(r"[\u4e00-\u9fff]", setting.why.zh)
            assert setting.why.sources, f"{task}.{name}"


def test_the_departures_the_issue_named_now_say_why() -> None:
    assert preset("detection").settings["lr_final_ratio"].why is not None
    assert preset("gan").settings["batch_size"].why is not None
    assert preset("gan").settings["epochs"].why is not None
    smoothing = preset("gan").settings["label_smoothing"]
    assert smoothing.default == 0.1 and "Salimans et al. 2016" in smoothing.why.source_text()
    lr_g = preset("gan").settings["lr_g"].why
    assert "2e-4" in lr_g.en and "DCGAN" in lr_g.en
    norm = preset("detection").settings["normalization"].why
    assert "GroupNorm" in norm.en and "measured" in norm.source_text()
    # The pretrained help no longer says from-scratch training needs GroupNorm outright.
    assert "needs GroupNorm" not in catalogue()["pretrained"].help_en


def test_detection_group_norm_never_makes_one_group_per_channel() -> None:
    setting = preset("detection").settings["gn_groups"]
    width = preset("detection").settings["width"].default
    assert max(setting.choices or ()) * 2 <= width
    plan = plan_from_preset("detection").to_dict()
    plan["space"]["normalization"] = fixed("groupnorm")
    plan["space"]["gn_groups"] = {"type": "categorical", "choices": list(setting.choices or ())}
    assert not [f for f in advise(plan) if f.rule == "gn_groups_degenerate"]


def test_nms_cites_the_value_it_uses() -> None:
    nms = catalogue()["nms_iou"]
    assert nms.default == 0.5
    assert any("Lin et al. 2017" in s and "0.5" in s for s in nms.sources)
    assert not any("Faster R-CNN" in s for s in nms.sources)


def test_batch_size_help_keeps_the_guides_main_point() -> None:
    hp = catalogue()["batch_size"]
    assert "does not hurt" in hp.help_en and "fits the hardware" in hp.help_en
    assert "不会损害" in hp.help_zh and "N-pair" in hp.help_zh


def test_lars_help_gives_the_guides_reason() -> None:
    hp = catalogue()["lars"]
    assert "too uniform" in hp.help_en and "accuracy" in hp.help_en
    assert "梯度方向会过于一致" in hp.help_zh and "层自适应速率缩放" in hp.help_zh


def test_decay_help_matches_the_presets_that_use_it() -> None:
    for name in ("lr_schedule", "lr_final_ratio"):
        assert "a thousandth of it over the run" not in catalogue()[name].help_en
    assert "lr_final_ratio" in catalogue()["lr_schedule"].help_en


# ---- Chinese: the guide's terms, its hedges, its section titles --------------------------------

def _chinese_texts() -> list[tuple[str, str]]:
    """Every Chinese text of the knowledge data and of the window's translations."""
    out: list[tuple[str, str]] = []
    for name, hp in catalogue().items():
        out.append((f"catalogue {name}", hp.help_zh))
    for key, m in messages().items():
        out.append((f"advice {key}", m.zh))
    for o in optimizers().values():
        out.append((f"optimizer {o.name}", o.label_zh))
    for task in tasks():
        p = preset(task)
        out.append((f"preset {task}", p.help_zh))
        for name, s in p.settings.items():
            if s.why is not None:
                out.append((f"preset {task}.{name}", s.why.zh))
    for file in ("search.yaml", "guide.yaml"):
        text = yaml_texts(load_data(file))
        out += [(file, t) for t in text]
    ts = (ROOT / "resources" / "i18n" / "hpdesk_zh_CN.ts").read_text(encoding="utf-8")
    out += [("hpdesk_zh_CN.ts", t) for t in re.findall(r"<translation>(.*?)</translation>", ts,
                                                        re.S)]
    return out


def yaml_texts(data: Any) -> list[str]:
    """The Chinese strings anywhere in parsed YAML."""
    if isinstance(data, dict):
        return [t for v in data.values() for t in yaml_texts(v)]
    if isinstance(data, list):
        return [t for v in data for t in yaml_texts(v)]
    return [data] if isinstance(data, str) and re.search(r"[\u4e00-\u9fff]", data) else []


def test_no_chinese_text_cites_an_english_section_number() -> None:
    for where, text in _chinese_texts():
        assert "§" not in text and "KNOWLEDGE.md" not in text, (where, text)


def test_chinese_uses_the_guides_terms() -> None:
    for where, text in _chinese_texts():
        for wrong in ("批大小", "批量大小", "逐层自适应", "丢弃率", "梯度累积"):
            assert wrong not in text, (where, wrong, text)
    assert "批样本数量" in catalogue()["batch_size"].help_zh
    assert "丢弃比率" in catalogue()["dropout"].help_zh
    assert "累计梯度" in catalogue()["grad_accum_steps"].help_zh


def test_chinese_keeps_the_guides_hedges() -> None:
    # The guide: 若是微调，初始学习率可在降低一到两个数量级 — a "may", not a "should".
    assert "微调时应" not in catalogue()["lr"].help_zh
    assert "可再降低一到两个数量级" in catalogue()["lr"].help_zh
    assert "可再降低一到两个数量级" in messages()["fine_tune_lr_not_lowered"].zh
    assert "通常可采用层自适应速率缩放" in messages()["large_batch_lars"].zh


def test_guide_section_titles_are_the_originals_own() -> None:
    seed = next((p for p in (ROOT / "shared" / "seed", ROOT.parent / "shared" / "seed")
                 if p.is_dir()), None)
    if seed is None:
        pytest.skip("the guide's original is not beside this checkout")
    text = "".join(p.read_text(encoding="utf-8") for p in seed.glob("*.txt"))
    for key, section in sources().sections.items():
        title = section.zh.split("（")[0]
        assert title in text, (key, title)


# ---- written plans: the reasons go with the file -------------------------------------------

def test_written_plans_carry_the_presets_reasons_and_label_their_sources() -> None:
    text = dumps_plan(plan_from_preset("gan"), comments=True)
    assert "every range is within" not in text
    assert "Preset: Searched in the optimiser's recommended range" in text     # lr_g's why
    assert "chosen by hpdesk" in text and "Radford et al. 2016, DCGAN" in text
    assert "Tier: tier 1 (tune first); order: the guide, “The order of importance" in text


def test_a_whole_plan_without_a_schedule_runs_constant_and_is_told() -> None:
    plan = plan_from_preset("classification").to_dict()
    del plan["space"]["lr_schedule"]
    assert "constant_lr" in {f.rule for f in advise(plan)}
    assert "constant_lr" not in {f.rule for f in advise(plan_from_preset("classification")
                                                         .to_dict())}
    script = {"task": "script", "command": ["python", "train.py"],
              "space": {"lr": fixed(1e-3), "epochs": fixed(3)}}
    assert "constant_lr" not in {f.rule for f in advise(script)}  # its own schedule is unknown
