"""The Pareto front of an experiment with several objectives: every completed trial as a point
of two objectives (chosen when there are more than two), the trials no other beats on both
highlighted in orange and joined left to right, the dominated ones faint. Hovering a point
names its trial and values; clicking it emits `trialActivated(trial_id)` like the other tabs.
The front itself is `hpdesk.analysis.pareto`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from hpdesk.analysis.pareto import front_path, pareto_front
from hpdesk.analysis.trials_table import format_value
from hpdesk.gui.base.common import named
from hpdesk.gui.base.inputs import combo_box, fill, guard_wheel
from hpdesk.gui.base.plan_dicts import objectives
from hpdesk.gui.compare.style import BACKGROUND, BEST, INK, POINT, qcolor, style_plot
from hpdesk.store import Trial


class ParetoPanel(QWidget):
    """`set_data(plan, trials)` on every poll (redraws only when the points change)."""

    trialActivated = Signal(int)

    def __init__(self, language: str = "en", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lang = language
        self._goals: list[dict[str, Any]] = []
        self._trials: list[Trial] = []
        self._drawn: Any = None
        self._points: dict[int, tuple[float, float]] = {}
        self._front: list[int] = []
        self.x_combo = combo_box("paretoX", self.tr("Objective across"))
        self.y_combo = combo_box("paretoY", self.tr("Objective up"))
        for box in (self.x_combo, self.y_combo):
            box.currentIndexChanged.connect(lambda _i: self._redraw(force=True))
            guard_wheel(box)
        self.info = QLabel()
        self.info.setObjectName("paretoInfo")
        self.info.setWordWrap(True)
        self.plot_widget = named(pg.PlotWidget(), "paretoPlot", self.tr("Pareto front plot"))
        self.plot_widget.setBackground(BACKGROUND)
        self.plot = self.plot_widget.getPlotItem()
        style_plot(self.plot)
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.choose = QWidget()
        row = QHBoxLayout(self.choose)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel(self.tr("Across")))
        row.addWidget(self.x_combo)
        row.addWidget(QLabel(self.tr("Up")))
        row.addWidget(self.y_combo)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.choose)
        layout.addWidget(self.info)
        layout.addWidget(self.plot_widget, 1)

    # ---- data ------------------------------------------------------------------------------

    def set_data(self, plan: Mapping[str, Any] | None, trials: Sequence[Trial]) -> None:
        goals = objectives(plan)
        if [g["metric"] for g in goals] != [g["metric"] for g in self._goals]:
            self._goals = goals
            for box, pick in ((self.x_combo, 0), (self.y_combo, 1)):
                box.blockSignals(True)
                box.clear()
                for i, goal in enumerate(goals):
                    box.addItem(goal["metric"], i)
                box.setCurrentIndex(min(pick, len(goals) - 1))
                box.blockSignals(False)
            self.choose.setVisible(len(goals) > 2)
        self._goals = goals
        self._trials = [t for t in trials if t.state == "completed"]
        self._redraw(force=False)

    def front_ids(self) -> list[int]:
        """Trial ids on the front of the two objectives shown, left to right."""
        return list(self._front)

    def points(self) -> dict[int, tuple[float, float]]:
        """Trial id -> (x, y) of every point drawn."""
        return dict(self._points)

    def axes(self) -> tuple[int, int]:
        return int(self.x_combo.currentData() or 0), int(self.y_combo.currentData() or 0)

    # ---- drawing ---------------------------------------------------------------------------

    def _values(self, t: Trial) -> list[float | None]:
        values = list(t.objectives or [])
        if not values and t.objective is not None:
            values = [t.objective]
        return values + [None] * (len(self._goals) - len(values))

    def _redraw(self, *, force: bool) -> None:
        if len(self._goals) < 2:
            self.plot.clear()
            self._points, self._front = {}, []
            self.info.setText(self.tr("The plan has one objective: there is no front to draw."))
            return
        xi, yi = self.axes()
        rows = [(t, self._values(t)) for t in self._trials]
        signature = (xi, yi, tuple(g["direction"] for g in self._goals),
                     tuple((t.id, tuple(v)) for t, v in rows))
        if signature == self._drawn and not force:
            return
        self._drawn = signature
        directions = [g["direction"] for g in self._goals]
        pair = [[v[xi], v[yi]] for _, v in rows]
        front = set(pareto_front(pair, [directions[xi], directions[yi]]))
        whole = pareto_front([v for _, v in rows], directions)
        xs = [np.nan if p[0] is None else float(p[0]) for p in pair]
        ys = [np.nan if p[1] is None else float(p[1]) for p in pair]
        shown = [i for i in range(len(pair)) if np.isfinite(xs[i]) and np.isfinite(ys[i])]
        path = front_path(xs, ys, sorted(front))
        self._points = {rows[i][0].id: (xs[i], ys[i]) for i in shown}
        self._front = [rows[i][0].id for i in path]
        self.plot.clear()
        others = [i for i in shown if i not in front]
        if others:
            self.plot.addItem(self._scatter(rows, others, xs, ys, pg.mkPen(None),
                                            pg.mkBrush(qcolor(POINT, 110)), 9))
        if path:
            line = pg.PlotDataItem([xs[i] for i in path], [ys[i] for i in path],
                                   pen=pg.mkPen(BEST, width=2))
            self.plot.addItem(line)
            self.plot.addItem(self._scatter(rows, path, xs, ys, pg.mkPen(INK, width=1),
                                            pg.mkBrush(BEST), 12))
        for side, i in (("bottom", xi), ("left", yi)):
            goal = self._goals[i]
            better = (self.tr("higher is better") if goal["direction"] == "maximize"
                      else self.tr("lower is better"))
            self.plot.setLabel(side, f"{goal['metric']} ({better})", color=INK)
        self.plot.autoRange(padding=0.08)
        text = fill(self.tr("%1 completed trials. Orange, joined: the %2 that no other trial "
                            "beats on both %3 and %4 (the Pareto front); faint: the rest."),
                    str(len(shown)), str(len(path)), self._goals[xi]["metric"],
                    self._goals[yi]["metric"])
        if len(self._goals) > 2:
            text += " " + fill(self.tr("On the front of all %1 objectives: %2 trials."),
                               str(len(self._goals)), str(len(whole)))
        self.info.setText(text if shown else self.tr("No completed trial has both values yet."))

    def _scatter(self, rows: list[tuple[Trial, list[float | None]]], index: Sequence[int],
                 xs: list[float], ys: list[float], pen: Any, brush: Any,
                 size: int) -> pg.ScatterPlotItem:
        item = pg.ScatterPlotItem(x=[xs[i] for i in index], y=[ys[i] for i in index],
                                  data=[rows[i][0].id for i in index], pen=pen, brush=brush,
                                  size=size, hoverable=True, tip=self._tip(rows))
        item.sigClicked.connect(self._clicked)
        return item

    def _tip(self, rows: list[tuple[Trial, list[float | None]]]) -> Any:
        by_id = {t.id: (t, v) for t, v in rows}

        def tip(x: float, y: float, data: int) -> str:
            trial, values = by_id[int(data)]
            lines = [self.tr("Trial %1").replace("%1", str(trial.number))]
            lines += [f"{g['metric']} {format_value(v) if v is not None else '—'}"
                      for g, v in zip(self._goals, values)]
            return "\n".join(lines)
        return tip

    def _clicked(self, _item: object, points: Any, *_: object) -> None:
        if len(points):
            self.trialActivated.emit(int(points[0].data()))


__all__ = ["ParetoPanel"]
