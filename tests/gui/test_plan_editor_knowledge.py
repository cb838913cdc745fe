"""The plan editor carries the knowledge's reasons (issue 13): a parameter's tooltip says what it
is, why the preset chose its value and on whose word; the GAN's learning rates follow the
optimiser like lr does; and fine-tuning is not offered where a task cannot start from weights."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QPushButton

from hpdesk.gui.workbench.editor import PlanEditor
from hpdesk.knowledge import lr_range
from hpdesk.plan import FloatRange, plan_from_preset


def _editor(qtbot, task: str, language: str = "en") -> PlanEditor:  # noqa: ANN001
    editor = PlanEditor(language)
    qtbot.addWidget(editor)
    editor.set_plan(plan_from_preset(task))
    return editor


def test_a_parameters_tooltip_gives_the_presets_reason_and_labels_its_sources(qtbot) -> None:  # noqa: ANN001
    editor = _editor(qtbot, "gan")
    tip = editor.findChild(QLabel, "param.lr_g").toolTip()
    assert "This task&#x27;s preset" in tip or "This task's preset" in tip
    assert "DCGAN&#x27;s 2e-4" in tip or "DCGAN's 2e-4" in tip        # the departure explained
    assert "Radford et al. 2016, DCGAN" in tip and "chosen by hpdesk" in tip
    assert "The order of importance of hyperparameters" in tip        # who set the tier
    beta1 = _editor(qtbot, "classification").findChild(QLabel, "param.beta1").toolTip()
    assert "This task" not in beta1                                 # follows the catalogue
    chinese = _editor(qtbot, "gan", "zh_CN").findChild(QLabel, "param.lr_g").toolTip()
    assert "指南《部分超参数合适范围》" in chinese and "§" not in chinese


def test_the_gans_learning_rates_follow_the_optimiser(qtbot) -> None:  # noqa: ANN001
    editor = _editor(qtbot, "gan")
    combo = editor.findChild(QComboBox, "param.optimizer.value")
    combo.setCurrentText("sgd")
    low, high = lr_range("sgd")
    for name in ("lr_g", "lr_d"):
        assert editor.plan().space[name] == FloatRange(low, high, log=True), name
    assert editor.findChild(QPushButton, "param.lr_d.recommend") is not None


def test_fine_tuning_is_not_offered_for_the_gan(qtbot) -> None:  # noqa: ANN001
    gan = _editor(qtbot, "gan")
    assert not gan.fine_tune.isEnabled() and "cannot start from pre-trained" in \
        gan.fine_tune.toolTip()
    detection = _editor(qtbot, "detection")
    assert detection.fine_tune.isEnabled()
    detection.set_plan(plan_from_preset("gan"))
    assert not detection.fine_tune.isEnabled()
