"""The window's shell as a person meets it (issue 12, items 6, 13 and 14): unsaved plan edits
are asked about, file dialogs remember their folder, the trainer Python is shown and
explained, and pyqtgraph's right-click menu and Qt's dialogs speak Chinese."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QMessageBox, QSpinBox, QWidget

from hpdesk.gui.actions import unsaved
from hpdesk.gui.actions.plan_files import open_plan, save_plan_to
from hpdesk.gui.base import file_dialogs
from hpdesk.gui.base.settings import Settings
from hpdesk.gui.shell import i18n
from hpdesk.gui.shell.main_window import MainWindow
from hpdesk.gui.shell.trainer_dialog import TrainerPythonDialog
from hpdesk.plan import load_plan

REAL_ASK = unsaved.ask  # the conftest answers Discard for every other test
Button = QMessageBox.StandardButton


@pytest.fixture
def window(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MainWindow]:
    monkeypatch.setattr(unsaved, "ask", REAL_ASK)
    monkeypatch.setattr(file_dialogs, "OPTIONS", QFileDialog.Option.DontUseNativeDialog)
    made = MainWindow(Settings(tmp_path / "settings.ini"), tmp_path / "x.db", "en")
    made.show()  # not qtbot.addWidget: pytest-qt would close it before the edits are dropped
    qtbot.waitUntil(lambda: made.store is not None, timeout=10_000)
    yield made
    made.replaced = True  # nothing left to ask about at teardown
    made.close()
    made.deleteLater()


def _edit(window: MainWindow) -> None:
    """What a person does: change the number of trials in the run settings."""
    spin = window.findChild(QSpinBox, "budgetTrials")
    assert spin is not None
    spin.setValue(spin.value() + 3)
    assert window.workbench.is_modified() and window.isWindowModified()


def _answer_next(button: Button, seen: list[str]) -> None:
    """Click `button` on the unsaved-plan question as soon as it shows (polled, not timed)."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.objectName() == "unsavedPlanBox":
            seen.append(box.text())
            target = box.button(button)
            assert target is not None, f"no {button} button"
            target.click()
        else:
            QTimer.singleShot(20, click)

    QTimer.singleShot(0, click)


def _accept_file_dialog(path: Path, seen: list[str]) -> None:
    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QFileDialog):
            seen.append(dialog.directory().absolutePath())
            dialog.selectFile(str(path))
            name = dialog.findChild(QLineEdit, "fileNameEdit")  # Qt's own dialog's name field
            if name is not None:
                name.setText(str(path))
            dialog.accept()
        else:
            QTimer.singleShot(20, fill)

    QTimer.singleShot(0, fill)


def _close(window: MainWindow) -> bool:
    event = QCloseEvent()
    window.closeEvent(event)
    return event.isAccepted()


@pytest.mark.timeout(60)
def test_an_untouched_plan_closes_without_a_question(window: MainWindow) -> None:
    assert not window.workbench.is_modified()
    assert _close(window)


@pytest.mark.timeout(60)
def test_quit_over_edits_cancel_keeps_the_window_and_the_edits(window: MainWindow) -> None:
    _edit(window)
    seen: list[str] = []
    _answer_next(Button.Cancel, seen)
    assert not _close(window)
    assert seen and window.workbench.is_modified()


@pytest.mark.timeout(60)
def test_quit_over_edits_discard_closes(window: MainWindow) -> None:
    _edit(window)
    seen: list[str] = []
    _answer_next(Button.Discard, seen)
    assert _close(window) and seen


