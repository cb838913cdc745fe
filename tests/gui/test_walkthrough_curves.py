"""The "Trials and curves" tab as a person meets it (issue 12, items 8, 9 and 11): the table's
filter filters the plot and says what is wrong with a malformed filter; a log axis says how
many points it cannot show; a metric with one point per trial is drawn; smoothing belongs to
the metric and leaves the raw line faint behind; a new experiment starts on clean axes; an
exported image names its trials and leaves the on-screen notes out.

Wired as the main window wires it: a real poller on a real SQLite file feeding a `RunView`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from hpdesk.gui.base.poller import ExperimentPoller
from hpdesk.gui.run.view import RunView
from hpdesk.store import Store

pytestmark = [pytest.mark.usefixtures("qapp"), pytest.mark.timeout(60)]
TIMEOUT_MS = 10_000
PLAN = {"hpdesk": 1, "objective": {"metric": "val_acc", "direction": "maximize"},
        "space": {"lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True}}}
LRS = (0.001, 0.01, 0.1, 0.5)  # trial numbers 0..3


@pytest.fixture
def db(tmp_path: Path) -> tuple[Path, int, list[int]]:
    """Four completed trials: `loss` (200 points, trial 0 with 3 values at or below zero),
    `val_acc` (10 points) and `test_acc` (one point per trial, at step 199)."""
    path = tmp_path / "hp.db"
    with Store(path) as store:
        exp = store.create_experiment("e", "classification", PLAN)
        ids = []
        for n, lr in enumerate(LRS):
            tid = store.add_trial(exp.id, {"lr": lr}).id
            ids.append(tid)
            store.update_trial(tid, state="completed", objective=0.5 + n / 10, started_at=1.0)
            steps = np.arange(200)
            loss = 1.0 + np.sin(steps / 7.0) * 0.5 + n
            if n == 0:
                loss[[10, 20, 30]] = (0.0, -0.5, -1.0)
            rows = [(tid, "loss", int(s), float(v), 1000.0 + s) for s, v in zip(steps, loss)]
            rows += [(tid, "val_acc", int(s), 0.5 + n / 10 + s / 1e4, 1000.0 + s)
                     for s in steps[19::20]]
            rows += [(tid, "test_acc", 199, 0.6 + n / 10, 1200.0)]
            store.write_metrics(rows)
    return path, exp.id, ids


@pytest.fixture
def run(qtbot: Any, db: tuple[Path, int, list[int]]):
    path, exp_id, ids = db
    view = RunView("en")
    qtbot.addWidget(view)
    view.resize(1000, 680)
    view.show()
    view.set_experiment(PLAN)
    poller = ExperimentPoller(path, exp_id, interval_ms=30)
    poller.polled.connect(view.on_poll)
    poller.curvesLoaded.connect(view.curves.on_curves_loaded)
    view.curves.curvesRequested.connect(poller.request_curves)
    poller.start()
    qtbot.waitUntil(lambda: all(view.curves.curve_data(i) is not None for i in ids),
                    timeout=TIMEOUT_MS)
    yield view, ids
    poller.stop()


def _metric(qtbot: Any, view: RunView, name: str, ids: list[int]) -> None:
    view.curves.controls.metric_combo.setCurrentText(name)
    qtbot.waitUntil(lambda: view.curves.current_metric() == name and all(
        view.curves.curve_data(i) is not None for i in ids), timeout=TIMEOUT_MS)


def _drawn(view: RunView, ids: list[int]) -> list[int]:
    return [i for i in ids if view.curves._curves[i].visible]


# item 8 --------------------------------------------------------------------------------------
def test_the_table_filter_filters_the_plot_its_list_and_its_csv(qtbot, run, tmp_path) -> None:
    view, ids = run
    view.trials.filter_edit.setText("lr >= 0.1")  # spaces around the sign are fine
    qtbot.waitUntil(lambda: _drawn(view, ids) == ids[2:], timeout=TIMEOUT_MS)
    listed = [i for i in ids if not view.curves.trial_list.item_of(i).isHidden()]
    assert listed == ids[2:]
    rows = view.curves.curves_csv(tmp_path / "c.csv").read_text().splitlines()[1:]
    assert {int(r.split(",")[0]) for r in rows} == set(ids[2:])
    # a trial unticked by the person stays hidden when the filter goes
    view.curves.trial_list.item_of(ids[3]).setCheckState(Qt.CheckState.Unchecked)
    view.trials.filter_edit.setText("")
    qtbot.waitUntil(lambda: _drawn(view, ids) == ids[:3], timeout=TIMEOUT_MS)
    view.trials.state_combo.setCurrentIndex(view.trials.state_combo.findData("failed"))
    qtbot.waitUntil(lambda: _drawn(view, ids) == [], timeout=TIMEOUT_MS)
    assert "hidden" in view.curves.notes.texts()["empty"]


@pytest.mark.parametrize(("text", "says"), [
    ("foo>1", "No column or metric is called “foo”."),
    ("lr>abc", "“lr>abc” compares with “abc”, which is not a number."),
    ("lr=<0.1", "“lr=<0.1” is not a condition"),
    ("state=runing", "“runing” is not a trial state."),
])
def test_a_malformed_filter_says_what_is_wrong(qtbot, run, text: str, says: str) -> None:
    view, ids = run
    trials = view.trials
    trials.filter_edit.setText(text)
    assert trials.proxy.rowCount() == 0
    assert says in trials.count.text() and "0 of 4 trials" in trials.count.text()
    assert says in trials.filter_edit.toolTip()
    assert "border" in trials.filter_edit.styleSheet()  # the field turns red
    trials.filter_edit.setText("lr<0.05")  # well formed: quiet again
    assert trials.count.text() == "2 of 4 trials"
    assert trials.filter_edit.styleSheet() == "" and "conditions" not in trials.count.text()
    trials.filter_edit.setText("lr>100")  # well formed, matches nothing: no complaint
    assert trials.count.text() == "0 of 4 trials"


# item 9 --------------------------------------------------------------------------------------
def test_log_y_says_how_many_points_it_cannot_show(qtbot, run) -> None:
    view, ids = run
    curves = view.curves
    _metric(qtbot, view, "loss", ids)
    assert "log" not in curves.notes.texts()
    curves.controls.log_check.setChecked(True)
    assert curves.notes.texts()["log"] == "Values at or below zero left out by log y: 3"
    curves.trial_list.item_of(ids[0]).setCheckState(Qt.CheckState.Unchecked)
    assert "log" not in curves.notes.texts()  # the curve with them is hidden
    curves.trial_list.item_of(ids[0]).setCheckState(Qt.CheckState.Checked)
    curves.controls.log_check.setChecked(False)
    assert "log" not in curves.notes.texts()


def test_a_metric_with_one_point_per_trial_is_drawn_as_markers_in_view(qtbot, run) -> None:
    view, ids = run
    curves = view.curves
    _metric(qtbot, view, "test_acc", ids)
    for n, tid in enumerate(ids):
        x, y = curves.curve_data(tid)
        assert (x.tolist(), y.tolist()) == ([199], [pytest.approx(0.6 + n / 10)])
        assert curves._curves[tid].item.opts["symbol"] == "o"
    (x0, x1), (y0, y1) = curves.plot.vb.viewRange()
    assert x0 < 199 < x1 and y0 < 0.6 and 0.9 < y1  # every marker inside, none on an edge
    _metric(qtbot, view, "loss", ids)
    assert curves._curves[ids[0]].item.opts["symbol"] is None  # lines again


def test_smoothing_is_per_metric_with_the_raw_line_faint_behind(qtbot, run) -> None:
    view, ids = run
    curves, controls = view.curves, view.curves.controls
    _metric(qtbot, view, "loss", ids)
    raw_y = curves.curve_data(ids[1])[1].copy()
    assert curves._curves[ids[1]].raw_drawn() is None  # no smoothing: one line
    controls.smooth_slider.setValue(80)
    qtbot.waitUntil(lambda: not np.array_equal(curves.curve_data(ids[1])[1], raw_y),
                    timeout=TIMEOUT_MS)
    faint = curves._curves[ids[1]].raw_drawn()
    assert faint is not None and np.array_equal(faint[1], raw_y)  # every raw value, behind
    assert curves._curves[ids[1]].raw_pen().color().alpha() < 100  # faint, whoever draws it
    _metric(qtbot, view, "val_acc", ids)
    assert controls.smoothing() == 0.0 and curves._curves[ids[1]].series.weight == 0.0
    assert curves._curves[ids[1]].raw_drawn() is None
    _metric(qtbot, view, "loss", ids)
    assert controls.smoothing() == pytest.approx(0.8)  # loss kept its own weight
    assert curves._curves[ids[1]].series.weight == pytest.approx(0.8)
    view.set_experiment(PLAN)  # another experiment starts unsmoothed
    assert controls.smoothing() == 0.0


def test_a_new_experiment_starts_on_clean_axes(qtbot, run) -> None:
    view, ids = run
    curves = view.curves
    _metric(qtbot, view, "loss", ids)
    assert curves.plot.getAxis("left").labelText == "loss"
    assert "empty" not in curves.notes.texts()
    view.set_experiment(PLAN)
    assert curves.plot.getAxis("left").labelText == ""
    (x0, x1), (y0, y1) = curves.plot.vb.viewRange()
    assert (x0, x1, y0, y1) == (0, 1, 0, 1)  # not the losses' steps and values
    assert curves.notes.texts()["empty"].startswith("No point yet")


# item 11 -------------------------------------------------------------------------------------
def test_an_exported_image_names_its_trials_without_the_screen_notes(qtbot, run,
                                                                     tmp_path) -> None:
    view, ids = run
    curves = view.curves
    _metric(qtbot, view, "loss", ids)
    curves.controls.log_check.setChecked(True)
    assert "log" in curves.notes.texts()
    names = [name for _, name in curves.legend_entries()]
    assert names == ["Trial 3 (best)", "Trial 0", "Trial 1", "Trial 2"]
    svg = curves.export_image(tmp_path / "plot.svg").read_text(encoding="utf-8")
    assert all(name in svg for name in names)
    assert "log y" not in svg and "zero" not in svg
    assert "log" in curves.notes.texts()  # back on screen after the export
    png = curves.export_image(tmp_path / "plot.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    legends = [i for i in curves.plot.vb.childItems() if type(i).__name__ == "LegendItem"]
    assert legends == [curves.end_markers.legend]  # the export's legend is gone again
