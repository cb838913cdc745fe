"""The plan editor's "Find learning rate…" (issue 15, item 2): the dialog shows the whole curve
with both ranges, says how they compare, and "Apply to plan" sets the editor's lr range."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QPushButton

from hpdesk.gui.workbench.lr_find_dialog import LrFindDialog
from hpdesk.gui.workbench.workbench import PlanWorkbench
from hpdesk.plan import FloatRange, plan_from_preset

RESULT = {
    "optimizer": "adam", "suggested_low": 0.0002, "suggested_high": 0.006,
    "guide_low": 0.001, "guide_high": 0.01,
    "points": [[1e-6, 2.3], [1e-5, 2.3], [1e-4, 2.2], [1e-3, 1.5], [1e-2, 0.6], [6e-2, 0.2],
               [1e-1, None]],
    "smoothed": [2.3, 2.3, 2.2, 1.6, 0.7, 0.3], "overlaps": True, "reason": "",
    "experiment_id": 3, "trial_id": 7,
}


@pytest.fixture
def workbench(qtbot):  # noqa: ANN001, ANN201
    widget = PlanWorkbench("en", devices=[])
    qtbot.addWidget(widget)
    widget.set_plan(plan_from_preset("classification"))
    return widget


def test_result_is_drawn_compared_and_applied(qtbot, workbench: PlanWorkbench,  # noqa: ANN001
                                              tmp_path: Path) -> None:
    plan = workbench.plan()
    assert plan is not None
    dialog = LrFindDialog(plan, tmp_path / "t.db", apply=workbench.editor.set_lr_range)
    qtbot.addWidget(dialog)
    dialog.show_result(RESULT)
    assert dialog.plot is not None and len(dialog.regions) == 2  # guide and suggestion shaded
    labels = [label.text for _, label in dialog.plot.getPlotItem().legend.items]
    assert labels == ["loss", "smoothed", "the guide's range for adam", "suggested range"]
    assert "overlaps the guide's range for adam (0.001 to 0.01)" in dialog.sentence.text()
    assert "Experiment 3, trial 7" in dialog.status.text()
    assert dialog.apply_button.isEnabled()
    dialog.apply_button.click()
    edited = workbench.plan()
    assert edited is not None
    lr = edited.space["lr"]
    assert isinstance(lr, FloatRange) and (lr.low, lr.high) == (0.0002, 0.006) and lr.log
    assert workbench.is_modified()
    assert not dialog.apply_button.isEnabled()


def test_the_rate_axis_shows_the_rates_without_an_si_prefix(qtbot, tmp_path: Path  # noqa: ANN001
                                                           ) -> None:
    """A fine-tuning sweep (1e-9 to 0.1) once read "learning rate (x0.001)" under ticks a
    thousand times the rates swept."""
    plan = plan_from_preset("classification")
    dialog = LrFindDialog(plan, tmp_path / "t.db")
    qtbot.addWidget(dialog)
    small = {**RESULT, "suggested_low": 3e-7, "suggested_high": 1e-5, "guide_low": 1e-5,
             "guide_high": 1e-3, "points": [[10.0 ** e, 2.3 - 0.2 * (e + 9)]
                                            for e in range(-9, 0)], "smoothed": None}
    dialog.show()
    dialog.show_result(small)
    qtbot.waitExposed(dialog)
    axis = dialog.plot.getAxis("bottom")
    qtbot.wait(50)
    label = axis.labelString()
    assert "learning rate" in label and "(x" not in label, label


def test_no_suggestion_says_why_and_cannot_apply(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    dialog = LrFindDialog(plan_from_preset("classification"), tmp_path / "t.db",
                          apply=lambda low, high: True)
    qtbot.addWidget(dialog)
    dialog.show_result({**RESULT, "suggested_low": None, "suggested_high": None,
                        "reason": "the loss never fell clearly below its starting value"})
    assert "No range suggested: the loss never fell" in dialog.sentence.text()
    assert not dialog.apply_button.isEnabled() and len(dialog.regions) == 1


def test_in_a_chinese_window_the_reason_and_the_note_are_chinese(qtbot, tmp_path: Path  # noqa: ANN001
                                                                  ) -> None:
    from PySide6.QtCore import QLocale

    dialog = LrFindDialog(plan_from_preset("classification"), tmp_path / "t.db")
    qtbot.addWidget(dialog)
    before = QLocale()
    QLocale.setDefault(QLocale("zh_CN"))  # what i18n.install does for a Chinese window
    try:
        dialog.show_result({**RESULT, "suggested_low": None, "suggested_high": None,
                            "reason": "the loss never fell", "reason_zh": "损失始终没有下降"})
        assert "损失始终没有下降" in dialog.sentence.text()
        dialog.show_result({**RESULT, "note": "still falling", "note_zh": "仍在下降"})
        assert "仍在下降" in dialog.sentence.text() and "still" not in dialog.sentence.text()
    finally:
        QLocale.setDefault(before)


def test_below_the_guide_is_said() -> None:
    dialog = LrFindDialog(plan_from_preset("classification", optimizer="sgd"), Path("x.db"))
    text = dialog.comparison_text({**RESULT, "optimizer": "sgd", "guide_low": 0.01,
                                   "guide_high": 0.1})
    assert "lies below the guide's range for sgd (0.01 to 0.1)" in text
    dialog.deleteLater()


def test_the_editor_has_the_button(workbench: PlanWorkbench) -> None:
    button = workbench.editor.findChild(QPushButton, "lrFindButton")
    assert button is not None and button.text() == "Find learning rate…"


def test_really_runs_on_digits(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    """The command itself, on a short sweep: the dialog ends with a result from the store."""
    plan = plan_from_preset("classification")
    dialog = LrFindDialog(plan, tmp_path / "t.db", steps=15)
    qtbot.addWidget(dialog)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.outcome is not None or "could not" in dialog.status.text(),
                    timeout=180_000)
    assert dialog.outcome is not None, dialog.status.text()
    assert len(dialog.outcome["points"]) >= 2 and dialog.outcome["trial_id"] >= 1
    assert dialog.progress.value() == dialog.progress.maximum()
    dialog.close()
