"""The Plan tab as a person meets it (issue 12): the wheel scrolls the plan instead of changing
values, the rows fit a 1024x700 window, and each problem is said once, in the words shown."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QScrollArea,
    QTextBrowser,
    QWidget,
)

from hpdesk.gui.workbench.workbench import PlanWorkbench
from hpdesk.plan import plan_from_preset

pytestmark = pytest.mark.timeout(60)


def _bench(qtbot: Any, width: int = 1024, height: int = 640) -> PlanWorkbench:
    bench = PlanWorkbench("en", [])
    qtbot.addWidget(bench)
    bench.set_plan(plan_from_preset("classification"))
    bench.resize(width, height)
    bench.show()
    qtbot.waitExposed(bench)
    return bench


def _wheel(widget: QWidget, steps: int = -3) -> bool:
    """What a mouse wheel turned `steps` notches (down when negative) over `widget` sends;
    True when the widget took it. (Sent, not spontaneous, the event does not go on to the
    parents, which a real wheel's ignored event does: see `_scrolls`.)"""
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(pos, QPointF(widget.mapToGlobal(pos.toPoint())), QPoint(0, 0),
                        QPoint(0, 120 * steps), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    event.accept()
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def test_the_wheel_scrolls_the_plan_past_its_drop_downs(qtbot: Any) -> None:
    bench = _bench(qtbot)
    editor = bench.editor
    bar = editor.rows_area.verticalScrollBar()
    assert bar.maximum() > 0  # the plan is taller than the window: there is something to scroll
    lars = editor.findChild(QComboBox, "param.lars.value")
    mode = editor.findChild(QComboBox, "param.lars.mode")
    direction = editor.findChild(QComboBox, "objectiveDirection")
    boxes = [lars, mode, direction, editor.findChild(QComboBox, "param.lr.scale")]
    before = [box.currentIndex() for box in boxes]
    for box in boxes:
        assert box.focusPolicy() == Qt.FocusPolicy.StrongFocus  # the wheel gives no focus
        for steps in (-3, 3, -3):
            assert not _wheel(box, steps)  # declined: Qt hands it on to the scroll area
    assert [box.currentIndex() for box in boxes] == before
    assert lars.currentText() == "false" and bench.plan() == plan_from_preset("classification")
    assert _wheel(editor.rows_area.viewport(), -3) and bar.value() > 0  # which scrolls
    # Every combo and spin box of the tab is guarded, the run settings' too.
    for widget in bench.findChildren(QComboBox) + bench.findChildren(QAbstractSpinBox):
        assert widget.focusPolicy() == Qt.FocusPolicy.StrongFocus, widget.objectName()
    # Once the person clicked into it (it has the focus), the wheel does change it.
    lars.setFocus(Qt.FocusReason.MouseFocusReason)
    qtbot.waitUntil(lars.hasFocus)
    assert _wheel(lars, -1) and lars.currentText() == "true"


def _right_edge_inside(widget: QWidget, area: QScrollArea) -> bool:
    viewport = area.viewport()
    right = widget.mapTo(viewport, QPoint(widget.width(), 0)).x()
    return 0 <= widget.mapTo(viewport, QPoint(0, 0)).x() and right <= viewport.width()


@pytest.mark.parametrize("width", [760, 1024])
def test_every_row_fits_the_editor_at_1024_by_700(qtbot: Any, width: int) -> None:
    """760: the workbench's share of a 1024x700 window beside a wide experiment list."""
    bench = _bench(qtbot, width, 600)
    editor = bench.editor
    area = editor.rows_area
    qtbot.waitUntil(lambda: area.horizontalScrollBar().maximum() == 0)
    lr_low = editor.findChild(QWidget, "param.lr.low")
    lr_low.setText("0.5")
    lr_low.textEdited.emit("0.5")  # off the recommendation: the quick fix shows
    recommend = editor.findChild(QWidget, "param.lr.recommend")
    qtbot.waitUntil(recommend.isVisible)
    buttons = [w for w in area.widget().findChildren(QWidget)
               if w.objectName().endswith((".remove", ".recommend", ".low", ".high", ".step",
                                           ".scale", ".value", ".mode"))
               and w.isVisibleTo(area.widget())]
    assert len(buttons) > 40
    assert [w.objectName() for w in buttons if not _right_edge_inside(w, area)] == []
    assert area.horizontalScrollBar().maximum() == 0


def test_a_wide_window_keeps_each_range_on_its_row(qtbot: Any) -> None:
    bench = _bench(qtbot, 1800, 700)
    editor = bench.editor
    assert editor.value_inline("lr") and editor.value_inline("optimizer")
    lr = editor.findChild(QWidget, "param.lr.low")
    name = editor.findChild(QLabel, "param.lr")
    assert abs(lr.mapTo(bench, QPoint(0, 0)).y() - name.mapTo(bench, QPoint(0, 0)).y()) < 12
    bench.resize(700, 700)  # narrower: the range goes below its name, fixed values stay
    qtbot.waitUntil(lambda: not editor.value_inline("lr"))
    assert editor.value_inline("optimizer")
    assert lr.mapTo(bench, QPoint(0, 0)).y() > name.mapTo(bench, QPoint(0, 0)).y() + 12


def _shown_text(bench: PlanWorkbench) -> str:
    """Everything the workbench shows in words: visible labels and the advice."""
    texts = [w.text() for w in bench.findChildren(QLabel) if w.isVisibleTo(bench)]
    texts += [w.toPlainText() for w in bench.findChildren(QTextBrowser) if w.isVisibleTo(bench)]
    return "\n".join(texts)


def test_each_problem_is_said_once_in_the_words_shown(qtbot: Any) -> None:
    bench = _bench(qtbot)
    bench.run_settings.wall_time.setText("soon")
    low = bench.editor.findChild(QWidget, "param.lr.low")
    low.setText("abc")
    low.textEdited.emit("abc")
    metric = bench.editor.metric_edit
    metric.setText("")
    metric.textEdited.emit("")
    assert bench.plan() is None
    problems = bench.problems()
    assert len(problems) == len(set(problems)) == 3
    shown = _shown_text(bench)
    for sentence in problems:
        assert shown.count(sentence) == 1, sentence
    assert any(p.startswith("Time limit (Budget): expected") for p in problems)
    assert any(p.startswith("lr, low end: expected a number") for p in problems)
    assert any(p.startswith("Objective, metric: ") for p in problems)
    for internal in ("budget.", "objective.", "space.", "executor.", "wall_time"):
        assert internal not in shown, internal
    # The fields are still marked where they are.
    assert bench.run_settings.wall_time.styleSheet() and low.styleSheet()
    assert "expected" in bench.run_settings.wall_time.accessibleDescription()
