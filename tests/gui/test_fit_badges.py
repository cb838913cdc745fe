"""Fit-state findings in the window (issue 15): a badge on the trial in the trials table, a mark
on its curve, all of a trial's findings in a dialog, in English and Chinese; a running trial
whose validation loss turns up gets its badge as the points arrive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor

from hpdesk.analysis.diagnose import diagnose_experiment
from hpdesk.gui.base.fit_findings import LEVEL_COLORS
from hpdesk.gui.base.poller import ExperimentPoller
from hpdesk.gui.base.settings import Settings
from hpdesk.gui.run.view import RunView
from hpdesk.gui.shell import i18n
from hpdesk.gui.shell.main_window import MainWindow
from hpdesk.gui.trials.findings import FindingsDialog
from hpdesk.store import Store

pytestmark = pytest.mark.usefixtures("qapp")

PLAN = {"objective": {"metric": "val_loss", "direction": "minimize"},
        "space": {"lr": {"type": "float", "low": 1e-4, "high": 0.1, "log": True},
                  "batch_size": [32, 64, 128]}}
STEPS = np.arange(1, 1201)
ENDS = STEPS[99::100]  # an epoch every 100 steps
EPOCHS = np.arange(1, 13)
TRAIN = 1.5 / np.sqrt(STEPS / 10)
OVER = np.where(EPOCHS <= 6, 1.0 / EPOCHS, 1.0 / 6 + 0.08 * (EPOCHS - 6))  # up from epoch 7
FINE = 1.0 / EPOCHS + 0.2


def rows(tid: int, val: np.ndarray, upto: int = 1200, after: int = 0) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    pick = (STEPS > after) & (STEPS <= upto)
    out += [(tid, "loss", int(s), float(v), 0.0) for s, v in zip(STEPS[pick], TRAIN[pick])]
    ends = (ENDS > after) & (ENDS <= upto)
    out += [(tid, "val_loss", int(s), float(v), 0.0) for s, v in zip(ENDS[ends], val[ends])]
    out += [(tid, "epoch", int(s), float(v), 0.0) for s, v in zip(ENDS[ends], EPOCHS[ends])]
    return out


def stored(db: Path, *, running: bool = False) -> tuple[int, dict[str, int]]:
    """Finished trials: "nan" (its loss became NaN at step 30), "over" (over-fitting from epoch
    7, step 700), "fine"; with `running`, a fourth still running, healthy for 6 epochs."""
    with Store(db) as store:
        exp = store.create_experiment("fit", "script", PLAN)
        ids: dict[str, int] = {}
        names = ["nan", "over", "fine"] + (["live"] if running else [])
        for i, name in enumerate(names):
            t = store.add_trial(exp.id, {"lr": 0.001 * (i + 1), "batch_size": 64})
            ids[name] = t.id
            store.update_trial(t.id, state="running" if name == "live" else "completed",
                               objective=None if name == "live" else 0.3)
        data: list[tuple[Any, ...]] = [(ids["nan"], "loss", s, None if s >= 30 else 2.3 / s, 0.0)
                                       for s in range(1, 60)]
        data += rows(ids["over"], OVER) + rows(ids["fine"], FINE)
        if running:
            data += rows(ids["live"], OVER, upto=600)
        store.write_metrics(data)
    return exp.id, ids


@pytest.fixture
def chinese() -> Iterator[None]:
    app = QCoreApplication.instance()
    assert app is not None
    i18n.install(app, "zh_CN")
    yield
    i18n.install(app, "en")


def run_view(qtbot: Any, db: Path, exp: int, language: str = "en") -> RunView:
    """A run view fed by a real poller, as the window feeds it, until the findings are in."""
    view = RunView(language)
    qtbot.addWidget(view)
    view.resize(1000, 680)
    view.show()
    with Store(db) as store:
        view.set_experiment(store.experiment(exp).plan)
    view.watch_findings(db, exp)
    poller = ExperimentPoller(db, exp, interval_ms=50)
    poller.polled.connect(view.on_poll)
    poller.curvesLoaded.connect(view.on_curves_loaded)
    view.curves.curvesRequested.connect(poller.request_curves)
    poller.start()
    try:
        qtbot.waitUntil(lambda: len(view.findings.findings()) == 2, timeout=15_000)
        # The NaN trial never reported val_loss: no curve of it, no mark (until "loss").
        qtbot.waitUntil(lambda: len(view.curves.finding_marks_drawn()) == 1, timeout=10_000)
    finally:
        poller.stop()
    return view


def fit_cell(view: RunView, trial_id: int, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
    model = view.trials.model
    row = model.row_of(trial_id)
    assert row is not None
    return model.index(row, model.column_of("fit")).data(role)


def expected(db: Path, exp: int, lang: str) -> dict[int, Any]:
    with Store(db) as store:
        return {f.trial_id: f.worded(lang) for f in diagnose_experiment(store, exp)}


def test_badges_name_the_finding_and_the_tooltip_says_it_in_full(qtbot: Any,
                                                                 tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    exp, ids = stored(db)
    view = run_view(qtbot, db, exp)
    assert view.trials.model.headerData(view.trials.model.column_of("fit"),
                                        Qt.Orientation.Horizontal) == "Fit"
    assert fit_cell(view, ids["over"]) == "\u26a0 Over-fitting"
    assert fit_cell(view, ids["nan"]) == "\u2716 Diverged"
    assert fit_cell(view, ids["fine"]) == ""
    assert fit_cell(view, ids["fine"], Qt.ItemDataRole.ToolTipRole) is None
    assert fit_cell(view, ids["over"], Qt.ItemDataRole.ForegroundRole) == QColor(
        LEVEL_COLORS["warning"])
    words = expected(db, exp, "en")
    tip = fit_cell(view, ids["over"], Qt.ItemDataRole.ToolTipRole)
    over = words[ids["over"]]
    assert "epoch 7" in over.evidence
    for part in (over.evidence, over.action, "val_loss, step 700 (epoch 7)"):
        assert part.replace("'", "&#x27;") in tip
    assert "Source:" in tip and over.source_text("en") in tip
    # Sorting by the badge puts the error first, then the warning, then the trial without any.
    view.trials.table.sortByColumn(view.trials.model.column_of("fit"),
                                   Qt.SortOrder.AscendingOrder)
    assert view.trials.proxy.shown_trial_ids() == [ids["nan"], ids["over"], ids["fine"]]
    view.trials.filter_edit.setText("Over-fitting")
    assert view.trials.proxy.shown_trial_ids() == [ids["over"]]


def test_badges_and_dialog_in_chinese(qtbot: Any, tmp_path: Path, chinese: None) -> None:
    db = tmp_path / "x.db"
    exp, ids = stored(db)
    view = run_view(qtbot, db, exp, "zh_CN")
    assert fit_cell(view, ids["over"]) == "\u26a0 过拟合"
    assert fit_cell(view, ids["nan"]) == "\u2716 发散"
    words = expected(db, exp, "zh_CN")
    tip = fit_cell(view, ids["over"], Qt.ItemDataRole.ToolTipRole)
    assert words[ids["over"]].evidence in tip and "第 7 个 epoch" in tip
    assert "下一步" in tip
    dialog = view.trials.show_findings(ids["over"])
    assert isinstance(dialog, FindingsDialog)
    qtbot.addWidget(dialog)
    text = dialog.text.toPlainText()
    assert words[ids["over"]].evidence in text and words[ids["over"]].action in text
    assert "试验" in dialog.windowTitle()


def test_the_menu_and_enter_on_the_badge_open_the_findings(qtbot: Any, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    exp, ids = stored(db)
    view = run_view(qtbot, db, exp)
    menu = view.trials.menu_for([ids["nan"]])
    action = next(a for a in menu.actions() if a.objectName() == "fitFindingsAction")
    assert action.isEnabled() and action.text() == "Fit-state findings…"
    action.trigger()
    dialog = view.trials._findings_dialog
    assert isinstance(dialog, FindingsDialog) and dialog.isVisible()
    nan = expected(db, exp, "en")[ids["nan"]]
    assert nan.evidence in dialog.text.toPlainText()
    assert "loss became nan at step 30" in dialog.text.toPlainText()
    dialog.close()
    # Enter on the badge's cell (the keyboard's way to it).
    table = view.trials.table
    model, proxy = view.trials.model, view.trials.proxy
    row = model.row_of(ids["over"])
    assert row is not None
    index = proxy.mapFromSource(model.index(row, model.column_of("fit")))
    table.setFocus()
    table.setCurrentIndex(index)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    dialog = view.trials._findings_dialog
    assert isinstance(dialog, FindingsDialog) and dialog.isVisible()
    assert "Over-fitting" in dialog.text.toPlainText()
    dialog.close()


def test_marks_on_the_curve_or_on_the_bottom_and_in_the_legend(qtbot: Any,
                                                               tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    exp, ids = stored(db)
    view = run_view(qtbot, db, exp)
    curves = view.curves
    assert curves.current_metric() == "val_loss"  # the objective
    marks = {(tid, kind): (x, y) for tid, kind, x, y in curves.finding_marks_drawn()}
    # Over-fitting of val_loss: on its curve at step 700, at its value there.
    assert marks[(ids["over"], "overfitting")] == (700.0, pytest.approx(OVER[6]))
    assert list(marks) == [(ids["over"], "overfitting")]
    assert "fit-state finding" in curves.end_markers.legend_entries()
    on_curve = curves.finding_marks.on_curve.points()
    assert len(on_curve) == 1 and on_curve[0].symbol() == "h"
    assert on_curve[0].brush().color().name() == QColor(LEVEL_COLORS["warning"]).name()
    tip = curves.finding_marks.tip(ids["over"], 0)
    assert "Trial 1" in tip and "Over-fitting" in tip and "epoch 7" in tip


def test_marks_follow_the_shown_metric_and_the_trials_shown(qtbot: Any, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    exp, ids = stored(db)
    view = run_view(qtbot, db, exp)
    curves = view.curves
    poller = ExperimentPoller(db, exp, interval_ms=50)
    poller.polled.connect(view.on_poll)
    poller.curvesLoaded.connect(view.on_curves_loaded)
    curves.curvesRequested.connect(poller.request_curves)
    poller.start()
    try:
        curves.controls.choose_metric("loss")  # asks the poller for the whole curves

        def nan_on_curve() -> bool:
            return any(tid == ids["nan"] and y is not None
                       for tid, _, _, y in curves.finding_marks_drawn())
        qtbot.waitUntil(nan_on_curve, timeout=10_000)
    finally:
        poller.stop()
    marks = {(tid, kind): (x, y) for tid, kind, x, y in curves.finding_marks_drawn()}
    assert marks[(ids["nan"], "diverged")] == (30.0, pytest.approx(2.3 / 29))
    assert marks[(ids["over"], "overfitting")] == (700.0, None)  # val_loss: on the bottom
    bottom = curves.finding_marks.on_axis.points()
    assert len(bottom) == 1 and bottom[0].symbol() == "t1"
    assert bottom[0].brush().color().name() == QColor(LEVEL_COLORS["warning"]).name()
    (_, _), (y0, y1) = curves.plot.vb.viewRange()
    assert y0 <= bottom[0].pos().y() < y0 + (y1 - y0) * 0.1  # on the bottom edge
    on_curve = curves.finding_marks.on_curve.points()
    assert on_curve[0].brush().color().name() == QColor(LEVEL_COLORS["error"]).name()
    curves.set_filter([ids["fine"], ids["over"]])  # the table's filter hides the NaN trial
    assert [tid for tid, *_ in curves.finding_marks_drawn()] == [ids["over"]]
    curves.set_filter(None)
    curves.set_selected_trials([ids["fine"]])  # others dimmed, marks too
    assert all(p.brush().color().alpha() < 255 for p in curves.finding_marks.on_curve.points())


def test_a_running_trial_gets_its_badge_when_its_validation_loss_turns_up(
        make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    exp, ids = stored(db, running=True)
    window = make_window(db=db)
    window.build_views()
    window.run_view.findings.live_interval_ms = 300
    window.show_experiment(exp)
    view = window.run_view
    qtbot.waitUntil(lambda: len(view.findings.findings()) == 2, timeout=15_000)
    assert fit_cell(view, ids["live"]) == ""  # healthy so far
    with Store(db) as store:
        store.write_metrics(rows(ids["live"], OVER, after=600))
    qtbot.waitUntil(lambda: fit_cell(view, ids["live"]) == "\u26a0 Over-fitting",
                    timeout=15_000)
    tip = fit_cell(view, ids["live"], Qt.ItemDataRole.ToolTipRole)
    assert "may change" in tip  # a live finding says so
    qtbot.waitUntil(lambda: any(tid == ids["live"] for tid, *_ in
                                view.curves.finding_marks_drawn()), timeout=10_000)


@pytest.fixture
def make_window(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    created: list[MainWindow] = []

    def make(language: str = "en", db: Path | None = None) -> MainWindow:
        window = MainWindow(Settings(tmp_path / "settings.ini"), db or tmp_path / "x.db",
                            language)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.store is not None, timeout=10_000)
        created.append(window)
        return window

    yield make
    for window in created:
        if window.isVisible():
            window.close()
