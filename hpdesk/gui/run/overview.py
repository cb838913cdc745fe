"""The experiment at a glance, one line at the top of "Trials and curves": its best trial and
value, trials done of the budget and by state, the time it ran and the time it needs still,
as optuna-dashboard and W&B show on their main run view.

The best trial's objective curve is drawn small beside it (a sparkline), not only emphasised
in the big plot: the big plot draws what the table's filters and the chosen metric say
(`state=running`, `loss`), so the best curve may be filtered out of it exactly while the
person compares running trials with it. The sparkline always shows it; clicking the best trial
(`bestActivated`) shows and emphasises it in the big plot too.

Fed by the window as the curves are: `set_experiment(plan)`, `on_poll(PollResult)` and
`on_curves_loaded(CurvesResult)`; it asks for the best trial's whole curve with
`curvesRequested(metric, [trial id])`. The numbers come from `hpdesk.analysis.overview`; a
one-second timer keeps the elapsed time moving while the experiment runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF, QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QWidget

from hpdesk.analysis.overview import Overview, overview
from hpdesk.analysis.progress import format_duration, total_epochs
from hpdesk.gui.base.common import format_value, named, state_label
from hpdesk.gui.base.inputs import fill, html_escape
from hpdesk.gui.base.poller import CurvesResult, PollResult
from hpdesk.store import Trial

TICK_MS = 1000  # the elapsed time moves once a second while the experiment runs
BEST_COLOR = "#2ca02c"


class Sparkline(QWidget):
    """A curve drawn small, without axes: the shape is what matters here."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._steps = np.empty(0, dtype=np.int64)
        self._values = np.empty(0, dtype=np.float64)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(80, 22)

    def clear(self) -> None:
        self.set_points(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))

    def set_points(self, steps: np.ndarray, values: np.ndarray) -> None:
        self._steps, self._values = np.asarray(steps), np.asarray(values, dtype=np.float64)
        self.update()

    def append(self, steps: np.ndarray, values: np.ndarray) -> None:
        self.set_points(np.concatenate([self._steps, steps]),
                        np.concatenate([self._values, values]))

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """The finite points kept, in step order (what is drawn, before it is scaled)."""
        keep = np.isfinite(self._values)
        steps, values = self._steps[keep], self._values[keep]
        order = np.argsort(steps, kind="stable")
        return steps[order], values[order]

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        steps, values = self.points()
        if steps.size == 0:
            return
        if steps.size > 2 * self.width():  # about two points per pixel is all one sees
            steps = steps[np.linspace(0, steps.size - 1, 2 * self.width()).astype(int)]
            values = values[np.linspace(0, values.size - 1, 2 * self.width()).astype(int)]
        x0, x1 = float(steps[0]), float(steps[-1])
        y0, y1 = float(values.min()), float(values.max())
        w, h = self.width() - 4.0, self.height() - 4.0
        xs = 2 + (steps - x0) / (x1 - x0) * w if x1 > x0 else np.full(steps.size, 2 + w / 2)
        ys = 2 + h - ((values - y0) / (y1 - y0) * h if y1 > y0 else np.full(values.size, h / 2))
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor(BEST_COLOR))
        pen.setWidthF(1.5)
        painter.setPen(pen)
        if xs.size == 1:
            painter.drawEllipse(QPointF(float(xs[0]), float(ys[0])), 2.0, 2.0)
        else:
            painter.drawPolyline(QPolygonF([QPointF(float(x), float(y))
                                            for x, y in zip(xs, ys)]))
        painter.end()


