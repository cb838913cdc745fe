"""The "Trials and curves" tab's body: the stages of a staged search and the trials table above
the live curves, in a splitter whose sizes the window remembers (objectName runSplitter).

An overview line sits on top (`hpdesk.gui.run.overview`: best trial, trials done of the
budget, elapsed and time left). The window hands it the experiment's plan (`set_experiment`),
every poll (`on_poll`) and whole curves (`on_curves_loaded`); the trials' selection emphasises
their curves here, and the table's filters (typed and by state) choose the curves drawn, without
the window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from hpdesk.gui.base.fit_findings import FindingsWatcher
from hpdesk.gui.base.poller import CurvesResult, PollResult
from hpdesk.gui.curves.view import CurvesView
from hpdesk.gui.run.overview import ExperimentOverview
from hpdesk.gui.run.stages import StagePanel
from hpdesk.gui.trials.view import TrialsView

ROOM_FOR_ROWS = 270  # pixels for the filter line, the header and about eight rows of trials


class RunView(QWidget):
    def __init__(self, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runView")
        self.stages = StagePanel(language)
        self.trials = TrialsView(language)
        self.curves = CurvesView(language)
        self.overview = ExperimentOverview()
        # The best trial's whole curve is asked for as the curves' are (the window sends
        # curvesRequested to the poller) and comes back through on_curves_loaded.
        self.overview.curvesRequested.connect(self.curves.curvesRequested)
        self.overview.bestActivated.connect(lambda tid: self.curves.highlight([tid]))
        top = QWidget()
        column = QVBoxLayout(top)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.overview)
        column.addWidget(self.stages)
        column.addWidget(self.trials, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("runSplitter")
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.curves)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.trials.selectionChanged.connect(self.curves.set_selected_trials)
        # Fit-state findings, read off the GUI thread: badges in the table, marks on the curves.
        self.findings = FindingsWatcher(self)
        self.findings.changed.connect(self._findings_changed)
        # The proxy's rows change with the filters and with the trials' values (a trial that
        # stops matching `state=running`): the curves follow, once per burst of changes.
        self._filter_timer = QTimer(self, singleShot=True, interval=0)
        self._filter_timer.timeout.connect(self.sync_filter)
        proxy = self.trials.proxy
        for sig in (proxy.rowsInserted, proxy.rowsRemoved, proxy.modelReset,
                    proxy.layoutChanged):
            sig.connect(lambda *_: self._filter_timer.start())

    def sync_filter(self) -> None:
        """Draw the curves of the trials the table shows (all of them: no filter to apply)."""
        self._filter_timer.stop()
        proxy = self.trials.proxy
        shown = proxy.rowCount()
        if shown == self.trials.model.rowCount():
            self.curves.set_filter(None)
            return
        self.curves.set_filter(proxy.shown_trial_ids())

    def watch_findings(self, db_path: Path | str, experiment_id: int) -> None:
        """Read the fit-state findings of this experiment's trials from `db_path` as the polls
        bring their points (after `set_experiment`)."""
        self.findings.watch(db_path, experiment_id)

    def _findings_changed(self, found: dict[int, Any]) -> None:
        self.trials.set_findings(found)
        self.curves.set_findings(found)

    def set_experiment(self, plan: dict[str, Any]) -> None:
        self.findings.stop()
        self.overview.set_experiment(plan)
        self.trials.set_plan(plan)
        self.curves.set_experiment(plan)
        self.stages.set_experiment(plan)
        if self.stages.isVisibleTo(self):
            QTimer.singleShot(0, self._make_room)

    def _make_room(self) -> None:
        """With the stages shown, the table above the curves keeps room for a few rows (a
        layout the person saved with more room for the table is left as it is)."""
        sizes = self.splitter.sizes()
        want = max(self.stages.height(), self.stages.sizeHint().height()) + ROOM_FOR_ROWS
        want = min(want, sum(sizes) // 2)  # the curves keep at least half
        if len(sizes) == 2 and 0 < sizes[0] < want:
            self.splitter.setSizes([want, sum(sizes) - want])

    def on_poll(self, result: PollResult) -> None:
        # The latest values first: new trials' rows are then computed once, with them.
        self.trials.set_latest(result.latest)  # type: ignore[arg-type]
        if result.trials_changed:
            self.trials.set_trials(result.trials)
            self.stages.set_trials(result.trials)
            self.sync_filter()  # before new trials' first points reach the curves
        self.curves.on_poll(result)
        self.overview.on_poll(result)
        self.stages.add_events(result.events)
        self.findings.on_poll(result)

    def on_curves_loaded(self, result: CurvesResult) -> None:
        """Whole curves the poller read: for the curves and the overview's best curve."""
        self.curves.on_curves_loaded(result)
        self.overview.on_curves_loaded(result)


__all__ = ["RunView"]
