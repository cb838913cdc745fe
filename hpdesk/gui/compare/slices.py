"""Slice plots: the objective against each searched parameter, one small plot per parameter,
log x where the range is log (ticks in real values), the best trial as an orange star."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QScrollArea, QVBoxLayout, QWidget

from hpdesk.analysis.trials_table import Axis, TrialsTable, format_value
from hpdesk.gui.base.common import named
from hpdesk.gui.compare.style import BACKGROUND, BEST, FAINT, INK, POINT, qcolor, style_plot
from hpdesk.knowledge import catalogue

ROW_HEIGHT = 240
JITTER = 0.12  # categorical x: spread points so equal choices do not hide each other


class SlicePlots(QWidget):
    """Clicking a point emits `trialActivated(trial_id)`."""

    trialActivated = Signal(int)

    def __init__(self, language: str = "en", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lang = language
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(BACKGROUND)
        named(self.graphics, "slicePlots", self.tr("Objective against each parameter"))
        self.scroll_area = named(QScrollArea(), "sliceScroll", self.tr("Slice plots"))
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(self.graphics)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll_area)
        self.plots: dict[str, pg.PlotItem] = {}
        self._log: list[str] = []

    def plot_names(self) -> list[str]:
        return list(self.plots)

    def log_names(self) -> list[str]:
        return list(self._log)

    def set_table(self, table: TrialsTable | None, show_unscored: bool = True) -> None:
        self.graphics.clear()
        self.plots, self._log = {}, []
        if table is None or not table.axes:
            return
        columns = 3 if len(table.axes) > 4 else 2 if len(table.axes) > 1 else 1
        rows = -(-len(table.axes) // columns)
        self.graphics.setMinimumHeight(rows * ROW_HEIGHT)
        objective = table.objective_axis()
        for j, axis in enumerate(table.axes):
            plot = self.graphics.addPlot(row=j // columns, col=j % columns)
            self._fill(plot, table, j, axis, objective, show_unscored)
            self.plots[axis.name] = plot

    def _fill(self, plot: pg.PlotItem, table: TrialsTable, j: int, axis: Axis, objective: Axis,
              show_unscored: bool) -> None:
        style_plot(plot)
        plot.setMenuEnabled(False)
        plot.showGrid(x=False, y=True, alpha=0.15)
        title = axis.name + (self.tr(" (log)") if axis.log else "")
        plot.setTitle(title, color=INK, size="9pt")
        if axis.name in catalogue():
            plot.titleLabel.setToolTip(catalogue()[axis.name].help(self._lang))
        plot.setLabel("left", table.metric, color=INK)
        if axis.log:
            self._log.append(axis.name)
        x = self._x(table, j, axis)
        y = table.objective
        ok = ~np.isnan(x) & ~np.isnan(y)
        others = ok & ~table.scored
        if show_unscored and others.any():
            plot.addItem(self._scatter(table, others, x, y, pg.mkPen(FAINT), None, 6, "o"))
        scored = ok & table.scored
        if scored.any():
            plot.addItem(self._scatter(table, scored, x, y, None,
                                       pg.mkBrush(qcolor(POINT, 170)), 7, "o"))
        best = table.best_row()
        if best is not None and ok[best]:
            only = np.zeros(len(table), dtype=bool)
            only[best] = True
            plot.addItem(self._scatter(table, only, x, y, pg.mkPen(INK, width=1),
                                       pg.mkBrush(BEST), 16, "star"))
        bottom = plot.getAxis("bottom")
        if axis.categorical or axis.log or axis.kind == "int":  # real values, whole numbers
            ticks = [(float(axis.coordinate(np.array([v]))[0]), label)
                     for v, label in axis.ticks()]
            bottom.setTicks([ticks, []])
        bottom.setStyle(hideOverlappingLabels=False)  # the end ticks may pass the plot's edge
        lo, hi = axis.coordinate_bounds()
        pad = 0.5 if axis.categorical else (hi - lo) * 0.08 or 0.5
        plot.setXRange(lo - pad, hi + pad, padding=0)
        y_ok = objective.high - objective.low
        plot.setYRange(objective.low - 0.05 * (y_ok or 1), objective.high + 0.05 * (y_ok or 1),
                       padding=0)

    def _x(self, table: TrialsTable, j: int, axis: Axis) -> np.ndarray:
        x = axis.coordinate(table.values[:, j])
        if axis.categorical:  # the same spread for a trial on every redraw
            spread = (np.array(table.numbers, dtype=float) * 0.618034) % 1.0
            x = x + (spread - 0.5) * 2 * JITTER
        return x

    def _scatter(self, table: TrialsTable, mask: np.ndarray, x: np.ndarray, y: np.ndarray,
                 pen: object, brush: object, size: int, symbol: str) -> pg.ScatterPlotItem:
        rows = np.flatnonzero(mask)
        item = pg.ScatterPlotItem(
            x=x[rows], y=y[rows], data=[table.trial_ids[r] for r in rows],
            pen=pen if pen is not None else pg.mkPen(None), brush=brush, size=size,
            symbol=symbol, hoverable=True, tip=self._tip(table))
        item.sigClicked.connect(self._clicked)
        return item

    def _tip(self, table: TrialsTable) -> object:
        by_id = {tid: i for i, tid in enumerate(table.trial_ids)}
        metric = table.metric

        def tip(x: float, y: float, data: int) -> str:
            row = by_id.get(int(data))
            number = table.numbers[row] if row is not None else "?"
            return self.tr("Trial %1").replace("%1", str(number)) + \
                f"\n{metric} {format_value(y)}"
        return tip

    def _clicked(self, _item: object, points: list[object], *_: object) -> None:
        if len(points):
            self.trialActivated.emit(int(points[0].data()))  # type: ignore[attr-defined]
