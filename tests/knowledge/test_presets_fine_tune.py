"""Which tasks may fine-tune (presets.yaml `fine_tune`), and what a plan gets when one does.

KNOWLEDGE.md §5 lowers the learning rate by one to two orders of magnitude for fine-tuning: that
only makes sense where the network starts from pre-trained weights. Classification and
detection start from a checkpoint the plan names, a person's script loads its own, the GAN has
none: asking it to fine-tune must fail in one sentence, not quietly cut its learning rates.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hpdesk.knowledge import KnowledgeError, advise, preset, preset_space, tasks
from hpdesk.knowledge.catalogue import has_cjk, load_data
from hpdesk.knowledge.presets import check_fine_tune, fine_tune_tasks, validate_presets
from hpdesk.plan import PlanError, parse_plan, plan_from_preset


def test_each_task_says_whether_and_from_what_it_fine_tunes() -> None:
    froms = {t: preset(t).fine_tune_from for t in tasks()}
    assert froms == {"classification": "checkpoint", "detection": "checkpoint", "gan": "none",
                     "script": "script"}
    assert fine_tune_tasks() == ("classification", "detection", "script")
    for task in tasks():
        p = preset(task)
        assert p.can_fine_tune == (task != "gan")
        assert p.fine_tune_why("en") and has_cjk(p.fine_tune_why("zh")), task
    assert "checkpoint.pt" in preset("classification").fine_tune_why("en")


def test_gan_fine_tuning_fails_in_one_sentence_naming_the_tasks_that_can() -> None:
    for call in (lambda: preset_space("gan", fine_tune=True),
                 lambda: plan_from_preset("gan", fine_tune=True),
                 lambda: check_fine_tune("gan")):
        with pytest.raises(KnowledgeError) as caught:
            call()
        text = str(caught.value)
        assert "gan task cannot start from pre-trained weights" in text
        assert "classification, detection and script" in text
        assert "\n" not in text and text.count(". ") == 0
    preset_space("gan")                                 # from scratch is fine
    for task in fine_tune_tasks():
        check_fine_tune(task)
        preset_space(task, fine_tune=True)


def test_classification_fine_tuning_starts_from_a_checkpoint_the_advice_asks_for() -> None:
    scratch = preset_space("classification")
    fine = preset_space("classification", fine_tune=True)
    assert scratch["pretrained"] == {"type": "fixed", "value": False}
    assert fine["pretrained"] == {"type": "fixed", "value": True}
    assert fine["init_checkpoint"] == {"type": "fixed", "value": ""}
    plan = plan_from_preset("classification", fine_tune=True).to_dict()
    rules = [f.rule for f in advise(plan)]
    assert "pretrained_without_checkpoint" in rules
    plan["space"]["init_checkpoint"] = {"type": "fixed", "value": "runs/t1/checkpoint.pt"}
    assert "pretrained_without_checkpoint" not in [f.rule for f in advise(plan)]
    assert "pretrained_without_checkpoint" not in [
        f.rule for f in advise(plan_from_preset("classification").to_dict())]


def _presets_with(task: str, **fine_tune: Any) -> dict[str, Any]:
    data = copy.deepcopy(dict(load_data("presets.yaml")))
    data[task]["fine_tune"] = fine_tune
    return data


def test_the_declaration_is_checked() -> None:
    with pytest.raises(KnowledgeError, match="from"):
        validate_presets(_presets_with("gan", **{"from": "imagenet"}))
    with pytest.raises(KnowledgeError, match="pretrained"):     # no pretrained param in the GAN
        validate_presets(_presets_with("gan", **{"from": "checkpoint", "why_en": "x",
                                                 "why_zh": "从检查点开始"}))
    with pytest.raises(KnowledgeError, match="why_zh"):
        validate_presets(_presets_with("script", **{"from": "script", "why_en": "x"}))
    with pytest.raises(KnowledgeError, match="unknown field"):
        validate_presets(_presets_with("script", **{"from": "script", "why": "x"}))
    data = copy.deepcopy(dict(load_data("presets.yaml")))
    del data["script"]["fine_tune"]                 # unsaid: it cannot fine-tune
    assert not validate_presets(data)["script"].can_fine_tune


def test_a_plan_file_cannot_fine_tune_the_gan() -> None:
    plan = plan_from_preset("gan").to_dict()
    plan["fine_tune"] = True
    with pytest.raises(PlanError) as caught:
        parse_plan(plan, source="gan.yaml")
    problems = [p for p in caught.value.problems if p.path == "fine_tune"]
    assert len(problems) == 1
    assert "cannot start from pre-trained weights" in problems[0].expected
    assert parse_plan(plan_from_preset("detection", fine_tune=True).to_dict()).fine_tune
