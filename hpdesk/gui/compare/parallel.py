"""Parallel coordinates: one vertical axis per searched parameter and one for the objective, each
trial a polyline across them coloured by its objective (dark = better), the best one in orange.

Lines are drawn in colour bins (one curve per bin, NaN-separated) instead of one item per trial,
so a few hundred trials stay cheap; hover and click find the nearest line with numpy.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from hpdesk.analysis.trials_table import Axis, TrialsTable, format_value
from hpdesk.gui.base.common import SCREEN_ONLY, named, state_label
from hpdesk.gui.compare.style import (
    BACKGROUND,
    BEST,
    FAINT,
    HOVER,
    INK,
    goodness,
    objective_colormap,
    small_font,
    style_plot,
)

NA = -0.12  # where a trial without a value on an axis meets that axis
BINS = 24
HIT_PIXELS = 6.0


class ParallelCoordinates(QWidget):
    """`set_table` redraws; hovering names the trial under the mouse, a click emits
    `trialActivated(trial_id)`."""

    trialActivated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(BACKGROUND)
        named(self.graphics, "parallelCoordinatesPlot",
              self.tr("Parallel coordinates: one line per trial"))
        self.plot: pg.PlotItem = self.graphics.addPlot(row=0, col=0)
        self.plot.hideAxis("left")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        style_plot(self.plot)
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=objective_colormap(True),
                                        interactive=False, colorMapMenu=False, width=14)
        self.colorbar.axis.setPen(pg.mkPen(INK))
        self.colorbar.axis.setTextPen(pg.mkPen(INK))
        self.colorbar.axis.enableAutoSIPrefix(False)
        self.graphics.addItem(self.colorbar, row=0, col=1)
        self.info = named(QLabel(), "parallelCoordinatesInfo", self.tr("Trial under the mouse"))
        self.info.setWordWrap(True)
        self.info.setProperty(SCREEN_ONLY, True)  # the hint and the trial under the mouse
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.info)
        self._table: TrialsTable | None = None
        self._rows = np.empty(0, dtype=int)  # table rows drawn, in the order of _positions
        self._positions = np.empty((0, 0))
        self._hover = pg.PlotCurveItem(pen=pg.mkPen(HOVER, width=2.5))
        self._titles: list[str] = []
        self._left_px = 0.0  # the widest tick label of the first axis, in pixels
        self._log_axes: list[str] = []
        self._hint = self.tr("Each line is a trial. Point at a line to name it; click to open it.")
        self.info.setText(self._hint)
        scene = self.graphics.scene()
        scene.sigMouseMoved.connect(self._moved)
        scene.sigMouseClicked.connect(self._clicked)
        self.plot.vb.sigResized.connect(self._fit)

    # what tests and the view read ----------------------------------------------------------
    def axis_titles(self) -> list[str]:
        return list(self._titles)

    def log_axis_names(self) -> list[str]:
        return list(self._log_axes)

    def shown_trial_ids(self) -> list[int]:
        if self._table is None:
            return []
        return [self._table.trial_ids[r] for r in self._rows]

    def axis_x(self, name: str) -> int:
        """Where the axis of parameter `name` stands (the objective is last)."""
        assert self._table is not None
        names = [a.name for a in self._table.axes]
        return names.index(name) if name in names else len(names)

    def trial_at(self, x: float, y: float, tolerance: float | None = None) -> int | None:
        """The id of the trial whose line passes nearest to view point (x, y), within a few
        pixels (or `tolerance` in view units)."""
        row = self._row_at(x, y, tolerance)
        return None if row is None or self._table is None else self._table.trial_ids[row]

    # drawing -------------------------------------------------------------------------------
    def set_table(self, table: TrialsTable | None, show_unscored: bool = True) -> None:
        self.plot.clear()
        self._table, self._titles, self._log_axes = table, [], []
        self._rows, self._positions = np.empty(0, dtype=int), np.empty((0, 0))
        if table is None or len(table) == 0:
            self.colorbar.hide()
            self.info.setText(self.tr("No trials to compare yet."))
            return
        objective = table.objective_axis()
        axes = [*table.axes, objective]
        rows = np.arange(len(table)) if show_unscored else np.flatnonzero(table.scored)
        columns = [a.position(table.values[rows, j]) for j, a in enumerate(table.axes)]
        columns.append(objective.position(table.objective[rows]))
        positions = np.column_stack(columns) if rows.size else np.empty((0, len(axes)))
        self._rows, self._positions = rows, np.where(np.isnan(positions), NA, positions)
        self._draw_axes(table, axes, positions)
        self._draw_lines(table, objective)
        self._hover.setData([], [])
        self.plot.addItem(self._hover)
        self.plot.setYRange(NA - 0.06, 1.06, padding=0)
        self._fit()
        self.info.setText(self._hint)

    def _draw_axes(self, table: TrialsTable, axes: list[Axis], positions: np.ndarray) -> None:
        k = len(axes)
        x = np.repeat(np.arange(k, dtype=float), 2)
        y = np.tile([0.0, 1.0], k)
        self.plot.addItem(pg.PlotCurveItem(x, y, pen=pg.mkPen(INK, width=1), connect="pairs"))
        font = small_font()
        metrics = QFontMetrics(font)
        labels_first: list[str] = []
        for j, axis in enumerate(axes):
            is_objective = j == k - 1
            if is_objective:
                title = self.tr("%1 (objective)").replace("%1", axis.name)
            else:
                title = axis.name + (self.tr(" (log)") if axis.log else "")
                if axis.log:
                    self._log_axes.append(axis.name)
            self._titles.append(title)
            shown = []
            for value, label in axis.ticks():
                y_tick = float(axis.position(np.array([value]))[0])
                shown.append(self._text(label, j, y_tick, font))
            if positions.size and np.isnan(positions[:, j]).any():
                shown.append(self._text(self.tr("not set"), j, NA, font, color=FAINT))
            if j == 0:
                labels_first = shown
        self._left_px = max((metrics.horizontalAdvance(t) for t in labels_first), default=0)
        self.plot.getAxis("bottom").setStyle(tickLength=0, hideOverlappingLabels=False)

    def _fit(self) -> None:
        """Margins that fit the first axis's labels and the last title, at any width; titles
        on two staggered rows when neighbours would overlap."""
        k, width = len(self._titles), float(self.plot.vb.width())
        if k == 0 or width <= 0:
            return
        bottom = self.plot.getAxis("bottom")
        metrics = QFontMetrics(bottom.font() if isinstance(bottom.font(), QFont) else QFont())
        widths = [metrics.horizontalAdvance(t) for t in self._titles]
        left = max(self._left_px + 12, widths[0] / 2 + 6)
        right = max(widths[-1] / 2 + 6, 16)
        unit = (width - left - right) / max(k - 1, 1)  # pixels between neighbouring axes
        if unit <= 1:
            unit = width / (k + 1)
        self.plot.setXRange(-left / unit, k - 1 + right / unit, padding=0)
        crowded = any((widths[i] + widths[i + 1]) / 2 + 10 > unit for i in range(k - 1))
        bottom.setTicks([[(float(j), "\n" + t if crowded and j % 2 else t)
                          for j, t in enumerate(self._titles)], []])
        # Room for one or two rows of titles, descenders (the _ of batch_size) included.
        bottom.setHeight(metrics.height() * (2 if crowded else 1) + 14)

    def _text(self, text: str, x: float, y: float, font: QFont, color: str = INK) -> str:
        text += " "  # a gap between the label and its axis
        item = pg.TextItem(text, color=color, anchor=(1, 0.5), fill=pg.mkBrush(255, 255, 255, 190))
        item.setFont(font)
        item.setZValue(10)  # above the lines
        item.setPos(x, y)
        self.plot.addItem(item)
        return text

    def _draw_lines(self, table: TrialsTable, objective: Axis) -> None:
        rows, positions = self._rows, self._positions
        scored = table.scored[rows]
        if (~scored).any():
            self._add_lines(positions[~scored], pg.mkPen(FAINT, width=1))
        if not scored.any():
            self.colorbar.hide()
            return
        cmap = objective_colormap(table.maximize)
        self.colorbar.setColorMap(cmap)
        self.colorbar.setLevels((objective.low, objective.high))
        self.colorbar.axis.setLabel(objective.name)
        self.colorbar.show()
        good = goodness(table.objective[rows][scored], objective.low, objective.high,
                        table.maximize)
        bins = np.minimum((good * BINS).astype(int), BINS - 1)
        lines = positions[scored]
        for b in range(BINS):  # worst first, so the best lie on top
            chosen = bins == b
            if chosen.any():
                centre = (b + 0.5) / BINS  # goodness; the colour map runs low to high value
                color = cmap.map([centre if table.maximize else 1 - centre], mode="qcolor")[0]
                self._add_lines(lines[chosen], pg.mkPen(color, width=1.5))
        best = table.best_row()
        if best is not None and best in rows:
            i = int(np.flatnonzero(rows == best)[0])
            self._add_lines(positions[i:i + 1], pg.mkPen(BEST, width=3.5))

    def _add_lines(self, positions: np.ndarray, pen: object) -> None:
        n, k = positions.shape
        x = np.tile(np.append(np.arange(k, dtype=float), np.nan), n)
        y = np.column_stack([positions, np.full(n, np.nan)]).ravel()
        self.plot.addItem(pg.PlotCurveItem(x, y, pen=pen, connect="finite"))

    # hover and click -----------------------------------------------------------------------
    def _row_at(self, x: float, y: float, tolerance: float | None) -> int | None:
        positions = self._positions
        if positions.size == 0 or positions.shape[1] < 2:
            return None
        k = positions.shape[1]
        if not -0.25 <= x <= k - 1 + 0.25:
            return None
        seg = int(min(max(np.floor(x), 0), k - 2))
        t = min(max(x - seg, 0.0), 1.0)
        line_y = positions[:, seg] * (1 - t) + positions[:, seg + 1] * t
        distance = np.abs(line_y - y)
        i = int(np.argmin(distance))
        if tolerance is None:
            tolerance = HIT_PIXELS * float(self.plot.vb.viewPixelSize()[1])
        return int(self._rows[i]) if distance[i] <= tolerance else None

    def _view_point(self, scene_pos: QPointF) -> QPointF | None:
        if not self.plot.sceneBoundingRect().contains(scene_pos):
            return None
        return self.plot.vb.mapSceneToView(scene_pos)

    def _moved(self, scene_pos: QPointF) -> None:
        point = self._view_point(scene_pos)
        row = None if point is None else self._row_at(point.x(), point.y(), None)
        if row is None or self._table is None:
            self._hover.setData([], [])
            self.info.setText(self._hint if self._table is not None and len(self._table) else
                              self.info.text())
            return
        i = int(np.flatnonzero(self._rows == row)[0])
        k = self._positions.shape[1]
        self._hover.setData(np.arange(k, dtype=float), self._positions[i])
        self.info.setText(self.describe(row))

    def _clicked(self, event: object) -> None:
        if event.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            return
        point = self._view_point(event.scenePos())  # type: ignore[attr-defined]
        row = None if point is None else self._row_at(point.x(), point.y(), None)
        if row is not None and self._table is not None:
            self.trialActivated.emit(self._table.trial_ids[row])

    def describe(self, row: int) -> str:
        """One line naming a trial: number, state, objective and its parameter values."""
        table = self._table
        assert table is not None
        objective = table.objective[row]
        value = "—" if np.isnan(objective) else format_value(float(objective))
        parts = [self.tr("Trial %1 (%2)").replace("%1", str(table.numbers[row]))
                 .replace("%2", state_label(table.states[row])), f"{table.metric} {value}"]
        for j, axis in enumerate(table.axes):
            v = table.param_value(row, j)
            shown = "—" if v is None else (axis.labels[int(table.values[row, j])]
                                           if axis.categorical else
                                           format_value(v, integer=axis.kind == "int"))
            parts.append(f"{axis.name} {shown}")
        return " · ".join(parts)
