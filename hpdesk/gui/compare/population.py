"""A population-based training run: its lineage and its hyperparameter schedules.

Above, the lineage: one row per member, epochs across, one bar per interval in the colour of the
member whose weights the interval carries (each member starts with its own colour; copying a
better member's checkpoint takes on that member's lineage), and an arrow from donor to member at
each exploit. Below, the schedule of one hyperparameter the members change (a combo chooses):
a step line per member, in the member's colour, e.g. the learning rate over the epochs.

Data: `hpdesk.analysis.population` from the `pbt` events and the trials. Clicking a member's row
emits `trialActivated(trial_id)` like the other tabs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from hpdesk.analysis.population import Population, population
from hpdesk.gui.base.common import format_value, named
from hpdesk.gui.base.inputs import combo_box, fill, guard_wheel
from hpdesk.gui.base.plan_dicts import fixed_value, is_log, strategy_options
from hpdesk.gui.compare.style import BACKGROUND, INK, style_plot
from hpdesk.gui.curves.items import PALETTE
from hpdesk.plan.search_options import PBT_MUTABLE
from hpdesk.store import Event, Trial

BAR_WIDTH = 14  # pixels of a lineage bar
AXIS_WIDTH = 96  # both plots' left axes: their epochs line up


def member_color(member: int) -> str:
    return PALETTE[member % len(PALETTE)]


class PopulationPanel(QWidget):
    """`set_data(plan, trials)` and `add_events(events)`; redraws only when either changed."""

    trialActivated = Signal(int)

    def __init__(self, language: str = "en", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lang = language
        self._plan: dict[str, Any] = {}
        self._trials: list[Trial] = []
        self._events: list[dict[str, Any]] = []
        self._drawn: Any = None
        self._plans = 0  # plans shown so far: a new one redraws
        self.run: Population | None = None
        self.info = QLabel()
        self.info.setObjectName("populationInfo")
        self.info.setWordWrap(True)
        self.lineage_widget = named(pg.PlotWidget(), "populationLineage",
                                    self.tr("Lineage of the population"))
        self.lineage = self.lineage_widget.getPlotItem()
        self.schedule_widget = named(pg.PlotWidget(), "populationSchedule",
                                     self.tr("Hyperparameter schedule of every member"))
        self.schedule = self.schedule_widget.getPlotItem()
        for widget, plot in ((self.lineage_widget, self.lineage),
                             (self.schedule_widget, self.schedule)):
            widget.setBackground(BACKGROUND)
            style_plot(plot)
            plot.setMenuEnabled(False)
            plot.setLabel("bottom", self.tr("Epoch"), color=INK)
            plot.getAxis("left").setWidth(AXIS_WIDTH)
        self.lineage.invertY(True)  # member 0 at the top
        self.schedule.setXLink(self.lineage)  # one epoch axis for both
        self.lineage.setLabel("left", self.tr("Member"), color=INK)
        self.lineage.scene().sigMouseClicked.connect(self._lineage_clicked)
        self.param_combo = combo_box("populationParam", self.tr("Hyperparameter to follow"),
                                     self.tr("A hyperparameter the members change as they "
                                             "train"))
        self.param_combo.currentIndexChanged.connect(lambda _i: self._draw_schedule())
        guard_wheel(self.param_combo)
        bottom = QWidget()
        column = QVBoxLayout(bottom)
        column.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Schedule of")))
        row.addWidget(self.param_combo)
        self.key = QLabel()
        self.key.setObjectName("populationKey")
        row.addWidget(self.key, 1)
        column.addLayout(row)
        column.addWidget(self.schedule_widget, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("populationSplitter")
        self.splitter.addWidget(self.lineage_widget)
        self.splitter.addWidget(bottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.info)
        layout.addWidget(self.splitter, 1)
        self.exploit_marks: pg.ScatterPlotItem | None = None

    # ---- data ------------------------------------------------------------------------------

    def set_data(self, plan: Mapping[str, Any] | None, trials: Sequence[Trial]) -> None:
        if dict(plan or {}) != self._plan:
            self._plan, self._events = dict(plan or {}), []
            self._plans += 1
        self._trials = list(trials)
        self._redraw()

    def add_events(self, events: Sequence[Event]) -> None:
        new = [e.data for e in events if e.kind == "pbt" and e.data]
        if new:
            self._events.extend(new)
            self._redraw()

    def parameters(self) -> list[str]:
        return [self.param_combo.itemText(i) for i in range(self.param_combo.count())]

    # ---- drawing ---------------------------------------------------------------------------

    def _redraw(self) -> None:
        signature = (self._plans, len(self._events),
                     tuple((t.id, t.state) for t in self._trials))
        if signature == self._drawn:
            return
        self._drawn = signature
        end = fixed_value(self._plan, "epochs")
        self.run = population(self._events, self._trials,
                              end=float(end) if isinstance(end, (int, float)) else None)
        self._draw_lineage(self.run)
        mutable = strategy_options(self._plan).get("mutate") or [
            n for n in PBT_MUTABLE if n in (self._plan.get("space") or {})
            and fixed_value(self._plan, n) is None]
        order, changed = list(PBT_MUTABLE), self.run.changed
        names = sorted(dict.fromkeys([*changed, *mutable]),  # changed first, lr leading
                       key=lambda n: (n not in changed,
                                      order.index(n) if n in order else len(order)))
        if names != self.parameters():
            current = self.param_combo.currentText()
            self.param_combo.blockSignals(True)
            self.param_combo.clear()
            self.param_combo.addItems(names)
            self.param_combo.setCurrentIndex(max(0, names.index(current) if current in names
                                                 else 0))
            self.param_combo.blockSignals(False)
        self._draw_schedule()
        run = self.run
        self.key.setText("&nbsp;&nbsp;".join(
            f"<span style='color:{member_color(m)}'>&#9632;</span>&nbsp;"
            + fill(self.tr("member %1 (trial %2)"), str(m), str(run.trials.get(m, "?")))
            for m in run.members))
        self.info.setText(fill(self.tr(
            "%1 members, %2 exploits so far. Each bar is an interval, coloured by the member "
            "whose weights it carries; an arrow marks a member copying a better one."),
            str(len(run.members)), str(len(run.exploits))) if run.members else
            self.tr("No member of the population has started yet."))

    def _draw_lineage(self, run: Population) -> None:
        plot = self.lineage
        plot.clear()
        by_origin: dict[int, tuple[list[float], list[float]]] = {}
        for seg in run.segments:
            xs, ys = by_origin.setdefault(seg.origin, ([], []))
            xs += [seg.start, seg.end]
            ys += [seg.member, seg.member]
        for origin, (xs, ys) in sorted(by_origin.items()):
            pen = pg.mkPen(member_color(origin), width=BAR_WIDTH)
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)
            plot.addItem(pg.PlotDataItem(np.array(xs), np.array(ys), pen=pen, connect="pairs"))
        for boundary in run.generations:
            plot.addItem(pg.InfiniteLine(boundary, angle=90, pen=pg.mkPen("#d0d0d0", width=1)))
        if run.exploits:
            xs, ys = [], []
            for e in run.exploits:
                xs += [e.epoch, e.epoch]
                ys += [e.donor, e.member]
            plot.addItem(pg.PlotDataItem(np.array(xs), np.array(ys), connect="pairs",
                                         pen=pg.mkPen(INK, width=1.5)))
            self.exploit_marks = pg.ScatterPlotItem(
                x=[e.epoch for e in run.exploits], y=[e.member for e in run.exploits],
                symbol=["t" if e.member > e.donor else "t1" for e in run.exploits],
                data=list(range(len(run.exploits))), size=11, brush=pg.mkBrush(INK),
                pen=pg.mkPen("w"), hoverable=True, tip=self._exploit_tip)
            plot.addItem(self.exploit_marks)
        ticks = [(m, fill(self.tr("%1 · trial %2"), str(m), str(run.trials.get(m, "?"))))
                 for m in run.members]
        plot.getAxis("left").setTicks([ticks, []])
        if run.members:
            plot.setXRange(0, run.end, padding=0.02)
            plot.setYRange(min(run.members) - 0.6, max(run.members) + 0.6, padding=0)

    def _exploit_tip(self, x: float, y: float, data: int) -> str:
        assert self.run is not None
        e = self.run.exploits[int(data)]
        return fill(self.tr("Epoch %1: trial %2 (member %3, %4) copied trial %5 (member %6, %7)"),
                    format_value(e.epoch), str(e.trial), str(e.member), format_value(e.value),
                    str(e.donor_trial), str(e.donor), format_value(e.donor_value))

    def _draw_schedule(self) -> None:
        plot = self.schedule
        plot.clear()
        name = self.param_combo.currentText()
        if self.run is None or not name:
            return
        log = is_log(self._plan, name)
        plot.setLogMode(x=False, y=log)
        plot.setLabel("left", name, color=INK)
        shown: list[float] = []
        for member, (edges, values) in sorted(self.run.schedule(name).items()):
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                continue
            item = pg.PlotDataItem(np.array(edges, float), np.array(values, float),
                                   stepMode="center",
                                   pen=pg.mkPen(member_color(member), width=2))
            plot.addItem(item)
            shown += [float(v) for v in values if not log or v > 0]
        if shown:
            low, high = min(shown), max(shown)
            if log:
                low, high = float(np.log10(low)), float(np.log10(high))
            plot.setYRange(low, high if high > low else low + 1, padding=0.12)

    def _lineage_clicked(self, event: Any) -> None:
        vb = self.lineage.vb
        if self.run is None or not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        member = int(round(vb.mapSceneToView(event.scenePos()).y()))
        number = self.run.trials.get(member)
        trial = next((t for t in self._trials if t.number == number), None)
        if trial is not None:
            self.trialActivated.emit(trial.id)


__all__ = ["PopulationPanel", "member_color"]
