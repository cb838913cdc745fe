"""What the window's buttons and context menus ask of experiments and trials. Each request runs
off the GUI thread with its own database connection (a scheduler takes a second to start), and
the answer or the error comes back as a status message or a dialog, never silently."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox

from hpdesk.gui.actions.window import WindowParts
from hpdesk.gui.base.common import state_label
from hpdesk.plan import Plan
from hpdesk.runner import control
from hpdesk.runner.recovery import open_store

if TYPE_CHECKING:
    from hpdesk.gui.base.settings import Settings


def in_background(
    window: WindowParts,
    work: Callable[[Any], Any],
    done: Callable[[Any], None],
    what: str,
    failed: Callable[[str], None] | None = None,
) -> None:
    db = window.db_path

    def job() -> Any:
        with open_store(db) as store:  # one connection per thread (sqlite3's rule)
            return work(store)

    def warn(message: str) -> None:
        QMessageBox.warning(window, what, message)

    window.background.run(job, success=done, failure=failed or warn, what=what)


def trainer_python(settings: Settings) -> str | None:
    """The interpreter that runs schedulers and trials: the configured one, else this Python
    (a frozen bundle has no Python of its own, so there it must be configured)."""
    chosen = settings.get("trainer_python")
    if chosen:
        return str(chosen)
    return None if not getattr(sys, "frozen", False) else ""


class NoTrainer(RuntimeError):
    """A frozen window has no Python of its own to run schedulers and trials."""


def _python(window: WindowParts) -> str | None:
    """The trainer interpreter (None: this one). A bundle must be told which Python to use."""
    chosen = trainer_python(window.settings)
    if chosen == "":
        QMessageBox.information(
            window,
            QCoreApplication.translate("TrialActions", "Choose the Python that trains"),
            QCoreApplication.translate(
                "TrialActions",
                "Trials run in a Python that has torch and hpdesk installed. Choose it in "
                "Settings → Trainer Python…, then try again.",
            ),
        )
        raise NoTrainer
    return chosen


def launch(window: WindowParts, plan: Plan) -> None:
    """Create the experiment and start its detached scheduler; a plan that runs a command is
    shown in full and confirmed first (DESIGN.md: a plan with a command is shown before it runs)."""
    from hpdesk.gui.base.command_confirm import allowed, shown_command

    if plan.command is not None and not allowed(plan):  # not already allowed when opened
        answer = QMessageBox.question(
            window,
            QCoreApplication.translate("TrialActions", "Run this command?"),
            QCoreApplication.translate(
                "TrialActions",
                "Each trial will run this command (shown with example parameters; each trial "
                "gets its own):\n\n%1\n\nRun it?",
            ).replace("%1", shown_command(plan)),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
    try:
        python = _python(window)
    except NoTrainer:
        return
    window.launch_button.setEnabled(False)
    window.statusBar().showMessage(
        QCoreApplication.translate("TrialActions", "Starting the scheduler…")
    )

    def done(experiment_id: int) -> None:
        window.launch_button.setEnabled(True)
        window.workbench.set_baseline(plan)  # launched: kept in the database, nothing to lose
        window.welcome.hide()
        window.settings.set("welcome_done", True)
        window.statusBar().showMessage(
            QCoreApplication.translate("TrialActions", "Experiment %1 started").replace(
                "%1", str(experiment_id)
            ),
            5000,
        )
        window.refresh()
        window.experiments.select_experiment(experiment_id)
        window.show_experiment(experiment_id)
        window.tabs.setCurrentWidget(window.run_tab)

    def work(store: Any) -> int:
        return control.launch(store, plan, python=python).id

    def failed(message: str) -> None:
        window.launch_button.setEnabled(True)
        window.statusBar().clearMessage()
        QMessageBox.warning(
            window,
            QCoreApplication.translate("TrialActions", "The experiment did not start"),
            message,
        )

    in_background(window, work, done, QCoreApplication.translate("TrialActions", "Launch"), failed)


def stop_experiment(window: WindowParts, experiment_id: int) -> None:
    window.stop_button.setEnabled(False)
    window.statusBar().showMessage(
        QCoreApplication.translate(
            "TrialActions", "Stopping: running trials save their metrics first…"
        )
    )

    def work(store: Any) -> str:
        if not control.request_stop(store, experiment_id):
            return store.experiment(experiment_id).state
        return control.wait_stopped(store, experiment_id, 60.0)

    def done(state: str) -> None:
        window.statusBar().showMessage(
            QCoreApplication.translate("TrialActions", "Experiment %1: %2")
            .replace("%1", str(experiment_id))
            .replace("%2", state_label(state)),
            8000,
        )
        window.refresh()

    in_background(window, work, done, QCoreApplication.translate("TrialActions", "Stop"))


def resume(window: WindowParts, experiment_id: int) -> None:
    try:
        python = _python(window)
    except NoTrainer:
        return

    def done(pid: int | None) -> None:
        text = (
            QCoreApplication.translate("TrialActions", "Experiment %1 is already running")
            if pid is None
            else QCoreApplication.translate("TrialActions", "Experiment %1 resumed")
        ).replace("%1", str(experiment_id))
        window.statusBar().showMessage(text, 5000)
        window.refresh()

    in_background(
        window,
        lambda store: control.resume(store, experiment_id, python=python),
        done,
        QCoreApplication.translate("TrialActions", "Resume"),
    )


def stop(window: WindowParts, trial_ids: list[int]) -> None:
    def work(store: Any) -> int:
        return len([control.stop_trial(store, t) for t in trial_ids])

    def done(count: int) -> None:
        window.statusBar().showMessage(
            QCoreApplication.translate("TrialActions", "Asked %1 trial(s) to stop").replace(
                "%1", str(count)
            ),
            5000,
        )

    in_background(window, work, done, QCoreApplication.translate("TrialActions", "Stop trial"))


def rerun(window: WindowParts, trial_ids: list[int]) -> None:
    try:
        python = _python(window)
    except NoTrainer:
        return

    def work(store: Any) -> list[tuple[int, int]]:
        return [(again.id, again.number)
                for again in (control.rerun_trial(store, t, python=python) for t in trial_ids)]

    def done(queued: list[tuple[int, int]]) -> None:
        window.statusBar().showMessage(
            QCoreApplication.translate("TrialActions", "Queued as trial(s) %1").replace(
                "%1", ", ".join(str(number) for _, number in queued)
            ),
            5000,
        )
        window.refresh()
        window.build_views()  # the trials table (built after the first paint)
        window.trials.reveal_trials([trial_id for trial_id, _ in queued])  # when polled

    in_background(window, work, done, QCoreApplication.translate("TrialActions", "Run again"))


def open_log(window: WindowParts, trial_ids: list[int]) -> None:
    from hpdesk.gui.trials.log_dialog import LogDialog

    if window.store is None:
        return
    for trial_id in trial_ids[:3]:
        trial = window.store.trial(trial_id)
        if not trial.log_path or not Path(trial.log_path).exists():
            QMessageBox.information(
                window,
                QCoreApplication.translate("TrialActions", "No log"),
                QCoreApplication.translate(
                    "TrialActions", "Trial %1 has no log yet: it has not started."
                ).replace("%1", str(trial.number)),
            )
            continue
        LogDialog(
            Path(trial.log_path),
            QCoreApplication.translate("TrialActions", "Log of trial %1").replace(
                "%1", str(trial.number)
            ),
            window,
        ).show()
