"""The experiment list as a person uses it at 1024x700: every state readable, the running
experiment shown on opening, and rename (F2), archive and delete (the Delete key, confirmed,
with the experiment's files) through the real store and the real window."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox, QWidget

from hpdesk.gui.base.settings import Settings
from hpdesk.gui.shell.main_window import MainWindow, digits_plan
from hpdesk.runner.experiment import create_experiment
from hpdesk.runner.paths import experiment_dir
from hpdesk.store import EXPERIMENT_STATES, Store, StoreError

pytestmark = pytest.mark.timeout(60)
LONG = "a learning-rate sweep with a name far too long for the list"


def _make_db(path: Path, states: list[str]) -> list[int]:
    """Experiments in `states` (oldest first), each with a trial, a few points and a file in
    its runs folder; "running" ones claimed by this test process, so they are alive."""
    ids = []
    with Store(path) as store:
        for n, state in enumerate(states):
            exp = create_experiment(store, digits_plan().with_changes(name=f"{LONG} {n}"))
            trial = store.add_trial(exp.id, {"lr": 0.01})
            store.write_metrics([(trial.id, "val_acc", s, s / 10, 0.0) for s in range(1, 6)])
            store.update_trial(trial.id, state="completed", objective=0.5)
            (experiment_dir(store, exp.id) / "checkpoint.pt").write_bytes(b"x")
            if state == "running":
                store.claim_scheduler(exp.id, pid=os.getpid(),
                                      started_at=psutil.Process().create_time(),
                                      holder_alive=lambda _: None)
            else:
                store.update_experiment(exp.id, state=state)
            ids.append(exp.id)
    return ids


@pytest.fixture
def open_window(qtbot, tmp_path: Path) -> Callable[..., MainWindow]:
    def make(language: str = "en") -> MainWindow:
        window = MainWindow(Settings(tmp_path / "settings.ini"), tmp_path / "x.db", language)
        qtbot.addWidget(window)
        window.resize(1024, 700)
        window.show()
        qtbot.waitUntil(lambda: window.store is not None, timeout=10_000)
        return window

    return make


def _answer(qtbot, act: Callable[[QWidget], None]) -> list[str]:
    """Answer the next modal dialog with `act`; returns its text once it has been answered."""
    seen: list[str] = []

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, poll)
            return
        seen.append(dialog.text() if isinstance(dialog, QMessageBox) else dialog.windowTitle())
        act(dialog)

    QTimer.singleShot(0, poll)
    return seen


def _key(window: MainWindow, qtbot, key: Qt.Key) -> None:
    window.activateWindow()
    window.experiments.setFocus()
    qtbot.waitUntil(lambda: window.experiments.hasFocus(), timeout=5_000)
    qtbot.keyClick(window.experiments, key)


def _row_text(window: MainWindow, experiment_id: int) -> str:
    row = window.experiments.listed_ids().index(experiment_id)
    return window.experiments.item(row, 0).text()


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_every_state_is_readable_at_1024x700(open_window, qtbot, tmp_path, language) -> None:
    from hpdesk.gui.shell import i18n

    _make_db(tmp_path / "x.db", [s for s in EXPERIMENT_STATES if s != "running"])
    i18n.install(QApplication.instance(), language)
    try:
        window = open_window(language)
        listed = window.experiments
        qtbot.waitUntil(lambda: listed.rowCount() == len(EXPERIMENT_STATES) - 1, timeout=5_000)
        header, state_col = listed.horizontalHeader(), 1
        assert not listed.isColumnHidden(state_col)
        right = header.sectionViewportPosition(state_col) + header.sectionSize(state_col)
        assert right <= listed.viewport().width(), "the State column runs past the list"
        for row in range(listed.rowCount()):
            text = listed.item(row, state_col).text()
            assert listed.fontMetrics().horizontalAdvance(text) < header.sectionSize(state_col)
        assert header.sectionSize(0) >= 60, "the name keeps room to be read"
        assert LONG in listed.item(0, 0).toolTip()  # the whole name, where the cell elides it
    finally:
        i18n.install(QApplication.instance(), "en")


def test_opening_selects_the_running_experiment_else_the_newest(open_window, qtbot,
                                                                tmp_path) -> None:
    running, _, _ = _make_db(tmp_path / "x.db", ["running", "completed", "stopped"])
    window = open_window()
    assert window.experiments.selected_id() == running
    qtbot.waitUntil(lambda: window.experiment is not None, timeout=5_000)
    assert window.experiment.id == running and window.tabs.currentWidget() is window.run_tab
    window.close()
    with Store(tmp_path / "x.db") as store:
        store.update_experiment(running, state="stopped")
        store.set_archived(3, True)  # the newest, archived: not what opening shows
    again = open_window()
    assert again.experiments.selected_id() == 2


def test_f2_renames_the_selected_experiment(open_window, qtbot, tmp_path) -> None:
    first, second = _make_db(tmp_path / "x.db", ["completed", "stopped"])
    window = open_window()
    window.experiments.select_experiment(first)
    qtbot.waitUntil(lambda: window.experiment is not None and window.experiment.id == first)

    def rename(dialog: QWidget) -> None:
        assert isinstance(dialog, QInputDialog) and dialog.textValue() == f"{LONG} 0"
        dialog.setTextValue("  baseline  ")
        dialog.accept()

    seen = _answer(qtbot, rename)
    _key(window, qtbot, Qt.Key.Key_F2)
    assert seen, "F2 opened no dialog"
    qtbot.waitUntil(lambda: _row_text(window, first) == f"#{first} baseline", timeout=10_000)
    with Store(tmp_path / "x.db") as store:
        assert store.experiment(first).name == "baseline"
        assert store.experiment(second).name == f"{LONG} 1"
    assert "baseline" in window.run_title.text()


def test_archived_experiments_are_listed_only_when_asked_for(open_window, qtbot,
                                                            tmp_path) -> None:
    first, second = _make_db(tmp_path / "x.db", ["completed", "stopped"])
    window = open_window()
    listed = window.experiments
    rect = listed.visualRect(listed.model().index(listed.listed_ids().index(first), 0))
    menu = listed.context_menu(rect.center())
    assert menu is not None and listed.selected_id() == first
    texts = {a.objectName(): a.text().replace("&", "") for a in menu.actions()}
    assert texts["archiveExperimentAction"] == "Archive"
    listed.archive_action.trigger()
    qtbot.waitUntil(lambda: listed.listed_ids() == [second], timeout=10_000)
    with Store(tmp_path / "x.db") as store:
        assert store.experiment(first).archived and not store.experiment(second).archived
    window.show_archived.setChecked(True)
    assert listed.listed_ids() == [second, first]
    row = listed.listed_ids().index(first)
    assert listed.item(row, 0).font().italic() and "Archived" in listed.item(row, 0).toolTip()
    listed.select_experiment(first)
    assert listed.archive_action.text().replace("&", "") == "Unarchive"
    listed.archive_action.trigger()
    qtbot.waitUntil(lambda: not listed.item(listed.listed_ids().index(first), 0).font()
                    .italic(), timeout=10_000)
    window.show_archived.setChecked(False)
    assert listed.listed_ids() == [second, first]


def test_delete_asks_then_removes_the_experiment_and_its_files(open_window, qtbot,
                                                              tmp_path) -> None:
    first, second = _make_db(tmp_path / "x.db", ["completed", "interrupted"])
    with Store(tmp_path / "x.db") as store:
        folders = {i: experiment_dir(store, i) for i in (first, second)}
    window = open_window()
    window.experiments.select_experiment(first)
    qtbot.waitUntil(lambda: window.experiment is not None and window.experiment.id == first)

    def cancel(dialog: QWidget) -> None:
        assert isinstance(dialog, QMessageBox)
        assert str(folders[first]) in dialog.informativeText()
        dialog.button(QMessageBox.StandardButton.Cancel).click()

    seen = _answer(qtbot, cancel)
    _key(window, qtbot, Qt.Key.Key_Delete)
    assert seen and f"Delete experiment {first}" in seen[0]
    window.background.wait(5_000)
    assert (folders[first] / "checkpoint.pt").exists() and window.experiments.listed_ids() == [
        second, first]

    def confirm(dialog: QWidget) -> None:
        assert isinstance(dialog, QMessageBox)
        dialog.findChild(QWidget, "confirmDeleteButton").click()

    _answer(qtbot, confirm)
    _key(window, qtbot, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: window.experiments.listed_ids() == [second], timeout=10_000)
    assert not folders[first].exists() and (folders[second] / "checkpoint.pt").exists()
    with Store(tmp_path / "x.db") as store:
        with pytest.raises(StoreError):
            store.experiment(first)
        assert store.trials(first) == [] and len(store.trials(second)) == 1
    # The deleted one was shown: the window moves on to what opening would show.
    qtbot.waitUntil(lambda: window.experiment is not None and window.experiment.id == second)


def test_a_running_experiment_must_be_stopped_before_it_is_deleted(open_window, qtbot,
                                                                  tmp_path) -> None:
    (running,) = _make_db(tmp_path / "x.db", ["running"])
    window = open_window()
    assert window.experiments.selected_id() == running

    seen = _answer(qtbot, lambda dialog: dialog.close())
    _key(window, qtbot, Qt.Key.Key_Delete)
    assert seen and "stop it before deleting it" in seen[0]
    with Store(tmp_path / "x.db") as store:
        assert store.experiment(running).state == "running"
        assert (experiment_dir(store, running) / "checkpoint.pt").exists()


def test_delete_removes_only_a_folder_hpdesk_made(tmp_path) -> None:
    """A database whose experiment points at another folder (edited by hand, or a copy): its
    rows go, that folder stays, and the person is told why."""
    from hpdesk.gui.actions.experiments import delete_with_files

    (first,) = _make_db(tmp_path / "x.db", ["completed"])
    project = tmp_path / "my-project"
    (project / "src").mkdir(parents=True)
    with Store(tmp_path / "x.db") as store:
        own = experiment_dir(store, first)
        store.update_experiment(first, workdir=str(project))
        result = delete_with_files(store, first)
        assert result.folder is None and "not a folder hpdesk made" in (result.kept or "")
        assert (project / "src").is_dir() and store.experiments() == []
        (second,) = _make_db(tmp_path / "x.db", ["stopped"])
        made = experiment_dir(store, second)
        assert delete_with_files(store, second) == (made, None) and not made.exists()
    assert own.exists()  # the first one's own folder was not where the database pointed
