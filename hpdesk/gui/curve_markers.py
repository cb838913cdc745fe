"""Where a trial's curve ended before its training did: one marker per trial in its state's
colour and shape (pruned ▼, stopped ■, paused ●, failed ✕...), the reason as the marker's
tooltip, and a legend of the shapes the plot shows. A pruner's decision and a person's stop
differ in colour, shape and words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication

from hpdesk.gui.common import STATE_SYMBOLS, state_color, state_label, state_reason
from hpdesk.gui.curve_items import TrialCurve
from hpdesk.store import Trial

#: States whose curve ends where the trial stopped (paused: where it waits for its generation).
MARKED_STATES = frozenset(STATE_SYMBOLS)


def legend_label(state: str) -> str:
    if state == "pruned":
        return QCoreApplication.translate("CurveMarkers", "pruned by the plan's pruner")
    if state == "stopped":
        return QCoreApplication.translate("CurveMarkers", "stopped by a person")
    return state_label(state)


class EndMarkers:
    """The markers (`item`, a hoverable scatter) and their legend on one plot."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self._trials: dict[int, Trial] = {}
        self.item = pg.ScatterPlotItem(size=11, hoverable=True, tip=self._tip)
        self.item.setZValue(10)
        plot.addItem(self.item)
        self.legend = pg.LegendItem(offset=(-10, 10), brush=pg.mkBrush(255, 255, 255, 215),
                                    pen=pg.mkPen("#b0b0b0"), labelTextColor="#333333")
        self.legend.setParentItem(plot.vb)
        self.legend.setZValue(20)
        self.legend.setVisible(False)  # until a marker is drawn
        self._legend_states: tuple[str, ...] = ()
        self._samples: list[pg.ScatterPlotItem] = []
        self._shown: dict[int, tuple[float, float, str]] = {}

    def update(self, curves: Mapping[int, TrialCurve], trials: Mapping[int, Trial]) -> None:
        """A marker at the last drawn point of each shown curve of a marked state."""
        self._trials = dict(trials)
        shown: dict[int, tuple[float, float, str]] = {}
        for tid, curve in curves.items():
            trial = trials.get(tid)
            end = curve.last_point() if curve.visible else None
            if trial is not None and trial.state in MARKED_STATES and end is not None:
                shown[tid] = (end[0], end[1], trial.state)
        self._shown = shown
        spots = [{"pos": (x, y), "data": tid, "symbol": STATE_SYMBOLS[state],
                  "brush": pg.mkBrush(state_color(state)), "pen": pg.mkPen("k")}
                 for tid, (x, y, state) in shown.items()]
        self.item.setData(spots)
        self._update_legend(tuple(sorted({s for _, _, s in shown.values()},
                                         key=list(STATE_SYMBOLS).index)))

    def clear(self) -> None:
        self._shown = {}
        self.item.setData([])
        self._update_legend(())

    def markers(self) -> dict[int, tuple[float, float, str]]:
        """Trial id -> (x, y, state) of each marker drawn."""
        return dict(self._shown)

    def legend_entries(self) -> list[str]:
        return [label.text for _, label in self.legend.items]

    def reason(self, trial_id: int) -> str:
        """The tooltip of a trial's marker: its number, state, who stopped it and why."""
        trial = self._trials.get(trial_id)
        if trial is None:
            return ""
        head = QCoreApplication.translate("CurveMarkers", "Trial %1 · %2").replace(
            "%1", str(trial.number)).replace("%2", state_label(trial.state))
        why = state_reason(trial.state, trial.message)
        return f"{head}\n{why}" if why else head

    def _tip(self, x: float, y: float, data: Any) -> str:
        return self.reason(int(data))

    def _update_legend(self, states: tuple[str, ...]) -> None:
        if states == self._legend_states:
            return
        self._legend_states = states
        self.legend.clear()
        self._samples = [pg.ScatterPlotItem(symbol=STATE_SYMBOLS[s], size=11,
                                            brush=pg.mkBrush(state_color(s)), pen=pg.mkPen("k"))
                         for s in states]
        for state, sample in zip(states, self._samples):
            self.legend.addItem(sample, legend_label(state))
        self.legend.setVisible(bool(states))


__all__ = ["MARKED_STATES", "EndMarkers", "legend_label"]
