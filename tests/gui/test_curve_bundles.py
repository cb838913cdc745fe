"""Finished trials' curves are drawn from pictures (hpdesk.gui.curves.bundle): they still show,
in their colours, follow the filter, the selection, the log axis and the trials that finish,
and an SVG export keeps them as lines."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor, QImage

from hpdesk.gui.curves import bundle as bundle_module
from hpdesk.gui.curves.items import TrialCurve, trial_color
from hpdesk.gui.curves.view import CurvesView
from hpdesk.store import Store
from tests.gui.live_curves import live_curves

pytestmark = pytest.mark.usefixtures("qapp")
TIMEOUT_MS = 10_000
PLAN = {"hpdesk": 1, "objective": {"metric": "loss", "direction": "minimize"}}
N = 400
# (state, objective): trial 1 is the best (lowest loss); 6 keeps running.
TRIALS = [("completed", 0.1), ("completed", 0.5), ("completed", 0.7), ("pruned", None),
          ("failed", None), ("running", None)]


@pytest.fixture
def live(qtbot, tmp_path: Path):
    path = tmp_path / "hp.db"
    with Store(path) as store:
        exp = store.create_experiment("e", "classification", PLAN)
        ids = []
        for i, (state, objective) in enumerate(TRIALS):
            tid = store.add_trial(exp.id, {"lr": 0.1}).id
            ids.append(tid)
            store.update_trial(tid, state=state, objective=objective, started_at=time.time())
            steps = np.arange(N)
            # Each trial its own band of the plot, so no line hides another's colour.
            store.write_metrics([(tid, "loss", int(s), float(2 * i + 1 + np.sin(s / 40)),
                                  1000.0 + s) for s in steps])
    view, poller = live_curves(qtbot, path, exp.id, PLAN)
    qtbot.waitUntil(lambda: all(view.curve_data(t) is not None for t in ids),
                    timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: view.bundles.members() == set(ids[1:5]), timeout=TIMEOUT_MS)
    yield view, path, ids
    poller.stop()


def _pixels(view: CurvesView, color: QColor) -> int:
    """How many pixels of the plot have exactly this colour (lines are drawn unblended)."""
    view.plot_widget.viewport().repaint()
    image = view.plot_widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    data = np.frombuffer(image.constBits(), np.uint32, image.sizeInBytes() // 4)
    return int(np.count_nonzero((data & 0xFFFFFF) == (color.rgb() & 0xFFFFFF)))


def _number(view: CurvesView, tid: int) -> int:
    return view._curves[tid].number


def test_finished_curves_are_drawn_from_pictures_in_their_colours(live) -> None:
    view, _, ids = live
    best, running = ids[0], ids[5]
    for tid in ids[1:5]:  # finished, not the best: no plot item of their own
        assert view._curves[tid].bundled and view._curves[tid]._item is None
    assert not view._curves[best].bundled and not view._curves[running].bundled
    for tid in ids:  # and every one of them on screen, in its colour
        assert _pixels(view, trial_color(_number(view, tid))) > 50, tid


def test_the_filter_and_the_trials_list_hide_bundled_curves(qtbot, live) -> None:
    view, _, ids = live
    hidden = ids[2]
    colour = trial_color(_number(view, hidden))
    view.set_filter([t for t in ids if t != hidden])
    assert _pixels(view, colour) == 0
    view.set_filter(None)
    assert _pixels(view, colour) > 50  # the picture kept from before serves again
    view.trial_list.item_of(hidden).setCheckState(pg.QtCore.Qt.CheckState.Unchecked)
    assert _pixels(view, colour) == 0


def test_selecting_draws_the_selected_thick_and_the_others_faint(live) -> None:
    view, _, ids = live
    chosen, other = ids[1], ids[2]  # completed, so no end marker of their own
    view.set_selected_trials([chosen])
    assert all(c.opacity() < 0.5 for c in view.bundles.chunks() if not c.thick)
    assert _pixels(view, trial_color(_number(view, chosen))) > 50
    assert _pixels(view, trial_color(_number(view, other))) == 0  # faint: blended, not pure
    view.set_selected_trials([])
    assert _pixels(view, trial_color(_number(view, other))) > 50


def test_a_trial_that_finishes_joins_the_pictures_and_log_y_redraws_them(qtbot, live) -> None:
    view, path, ids = live
    running = ids[5]
    with Store(path) as store:
        store.update_trial(running, state="completed", objective=0.9, ended_at=time.time())
    qtbot.waitUntil(lambda: running in view.bundles.members(), timeout=TIMEOUT_MS)
    assert view._curves[running]._item is None
    # It joined a chunk whose picture was made: drawn over that picture, the others kept.
    for tid in ids:
        assert _pixels(view, trial_color(_number(view, tid))) > 50, tid
    view.controls.log_check.setChecked(True)
    for tid in ids:
        assert _pixels(view, trial_color(_number(view, tid))) > 20, tid


def test_an_svg_keeps_bundled_curves_as_lines(live, tmp_path: Path) -> None:
    view, _, ids = live
    text = view.export_image(tmp_path / "curves.svg").read_text()
    assert text.count("<path") >= len(ids)  # every trial a vector line, none a bitmap
    sizes = [int(w) for w in re.findall(r'<image[^>]*width="(\d+)"', text)]
    assert all(w <= 32 for w in sizes)  # only the end markers' symbols are pictures
    names = [name for _item, name in view.legend_entries()]
    assert len(names) == len(ids)
    assert all(item.isVisible() for item, _ in view.legend_entries())  # no "hidden" eye


def test_hundreds_of_plain_curves_are_drawn_as_outlines(qtbot, live, monkeypatch) -> None:
    view, _, ids = live
    monkeypatch.setattr(bundle_module, "OUTLINE_OVER", 2)
    view.bundles.changed()
    assert all(c._outlines() for c in view.bundles.chunks() if not c.thick)
    for tid in ids:
        assert _pixels(view, trial_color(_number(view, tid))) > 20, tid


def test_an_outline_is_the_mean_of_each_column(qtbot) -> None:
    widget = pg.PlotWidget()  # deleted by qtbot on this thread, not left to the collector
    qtbot.addWidget(widget)
    plot = widget.getPlotItem()
    curve = TrialCurve(plot, 1, 1)
    steps = np.arange(8)
    values = np.array([0.0, 2.0, 4.0, 6.0, 1.0, 1.0, 3.0, 5.0])
    curve.series.extend(steps, values, steps.astype(float))
    curve.redraw("step", None, px_per_x=100.0, force=True)
    outline = curve.outline(False, px_per_x=1.0)  # 2-pixel columns: steps 0-1, 2-3, ...
    assert outline is not None
    points = [(outline.elementAt(i).x, outline.elementAt(i).y)
              for i in range(outline.elementCount())]
    assert points == [(0.5, 1.0), (2.5, 5.0), (4.5, 1.0), (6.5, 4.0)]
