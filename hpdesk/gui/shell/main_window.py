"""The main window: experiments on the left; the plan, the trials with their curves, and the
comparison on the right. It only wires widgets together; what happens lives in the runner, the
analysis and the widgets themselves."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hpdesk.gui.actions.window import WindowParts
from hpdesk.gui.base.background import Background
from hpdesk.gui.base.common import named, state_label
from hpdesk.gui.base.settings import Settings
from hpdesk.gui.experiments.view import ExperimentsView
from hpdesk.gui.shell import window_layout
from hpdesk.gui.shell.first_paint import FirstPaint
from hpdesk.gui.wizard.choices import digits_default
from hpdesk.plan import Plan, load_plan, parse_plan
from hpdesk.runner.experiment import experiment_rows
from hpdesk.runner.recovery import open_store, recover_lost, scheduler_liveness
from hpdesk.store import Experiment, Store

log = logging.getLogger(__name__)
PLAN_SUFFIXES = (".yaml", ".yml", ".toml", ".json")
DB_SUFFIXES = (".db", ".sqlite", ".sqlite3")
REFRESH_MS = 1500


def digits_plan() -> Plan:
    """What a newcomer gets: the classification preset on the built-in digits, two at a time."""
    return digits_default().with_changes(concurrency=2)


class MainWindow(WindowParts):
    """Signals: `languageChosen(str)` and `databaseChosen(Path)` (the application rebuilds the
    window in that language or on that database), `databaseOpened()`."""

    databaseOpened = Signal()

    def __init__(self, settings: Settings, db_path: Path, language: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings, self.language = settings, language
        self.background = Background(self)
        self.background.failed.connect(lambda line: self.statusBar().showMessage(line, 15_000))
        self.db_path = db_path.expanduser().resolve()
        self.store: Store | None = None  # opened after the first paint (_open_database)
        self.experiment: Experiment | None = None
        self.poller: Any = None
        self.plan_path: Path | None = None  # the file the plan was opened from or saved to
        self.replaced = False  # set when another window takes this one's place (no prompt)
        self._recovering = False
        self.setObjectName("mainWindow")
        self.setAcceptDrops(True)
        self._build()
        from hpdesk.gui.shell.menus import build_menus

        self.actions_ = build_menus(self)
        window_layout.restore(self, self._splitters(), self.settings)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self.tabs.setCurrentWidget(self.plan_tab)
        self._update_title()
        FirstPaint(self._open_database, self)

    def _open_database(self) -> None:
        """Open (or create) the database, then show its experiments; a newcomer's empty one
        gets the welcome and the digits plan."""
        try:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            self.store = open_store(self.db_path)
        except Exception as exc:  # not an hpdesk file, a newer schema, no permission
            self.statusBar().showMessage(str(exc))
            QMessageBox.critical(self, self.tr("Cannot open the database"),
                                 self.tr("%1: %2").replace("%1", str(self.db_path))
                                 .replace("%2", str(exc)))
            return
        self.settings.add_recent_database(self.db_path)
        self._timer.start()
        self.refresh()
        if self.select_default_experiment():
            self.tabs.setCurrentWidget(self.run_tab)
        elif not experiment_rows(self.store):
            self.welcome.show()
            QTimer.singleShot(50, self.build_views)
        self.databaseOpened.emit()

    # layout ----------------------------------------------------------------------------------
    def _build(self) -> None:
        from hpdesk.gui.workbench.run_settings import available_devices
        from hpdesk.gui.workbench.workbench import PlanWorkbench

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(4, 4, 4, 4)
        new_button = named(QPushButton(self.tr("New experiment…")), "newExperimentButton",
                           self.tr("New experiment"))
        new_button.clicked.connect(self.new_experiment)
        left_layout.addWidget(new_button)
        self.experiments = ExperimentsView(self.language)
        self.experiments.experimentSelected.connect(self.show_experiment)
        self._wire_experiment_list()
        left_layout.addWidget(self.experiments)
        self.show_archived = named(QCheckBox(self.tr("Show archived")), "showArchivedCheck",
                                   self.tr("Show archived experiments"))
        self.show_archived.toggled.connect(self.experiments.set_show_archived)
        left_layout.addWidget(self.show_archived)

        # Plan: the draft being edited, launched as a new experiment.
        self.plan_tab = QWidget()
        plan_layout = QVBoxLayout(self.plan_tab)
        self.welcome = QLabel(self.tr(
            "<b>New here?</b> The built-in digits classification plan is filled in below, with "
            "the ranges and the tuning order of the guide. Press <b>Launch</b> to run it, or "
            "choose <b>New experiment…</b> for another task or your own script."))
        self.welcome.setObjectName("welcomeBanner")
        self.welcome.setWordWrap(True)
        self.welcome.setStyleSheet("background:#eef5ff;border:1px solid #9cc3f5;padding:8px;")
        self.welcome.hide()
        plan_layout.addWidget(self.welcome)
        self.workbench = PlanWorkbench(self.language, devices=available_devices())
        self.workbench.set_plan(digits_plan())
        self.workbench.validityChanged.connect(self._on_validity)
        self.workbench.modifiedChanged.connect(self.setWindowModified)
        plan_layout.addWidget(self.workbench, 1)
        bottom = QHBoxLayout()
        self.plan_status = QLabel()
        self.plan_status.setObjectName("planStatus")
        self.plan_status.setWordWrap(True)
        bottom.addWidget(self.plan_status, 1)
        self.launch_button = named(QPushButton(self.tr("Launch")), "launchButton",
                                   self.tr("Launch the plan as a new experiment"))
        self.launch_button.setDefault(True)
        self.launch_button.clicked.connect(self.launch)
        bottom.addWidget(self.launch_button)
        plan_layout.addLayout(bottom)

        # Trials and curves of the selected experiment.
        self.run_tab = QWidget()
        run_layout = QVBoxLayout(self.run_tab)
        header = QHBoxLayout()
        self.run_title = QLabel(self.tr("No experiment selected"))
        self.run_title.setObjectName("experimentTitle")
        self.run_title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        header.addWidget(self.run_title, 1)
        self.stop_button = named(QPushButton(self.tr("Stop")), "stopExperimentButton",
                                 self.tr("Stop the experiment"))
        self.stop_button.clicked.connect(self.stop_experiment)
        self.resume_button = named(QPushButton(self.tr("Resume")), "resumeExperimentButton",
                                   self.tr("Resume the experiment"))
        self.resume_button.clicked.connect(self.resume_experiment)
        self.copy_button = named(QPushButton(self.tr("Edit a copy")), "editCopyButton",
                                 self.tr("Edit a copy of this experiment's plan"))
        self.copy_button.clicked.connect(self.edit_copy)
        for button in (self.stop_button, self.resume_button, self.copy_button):
            header.addWidget(button)
        run_layout.addLayout(header)
        self.run_body = QVBoxLayout()
        run_layout.addLayout(self.run_body, 1)
        self.compare_tab = QWidget()
        self.compare_body = QVBoxLayout(self.compare_tab)
        self.compare_body.setContentsMargins(0, 0, 0, 0)
        self.run_splitter: QSplitter | None = None

        self.tabs = named(QTabWidget(), "mainTabs", self.tr("Views"))
        self.tabs.addTab(self.plan_tab, self.tr("Plan"))
        self.tabs.addTab(self.run_tab, self.tr("Trials and curves"))
        self.tabs.addTab(self.compare_tab, self.tr("Compare"))
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(left)
        self.main_splitter.addWidget(self.tabs)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setSizes([300, 1100])
        self.setCentralWidget(self.main_splitter)
        self.scheduler_status = QLabel()
        self.scheduler_status.setObjectName("schedulerStatus")
        self.statusBar().addPermanentWidget(self.scheduler_status)

    def build_views(self) -> None:
        """The trials table, the curves and the comparison: built once, after the first paint,
        so the window shows before pyqtgraph and numpy have loaded (benchmarks/gui_startup.py)."""
        if self.run_splitter is not None:
            return
        from hpdesk.gui.compare.view import CompareView
        from hpdesk.gui.run.view import RunView

        self.run_view = RunView(self.language)  # stages, trials and curves
        self.run_splitter = self.run_view.splitter
        self.trials, self.curves = self.run_view.trials, self.run_view.curves
        self.run_body.addWidget(self.run_view)
        self.compare = CompareView(self.language)
        self.compare.trialActivated.connect(self._show_trial)
        self.compare_body.addWidget(self.compare)
        self._wire_trials()
        window_layout.restore_splitter("runSplitter", self.run_splitter, self.settings)

    def _wire_experiment_list(self) -> None:
        from hpdesk.gui.actions import experiments as act

        self.experiments.renameRequested.connect(lambda i: act.rename(self, i))
        self.experiments.archiveRequested.connect(lambda i, a: act.set_archived(self, i, a))
        self.experiments.deleteRequested.connect(lambda i: act.delete(self, i))

    def _wire_trials(self) -> None:
        from hpdesk.gui.actions import trials as trial_actions

        self.trials.stopRequested.connect(lambda ids: trial_actions.stop(self, ids))
        self.trials.rerunRequested.connect(lambda ids: trial_actions.rerun(self, ids))
        self.trials.openLogRequested.connect(lambda ids: trial_actions.open_log(self, ids))
        self.trials.showInPlotRequested.connect(self._show_in_plot)
        self.trials.perClassRequested.connect(self.show_per_class)
        self.curves.trialActivated.connect(self._show_trial)

    # state -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """The experiment list and the selected one's scheduler state (two small queries)."""
        if self.store is None:
            return
        try:
            rows = experiment_rows(self.store)
        except Exception as exc:  # a database removed or damaged under us
            self.statusBar().showMessage(self.tr("Cannot read the database: %1")
                                         .replace("%1", str(exc)))
            return
        self.experiments.set_rows(rows)
        if any(r.experiment.state == "running" and not scheduler_liveness(r.experiment).alive
               for r in rows):
            self._recover_lost()
        if self.experiment is not None:
            current = next((r.experiment for r in rows if r.experiment.id == self.experiment.id),
                           None)
            if current is not None:
                self.experiment = current
                self._update_controls()

    def _recover_lost(self) -> None:
        """A scheduler died (kill -9, a crash, a reboot): its trials are stopped and marked
        interrupted, as any hpdesk command would, off the GUI thread; Resume picks them up."""
        if self._recovering:
            return
        self._recovering = True
        db = self.db_path

        def work() -> list[int]:
            with Store(db) as store:
                return recover_lost(store)

        def done(_: object) -> None:
            self._recovering = False

        self.background.run(work, success=done, failure=done,
                            what=self.tr("Recovering experiments whose scheduler stopped"))

    def _update_controls(self) -> None:
        exp = self.experiment
        if exp is None:
            for button in (self.stop_button, self.resume_button, self.copy_button):
                button.setEnabled(False)
            self.scheduler_status.setText("")
            return
        alive = exp.state == "running" and scheduler_liveness(exp).alive
        self.stop_button.setEnabled(alive)
        self.resume_button.setEnabled(not alive and exp.state != "completed")
        self.copy_button.setEnabled(True)
        if alive:
            text = self.tr("Experiment %1 is running (scheduler pid %2)").replace(
                "%1", str(exp.id)).replace("%2", str(exp.scheduler_pid))
        elif exp.state == "running":
            text = self.tr("The scheduler of experiment %1 stopped answering: press Resume"
                           ).replace("%1", str(exp.id))
        else:
            text = self.tr("Experiment %1: %2").replace("%1", str(exp.id)).replace(
                "%2", state_label(exp.state))
        self.scheduler_status.setText(text)

    def show_experiment(self, experiment_id: int) -> None:
        """Show an experiment's trials and curves, polled live from the database."""
        from hpdesk.gui.base.poller import ExperimentPoller

        self.build_views()
        if self.store is None:
            return
        self.experiment = self.store.experiment(experiment_id)
        plan = self.experiment.plan
        self.run_title.setText(f"<b>#{self.experiment.id} {self.experiment.name}</b> · "
                               f"{self.experiments.task_label(self.experiment.task)}")
        self.run_view.set_experiment(plan)
        self.run_view.watch_findings(self.db_path, experiment_id)
        self.compare.set_experiment(plan)
        self._drop_poller()
        self.poller = ExperimentPoller(self.db_path, experiment_id, parent=self)
        self.poller.polled.connect(self._on_poll)
        self.poller.curvesLoaded.connect(self.run_view.on_curves_loaded)
        self.poller.failed.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self.curves.curvesRequested.connect(self.poller.request_curves)
        self.poller.start()
        # What its finished trials measured (losses, per-class results) feeds the plan's advice.
        self.workbench.advice.show_experiment_evidence(self.db_path, experiment_id)
        self._update_controls()

    def select_default_experiment(self) -> bool:
        """Select what opening shows: a running experiment, else the newest listed one."""
        chosen = self.experiments.default_id()
        if chosen is not None:
            self.experiments.select_experiment(chosen)
        return chosen is not None

    def forget_experiment(self) -> None:
        """The shown experiment is gone (deleted): nothing is shown until another is chosen."""
        self._drop_poller()
        self.experiment = None
        self.run_title.setText(self.tr("No experiment selected"))
        self._update_controls()

    def _drop_poller(self) -> None:
        """Stop the previous experiment's poller and cut it from the curves."""
        if self.poller is None:
            return
        self.curves.curvesRequested.disconnect(self.poller.request_curves)
        self.poller.stop()
        self.poller.deleteLater()
        self.poller = None

    def _on_poll(self, result: Any) -> None:
        self.run_view.on_poll(result)
        if result.trials_changed and self.experiment is not None:
            self.compare.set_data(self.experiment.plan, result.trials)
        self.compare.add_events(result.events)

    def _on_validity(self, valid: bool, problems: list[str]) -> None:
        self.launch_button.setEnabled(valid)
        self.plan_status.setText("" if valid else self.tr("%n problem(s) to fix before launching: see Advice.", "", len(problems)))  # noqa: E501 (listed once, in the advice)
        self.plan_status.setStyleSheet("" if valid else "color:#b00020;")

    def show_per_class(self, trial_id: int | None = None) -> None:
        """Per-class results of `trial_id` (None: the trial selected in the table)."""
        from hpdesk.gui.trials.per_class import show_per_class

        if trial_id is None:
            selected = self.trials.selected_ids() if self.run_splitter is not None else []
            trial_id = selected[0] if len(selected) == 1 else None
        show_per_class(self, self.db_path, trial_id, self.language)

    def _show_in_plot(self, ids: list[int]) -> None:
        self.curves.set_selected_trials(ids)
        self.curves.highlight(ids)
        self.tabs.setCurrentWidget(self.run_tab)

    def _show_trial(self, trial_id: int) -> None:
        self.trials.select_trials([trial_id])
        self.tabs.setCurrentWidget(self.run_tab)

    def _update_title(self) -> None:
        # The database file, then its folder: the platform adds the application's name
        # (its display name) itself, so writing it here showed it twice.
        self.setWindowTitle(self.tr("%1 — %2").replace("%1", self.db_path.name)
                            .replace("%2", str(self.db_path.parent)) + "[*]")
        self.setWindowModified(self.workbench.is_modified())

    # actions ---------------------------------------------------------------------------------
    def new_experiment(self) -> None:
        from hpdesk.gui.actions.unsaved import may_discard
        from hpdesk.gui.wizard.dialog import NewExperimentDialog

        if not may_discard(self):
            return
        dialog = NewExperimentDialog(self.language, self)
        if dialog.exec():
            self.workbench.set_plan(dialog.plan(), saved=False)  # new: saved nowhere yet
            self.plan_path = None
            self.tabs.setCurrentWidget(self.plan_tab)

    def edit_copy(self) -> None:
        from hpdesk.gui.actions.unsaved import may_discard

        if self.experiment is not None and may_discard(self):
            self.workbench.set_plan(parse_plan(self.experiment.plan))  # as launched: kept
            self.plan_path = None
            self.tabs.setCurrentWidget(self.plan_tab)

    def launch(self) -> None:
        from hpdesk.gui.actions import trials as trial_actions

        plan = self.workbench.plan()
        if plan is None:
            QMessageBox.warning(self, self.tr("The plan is not valid"), self.plan_status.text())
            return
        if self.store is None:
            QMessageBox.warning(self, self.tr("No database"), self.tr(
                "The database %1 could not be opened; open another from the File menu.")
                .replace("%1", str(self.db_path)))
            return
        trial_actions.launch(self, plan)

    def stop_experiment(self) -> None:
        from hpdesk.gui.actions import trials as trial_actions

        if self.experiment is not None:
            trial_actions.stop_experiment(self, self.experiment.id)

    def resume_experiment(self) -> None:
        from hpdesk.gui.actions import trials as trial_actions

        if self.experiment is not None:
            trial_actions.resume(self, self.experiment.id)

    def open_plan_file(self, path: Path) -> bool:
        try:
            # As `hpdesk run` reads it: relative paths, and a script's project folder, are
            # the plan file's folder, not the window's working directory.
            plan = load_plan(path).resolved(path.resolve().parent)
        except Exception as exc:  # PlanError lists every problem; a missing file says so
            QMessageBox.warning(self, self.tr("Cannot open the plan"), str(exc))
            return False
        from hpdesk.gui.base.command_confirm import confirm_opened_plan

        if not confirm_opened_plan(self, plan, path):  # a command from a file: shown first
            return False
        from hpdesk.gui.actions.unsaved import may_discard

        if not may_discard(self):
            return False
        self.workbench.set_plan(plan)
        self.plan_path = path
        self.welcome.hide()
        self.tabs.setCurrentWidget(self.plan_tab)
        self.statusBar().showMessage(self.tr("Opened %1").replace("%1", str(path)), 5000)
        return True

    def open_database(self, path: Path) -> None:
        """Re-open the window on another database (the application keeps one window)."""
        from hpdesk.gui.actions.unsaved import may_discard

        if not may_discard(self):
            return
        baseline = self.workbench.baseline()  # saved or discarded: the new window shows
        if baseline is not None and self.workbench.is_modified():  # the last saved plan
            self.workbench.set_plan(baseline)
        self.databaseChosen.emit(path)

    # drag and drop ---------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt's name)
        if any(Path(u.toLocalFile()).suffix.lower() in PLAN_SUFFIXES + DB_SUFFIXES
               for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt's name)
        for url in event.mimeData().urls():
            path = Path(url.toLocalFile())
            if path.suffix.lower() in PLAN_SUFFIXES:
                self.open_plan_file(path)
                event.acceptProposedAction()
                return
            if path.suffix.lower() in DB_SUFFIXES:
                event.acceptProposedAction()
                QTimer.singleShot(0, lambda p=path: self.open_database(p))
                return

    # layout memory ---------------------------------------------------------------------------
    def _splitters(self) -> dict[str, QSplitter]:
        splitters = {"mainSplitter": self.main_splitter, "planSplitter": self.workbench.splitter}
        if self.run_splitter is not None:
            splitters["runSplitter"] = self.run_splitter
        return splitters

    def save_layout(self) -> None:
        window_layout.save(self, self._splitters(), self.settings)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        """Closing the window never stops an experiment: its scheduler runs detached. Unsaved
        plan edits are asked about first (Cancel keeps the window open)."""
        from hpdesk.gui.actions.unsaved import may_discard

        if not self.replaced and not may_discard(self):
            event.ignore()
            return
        self.save_layout()
        self._timer.stop()
        self._drop_poller()
        self.background.wait(5000)
        if self.store is not None:
            self.store.close()
        super().closeEvent(event)
