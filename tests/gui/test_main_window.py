"""The main window driven like a person would, with real schedulers and trials underneath."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWizard

from hpdesk.gui.actions.plan_files import save_plan_to
from hpdesk.gui.base.settings import Settings
from hpdesk.gui.shell.main_window import MainWindow
from hpdesk.gui.trials.log_dialog import LogDialog
from hpdesk.plan import Budget, Fixed, load_plan
from hpdesk.plan.model import Pruner
from hpdesk.runner import control
from hpdesk.runner.recovery import pid_alive
from hpdesk.store import Store
from tests.gui.accessibility import unnamed_widgets
from tests.waiting import trial_starts

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def make_window(qtbot, tmp_path: Path):
    created: list[MainWindow] = []

    def make(language: str = "en", db: Path | None = None) -> MainWindow:
        window = MainWindow(Settings(tmp_path / "settings.ini"), db or tmp_path / "x.db",
                            language)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.store is not None, timeout=10_000)  # after first paint
        created.append(window)
        return window

    yield make
    for window in created:
        if window.isVisible():
            window.close()


def _stop_everything(db: Path) -> None:
    with Store(db) as store:
        for exp in store.experiments():
            if control.request_stop(store, exp.id):
                control.wait_stopped(store, exp.id, 60)


def test_first_launch_offers_digits_and_every_widget_is_named(make_window, qtbot) -> None:
    window = make_window()
    assert window.welcome.isVisible()
    assert window.tabs.currentWidget() is window.plan_tab
    plan = window.workbench.plan()
    assert plan is not None and plan.task == "classification"
    assert plan.data == {"source": "digits"} and "lr" in plan.searched()
    assert window.launch_button.isEnabled()
    window.build_views()
    assert unnamed_widgets(window) == []


def _drive_wizard_to_finish() -> None:
    wizard = QApplication.activeModalWidget()
    assert isinstance(wizard, QWizard), wizard
    while wizard.currentId() != -1 and not wizard.button(
            QWizard.WizardButton.FinishButton).isVisible():
        wizard.next()
    wizard.button(QWizard.WizardButton.FinishButton).click()


def test_dialog_launch_watch_stop_one_export_and_close_without_stopping(
        make_window, qtbot, tmp_path: Path) -> None:
    window = make_window()
    QTimer.singleShot(200, _drive_wizard_to_finish)
    window.new_experiment()  # the real dialog, accepted with its digits defaults
    plan = window.workbench.plan()
    assert plan is not None and plan.task == "classification" and plan.data == {"source": "digits"}
    # A tiny budget: two trials at once, long enough to be stopped mid-way.
    space = {**plan.space, "epochs": Fixed(60)}
    window.workbench.set_plan(plan.with_changes(  # no pruner: both run until stopped
        budget=Budget(2), concurrency=2, space=space, pruner=Pruner()))
    save_plan_to(window, tmp_path / "exported.yaml")
    assert load_plan(tmp_path / "exported.yaml") == window.workbench.plan()

    qtbot.mouseClick(window.launch_button, Qt.MouseButton.LeftButton)
    try:
        qtbot.waitUntil(lambda: window.experiment is not None, timeout=60_000)
        assert window.tabs.currentWidget() is window.run_tab
        qtbot.waitUntil(lambda: window.trials.model.rowCount() == 2, timeout=60_000)
        ids = [window.trials.model.trial(r).id for r in range(2)]
        window.trials.select_trials(ids)
        qtbot.waitUntil(lambda: all(window.curves.curve_data(i) is not None
                                    and len(window.curves.curve_data(i)[0]) > 0 for i in ids),
                        timeout=90_000)
        with Store(window.db_path) as store:
            trial = store.trial(ids[0])
        window.trials.stopRequested.emit([ids[0]])
        # A person's stop is "stopped", never the pruner's "pruned".
        qtbot.waitUntil(lambda: window.trials.model.trial_by_id(ids[0]).state == "stopped",
                        timeout=60_000)
        assert window.trials.model.trial_by_id(ids[1]).state == "running"
        window.trials.rerunRequested.emit([ids[0]])  # the same parameters, as a new trial
        qtbot.waitUntil(lambda: window.trials.model.rowCount() == 3, timeout=30_000)
        rerun = max((window.trials.model.trial(r) for r in range(3)), key=lambda t: t.number)
        assert rerun.params == trial.params and rerun.retry_of == trial.id
        window.trials.openLogRequested.emit([ids[1]])
        log = window.findChild(LogDialog)
        assert log is not None
        qtbot.waitUntil(lambda: log.text.toPlainText() != "", timeout=10_000)
        experiment_id = window.experiment.id
        window.close()  # closing the window does not stop the experiment
        with Store(window.db_path) as store:
            exp = store.experiment(experiment_id)
            assert exp.state == "running" and pid_alive(exp.scheduler_pid)
            assert store.series(trial.id, "train_loss")[0], "the stopped trial's points survive"
        again = make_window(db=window.db_path)
        qtbot.waitUntil(lambda: again.experiment is not None, timeout=10_000)
        assert again.experiment.id == experiment_id and again.stop_button.isEnabled()
    finally:
        _stop_everything(window.db_path)


def test_dropping_a_plan_file_opens_it(make_window, qtbot) -> None:
    window = make_window()
    path = ROOT / "resources" / "examples" / "digits-grid.toml"
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert window.workbench.plan() == load_plan(path)


def test_a_broken_plan_file_is_reported_and_nothing_changes(make_window, qtbot, tmp_path,
                                                             monkeypatch) -> None:
    window = make_window()
    before = window.workbench.plan()
    bad = tmp_path / "bad.yaml"
    bad.write_text("hpdesk: 1\ntask: classification\nspace: {lr: {type: float, low: 1, high: 0}}\n")
    shown: list[str] = []
    monkeypatch.setattr("hpdesk.gui.shell.main_window.QMessageBox.warning",
                        lambda parent, title, text: shown.append(text))
    assert window.open_plan_file(bad) is False
    assert shown and "bad.yaml" in shown[0]
    assert window.workbench.plan() == before


def test_layout_and_recent_databases_are_remembered(make_window, qtbot, tmp_path) -> None:
    window = make_window()
    window.main_splitter.setSizes([420, 900])
    sizes = window.main_splitter.sizes()
    window.close()
    settings = Settings(tmp_path / "settings.ini")
    assert str((tmp_path / "x.db").resolve()) in settings.recent_databases()
    again = make_window()
    assert again.main_splitter.sizes() == sizes


def test_switching_to_chinese_rebuilds_the_window_translated(make_window, qtbot) -> None:
    from hpdesk.gui.shell import app, i18n

    window = make_window()
    draft = window.workbench.plan().with_changes(name="my-edited-draft")
    window.workbench.set_plan(draft)
    try:
        window.actions_["language_zh_CN"].trigger()  # not connected: app.run wires it
        new = app.replace_window(window, language="zh_CN")
        qtbot.addWidget(new)
        qtbot.waitUntil(lambda: new.store is not None, timeout=10_000)
        assert new.workbench.plan() == draft, "the plan being edited survives the switch"
        assert new.language == "zh_CN"
        assert new.launch_button.text() not in ("Launch", "")
        assert any("\u4e00" <= c <= "\u9fff" for c in new.launch_button.text())
        assert any("\u4e00" <= c <= "\u9fff" for c in new.tabs.tabText(0))
        assert Settings(window.settings.path).get("language") == "zh_CN"
        new.close()
    finally:
        i18n.install(QApplication.instance(), "en")


def test_export_menu_writes_plot_csv_and_best_plan(make_window, qtbot, tmp_path) -> None:
    from hpdesk.gui.actions import exports
    from hpdesk.plan import plan_from_preset

    db = tmp_path / "done.db"
    plan = plan_from_preset("classification").to_dict()
    with Store(db) as store:
        exp = store.create_experiment("done", "classification", plan)
        for lr in [0.002, 0.004, 0.008]:
            t = store.add_trial(exp.id, {"lr": lr, "batch_size": 32})
            store.write_metrics([(t.id, "val_acc", s, 0.5 + s * lr, 10.0 + s) for s in range(20)])
            store.update_trial(t.id, state="completed", objective=0.5 + 19 * lr, ended_at=1.0)
    window = make_window(db=db)
    qtbot.waitUntil(lambda: window.experiment is not None, timeout=10_000)
    for suffix in ("png", "svg"):
        assert exports.plot_image(window, tmp_path / f"curves.{suffix}").stat().st_size > 0
    window.tabs.setCurrentWidget(window.compare_tab)
    assert exports.plot_image(window, tmp_path / "compare.svg").stat().st_size > 0
    assert exports.trials_csv(window, tmp_path / "t.csv").read_text().count("\n") == 4
    assert exports.metrics_csv(window, tmp_path / "m.csv").read_text().count("\n") == 61
    best = load_plan(exports.best_plan(window, tmp_path / "best.toml"))
    assert best.space["lr"] == Fixed(0.008) and best.budget.trials == 1


def test_a_killed_scheduler_shows_as_interrupted_and_resume_continues(
        make_window, qtbot, tmp_path, starts_file) -> None:
    import signal
    import sys

    from hpdesk.plan import parse_plan

    fake = ROOT / "tests" / "fixtures" / "fake_train.py"
    plan = parse_plan({
        "hpdesk": 1, "task": "script", "name": "slow", "command": [sys.executable, str(fake)],
        "params_style": "flags", "objective": {"metric": "val_acc"}, "strategy": "grid",
        "budget": {"trials": 1}, "executor": {"warm_start": False},
        "space": {"lr": [0.1], "steps": 100_000, "sleep": 0.02}})
    db = tmp_path / "killed.db"
    with Store(db) as store:
        exp = control.launch(store, plan)
    window = make_window(db=db)
    try:
        qtbot.waitUntil(lambda: window.experiment is not None
                        and window.trials.model.rowCount() == 1
                        and window.trials.model.trial(0).state == "running", timeout=30_000)
        os.kill(window.experiment.scheduler_pid, signal.SIGKILL)
        qtbot.waitUntil(lambda: window.trials.model.trial(0).state == "interrupted",
                        timeout=30_000)
        assert window.resume_button.isEnabled() and not window.stop_button.isEnabled()
        qtbot.mouseClick(window.resume_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.trials.model.trial(0).state == "running", timeout=30_000)
        # The trials and the experiment's scheduler are read by separate polls: the Stop button
        # follows the new scheduler's record within one poll of the trial's row (seen in CI).
        qtbot.waitUntil(window.stop_button.isEnabled, timeout=30_000)
        with Store(db) as store:
            assert store.experiment(exp.id).state == "running"
        # It continues as the same trial, from its checkpoint, started once more (not twice).
        trial = window.trials.model.trial(0)
        log = Path(trial.log_path or "")
        qtbot.waitUntil(lambda: "resumed at step" in log.read_text(), timeout=30_000)
        assert window.trials.model.rowCount() == 1
        assert trial_starts(starts_file) == {trial.id: 2}
        with Store(db) as store:
            steps, _ = store.series(trial.id, "loss")
        assert steps == list(range(1, len(steps) + 1))  # no step lost, none twice
    finally:
        _stop_everything(db)


def test_a_file_that_is_not_an_hpdesk_database_is_refused_in_one_sentence(
        qtbot, tmp_path, monkeypatch) -> None:
    import sqlite3

    foreign = tmp_path / "notes.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    shown: list[str] = []
    monkeypatch.setattr("hpdesk.gui.shell.main_window.QMessageBox.critical",
                        lambda parent, title, text: shown.append(text))
    window = MainWindow(Settings(tmp_path / "s.ini"), foreign, "en")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert "not an hpdesk database" in shown[0] and str(foreign) in shown[0]
    assert window.store is None and window.workbench.plan() is not None  # still usable
    with sqlite3.connect(foreign) as conn:  # and the file is left as it was
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["notes"]
    window.close()


def test_a_plan_that_runs_a_command_is_shown_in_full_before_it_runs(
        make_window, qtbot, tmp_path, monkeypatch) -> None:
    import sys

    from hpdesk.plan import parse_plan

    fake = ROOT / "tests" / "fixtures" / "fake_train.py"
    plan = parse_plan({
        "hpdesk": 1, "task": "script", "name": "mine", "command": [sys.executable, str(fake)],
        "params_style": "flags", "objective": {"metric": "val_acc"}, "strategy": "grid",
        "budget": {"trials": 1}, "space": {"lr": [0.2], "steps": 3}})
    window = make_window()
    window.workbench.set_plan(plan)
    asked: list[str] = []
    answer = {"value": QMessageBox.StandardButton.No}
    monkeypatch.setattr("hpdesk.gui.actions.trials.QMessageBox.question",
                        lambda parent, title, text: asked.append(text) or answer["value"])
    window.launch()
    assert str(fake) in asked[0] and sys.executable in asked[0]
    with Store(window.db_path) as store:
        assert store.experiments() == [], "declined: nothing runs"
    answer["value"] = QMessageBox.StandardButton.Yes
    window.launch()
    qtbot.waitUntil(lambda: window.experiment is not None, timeout=30_000)
    qtbot.waitUntil(lambda: window.trials.model.rowCount() == 1
                    and window.trials.model.trial(0).state == "completed", timeout=30_000)
    assert window.trials.model.trial(0).objective == pytest.approx(0.6)  # min(1, lr * steps)


def test_a_script_plan_opened_in_the_window_runs_in_its_own_folder(
        make_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As `hpdesk run` reads it: a plan without `workdir` runs its command in the plan file's
    folder, not in whatever folder the window was started from."""
    project = tmp_path / "project"
    project.mkdir()
    plan_file = project / "plan.yaml"
    plan_file.write_text(
        "hpdesk: 1\ntask: script\ncommand: [python, train.py]\n"
        "objective: {metric: val_acc, direction: maximize}\nspace: {lr: [0.1, 0.2]}\n")
    monkeypatch.setattr("hpdesk.gui.base.command_confirm.confirm_opened_plan",
                        lambda window, plan, path: True)
    monkeypatch.chdir(tmp_path)
    window = make_window()
    assert window.open_plan_file(plan_file)
    assert window.workbench.plan().workdir == str(project.resolve())


def test_the_title_names_the_database_once_and_leaves_the_app_name_to_qt(make_window,
                                                                         tmp_path) -> None:
    """Qt adds the application's display name to every window title itself ("… — hpdesk"),
    so the title must not start with it too."""
    window = make_window()
    title = window.windowTitle().replace("[*]", "")  # Qt's unsaved-edits marker, hidden now
    assert title == f"x.db — {tmp_path.resolve()}"
    assert "hpdesk" not in title.lower().replace(str(tmp_path.resolve()).lower(), "")
