"""What the window's actions may use of the main window: its parts and its few commands.

The actions (launch, stop, export, save, manage experiments) act on the window, and the window
calls them; typing them against this base class rather than `MainWindow` keeps that a one-way
dependency: `MainWindow` fills these in, the actions never import it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QPushButton, QTabWidget, QWidget

from hpdesk.gui.base.background import Background
from hpdesk.gui.base.settings import Settings
from hpdesk.store import Experiment, Store

if TYPE_CHECKING:  # types only: these parts sit below the actions and import nothing of them
    from hpdesk.gui.compare.view import CompareView
    from hpdesk.gui.curves.view import CurvesView
    from hpdesk.gui.experiments.view import ExperimentsView
    from hpdesk.gui.trials.view import TrialsView
    from hpdesk.gui.workbench.workbench import PlanWorkbench


class WindowParts(QMainWindow):
    """The parts (set by `MainWindow.__init__`, the views once built after the first paint)
    and the commands the actions call back. Signals: `languageChosen(str)` and
    `databaseChosen(object)` (a `Path`): the application replaces the window."""

    languageChosen = Signal(str)
    databaseChosen = Signal(object)

    settings: Settings
    language: str
    background: Background
    db_path: Path
    store: Store | None
    experiment: Experiment | None
    plan_path: Path | None
    workbench: PlanWorkbench
    experiments: ExperimentsView
    trials: TrialsView
    curves: CurvesView
    compare: CompareView
    tabs: QTabWidget
    plan_tab: QWidget
    run_tab: QWidget
    compare_tab: QWidget
    welcome: QLabel
    plan_status: QLabel
    launch_button: QPushButton
    stop_button: QPushButton

    def refresh(self) -> None:
        raise NotImplementedError

    def build_views(self) -> None:
        raise NotImplementedError

    def show_experiment(self, experiment_id: int) -> None:
        raise NotImplementedError

    def select_default_experiment(self) -> bool:
        raise NotImplementedError

    def forget_experiment(self) -> None:
        raise NotImplementedError

    def new_experiment(self) -> None:
        raise NotImplementedError

    def edit_copy(self) -> None:
        raise NotImplementedError

    def launch(self) -> None:
        raise NotImplementedError

    def stop_experiment(self) -> None:
        raise NotImplementedError

    def resume_experiment(self) -> None:
        raise NotImplementedError

    def open_plan_file(self, path: Path) -> bool:
        raise NotImplementedError

    def open_database(self, path: Path) -> None:
        raise NotImplementedError
