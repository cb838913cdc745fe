"""Switching language (or database) rebuilds the main window; what the person set up survives
(issue 12, item 14): the window's place and size, its splitters, the tab, the experiment and
trials selected, the table's filter, sort and scroll, the curves' settings, the Compare tab's
choices and the plan being edited, exactly as typed, problems and all."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QSplitter

from hpdesk.gui.actions import unsaved
from hpdesk.gui.base.settings import Settings
from hpdesk.gui.curves.items import X_WALL
from hpdesk.gui.shell import app, i18n
from hpdesk.gui.shell.main_window import MainWindow
from hpdesk.plan import plan_from_preset
from hpdesk.store import Store

TRIALS = 40  # more than the table shows: it scrolls


def _chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def _database(path: Path, name: str, trials: int) -> Path:
    """One completed experiment: `trials` trials with val_acc (its objective) and loss."""
    plan = plan_from_preset("classification").to_dict()
    with Store(path) as store:
        exp = store.create_experiment(name, "classification", plan)
        for n in range(trials):
            lr = 0.001 * (n + 1)
            t = store.add_trial(exp.id, {"lr": lr, "batch_size": 32})
            store.write_metrics([(t.id, metric, s, value, 10.0 + s)
                                 for s in range(10)
                                 for metric, value in (("val_acc", 0.5 + s * lr),
                                                       ("loss", 2.0 / (1 + s * lr)))])
            store.update_trial(t.id, state="completed", objective=0.5 + 9 * lr, ended_at=1.0)
    return path


@pytest.fixture
def open_window(qtbot, tmp_path: Path) -> Iterator[Callable[[Path], MainWindow]]:
    made: list[MainWindow] = []

    def make(db: Path) -> MainWindow:
        window = app._open_window(Settings(tmp_path / "settings.ini"), db, "en")
        qtbot.addWidget(window)
        made.append(window)
        _wait_shown(qtbot, window)
        return window

    yield make
    application = QApplication.instance()
    assert isinstance(application, QApplication)
    i18n.install(application, "en")
    for window in app._windows[:]:
        window.replaced = True  # nothing to ask at teardown
        window.close()
        app._windows.remove(window)


def _wait_shown(qtbot, window: MainWindow) -> None:
    """The database open, its experiment shown with every trial and its curves drawn."""
    qtbot.waitUntil(lambda: window.experiment is not None
                    and window.trials.model.rowCount() == window.trials.proxy.rowCount() > 0
                    and window.curves.current_metric() != ""
                    and window.curves.curve_data(window.trials.model.trial(0).id) is not None,
                    timeout=20_000)


def _switch(qtbot, old: MainWindow, **how: object) -> MainWindow:
    new = app.replace_window(old, **how)  # type: ignore[arg-type]
    qtbot.addWidget(new)
    qtbot.waitUntil(lambda: new.store is not None, timeout=10_000)
    return new


def _type(window: MainWindow, name: str, text: str) -> None:
    """Type into a line as a person does (textEdited, not only setText)."""
    edit = window.findChild(QLineEdit, name)
    assert edit is not None, name
    edit.setText(text)
    edit.textEdited.emit(text)


def _text(window: MainWindow, name: str) -> str:
    edit = window.findChild(QLineEdit, name)
    assert edit is not None, name
    return edit.text()


@pytest.mark.timeout(120)
def test_switching_language_keeps_everything_set_up(open_window, qtbot, tmp_path,
                                                    monkeypatch) -> None:
    old = open_window(_database(tmp_path / "x.db", "lr sweep", TRIALS))
    # The window moved and resized, its splitters dragged.
    old.move(37, 41)
    old.resize(1150, 720)  # larger than the offscreen screen: not moved onto it
    old.main_splitter.setSizes([310, 840])
    old.run_splitter.setSizes([420, 230])  # type: ignore[union-attr]
    curves_splitter = old.curves.findChild(QSplitter, "curvesSplitter")
    assert curves_splitter is not None
    curves_splitter.setSizes([500, 300])
    where, size = old.pos(), old.size()
    main_sizes, run_sizes = old.main_splitter.sizes(), old.run_splitter.sizes()  # type: ignore[union-attr]
    curves_sizes = curves_splitter.sizes()
    old.show_archived.setChecked(True)
    # The plan: an invalid learning-rate range and an invalid time limit, half typed.
    _type(old, "param.lr.low", "1e-4x")
    old.findChild(QLineEdit, "budgetWallTime").setText("soon")  # type: ignore[union-attr]
    problems = old.workbench.problems()
    assert old.workbench.plan() is None and len(problems) == 2
    baseline = old.workbench.baseline()
    # The curves: val_acc smoothed 0.3; loss drawn, smoothed 0.6, log y, x in seconds.
    controls = old.curves.controls
    assert old.curves.current_metric() == "val_acc"
    controls.smooth_spin.setValue(0.3)
    controls.metric_combo.setCurrentText("loss")
    controls.smooth_spin.setValue(0.6)
    controls.log_check.setChecked(True)
    controls.x_combo.setCurrentIndex(controls.x_combo.findData(X_WALL))
    # The trials: filtered, sorted by number descending, two selected, one hidden, scrolled.
    trials = old.trials
    trials.filter_edit.setText("batch_size=32")
    trials.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    top = trials.proxy.index(0, 0).data(Qt.ItemDataRole.DisplayRole)
    assert top == str(max(trials.model.trial(r).number for r in range(TRIALS)))
    ids = [trials.model.trial(r).id for r in range(trials.model.rowCount())]
    chosen, hidden = ids[30:32], ids[5]
    trials.select_trials(chosen)
    old.curves.trial_list.item_of(hidden).setCheckState(Qt.CheckState.Unchecked)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: trials.table.verticalScrollBar().maximum() >= 12)
    trials.table.verticalScrollBar().setValue(12)
    # The comparison: slices, completed trials only; the trials tab shown.
    old.compare.tabs.setCurrentIndex(1)
    old.compare.show_unscored.setChecked(False)
    old.tabs.setCurrentWidget(old.run_tab)
    experiment = old.experiment
    assert experiment is not None

    new = _switch(qtbot, old, language="zh_CN")
    assert new.language == "zh_CN" and _chinese(new.tabs.tabText(0))
    _wait_shown(qtbot, new)
    # The window and its splitters.
    assert (new.pos(), new.size()) == (where, size)
    assert new.main_splitter.sizes() == main_sizes
    assert new.run_splitter.sizes()[0] == run_sizes[0]  # type: ignore[union-attr]
    assert new.curves.findChild(QSplitter, "curvesSplitter").sizes() == curves_sizes  # type: ignore[union-attr]
    assert new.show_archived.isChecked()
    assert new.tabs.currentWidget() is new.run_tab
    assert new.experiment is not None and new.experiment.id == experiment.id
    assert new.experiments.selected_id() == experiment.id
    # The trials table.
    qtbot.waitUntil(lambda: sorted(new.trials.selected_ids()) == sorted(chosen), timeout=10_000)
    assert new.trials.filter_edit.text() == "batch_size=32"
    header = new.trials.table.horizontalHeader()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        0, Qt.SortOrder.DescendingOrder)
    assert new.trials.proxy.index(0, 0).data(Qt.ItemDataRole.DisplayRole) == top
    qtbot.waitUntil(lambda: new.trials.table.verticalScrollBar().value() == 12, timeout=10_000)
    # The curves.
    curves = new.curves
    qtbot.waitUntil(lambda: curves.current_metric() == "loss", timeout=10_000)
    assert curves.controls.log_y() and curves.controls.x_mode() == X_WALL
    assert curves.controls.smoothing() == pytest.approx(0.6)
    assert curves.trial_list.item_of(hidden).checkState() == Qt.CheckState.Unchecked  # type: ignore[union-attr]
    assert curves.view_state()["hidden"] == [hidden]
    assert curves.view_state()["selected"] == sorted(chosen)
    curves.controls.metric_combo.setCurrentText("val_acc")  # each metric kept its own weight
    assert curves.controls.smoothing() == pytest.approx(0.3)
    # The comparison.
    assert new.compare.tabs.currentIndex() == 1 and not new.compare.show_unscored.isChecked()
    # The plan: the same fields as typed, the same problems, now in Chinese; still unsaved.
    assert _text(new, "param.lr.low") == "1e-4x" and _text(new, "budgetWallTime") == "soon"
    assert new.workbench.plan() is None
    assert len(new.workbench.problems()) == 2 and new.workbench.problems() != problems
    assert all(_chinese(p) for p in new.workbench.problems())
    assert not new.launch_button.isEnabled() and _chinese(new.plan_status.text())
    assert new.workbench.baseline() == baseline
    assert new.workbench.is_modified() and new.isWindowModified()
    asked: list[str] = []
    monkeypatch.setattr(unsaved, "ask", lambda box: asked.append(box.text()) or
                        unsaved.Button.Cancel)
    event = QCloseEvent()
    new.closeEvent(event)
    assert asked and not event.isAccepted(), "the unsaved edits are still asked about"
    _type(new, "param.lr.low", "1e-4")  # fixed: the plan is valid again
    new.findChild(QLineEdit, "budgetWallTime").setText("")  # type: ignore[union-attr]
    assert new.workbench.plan() is not None and new.launch_button.isEnabled()


@pytest.mark.timeout(120)
def test_switching_database_keeps_the_window_and_plot_settings_not_the_selection(
        open_window, qtbot, tmp_path) -> None:
    old = open_window(_database(tmp_path / "a.db", "first", 6))
    other = _database(tmp_path / "b.db", "second", 3)
    old.move(25, 33)
    old.resize(740, 540)
    where, size = old.pos(), old.size()
    controls = old.curves.controls
    controls.log_check.setChecked(True)
    controls.x_combo.setCurrentIndex(controls.x_combo.findData(X_WALL))
    controls.metric_combo.setCurrentText("loss")
    controls.smooth_spin.setValue(0.5)
    old.compare.show_unscored.setChecked(False)
    old.trials.select_trials([old.trials.model.trial(0).id])
    old.tabs.setCurrentWidget(old.plan_tab)
    _type(old, "planName", "kept name")

    new = _switch(qtbot, old, db_path=other)
    _wait_shown(qtbot, new)
    assert (new.pos(), new.size()) == (where, size)
    assert new.curves.controls.log_y() and new.curves.controls.x_mode() == X_WALL
    assert not new.compare.show_unscored.isChecked()
    # The other database's experiment, as it opens: its objective, unsmoothed, no selection.
    assert new.experiment is not None and new.experiment.name == "second"
    assert new.trials.model.rowCount() == 3 and new.trials.selected_ids() == []
    assert new.curves.current_metric() == "val_acc"
    assert new.curves.controls.smoothing() == 0.0
    assert new.curves.view_state()["selected"] == []
    assert _text(new, "planName") == "kept name"  # the plan goes along (asked about before)
    new.showMaximized()  # and a maximised window stays maximised
    qtbot.waitUntil(new.isMaximized)
    again = _switch(qtbot, new, language="zh_CN")
    assert again.isMaximized()
    _wait_shown(qtbot, again)
    assert again.experiment is not None and again.experiment.name == "second"

