"""The plan editor: a preset shown as a form, checked as typed, edits turned into plans."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton, QToolButton

from hpdesk.gui.base.inputs import INVALID_STYLE
from hpdesk.gui.workbench.editor import PlanEditor
from hpdesk.knowledge import lr_range
from hpdesk.plan import Categorical, Fixed, FloatRange, dumps_plan, loads_plan, plan_from_preset
from tests.gui.accessibility import unnamed_widgets


@pytest.fixture
def editor(qtbot):  # noqa: ANN001, ANN201
    widget = PlanEditor("en")
    qtbot.addWidget(widget)
    widget.set_plan(plan_from_preset("classification"))
    return widget


def type_into(editor: PlanEditor, name: str, text: str) -> QLineEdit:
    edit = editor.findChild(QLineEdit, name)
    assert edit is not None, name
    edit.setText(text)
    edit.textEdited.emit(text)  # what a key press sends; setText alone is a program's change
    return edit


def pick(editor: PlanEditor, name: str, data_or_text: str) -> QComboBox:
    combo = editor.findChild(QComboBox, name)
    assert combo is not None, name
    index = combo.findData(data_or_text)
    combo.setCurrentIndex(index if index >= 0 else combo.findText(data_or_text))
    combo.activated.emit(combo.currentIndex())
    return combo


def test_shows_the_preset_unchanged_grouped_by_tier(editor: PlanEditor) -> None:
    assert editor.plan() == plan_from_preset("classification")
    assert editor.is_valid() and editor.problems() == []
    headings = [w.text() for w in editor.findChildren(QLabel) if w.objectName().startswith("tier")]
    assert len(headings) == 3 and "tune first" in headings[0]
    assert editor.findChild(QLineEdit, "param.lr.low").text() == "0.001"
    assert "learning rate" in editor.findChild(QLabel, "param.lr").toolTip().lower()
    assert unnamed_widgets(editor) == []


def test_low_above_high_is_marked_until_fixed(editor: PlanEditor, qtbot) -> None:  # noqa: ANN001
    with qtbot.waitSignal(editor.validityChanged) as invalid:
        low = type_into(editor, "param.lr.low", "0.1")
    valid, problems = invalid.args
    assert not valid and editor.plan() is None
    assert len(problems) == 1 and problems[0].startswith("lr, low end")
    assert low.styleSheet() == INVALID_STYLE and "below high" in low.toolTip()
    assert editor.last_valid_plan() == plan_from_preset("classification")
    with qtbot.waitSignal(editor.validityChanged) as reset:
        editor.set_plan(plan_from_preset("classification"))  # a new plan clears the problems
    assert reset.args == [True, []] and editor.problem_label.isHidden()
    low = type_into(editor, "param.lr.low", "0.1")  # the rows were built anew

    with qtbot.waitSignal(editor.planChanged) as changed:
        type_into(editor, "param.lr.low", "0.0005")
    assert changed.args[0].space["lr"] == FloatRange(0.0005, 0.01, log=True)
    assert editor.plan() == changed.args[0] and editor.problems() == []
    assert low.styleSheet() == ""


def test_fixing_a_searched_parameter(editor: PlanEditor, qtbot) -> None:  # noqa: ANN001
    with qtbot.waitSignal(editor.planChanged):
        pick(editor, "param.batch_size.mode", "fixed")
    plan = editor.plan()
    assert plan is not None and plan.space["batch_size"] == Fixed(64)
    type_into(editor, "param.batch_size.value", "32")
    assert editor.plan().space["batch_size"] == Fixed(32)
    pick(editor, "param.activation.mode", "choices")
    type_into(editor, "param.activation.choices", "relu, gelu")
    assert editor.plan().space["activation"] == Categorical(("relu", "gelu"))


def test_edited_plan_survives_a_file_round_trip(editor: PlanEditor) -> None:
    type_into(editor, "param.dropout.high", "0.3")
    pick(editor, "param.lr_schedule.value", "step")
    type_into(editor, "planName", "my run")
    plan = editor.plan()
    assert plan is not None and plan.name == "my run"
    for fmt in ("yaml", "toml"):
        assert loads_plan(dumps_plan(plan, fmt), fmt) == plan


def test_a_text_where_a_number_belongs_is_rejected(editor: PlanEditor) -> None:
    edit = type_into(editor, "param.lr_final_ratio.value", "small")
    assert editor.plan() is None and "expected a number" in edit.toolTip()
    pick(editor, "param.activation.mode", "choices")
    type_into(editor, "param.activation.choices", "relu, swish")
    assert any("activation, choices" in p for p in editor.problems())


def test_the_lr_range_follows_the_optimizer_until_edited(editor: PlanEditor) -> None:
    combo = editor.findChild(QComboBox, "param.optimizer.value")
    combo.setCurrentText("sgd")
    low, high = lr_range("sgd")
    assert editor.plan().space["lr"] == FloatRange(low, high, log=True)
    assert editor.plan().name == "classification-sgd"
    assert "beta1" not in editor.plan().space
    combo.setCurrentText("sgd_momentum")
    assert "momentum" in editor.plan().space
    note = editor.findChild(QLabel, "param.beta1.note")
    assert "optimizer" in note.text() and note.text().startswith("Off")

    type_into(editor, "param.lr.high", "0.05")
    combo.setCurrentText("sgd")
    assert editor.plan().space["lr"].high == 0.05  # the person's range is kept...
    button = editor.findChild(QPushButton, "param.lr.recommend")
    assert not button.isHidden() and "0.01" in button.toolTip()
    button.click()  # ...until they take the recommended one
    assert editor.plan().space["lr"] == FloatRange(low, high, log=True)
    assert button.isHidden()


def test_fine_tuning_lowers_the_recommended_lr(editor: PlanEditor) -> None:
    editor.fine_tune.setChecked(True)
    plan = editor.plan()
    assert plan.fine_tune and plan.space["lr"].span() == lr_range("adam", fine_tune=True)


def test_remove_and_add_back(editor: PlanEditor) -> None:
    editor.findChild(QToolButton, "param.dropout.remove").click()
    assert "dropout" not in editor.plan().space
    assert editor.findChild(QLineEdit, "param.dropout.low") is None
    assert editor.add_combo.findText("dropout") >= 0
    editor.add_combo.setCurrentText("dropout")
    editor.add_button.click()
    assert editor.plan().space["dropout"] == FloatRange(0.0, 0.5)


def test_a_scripts_own_parameter_goes_in_the_other_group(qtbot) -> None:  # noqa: ANN001
    editor = PlanEditor("en")
    qtbot.addWidget(editor)
    editor.set_plan(plan_from_preset("script"))
    assert editor.add_combo.isEditable()
    editor.add_combo.setEditText("hidden_units")
    editor.add_button.click()
    assert editor.findChild(QLabel, "tierHeading0") is not None
    type_into(editor, "param.hidden_units.value", "128")
    assert editor.plan().space["hidden_units"] == Fixed(128)
    assert unnamed_widgets(editor) == []


def test_objective_metric_cannot_be_empty(editor: PlanEditor) -> None:
    type_into(editor, "objectiveMetric", "")
    assert editor.plan() is None
    assert editor.metric_edit.styleSheet() == INVALID_STYLE


def test_focus_parameter_reaches_the_row(editor: PlanEditor) -> None:
    assert editor.focus_parameter("batch_size")
    assert not editor.focus_parameter("no_such_parameter")
