"""Fit-state findings on the curves: a mark in the finding's level colour where it was seen.

On the finding's own metric, when that is the metric drawn, the mark (a hexagon) sits on the
trial's curve at the finding's step; for a finding about another metric (over-fitting of
val_loss while the plot shows val_acc) a small triangle stands on the bottom of the plot at that
step. Hovering either says the finding in full. Marks follow their trial: a hidden curve has
none, and while trials are selected the others' marks are dimmed as their curves are. Like the
end markers they stay in exported images (they are part of what the plot says) and add one
entry, "fit-state finding", to the markers' legend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor

from hpdesk.analysis.diagnose import TrialFinding
from hpdesk.analysis.series import SeriesBuffer
from hpdesk.gui.base.fit_findings import LEVEL_RANK, finding_html, level_color
from hpdesk.gui.curves.items import X_STEP, TrialCurve

ON_CURVE_SYMBOL = "h"  # a hexagon: no trial state's end marker uses it
ON_AXIS_SYMBOL = "t1"  # a triangle pointing up from the bottom of the plot
SIZE = 13
AXIS_SIZE = 11
AXIS_LIFT_PX = 7  # the bottom marks' centre above the bottom of the plot
DIM_ALPHA = 70


def legend_label() -> str:
    return QCoreApplication.translate("FindingMarks", "fit-state finding")


class FindingMarks:
    """The marks of the findings on one plot: `on_curve` and `on_axis`, two hoverable
    scatters. `update` places them; `marks()` says where (tests read it)."""

    def __init__(self, plot: pg.PlotItem, language: str) -> None:
        self.language = language
        self._vb = plot.vb
        self.on_curve = pg.ScatterPlotItem(size=SIZE, hoverable=True, tip=self._tip)
        self.on_curve.setZValue(11)
        self.on_axis = pg.ScatterPlotItem(size=AXIS_SIZE, hoverable=True, tip=self._tip)
        self.on_axis.setZValue(11)
        plot.addItem(self.on_curve)
        plot.addItem(self.on_axis)
        self._found: dict[tuple[int, int], TrialFinding] = {}
        self._curve_spots: list[dict[str, Any]] = []
        self._axis_spots: list[dict[str, Any]] = []
        self._placed: list[tuple[int, str, float, float | None]] = []
        self._levels: dict[tuple[int, int], tuple[TrialFinding, str]] = {}  # worded once
        self.sample = pg.ScatterPlotItem(symbol=ON_CURVE_SYMBOL, size=SIZE,
                                         brush=pg.mkBrush(level_color("warning")),
                                         pen=pg.mkPen("k"))
        self._vb.sigYRangeChanged.connect(lambda *_: self._place_axis())
        self._vb.sigResized.connect(lambda *_: self._place_axis())

    def clear(self) -> None:
        self._found, self._levels = {}, {}
        self._curve_spots, self._axis_spots, self._placed = [], [], []
        self.on_curve.setData([])
        self.on_axis.setData([])

    def update(self, curves: Mapping[int, TrialCurve],
               findings: Mapping[int, Sequence[TrialFinding]], *, metric: str, mode: str,
               epochs: Mapping[int, SeriesBuffer], log_y: bool, selected: set[int]
               ) -> str | None:
        """Place a mark for each finding of each shown curve; returns the most urgent level
        shown (None: no mark), for the legend."""
        found: dict[tuple[int, int], TrialFinding] = {}
        on_curve: list[dict[str, Any]] = []
        on_axis: list[dict[str, Any]] = []
        placed: list[tuple[int, str, float, float | None]] = []
        levels: set[str] = set()
        for tid, items in findings.items():
            curve = curves.get(tid)
            if curve is None or not curve.visible or not len(curve.series):
                continue
            dim = bool(selected) and tid not in selected
            for i, item in enumerate(items):
                f = item.finding
                x = _x_at(curve, f.step, mode, epochs.get(tid))
                if x is None:
                    continue
                level = self._level(tid, i, item)
                levels.add(level)
                color = QColor(level_color(level))
                if dim:
                    color.setAlpha(DIM_ALPHA)
                spot = {"data": (tid, i), "brush": pg.mkBrush(color),
                        "pen": pg.mkPen(0, 0, 0, DIM_ALPHA if dim else 255)}
                y = _y_at(curve, f.step) if f.metric == metric else None
                if y is not None and log_y:
                    y = float(np.log10(y)) if y > 0 else None
                if y is not None:
                    on_curve.append({**spot, "pos": (x, y), "symbol": ON_CURVE_SYMBOL})
                else:
                    on_axis.append({**spot, "x": x, "symbol": ON_AXIS_SYMBOL})
                placed.append((tid, f.kind, x, y))
                found[(tid, i)] = item
        self._found, self._curve_spots, self._axis_spots = found, on_curve, on_axis
        self._placed = placed
        self.on_curve.setData(on_curve)
        self._place_axis()
        if not levels:
            return None
        worst = min(levels, key=lambda lv: LEVEL_RANK.get(lv, 9))
        self.sample.setBrush(pg.mkBrush(level_color(worst)))
        return worst

    def _level(self, tid: int, index: int, item: TrialFinding) -> str:
        """The finding's level, worded once per finding (marks move at every redraw)."""
        known = self._levels.get((tid, index))
        if known is None or known[0] is not item:
            known = self._levels[(tid, index)] = (item, item.worded(self.language).level)
        return known[1]

    def marks(self) -> list[tuple[int, str, float, float | None]]:
        """(trial id, kind, x, y on the curve or None: on the bottom) of every mark drawn."""
        return list(self._placed)

    def tip(self, trial_id: int, index: int) -> str:
        item = self._found.get((trial_id, index))
        return "" if item is None else finding_html(item, self.language)

    def _tip(self, x: float, y: float, data: Any) -> str:
        return self.tip(int(data[0]), int(data[1]))

    def _place_axis(self) -> None:
        """The bottom marks stay on the bottom edge whatever the zoom."""
        if not self._axis_spots:
            self.on_axis.setData([])
            return
        (_x0, _x1), (y0, _y1) = self._vb.viewRange()
        lift = AXIS_LIFT_PX * abs(float(self._vb.viewPixelSize()[1]))
        spots = [{k: v for k, v in s.items() if k != "x"} | {"pos": (s["x"], y0 + lift)}
                 for s in self._axis_spots]
        self.on_axis.setData(spots)


def _index(steps: np.ndarray, step: int) -> int:
    """The point at `step`, or the nearest one (a resumed trial may repeat steps)."""
    n = steps.size
    i = int(np.searchsorted(steps, step))
    if i >= n:
        return n - 1
    if i > 0 and abs(int(steps[i - 1]) - step) < abs(int(steps[i]) - step):
        return i - 1
    return i


def _x_at(curve: TrialCurve, step: int, mode: str, epochs: SeriesBuffer | None) -> float | None:
    if mode == X_STEP:
        return float(step)
    x = curve.x(mode, epochs)
    if x is None or x.size == 0:
        return None
    return float(x[_index(curve.series.raw.steps, step)])


def _y_at(curve: TrialCurve, step: int) -> float | None:
    """The curve's value (as drawn: smoothed if smoothing is on) at `step`; a non-finite one
    (the NaN of a divergence) gives the last finite value before it."""
    y = curve.series.y()
    if y.size == 0:
        return None
    i = _index(curve.series.raw.steps, step)
    finite = np.flatnonzero(np.isfinite(y[: i + 1]))
    return float(y[finite[-1]]) if finite.size else None


__all__ = ["FindingMarks", "legend_label"]
