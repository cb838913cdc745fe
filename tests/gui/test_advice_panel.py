"""The advice panel: findings of the knowledge rules, in the window's language, with sources."""

from __future__ import annotations

from PySide6.QtCore import QUrl

from hpdesk.gui.workbench.advice import AdvicePanel
from hpdesk.knowledge import preset_space
from hpdesk.plan import parse_plan, plan_from_preset
from tests.gui.accessibility import unnamed_widgets


def fine_tune_plan_with_scratch_lr() -> dict:
    """Fine-tuning with SGD's from-scratch lr range: KNOWLEDGE.md §5 says lower it."""
    plan = plan_from_preset("classification", optimizer="sgd").to_dict()
    plan["fine_tune"] = True
    return plan


def test_lists_a_finding_with_its_level_parameters_and_source(qtbot) -> None:  # noqa: ANN001
    panel = AdvicePanel("en")
    qtbot.addWidget(panel)
    panel.set_plan(fine_tune_plan_with_scratch_lr())
    rules = [f.rule for f in panel.findings()]
    assert "fine_tune_lr_not_lowered" in rules
    text = panel.text()
    assert "fine-tuning with lr up to" in text
    assert "Warning" in text and "the guide, “Suitable ranges of some hyperparameters”" in text
    assert "warning" in panel.summary.text()
    assert "href='param:lr'" in panel.view.toHtml() or 'href="param:lr"' in panel.view.toHtml()
    assert unnamed_widgets(panel) == []


def test_chinese_window_shows_chinese_findings(qtbot) -> None:  # noqa: ANN001
    panel = AdvicePanel("zh_CN")
    qtbot.addWidget(panel)
    panel.set_plan(parse_plan(fine_tune_plan_with_scratch_lr()))  # a Plan works as well
    assert "微调时 lr 最高可达" in panel.text()
    # The source in Chinese: the guide by its own section title, never an English § number.
    assert "指南《部分超参数合适范围》" in panel.text() and "§" not in panel.text()
    assert "fine-tuning with" not in panel.text()


def test_no_findings_for_the_preset_and_problems_come_first(qtbot) -> None:  # noqa: ANN001
    panel = AdvicePanel("en")
    qtbot.addWidget(panel)
    panel.set_plan(plan_from_preset("classification"))
    assert panel.findings() == []
    assert panel.summary.text().startswith("No findings")
    panel.set_problems(["lr, low end: expected a low end below high (0.01), found 0.1."])
    assert "1 problem" in panel.summary.text()
    assert "Cannot run" in panel.text() and "below high" in panel.text()


def test_clicking_a_parameter_asks_to_focus_it(qtbot) -> None:  # noqa: ANN001
    panel = AdvicePanel("en")
    qtbot.addWidget(panel)
    space = preset_space("classification")
    space["batch_size"] = {"type": "int", "low": 1, "high": 256, "log": True}
    panel.set_plan({"task": "classification", "fine_tune": False, "space": space})
    assert "batch_size_extreme" in [f.rule for f in panel.findings()]
    with qtbot.waitSignal(panel.parameterActivated) as activated:
        panel.view.anchorClicked.emit(QUrl("param:batch_size"))
    assert activated.args == ["batch_size"]
