"""The live curves: one metric for every trial of an experiment, drawn with pyqtgraph.

Fed by `hpdesk.gui.base.poller.ExperimentPoller`: `on_poll(PollResult)` appends streamed points,
`on_curves_loaded(CurvesResult)` replaces whole curves, and the view asks for whole curves with
`curvesRequested(metric, trial_ids)` (the window connects it to the poller's `request_curves`).
Drawing stays cheap with 64 curves of 100,000 points: each curve is decimated in numpy to about 2
points per pixel (peaks kept), a tick calls `setData` once per changed curve, auto-range is off
while streaming and "Follow latest" re-ranges on a slower timer (PLATFORM.md). Finished trials'
curves (all but the best) are drawn by one cached `CurveBundle`, so with 2,000 of them a tick
repaints only the streaming curves.

Only the trials the trials table's filters show are drawn (`set_filter`). Smoothing belongs to
the metric: each metric of an experiment keeps its own weight (a noisy per-step loss wants 0.9,
a per-epoch accuracy wants none), and a new experiment starts unsmoothed, so a weight chosen
for one curve never silently reshapes another.

Signals: `curvesRequested(str, list)` (metric, trial ids), `trialActivated(int)` (a curve or a
legend entry clicked). Slots: `set_experiment(plan_dict)`, `set_selected_trials(ids)`,
`set_filter(ids)`, `highlight(ids)`, `on_poll(result)`, `on_curves_loaded(result)`. Exports:
`export_image(path)`, `curves_csv(path)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from hpdesk.analysis.series import SeriesBuffer
from hpdesk.gui.base.plan_dicts import objectives
from hpdesk.gui.base.poller import CurvesResult, PollResult
from hpdesk.gui.curves.bundle import CurveBundles
from hpdesk.gui.curves.controls import CurveControls, TrialList
from hpdesk.gui.curves.exports import export_plot, legend_entries, write_csv
from hpdesk.gui.curves.finding_marks import FindingMarks
from hpdesk.gui.curves.finding_marks import legend_label as finding_label
from hpdesk.gui.curves.items import (
    OUTLINE_REDECIMATE_RATIO,
    REDECIMATE_RATIO,
    X_EPOCH,
    TrialCurve,
    follow_range,
    nearest_curve,
)
from hpdesk.gui.curves.markers import EndMarkers, PlotNotes
from hpdesk.store import Trial
from hpdesk.store.records import FINISHED_STATES

EPOCH = "epoch"
FOLLOW_INTERVAL_MS = 1000  # "follow latest" re-ranges this often, not on every tick
RANGE_DEBOUNCE_MS = 150  # after a zoom or pan, re-decimate once it settles
HEADROOM = 0.05  # "follow latest" leaves this share of the x range free to the right
MARKER_PAD = 0.08  # share of the range left around curves drawn as markers


class CurvesView(QWidget):
    """The curves plot with its controls (metric, x axis, log y, smoothing, follow latest) and a
    checkable list of trials (unchecked: hidden; double-click: `trialActivated`)."""

    curvesRequested = Signal(str, list)
    trialActivated = Signal(int)

    def __init__(self, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.language = language
        self._objective = ""
        self._maximize = True
        self._metric = ""
        self._wanted_metric = ""  # a rebuilt window's metric, chosen once it is read
        self._stand_in = False  # the metric shown stands in until the objective is reported
        self._trials: dict[int, Trial] = {}
        self._curves: dict[int, TrialCurve] = {}
        self._drawn_for: tuple[str, float] | None = None  # (x unit, px per x) of the last pass
        self._epochs: dict[int, SeriesBuffer] = {}
        self._requested: set[tuple[str, int]] = set()
        self._selected: set[int] = set()
        self._hidden: set[int] = set()  # unticked in the list beside the plot
        self._filtered: set[int] | None = None  # shown by the table's filters (None: all)
        self._smoothing: dict[str, float] = {}  # metric -> its weight, for this experiment
        self._best: int | None = None
        self._fitted: tuple[float, float, float, float] | None = None  # curves' box at last fit
        self._bundle_due = False  # which curves the bundles draw may have changed
        self._findings: dict[int, tuple[Any, ...]] = {}  # trial id -> fit-state findings
        self._build()

    # construction ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.controls = CurveControls(self)
        self.controls.metricChosen.connect(self._on_metric_chosen)
        self.controls.xModeChanged.connect(self._on_x_mode)
        self.controls.logYChanged.connect(self._on_log_y)
        self.controls.smoothingChanged.connect(self._apply_smoothing)
        self.controls.followChanged.connect(self._on_follow)

        self.plot_widget = pg.PlotWidget()
        self.plot_widget.setObjectName("curvesPlot")
        self.plot_widget.setAccessibleName(self.tr("Curves plot"))
        self.plot_widget.setBackground("w")
        self.plot = self.plot_widget.getPlotItem()
        # A GridItem costs under 1 ms a frame; the axes' own grid (showGrid) costs about 40 ms
        # with 64 curves offscreen.
        grid = pg.GridItem()
        grid.setTickSpacing(x=[None, None], y=[None, None])  # two levels, not three
        grid.setTextPen(None)
        self.plot.addItem(grid)
        self.plot.enableAutoRange(False)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", self.tr("Step"))
        for side in ("left", "bottom"):  # 0.98 reads as 0.98, not as 980 "(x0.001)"
            self.plot.getAxis(side).enableAutoSIPrefix(False)
        self.bundles = CurveBundles(self.plot, self._prepare)  # finished curves, as pictures
        self.end_markers = EndMarkers(self.plot)
        self.ends = self.end_markers.item
        self.finding_marks = FindingMarks(self.plot, self.language)
        self.notes = PlotNotes(self.plot)
        self.plot.vb.sigRangeChangedManually.connect(self._on_manual_range)
        self.plot.scene().sigMouseClicked.connect(self._on_plot_click)

        self.trial_list = TrialList(self)
        self.trial_list.visibilityChanged.connect(self._on_trial_shown)
        self.trial_list.trialActivated.connect(self.trialActivated)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setObjectName("curvesSplitter")
        split.addWidget(self.plot_widget)
        split.addWidget(self.trial_list)
        split.setStretchFactor(0, 1)
        split.setSizes([800, 160])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.controls)
        layout.addWidget(split, 1)

        self._range_timer = QTimer(self, singleShot=True, interval=RANGE_DEBOUNCE_MS)
        self._range_timer.timeout.connect(lambda: self._redraw(force=False))
        self.plot.vb.sigXRangeChanged.connect(lambda *_: self._range_timer.start())
        self._follow_timer = QTimer(self, interval=FOLLOW_INTERVAL_MS)
        self._follow_timer.timeout.connect(self.follow_latest)
        self._follow_timer.start()

    # public slots ------------------------------------------------------------------------------
    def set_experiment(self, plan: dict[str, Any]) -> None:
        """Start afresh for an experiment: its objective metric is shown first and its best
        trial (by the objective's direction) is drawn emphasised."""
        objective = (objectives(plan) or [{}])[0]
        self._objective = str(objective.get("metric") or "")
        self._maximize = objective.get("direction", "maximize") != "minimize"
        self._clear()
        self._requested.clear()
        self._epochs.clear()
        self._trials.clear()
        self._hidden.clear()
        self._selected.clear()
        self._filtered = None
        self._smoothing.clear()
        self._findings = {}
        self.controls.set_smoothing(0.0)
        self.trial_list.clear()
        self.controls.set_metrics([])
        self._metric = self._wanted_metric = ""
        self._stand_in = False
        # Nothing of the previous experiment stays: not its axis title, not its ranges.
        self.plot.setLabel("left", "")
        self.plot.vb.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
        self._update_notes()

    def set_filter(self, ids: Iterable[int] | None) -> None:
        """Draw only these trials (those the trials table's filters show); None: every one."""
        wanted = None if ids is None else {int(i) for i in ids}
        if wanted == self._filtered:
            return
        self._filtered = wanted
        self.trial_list.set_filtered(wanted)
        for tid, curve in self._curves.items():
            curve.set_visible(self._shown(tid))
        self._expect()
        self.bundles.changed(data=False)
        self._update_ends()
        self._update_notes()
        self._fitted = None  # range over the curves left
        self.follow_latest()

    def _shown(self, tid: int) -> bool:
        return tid not in self._hidden and (self._filtered is None or tid in self._filtered)

    def set_selected_trials(self, ids: Iterable[int]) -> None:
        """Emphasise these trials (thicker) and dim the others; none selected: all plain."""
        self._selected = {int(i) for i in ids}
        self._restyle()
        self._update_marks()

    def highlight(self, ids: Iterable[int]) -> None:
        """Show these trials (tick them if hidden) and emphasise them."""
        wanted = {int(i) for i in ids}
        self.trial_list.show_trials(wanted)
        self.set_selected_trials(wanted)

    def on_poll(self, result: PollResult) -> None:
        """A poller tick: new trials, metric names and points (appended, never re-read)."""
        self._update_metrics(result.metrics)
        if result.trials_changed:
            self._set_trials(result.trials)
        for (tid, name), points in result.new_points.items():
            if name == self._metric:
                curve = self._curve(tid)
                if curve is not None:
                    curve.series.extend(points.steps, points.values, points.walls)
                    curve.dirty = True
            if name == EPOCH and tid in self._trials:
                self._epochs.setdefault(tid, SeriesBuffer(64)).extend(
                    points.steps, points.values, points.walls)
                if self._x_mode() == X_EPOCH and tid in self._curves:
                    self._curves[tid].dirty = True
        self._request_missing()
        self._redraw(force=False)

    def on_curves_loaded(self, result: CurvesResult) -> None:
        """Whole curves, read in the snapshot of the poll just before: they replace ours."""
        if result.metric == EPOCH:
            for tid, points in result.curves.items():
                if tid not in self._trials:
                    continue
                buffer = self._epochs.setdefault(tid, SeriesBuffer(64))
                buffer.replace(points.steps, points.values, points.walls)
                if tid in self._curves:
                    self._curves[tid].dirty = True
        if result.metric == self._metric:
            for tid, points in result.curves.items():
                curve = self._curve(tid)
                if curve is not None:
                    curve.series.replace(points.steps, points.values, points.walls)
                    curve.dirty = True
        # First, so the curves are decimated for the zoom they are seen at.
        self.follow_latest(grow_only=True)
        self._redraw(force=False)

    # state -----------------------------------------------------------------------------------
    def current_metric(self) -> str:
        """The metric drawn ("" before any point arrived)."""
        return self._metric

    def curve_data(self, trial_id: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The decimated copy drawn for a trial (tests and exports read it)."""
        curve = self._curves.get(trial_id)
        return None if curve is None else curve.drawn()

    def _x_mode(self) -> str:
        return self.controls.x_mode()

    def _update_metrics(self, metrics: Sequence[str]) -> None:
        have = self.controls.metrics()
        names = sorted(set(have) | set(metrics))
        if names != have:
            self.controls.set_metrics(names)
        if self._wanted_metric and self._wanted_metric in names:
            wanted, self._wanted_metric = self._wanted_metric, ""
            self.controls.choose_metric(wanted)
        elif not self._metric and names:
            others = [n for n in names if n != EPOCH] or names
            chosen = self._objective if self._objective in names else others[0]
            self.controls.choose_metric(chosen)
            # Trials report their training loss before their first validation: the objective
            # takes over when it arrives, unless the person chose a metric meanwhile.
            self._stand_in = bool(self._objective) and chosen != self._objective
        elif self._stand_in and self._objective in names:
            self._stand_in = False
            self.controls.choose_metric(self._objective)

    def _set_trials(self, trials: Sequence[Trial]) -> None:
        self._trials = {t.id: t for t in trials}
        self.trial_list.set_trials(trials)
        self._best = self._best_trial()
        self._restyle()
        self._update_ends()

    def _rebundle(self) -> None:
        """The bundles draw the curves that will not change: finished trials' lines, except
        the best one (drawn thick on top) and those of a single point (drawn as markers)."""
        self._bundle_due = False
        self.bundles.set_members(c for tid, c in self._curves.items()
                                 if self._bundles_it(tid) and not c.marked)
        members = self.bundles.members()
        for tid, curve in self._curves.items():
            if curve.bundled and tid not in members:
                curve.set_bundled(False)
        self.bundles.set_selected(self._selected, dim=bool(self._selected))
        self._expect()

    def _expect(self) -> None:
        """Tell the bundles how many finished curves the filters show, loaded or not."""
        self.bundles.set_expected(sum(1 for tid in self._trials if self._bundles_it(tid)
                                      and self._shown(tid)))

    def _bundles_it(self, tid: int) -> bool:
        trial = self._trials.get(tid)
        return tid != self._best and trial is not None and trial.state in FINISHED_STATES

    def _prepare(self, curves: Iterable[TrialCurve], outlines: bool) -> bool:
        """Bring bundled curves to the zoom they are seen at, before their picture is made."""
        mode, px = self._x_mode(), self._px_per_x()
        drift = OUTLINE_REDECIMATE_RATIO if outlines else REDECIMATE_RATIO
        return any([c.redraw(mode, self._epochs.get(c.trial_id), px, False, drift)
                     for c in curves])

    def _best_trial(self) -> int | None:
        scored = [t for t in self._trials.values()  # NaN or an infinity is never the best
                  if t.objective is not None and np.isfinite(t.objective)]
        if not scored:
            return None
        pick = max if self._maximize else min
        return pick(scored, key=lambda t: t.objective or 0.0).id  # type: ignore[type-var]

    def _curve(self, trial_id: int) -> TrialCurve | None:
        """The trial's curve, made on its first points; None for a trial not of this
        experiment (a late result of the previous one)."""
        curve = self._curves.get(trial_id)
        trial = self._trials.get(trial_id)
        if curve is None and self._metric and trial is not None:
            curve = TrialCurve(self.plot, trial_id, trial.number)
            curve.series.set_weight(self.controls.smoothing())
            curve.set_visible(self._shown(trial_id))
            self._curves[trial_id] = curve
            self._style(curve)
            # A finished trial's curve goes to the bundles at once: no plot item of its own
            # is made for it (2,000 of them cost seconds to add to the plot).
            curve.set_bundled(self._bundles_it(trial_id))
            self._bundle_due = True
        return curve

    def _request_missing(self) -> None:
        if not self._metric:
            return
        for metric in (self._metric, EPOCH):
            ids = [tid for tid in self._trials if (metric, tid) not in self._requested]
            if ids:
                self._requested.update((metric, tid) for tid in ids)
                self.curvesRequested.emit(metric, ids)

    def _clear(self) -> None:
        self._fitted = None
        self.bundles.clear()
        for curve in self._curves.values():
            curve.remove(self.plot)
        self._curves.clear()
        self._requested = {key for key in self._requested if key[0] == EPOCH}
        self.end_markers.clear()
        self.finding_marks.clear()
        self.end_markers.set_extra([])

    # view state ------------------------------------------------------------------------------
    def view_state(self) -> dict[str, Any]:
        """What the person set up, as plain data for `restore_view_state` in a rebuilt window
        (another language, another database): the controls, the metric with each metric's
        smoothing, and the trials unticked and emphasised."""
        smoothing = dict(self._smoothing)
        if self._metric:
            smoothing[self._metric] = self.controls.smoothing()
        return {"controls": self.controls.state(),
                "metric": self._metric or self._wanted_metric, "smoothing": smoothing,
                "hidden": sorted(self._hidden), "selected": sorted(self._selected)}

    def restore_view_state(self, state: dict[str, Any], *, experiment: bool = True) -> None:
        """Show `view_state()`'s choices. The controls at once; with `experiment` (the same
        experiment, shown again: after `set_experiment`) its metric, smoothing and trials too,
        each taking effect as its data arrives. Another database's experiment keeps only the
        controls: its smoothing starts afresh (see the module doc)."""
        self.controls.restore_state(state.get("controls", {}))
        if not experiment:
            return
        self._smoothing.update(state.get("smoothing", {}))
        self._hidden = {int(i) for i in state.get("hidden", ())}
        self.trial_list.set_unticked(self._hidden)
        for tid, curve in self._curves.items():
            curve.set_visible(self._shown(tid))
        self.set_selected_trials(state.get("selected", ()))
        metric = str(state.get("metric") or "")
        if metric and metric == self._metric:
            weight = self._smoothing.get(metric, 0.0)
            self.controls.set_smoothing(weight)
            self._apply_smoothing(weight)
        elif metric in self.controls.metrics():
            self.controls.choose_metric(metric)
        else:
            self._wanted_metric = metric

    # drawing -----------------------------------------------------------------------------------
    def _px_per_x(self) -> float:
        (x0, x1), _ = self.plot.vb.viewRange()
        width = max(1.0, float(self.plot.vb.width()))
        return width / (x1 - x0) if x1 > x0 else 0.0

    def _redraw(self, *, force: bool) -> None:
        """One `setData` per curve whose data, x unit or zoom changed; then the end markers."""
        mode, px = self._x_mode(), self._px_per_x()
        changed = False
        # With the unit and zoom of the last pass no clean curve can need work: only the dirty
        # ones are visited (2,000 curves, a tick every 250 ms: benchmarks/gui_scale.py).
        every = force or self._drawn_for != (mode, px)
        self._drawn_for = (mode, px)
        redrawn = []
        for tid, curve in self._curves.items():
            # A bundled curve catches up with the zoom when its picture is made (_prepare).
            if curve.dirty or force or (every and not curve.bundled):
                marked = curve.marked
                if curve.redraw(mode, self._epochs.get(tid), px, force):
                    changed = True
                    redrawn.append(tid)
                    self._bundle_due |= curve.marked != marked  # markers draw themselves
        if changed:
            self.bundles.changed(redrawn)
            if self._bundle_due:
                self._rebundle()
            self._update_ends()
            self._update_notes()

    def _update_notes(self) -> None:
        self.notes.update(self._curves.values(), metric=self._metric,
                          log_y=self.controls.log_y())

    def _update_ends(self) -> None:
        """A marker in the state's colour and shape where a trial stopped early (pruned by the
        plan's pruner, stopped by a person, failed...), its reason as tooltip."""
        self.end_markers.update(self._curves, self._trials, log_y=self.controls.log_y())
        self._update_marks()

    def set_findings(self, findings: dict[int, Sequence[Any]]) -> None:
        """Every trial's fit-state findings (hpdesk.gui.base.fit_findings): marks on the curves."""
        self._findings = {int(tid): tuple(f) for tid, f in findings.items()}
        self._update_marks()

    def _update_marks(self) -> None:
        level = self.finding_marks.update(
            self._curves, self._findings, metric=self._metric, mode=self._x_mode(),
            epochs=self._epochs, log_y=self.controls.log_y(), selected=self._selected)
        self.end_markers.set_extra([(self.finding_marks.sample, finding_label())] if level
                                   else [])

    def finding_marks_drawn(self) -> list[tuple[int, str, float, float | None]]:
        """(trial id, kind, x, y or None: on the bottom) of each fit-state finding's mark."""
        return self.finding_marks.marks()

    def stopped_markers(self) -> dict[int, tuple[float, float, str]]:
        """Trial id -> (x, y, state) of each end marker drawn."""
        return self.end_markers.markers()

    def _style(self, curve: TrialCurve) -> None:
        if curve.trial_id in self._selected:
            style = "strong"
        elif self._selected:
            style = "dim"
        elif curve.trial_id == self._best:
            style = "best"
        else:
            style = "normal"
        curve.set_style(style)

    def _restyle(self) -> None:
        for curve in self._curves.values():
            self._style(curve)
        self._rebundle()

    def follow_latest(self, *, grow_only: bool = False) -> None:
        """Range the view over every shown curve (the slow timer calls it while following).
        `grow_only`: only widen the view when a curve leaves it (while curves load), so that
        each batch does not move the view and make every curve recompute its clipping."""
        if not self.controls.following():
            return
        log_y, mode = self.controls.log_y(), self._x_mode()
        boxes = [b for tid, c in self._curves.items() if c.visible
                 for b in [c.bounds(mode, self._epochs.get(tid), log_y)] if b is not None]
        (vx0, vx1), (vy0, vy1) = self.plot.vb.viewRange()
        fit = follow_range(boxes, (vx0, vx1, vy0, vy1), self._fitted, grow_only=grow_only,
                           headroom=HEADROOM)
        if fit is not None:
            self._fitted, (x0, x1, y0, y1), pad = fit
            if any(c.marked and c.visible for c in self._curves.values()):
                pad = max(pad, MARKER_PAD)  # markers on the edge would be cut in half
            self.plot.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=pad)
            # pyqtgraph applies a new range when the paint starts, and the curves it moves then
            # ask for a second full paint; applying it now makes it one (77 -> 42 ms, 64 curves).
            self.plot.vb.updateMatrix()

    # control handlers --------------------------------------------------------------------------
    def _on_metric_chosen(self, name: str) -> None:
        self._stand_in = False  # chosen: by the person, or by _update_metrics (which says so)
        if not name or name == self._metric:
            return
        if self._metric:
            self._smoothing[self._metric] = self.controls.smoothing()
        self.controls.set_smoothing(self._smoothing.get(name, 0.0))
        self._clear()
        self._metric = name
        self.plot.setLabel("left", name)
        self._update_notes()
        self._request_missing()

    def _on_x_mode(self, mode: str) -> None:
        self.plot.setLabel("bottom", self.controls.x_label())
        self._redraw(force=True)
        self._fitted = None  # other units: fit afresh
        self.controls.set_following(True)
        self.follow_latest()

    def _on_log_y(self, on: bool) -> None:
        self.plot.setLogMode(x=False, y=on)
        self.bundles.set_log_y(on)
        self._update_ends()
        self._fitted = None
        self.follow_latest()
        self._update_notes()

    def _apply_smoothing(self, weight: float) -> None:
        if self._metric:
            self._smoothing[self._metric] = weight
        for curve in self._curves.values():
            if curve.series.weight != weight:
                curve.series.set_weight(weight)
                curve.dirty = True
        self._redraw(force=False)
        self.follow_latest()

    def _on_follow(self, on: bool) -> None:
        if on:
            self.follow_latest()

    def _on_manual_range(self, *_: object) -> None:
        self.controls.set_following(False, quietly=True)  # the person looks somewhere: stay

    def _on_trial_shown(self, tid: int, shown: bool) -> None:
        (self._hidden.discard if shown else self._hidden.add)(tid)
        curve = self._curves.get(tid)
        if curve is not None:
            curve.set_visible(self._shown(tid))
            self.bundles.changed([tid], data=False)
        self._expect()
        self._update_ends()
        self._update_notes()

    def _on_plot_click(self, event: Any) -> None:
        """The curve nearest the click (within 8 pixels) activates its trial."""
        vb = self.plot.vb
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        point = vb.mapSceneToView(event.scenePos())
        tid = nearest_curve(self._curves.values(), point.x(), point.y(), vb.viewPixelSize()[1],
                            log_y=self.controls.log_y())
        if tid is not None:
            self.trialActivated.emit(tid)

    # exports ---------------------------------------------------------------------------------
    def export_image(self, path: str | Path) -> Path:
        """The plot as SVG (by the suffix) or PNG (anything else becomes .png), with a legend
        naming the trials drawn and without the on-screen notes; returns the file written."""
        # Drawn afresh, not from the cached picture: an SVG keeps every line a vector.
        self.bundles.set_cached(False)
        try:
            return export_plot(self.plot_widget, Path(path), self._metric,
                               self.legend_entries(), hide=self.notes.items())
        finally:
            self.bundles.set_cached(True)

    def legend_entries(self) -> list[tuple[pg.PlotDataItem, str]]:
        """(line, name) of each curve drawn, for an exported image's legend."""
        return legend_entries(self._curves.values(), self._best, self._selected)

    def curves_csv(self, path: str | Path) -> Path:
        """Every point of the shown curves, as shown (x unit, smoothing), one row per point."""
        target = Path(path)
        write_csv(target, self._curves.values(), self._metric, self._x_mode(), self._epochs)
        return target
