"""Where a trial's curve ended before its training did: one marker per trial in its state's
colour and shape (pruned ▼, stopped ■, paused ●, failed ✕...), the reason as the marker's
tooltip, and a legend of the shapes the plot shows. A pruner's decision and a person's stop
differ in colour, shape and words.

`PlotNotes` are the lines of text over the plot for the person at the screen: why it is empty,
how many points a log axis leaves out. Exported images leave them out."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication

from hpdesk.gui.base.common import STATE_SYMBOLS, state_color, state_label, state_reason
from hpdesk.gui.curves.items import TrialCurve
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
        self._extra: list[tuple[pg.ScatterPlotItem, str]] = []  # other marks' entries
        self._shown: dict[int, tuple[float, float, str]] = {}

    def update(self, curves: Mapping[int, TrialCurve], trials: Mapping[int, Trial], *,
               log_y: bool = False) -> None:
        """A marker at the last drawn point of each shown curve of a marked state. The curves
        draw log10(y) themselves on a log axis (a scatter does not follow the axis), so the
        marker does too; a last value at or below zero has no place there and no marker."""
        self._trials = dict(trials)
        shown: dict[int, tuple[float, float, str]] = {}
        for tid, curve in curves.items():
            trial = trials.get(tid)
            end = curve.last_point() if curve.visible else None
            if end is not None and log_y:
                end = (end[0], math.log10(end[1])) if end[1] > 0 else None
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

    def set_extra(self, entries: list[tuple[pg.ScatterPlotItem, str]]) -> None:
        """Legend entries of other marks on the plot (fit-state findings), after the states'."""
        if entries != self._extra:
            self._extra = list(entries)
            self._update_legend(self._legend_states, force=True)

    def _update_legend(self, states: tuple[str, ...], *, force: bool = False) -> None:
        if states == self._legend_states and not force:
            return
        self._legend_states = states
        self.legend.clear()
        self._samples = [pg.ScatterPlotItem(symbol=STATE_SYMBOLS[s], size=11,
                                            brush=pg.mkBrush(state_color(s)), pen=pg.mkPen("k"))
                         for s in states]
        for state, sample in zip(states, self._samples):
            self.legend.addItem(sample, legend_label(state))
        for sample, label in self._extra:
            self.legend.addItem(sample, label)
        self.legend.setVisible(bool(states or self._extra))


class PlotNotes:
    """Two notes over a plot: `empty` in the middle (nothing drawn, and why) and `log` at the
    bottom left (points a logarithmic axis cannot show)."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self._vb = plot.vb
        self.empty = self._note(anchor=(0.5, 0.5))
        self.log = self._note(anchor=(0, 1))
        self._vb.sigResized.connect(lambda *_: self._place())
        self._place()

    def _note(self, anchor: tuple[float, float]) -> pg.TextItem:
        note = pg.TextItem("", color="#444444", anchor=anchor, fill=pg.mkBrush(255, 255, 255, 215),
                           border=pg.mkPen("#c8c8c8"))
        note.setParentItem(self._vb)  # in the view box's pixels: it stays put while panning
        note.setZValue(25)
        note.setVisible(False)
        return note

    def _place(self) -> None:
        rect = self._vb.boundingRect()
        self.empty.setPos(rect.center())
        self.log.setPos(rect.left() + 8, rect.bottom() - 8)

    def items(self) -> list[pg.TextItem]:
        return [self.empty, self.log]

    def texts(self) -> dict[str, str]:
        """The notes shown, by name (tests read them)."""
        return {name: note.toPlainText() for name, note in (("empty", self.empty),
                                                             ("log", self.log))
                if note.isVisible()}

    def update(self, curves: Iterable[TrialCurve], *, metric: str, log_y: bool) -> None:
        """Say why nothing is drawn (no point yet, or every curve hidden) and how many shown
        points the log axis leaves out (zero and negative values)."""
        shown = [c for c in curves if c.visible and c.drawn() is not None]
        drawn_any = any(c.drawn() is not None for c in curves)
        if shown:
            empty = ""
        elif drawn_any:
            empty = QCoreApplication.translate(
                "CurveMarkers", "Every curve is hidden: by the trials table's filter or the "
                "list beside the plot.")
        elif metric:
            empty = QCoreApplication.translate("CurveMarkers", "No point of “%1” yet.").replace(
                "%1", metric)
        else:
            empty = QCoreApplication.translate(
                "CurveMarkers", "No point yet: curves appear as the trials report metrics.")
        _say(self.empty, empty)
        below = sum(c.below_zero() for c in shown) if log_y else 0
        _say(self.log, QCoreApplication.translate(
            "CurveMarkers", "Values at or below zero left out by log y: %1").replace(
            "%1", str(below)) if below else "")


def _say(note: pg.TextItem, text: str) -> None:
    if note.toPlainText() != text:
        note.setText(text)
    note.setVisible(bool(text))


__all__ = ["MARKED_STATES", "EndMarkers", "PlotNotes", "legend_label"]