@pytest.mark.timeout(60)
def test_quit_over_edits_save_writes_the_opened_file(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    assert save_plan_to(window, path) and not window.workbench.is_modified()
    trials_before = load_plan(path).budget.trials
    _edit(window)
    seen: list[str] = []
    _answer_next(Button.Save, seen)
    assert _close(window) and seen
    assert load_plan(path).budget.trials == trials_before + 3
    assert not window.workbench.is_modified()


@pytest.mark.timeout(60)
def test_save_of_a_never_saved_plan_asks_where(window: MainWindow, tmp_path: Path) -> None:
    _edit(window)  # the digits plan was never saved: Save asks where
    seen: list[str] = []
    folders: list[str] = []
    _answer_next(Button.Save, seen)
    _accept_file_dialog(tmp_path / "chosen.yaml", folders)
    assert _close(window), (folders, window.plan_path)
    assert window.plan_path == tmp_path / "chosen.yaml" and window.plan_path.is_file()


@pytest.mark.timeout(60)
def test_opening_a_plan_over_edits_asks_and_cancel_keeps_them(window: MainWindow,
                                                              tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    save_plan_to(window, other)
    _edit(window)
    edited = window.workbench.plan()
    seen: list[str] = []
    _answer_next(Button.Cancel, seen)
    assert not window.open_plan_file(other)
    assert seen and window.workbench.plan() == edited
    _answer_next(Button.Discard, seen)
    assert window.open_plan_file(other)
    assert len(seen) == 2 and not window.workbench.is_modified()


@pytest.mark.timeout(60)
def test_opening_a_database_or_the_wizard_over_edits_asks(window: MainWindow,
                                                          tmp_path: Path) -> None:
    _edit(window)
    seen: list[str] = []
    _answer_next(Button.Cancel, seen)
    window.open_database(tmp_path / "other.db")
    assert len(seen) == 1 and window.isVisible() and not window.replaced
    _answer_next(Button.Cancel, seen)
    window.new_experiment()  # cancelled before the wizard opens
    assert len(seen) == 2 and window.workbench.is_modified()


@pytest.mark.timeout(60)
def test_a_plan_with_problems_offers_only_discard_or_cancel(window: MainWindow) -> None:
    window.findChild(QWidget, "budgetWallTime").setText("not a time")  # type: ignore[union-attr]
    assert window.workbench.plan() is None and window.workbench.is_modified()
    box = unsaved.box_for(window, savable=False)
    assert box.button(Button.Save) is None and box.button(Button.Discard) is not None


@pytest.mark.timeout(60)
def test_file_dialogs_remember_the_last_folder_per_kind(window: MainWindow,
                                                        tmp_path: Path) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    save_plan_to(window, plans / "p.yaml")
    window.plan_path = None
    folders: list[str] = []
    _accept_file_dialog(plans / "p.yaml", folders)
    open_plan(window)  # starts at the database's folder, not the working directory
    assert Path(folders[0]) == tmp_path
    assert window.settings.last_folder("plans") == str(plans)
    _accept_file_dialog(plans / "p.yaml", folders)
    open_plan(window)
    assert Path(folders[1]) == plans  # remembered
    assert file_dialogs.start_folder(window, "exports", tmp_path) == tmp_path  # per kind
    reopened = Settings(window.settings.path)
    assert reopened.last_folder("plans") == str(plans)  # kept in the app's settings


@pytest.mark.timeout(60)
def test_trainer_python_shows_the_interpreter_and_why(qtbot, tmp_path: Path) -> None:
    import sys

    settings = Settings(tmp_path / "s.ini")
    dialog = TrainerPythonDialog(settings)
    qtbot.addWidget(dialog)
    assert sys.executable in dialog.current.text()
    why = dialog.findChild(QWidget, "trainerPythonWhy")
    assert why is not None and "torch" in why.text()  # type: ignore[attr-defined]
    dialog.edit.setText(str(tmp_path / "missing-python"))
    dialog.accept()
    assert "missing-python" in dialog.problem.text() and settings.get("trainer_python") == ""
    dialog.edit.setText(sys.executable)
    dialog.accept()
    assert settings.get("trainer_python") == sys.executable


@pytest.fixture
def chinese() -> Iterator[Callable[[str, str], str]]:
    app = QApplication.instance()
    assert app is not None
    i18n.install(app, "zh_CN")
    yield QCoreApplication.translate
    i18n.install(app, "en")


@pytest.mark.timeout(60)
def test_plot_menu_and_qt_dialogs_are_chinese(qtbot, chinese) -> None:
    import pyqtgraph as pg

    assert chinese("QFileDialog", "Look in:") == "查找范围："  # Qt's own (qtbase)
    assert chinese("QPlatformTheme", "Cancel") == "取消"
    assert chinese("QFileDialog", "Files of &type:") == "文件类型(&T)："  # qtbase lacks these
    assert chinese("QFileDialog", "&Look in:") == "查找范围(&L)："
    assert chinese("MainMenus", "&File") != "&File"  # hpdesk's still answer
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    menu = plot.getPlotItem().getViewBox().menu
    texts = [action.text() for action in menu.actions()]
    assert texts[:4] == ["显示全部", "X 轴", "Y 轴", "鼠标模式"]
    assert plot.getPlotItem().ctrlMenu.title() == "绘图选项"