class ElidedLabel(QLabel):
    """A label that shortens its text with "…" rather than being cut or widening the window;
    the whole text stays in its tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(60)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight,
                                                   max(self.width(), 10)))


class ExperimentOverview(QFrame):
    """The overview line (objectName experimentOverview). Signals: `bestActivated(int)` (the
    best trial's id, clicked), `curvesRequested(str, list)` (the best trial's whole curve)."""

    bestActivated = Signal(int)
    curvesRequested = Signal(str, list)

    def __init__(self, parent: QWidget | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self._clock = clock
        self._plan: dict[str, Any] = {}
        self._trials: tuple[Trial, ...] = ()
        self._latest_epoch: dict[int, float] = {}
        self._running = False
        self._best_id: int | None = None
        self.current: Overview = overview({}, (), clock())
        named(self, "experimentOverview", self.tr("Experiment overview"))
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.best = named(QLabel(), "overviewBest", self.tr("Best trial"))
        self.best.setTextFormat(Qt.TextFormat.RichText)
        self.best.linkActivated.connect(self._on_best_link)
        self.sparkline = named(Sparkline(), "overviewBestCurve", self.tr("Best trial's curve"))
        self.counts = named(ElidedLabel(), "overviewTrials", self.tr("Trials done"))
        self.times = named(QLabel(), "overviewTime", self.tr("Elapsed and time left"), self.tr(
            "Elapsed: the time the experiment ran (its trials' run times), not the time since "
            "it was created; a stopped and resumed experiment has not run meanwhile. Time left: "
            "the pace so far applied to the trials left of the budget."))
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        row.setSpacing(10)
        row.addWidget(self.best)
        row.addWidget(self.sparkline)
        row.addWidget(self.counts, 1)
        row.addWidget(self.times)
        self._timer = QTimer(self, interval=TICK_MS)
        self._timer.timeout.connect(self.refresh)
        self.refresh()

    # slots -------------------------------------------------------------------------------------
    def set_experiment(self, plan: dict[str, Any]) -> None:
        """Start afresh for an experiment (nothing of the previous one stays)."""
        self._plan = dict(plan or {})
        self._trials = ()
        self._latest_epoch.clear()
        self._running = False
        self._best_id = None
        self.sparkline.clear()
        self._timer.stop()
        self.refresh()

    def on_poll(self, result: PollResult) -> None:
        if result.experiment is not None:
            self._running = result.experiment.state == "running"
            (self._timer.start if self._running else self._timer.stop)()
        for tid, values in result.latest.items():
            epoch = values.get("epoch")
            if epoch is not None:
                self._latest_epoch[tid] = epoch
        if result.trials_changed:
            self._trials = tuple(result.trials)
        metric = self.current.metric
        if self._best_id is not None and metric:
            points = result.new_points.get((self._best_id, metric))
            if points is not None and len(points):
                self.sparkline.append(points.steps, points.values)
        self.refresh()

    def on_curves_loaded(self, result: CurvesResult) -> None:
        """The best trial's whole curve, read in the snapshot of the poll before: it replaces
        what was appended meanwhile (later polls' points are appended to it)."""
        if self._best_id is None or result.metric != self.current.metric:
            return
        points = result.curves.get(self._best_id)
        if points is not None:
            self.sparkline.set_points(points.steps.copy(), points.values.copy())

    def refresh(self) -> None:
        """Recompute the numbers (on a poll, and each second while running)."""
        fractions = {}
        for t in self._trials:
            if t.state == "running" and t.id in self._latest_epoch:
                total = total_epochs(t.params, self._plan.get("space"))
                if total:
                    fractions[t.id] = self._latest_epoch[t.id] / total
        self.current = overview(self._plan, self._trials, self._clock(), running=self._running,
                                fractions=fractions)
        self._show(self.current)
        if self.current.best_id != self._best_id:
            self._best_id = self.current.best_id
            self.sparkline.clear()
            if self._best_id is not None and self.current.metric:
                self.curvesRequested.emit(self.current.metric, [self._best_id])

    # display -----------------------------------------------------------------------------------
    def _show(self, o: Overview) -> None:
        if o.best_number is None:
            self.best.setText(self.tr("Best: none yet"))
            self.best.setToolTip(fill(self.tr("No trial has reported a finite %1 yet."),
                                      o.metric or self.tr("objective")))
        else:
            arrow = "↓" if o.direction == "minimize" else "↑"
            link = f'<a href="best">#{o.best_number}</a>'
            self.best.setText(fill(self.tr("Best: %1 · %2 %3 %4"), link, html_escape(o.metric),
                                   arrow, format_value(o.best_value)))
            self.best.setToolTip(fill(
                self.tr("Trial %1 has the best %2 so far (%3); click to show its curve."),
                str(o.best_number), o.metric,
                self.tr("lower is better") if o.direction == "minimize"
                else self.tr("higher is better")))
        self.sparkline.setVisible(o.best_number is not None)
        if o.total is None:
            head = fill(self.tr("%1 trials done"), str(o.done))
        else:
            head = fill(self.tr("%1 of %2 trials done"), str(o.done), str(o.total))
        states = ", ".join(f"{n} {state_label(s)}" for s, n in o.by_state.items())
        self.counts.set_full_text(f"{head}: {states}" if states else head)
        elapsed = format_duration(o.elapsed) or "0s"
        if o.eta is not None:
            left = fill(self.tr("about %1 left"), format_duration(o.eta))
        elif self._running:
            left = self.tr("time left unknown")
        else:
            left = ""
        text = fill(self.tr("Elapsed %1"), elapsed)
        self.times.setText(f"{text} · {left}" if left else text)

    def _on_best_link(self, _href: str) -> None:
        if self._best_id is not None:
            self.bestActivated.emit(self._best_id)

    def best_curve(self) -> tuple[np.ndarray, np.ndarray]:
        """The best trial's points the sparkline draws (tests read them)."""
        return self.sparkline.points()


__all__ = ["ElidedLabel", "ExperimentOverview", "Sparkline"]
