"""The live curves, wired to a real poller on a real SQLite file: curves appear, stream, switch
metric, smooth, go logarithmic, mark where failed trials stopped, and export."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from hpdesk.analysis.series import ema
from hpdesk.gui.curves.view import CurvesView
from hpdesk.store import Store
from tests.gui.accessibility import unnamed_widgets
from tests.gui.live_curves import live_curves

pytestmark = pytest.mark.usefixtures("qapp")
TIMEOUT_MS = 10_000
PLAN = {"hpdesk": 1, "objective": {"metric": "val_acc", "direction": "maximize"}}
N = 2_000  # points of "loss" per trial: more than the plot's pixels, so decimation shows


def _loss(trial: int, steps: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(trial)
    return 2.0 / np.sqrt(1 + steps / 50) + 0.1 * rng.random(steps.size) + trial


@pytest.fixture
def db(tmp_path: Path) -> tuple[Path, int, dict[str, int]]:
    """completed (best val_acc), running, failed (stopped at step 1200), queued (no points)."""
    path = tmp_path / "hp.db"
    with Store(path) as store:
        exp = store.create_experiment("e", "classification", PLAN)
        ids = {}
        for name, state, objective, last in (("done", "completed", 0.9, N),
                                              ("running", "running", None, N),
                                              ("failed", "failed", 0.2, 1200),
                                              ("queued", "queued", None, 0)):
            tid = store.add_trial(exp.id, {"lr": 0.1}).id
            ids[name] = tid
            store.update_trial(tid, state=state, objective=objective, started_at=time.time())
            steps = np.arange(last)
            rows = [(tid, "loss", int(s), float(v), 1000.0 + 0.5 * s)
                    for s, v in zip(steps, _loss(tid, steps))]
            rows += [(tid, "val_acc", int(s), 0.5 + s / 10_000, 1000.0 + 0.5 * s)
                     for s in steps[199::200]]
            rows += [(tid, "epoch", int(s), (s + 1) / 200, 1000.0 + 0.5 * s)
                     for s in steps[199::200]]
            store.write_metrics(rows)
    return path, exp.id, ids


@pytest.fixture
def live(qtbot, db):
    """The view and its poller, wired as the main window wires them, curves loaded."""
    path, exp_id, ids = db
    view, poller = live_curves(qtbot, path, exp_id, PLAN)
    qtbot.waitUntil(lambda: all(view.curve_data(ids[k]) is not None
                                for k in ("done", "running", "failed")), timeout=TIMEOUT_MS)
    yield view, poller, path, ids
    poller.stop()


def _choose_metric(qtbot, view: CurvesView, name: str, ids: dict[str, int]) -> None:
    view.controls.metric_combo.setCurrentText(name)
    qtbot.waitUntil(lambda: view.current_metric() == name and view.curve_data(ids["done"])
                    is not None, timeout=TIMEOUT_MS)


def test_curves_appear_for_trials_with_points_decimated_with_their_peaks(live):
    view, _, path, ids = live
    assert view.current_metric() == "val_acc"  # the plan's objective comes first
    assert view.controls.metrics() == ["epoch", "loss", "val_acc"]
    assert view.curve_data(ids["queued"]) is None


def test_loss_curves_are_decimated_and_keep_their_extremes(qtbot, live):
    view, _, _, ids = live
    _choose_metric(qtbot, view, "loss", ids)
    x, y = view.curve_data(ids["done"])
    full = _loss(ids["done"], np.arange(N))
    assert len(x) < N  # fewer points than the curve, about 2 per pixel
    assert (x[0], x[-1]) == (0, N - 1)
    assert y.max() == full.max() and y.min() == full.min()


def test_points_written_later_show_up_after_a_poll(qtbot, live):
    view, _, path, ids = live
    with Store(path) as store:
        store.write_metrics([(ids["running"], "val_acc", N + 500, 0.99, 2000.0)])
        store.update_trial(ids["queued"], state="running")
        store.write_metrics([(ids["queued"], "val_acc", s, 0.1, 3000.0) for s in (10, 20)])
    qtbot.waitUntil(lambda: view.curve_data(ids["running"])[0][-1] == N + 500,
                    timeout=TIMEOUT_MS)
    assert view.curve_data(ids["running"])[1][-1] == 0.99
    qtbot.waitUntil(lambda: view.curve_data(ids["queued"]) is not None, timeout=TIMEOUT_MS)
    assert view.curve_data(ids["queued"])[0].tolist() == [10, 20]  # a trial that just started


def test_switching_metric_asks_for_the_other_curves(qtbot, live):
    view, _, _, ids = live
    with qtbot.waitSignal(view.curvesRequested, timeout=TIMEOUT_MS) as asked:
        view.controls.metric_combo.setCurrentText("loss")
    assert asked.args[0] == "loss" and set(asked.args[1]) == set(ids.values())
    qtbot.waitUntil(lambda: view.curve_data(ids["failed"]) is not None, timeout=TIMEOUT_MS)
    assert view.curve_data(ids["failed"])[0][-1] == 1199
    assert view.plot.getAxis("left").labelText == "loss"


def test_smoothing_changes_the_drawn_values_like_tensorboard(qtbot, live):
    view, _, _, ids = live
    _choose_metric(qtbot, view, "loss", ids)
    raw_y = view.curve_data(ids["done"])[1].copy()
    view.controls.smooth_slider.setValue(90)
    assert view.controls.smooth_spin.value() == pytest.approx(0.9)
    qtbot.waitUntil(lambda: not np.array_equal(view.curve_data(ids["done"])[1], raw_y),
                    timeout=TIMEOUT_MS)
    x, y = view.curve_data(ids["done"])
    smooth, _ = ema(_loss(ids["done"], np.arange(N)), 0.9)
    assert y.max() == pytest.approx(smooth.max()) and y.min() == pytest.approx(smooth.min())
    assert y.max() - y.min() < raw_y.max() - raw_y.min()


def test_log_y_switches_the_axis_and_keeps_the_data(qtbot, live):
    view, _, _, ids = live
    _choose_metric(qtbot, view, "loss", ids)
    before = view.curve_data(ids["done"])[1].copy()
    view.controls.log_check.setChecked(True)
    assert view.plot.getAxis("left").logMode
    (_, _), (y0, y1) = view.plot.vb.viewRange()
    assert y1 < 1.5  # log10 of losses around 1 to 4, not the raw values
    assert np.array_equal(view.curve_data(ids["done"])[1], before)


def test_a_failed_trial_is_marked_where_it_stopped_in_its_state_colour(qtbot, live):
    view, _, _, ids = live
    _choose_metric(qtbot, view, "loss", ids)
    markers = view.stopped_markers()
    assert set(markers) == {ids["failed"]}
    x, y, state = markers[ids["failed"]]
    assert (x, state) == (1199, "failed")
    assert y == pytest.approx(float(_loss(ids["failed"], np.arange(1200))[-1]))
    assert view.ends.getData()[0].tolist() == [1199.0]


def test_on_a_log_axis_the_end_marker_sits_on_its_curve_in_log10(qtbot, live):
    view, _, _, ids = live
    _choose_metric(qtbot, view, "loss", ids)
    last = float(_loss(ids["failed"], np.arange(1200))[-1])
    view.controls.log_check.setChecked(True)
    x, y, _ = view.stopped_markers()[ids["failed"]]
    assert (x, y) == (1199, pytest.approx(np.log10(last)))  # where the curve's path ends
    view.controls.log_check.setChecked(False)
    assert view.stopped_markers()[ids["failed"]][1] == pytest.approx(last)


def test_the_best_trial_is_emphasised_and_a_selection_dims_the_others(live):
    view, _, _, ids = live
    assert view._curves[ids["done"]].style == "best"  # val_acc 0.9, maximised
    assert view._curves[ids["failed"]].style == "normal"
    view.set_selected_trials([ids["failed"]])
    assert view._curves[ids["failed"]].style == "strong"
    assert view._curves[ids["done"]].style == "dim"
    view.set_selected_trials([])
    assert view._curves[ids["done"]].style == "best"


def test_unticking_a_trial_hides_its_curve_and_highlight_shows_it_again(qtbot, live):
    view, _, _, ids = live
    item = view.trial_list.item_of(ids["failed"])
    assert item is not None and item.text() == "#2"
    item.setCheckState(Qt.CheckState.Unchecked)
    assert not view._curves[ids["failed"]].visible and view.stopped_markers() == {}
    view.highlight([ids["failed"]])
    assert view._curves[ids["failed"]].visible and item.checkState() == Qt.CheckState.Checked
    with qtbot.waitSignal(view.trialActivated) as hit:
        view.trial_list.itemDoubleClicked.emit(item)
    assert hit.args == [ids["failed"]]


def test_follow_latest_keeps_a_view_the_curves_fill_and_leaves_room_to_stream():
    from hpdesk.gui.curves.items import follow_range

    boxes = [(0.0, 100.0, 1.0, 2.0), (0.0, 50.0, 0.5, 1.5)]
    fitted, view, pad = follow_range(boxes, (0, 1, 0, 1), None, grow_only=False, headroom=0.05)
    assert fitted == (0.0, 100.0, 0.5, 2.0) and (view, pad) == ((0.0, 105.0, 0.5, 2.0), 0.02)
    assert follow_range(boxes, (-1, 106, 0.45, 2.05), fitted, grow_only=False,
                        headroom=0.05) is None  # the curves fill it: no change, no repaint
    moved = follow_range([(0.0, 120.0, 0.5, 2.0)], (-1, 106, 0.45, 2.05), fitted,
                         grow_only=False, headroom=0.05)
    assert moved is not None and moved[1][1] == 126.0  # past the right edge: re-ranged
    # loading: only ever wider than the last fit, and padding does not pile up
    grown = follow_range([(0.0, 10.0, 0.0, 9.0)], (-5, 110, 0.4, 2.1), fitted, grow_only=True,
                         headroom=0.05)
    assert grown == ((0.0, 100.0, 0.0, 9.0), (0.0, 100.0, 0.0, 9.0), 0.05)
    assert follow_range([], (0, 1, 0, 1), None, grow_only=False, headroom=0.05) is None


def test_x_axis_in_epochs_and_in_seconds(qtbot, live):
    view, _, _, ids = live
    _choose_metric(qtbot, view, "loss", ids)
    view.controls.x_combo.setCurrentIndex(view.controls.x_combo.findData("epoch"))
    x, _ = view.curve_data(ids["done"])
    # epoch e is reported at step 200 e - 1; step 0 is epoch 0
    assert x[0] == 0.0 and x[-1] == pytest.approx(N / 200)
    view.controls.x_combo.setCurrentIndex(view.controls.x_combo.findData("wall"))
    x, _ = view.curve_data(ids["done"])
    assert (x[0], x[-1]) == (0.0, 0.5 * (N - 1))


def test_clicking_a_curve_activates_its_trial(qtbot, live):
    view, _, _, ids = live
    _choose_metric(qtbot, view, "loss", ids)
    view.set_selected_trials([])
    x, y = view.curve_data(ids["failed"])
    point = (float(x[len(x) // 2]), float(y[len(y) // 2]))

    def shown() -> bool:  # the plot has ranged itself over the curve: the point is on screen
        (x0, x1), (y0, y1) = view.plot.vb.viewRange()
        return x0 < point[0] < x1 and y0 < point[1] < y1

    qtbot.waitUntil(shown, timeout=TIMEOUT_MS)
    scene = view.plot.vb.mapViewToScene(QPointF(*point))
    pos = view.plot_widget.mapFromScene(scene)
    with qtbot.waitSignal(view.trialActivated, timeout=TIMEOUT_MS) as hit:
        qtbot.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert hit.args == [ids["failed"]]


def test_exports_png_svg_and_csv_of_what_is_shown(qtbot, live, tmp_path):
    view, _, _, ids = live
    png = view.export_image(tmp_path / "curves.png")
    svg = view.export_image(tmp_path / "curves.svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = svg.read_text()
    assert "<svg" in text and text.count("<path") >= 3  # vector lines, not a picture
    assert view.export_image(tmp_path / "curves.bmp").suffix == ".png"
    rows = list(csv.reader(view.curves_csv(tmp_path / "curves.csv").open()))
    assert rows[0] == ["trial_id", "number", "metric", "step", "value"]
    per_trial = {int(r[0]) for r in rows[1:]}
    assert per_trial == {ids["done"], ids["running"], ids["failed"]}
    assert len(rows) - 1 == 10 + 10 + 6  # every val_acc point, not the decimated copy


def test_every_control_is_named_for_tests_and_screen_readers(live):
    view, _, _, _ = live
    assert unnamed_widgets(view) == []


def test_the_objective_takes_over_when_it_is_first_reported(qtbot, tmp_path):
    """Trials report a training loss before their first validation: the plot shows the loss
    meanwhile, then the objective, unless the person picked a metric in between."""
    path = tmp_path / "late.db"
    with Store(path) as store:
        exp = store.create_experiment("e", "classification", PLAN)
        tid = store.add_trial(exp.id, {"lr": 0.1}).id
        store.update_trial(tid, state="running", started_at=time.time())
        store.write_metrics([(tid, "train_loss", s, 1.0 / (s + 1), 1000.0 + s)
                             for s in range(20)])
    view, poller = live_curves(qtbot, path, exp.id, PLAN)
    try:
        qtbot.waitUntil(lambda: view.current_metric() == "train_loss", timeout=TIMEOUT_MS)
        with Store(path) as store:
            store.write_metrics([(tid, "val_acc", 19, 0.8, 1019.0)])
        qtbot.waitUntil(lambda: view.current_metric() == "val_acc", timeout=TIMEOUT_MS)
        view.controls.metric_combo.setCurrentText("train_loss")  # the person's choice stays
        with Store(path) as store:
            store.write_metrics([(tid, "val_acc", 39, 0.85, 1039.0), (tid, "val_loss", 39, 0.4,
                                                                       1039.0)])
        qtbot.waitUntil(lambda: "val_loss" in view.controls.metrics(), timeout=TIMEOUT_MS)
        assert view.current_metric() == "train_loss"
    finally:
        poller.stop()
