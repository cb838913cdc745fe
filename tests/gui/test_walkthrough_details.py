"""Details from a walkthrough of the window (issue 12, item 14): a re-run is selected, scrolled
to and marked as a re-run once it appears; the command is quoted the same way in the wizard,
the confirmation when a plan is opened and the question at Launch; importance from few trials
carries a caveat; a batch larger than the training set is called out in the advice."""

from __future__ import annotations

import math
import random
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from hpdesk.analysis.importance import PED_ANOVA_RELIABLE, compute_importance
from hpdesk.analysis.trials_table import trials_table
from hpdesk.gui.actions import trials as trial_actions
from hpdesk.gui.base.command_confirm import CommandConfirmDialog, preview_of, shown_command
from hpdesk.gui.base.settings import Settings
from hpdesk.gui.compare.importance import ImportancePanel
from hpdesk.gui.shell.main_window import MainWindow
from hpdesk.gui.trials.view import TrialsView
from hpdesk.gui.wizard.script_arguments import command_preview
from hpdesk.gui.workbench.advice import AdvicePanel
from hpdesk.knowledge import advise
from hpdesk.knowledge.advice import train_samples
from hpdesk.plan import loads_plan, plan_from_preset
from hpdesk.runner import control
from hpdesk.store import Store, Trial
from tests.gui.accessibility import unnamed_widgets

pytestmark = [pytest.mark.usefixtures("qapp"), pytest.mark.timeout(120)]

PLAN = plan_from_preset("classification").to_dict()
NOW = 1_000_000.0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "hp.db") as s:
        yield s


def finished(store: Store, experiment_id: int, n: int, rng: random.Random) -> list[Trial]:
    """n completed trials whose accuracy peaks at lr = 10^-2.5."""
    for _ in range(n):
        params: dict[str, Any] = {
            "lr": 10 ** rng.uniform(-3, -2), "batch_size": int(2 ** rng.uniform(4, 8)),
            "weight_decay": 10 ** rng.uniform(-6, -4), "dropout": rng.uniform(0, 0.5),
            "width": int(2 ** rng.uniform(3, 6)), "epochs": 8}
        trial = store.add_trial(experiment_id, params)
        score = 0.95 - 0.3 * (math.log10(params["lr"]) + 2.5) ** 2
        store.update_trial(trial.id, state="completed", objective=score + 0.002 * rng.random(),
                           started_at=NOW - 60, ended_at=NOW - 1)
    return store.trials(experiment_id)


# ---- 1. a re-run is selected, scrolled to and marked ----------------------------------------

def test_a_rerun_is_marked_with_the_trial_it_repeats(qtbot: Any, store: Store) -> None:
    view = TrialsView("en", clock=lambda: NOW)
    qtbot.addWidget(view)
    view.set_plan(PLAN)
    exp = store.create_experiment("e", "classification", PLAN).id
    trials = finished(store, exp, 3, random.Random(0))
    again = control_free_rerun(store, trials[1])
    view.set_trials(store.trials(exp))
    col = view.model.column_of("number")
    row = view.model.row_of(again.id)
    assert row is not None
    cell = view.model.index(row, col)
    assert cell.data(Qt.ItemDataRole.DisplayRole) == f"{again.number} ↻ {trials[1].number}"
    assert f"re-run of trial {trials[1].number}" in cell.data(Qt.ItemDataRole.ToolTipRole)
    plain = view.model.index(view.model.row_of(trials[0].id) or 0, col)
    assert plain.data(Qt.ItemDataRole.DisplayRole) == str(trials[0].number)
    assert plain.data(Qt.ItemDataRole.ToolTipRole) is None
    # A re-run of a re-run repeats the same first trial: the mark names that one.
    second = control_free_rerun(store, again)
    view.set_trials(store.trials(exp))
    shown = view.model.index(view.model.row_of(second.id) or 0, col)
    assert shown.data(Qt.ItemDataRole.DisplayRole) == f"{second.number} ↻ {trials[1].number}"
    # The number column is widened to show the mark whole.
    needed = view.table.fontMetrics().horizontalAdvance(shown.data(Qt.ItemDataRole.DisplayRole))
    assert view.table.columnWidth(col) > needed


def control_free_rerun(store: Store, trial: Trial) -> Trial:
    """What `control.rerun_trial` records, without starting a scheduler."""
    again = store.add_trial(trial.experiment_id, trial.params)
    store.update_trial(again.id, retry_of=trial.retry_of or trial.id)
    return store.trial(again.id)


def test_a_rerun_is_selected_and_scrolled_to_when_a_later_poll_brings_it(
        qtbot: Any, store: Store) -> None:
    view = TrialsView("en", clock=lambda: NOW)
    qtbot.addWidget(view)
    view.set_plan(PLAN)
    view.resize(700, 240)  # a few rows visible: the new last row is out of sight
    view.show()
    qtbot.waitExposed(view)
    exp = store.create_experiment("e", "classification", PLAN).id
    trials = finished(store, exp, 40, random.Random(1))
    view.set_trials(trials)
    view.select_trials([trials[0].id])
    assert view.table.verticalScrollBar().value() == 0
    again = control_free_rerun(store, trials[2])

    view.reveal_trials([again.id])  # queued: not in the table until the next poll
    assert view.selected_ids() == [trials[0].id]
    view.set_trials(store.trials(exp))  # the poll that brings it
    assert view.selected_ids() == [again.id]
    shown = view.proxy.mapFromSource(view.model.index(view.model.row_of(again.id) or 0, 0))
    qtbot.waitUntil(lambda: view.table.viewport().rect().contains(
        view.table.visualRect(shown)), timeout=5_000)
    assert view.table.verticalScrollBar().value() > 0
    # Once arrived it is forgotten: later polls leave the person's selection alone.
    view.select_trials([trials[5].id])
    view.set_trials(store.trials(exp))
    assert view.selected_ids() == [trials[5].id]


def test_the_rerun_action_selects_the_new_trial_in_the_window(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "x.db"
    with Store(db) as s:
        exp = s.create_experiment("e", "classification", PLAN).id
        trials = finished(s, exp, 4, random.Random(2))
    started: list[int] = []
    monkeypatch.setattr(control, "resume",  # no scheduler: the queued trial just waits
                        lambda store, experiment_id, python=None: started.append(experiment_id))
    window = MainWindow(Settings(tmp_path / "settings.ini"), db, "en")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.store is not None, timeout=10_000)
    window.show_experiment(exp)
    qtbot.waitUntil(lambda: window.trials.model.rowCount() == 4, timeout=20_000)
    try:
        trial_actions.rerun(window, [trials[3].id])
        qtbot.waitUntil(lambda: window.trials.model.rowCount() == 5, timeout=20_000)
        qtbot.waitUntil(lambda: len(window.trials.selected_ids()) == 1, timeout=5_000)
        new = window.trials.model.trial_by_id(window.trials.selected_ids()[0])
        assert new is not None and new.number == trials[3].number + 1
        assert new.retry_of == trials[3].id
        assert started == [exp]
        row = window.trials.model.row_of(new.id) or 0
        number = window.trials.model.index(row, window.trials.model.column_of("number"))
        assert number.data(Qt.ItemDataRole.DisplayRole) == f"{new.number} ↻ {trials[3].number}"
    finally:
        window.close()


def test_the_trials_command_says_which_trial_a_rerun_repeats(
        store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from hpdesk.cli import main

    exp = store.create_experiment("e", "classification", PLAN).id
    trials = finished(store, exp, 2, random.Random(3))
    again = control_free_rerun(store, trials[0])
    assert main(["trials", "--db", str(tmp_path / "hp.db")]) == 0
    lines = capsys.readouterr().out.splitlines()
    mine = [line for line in lines if line.split()[:1] == [str(again.id)]]
    assert len(mine) == 1 and mine[0].endswith(f"re-run of trial {trials[0].number}")
    assert not any("re-run" in line for line in lines if line not in mine)


# ---- 2. one quoting of the command everywhere ------------------------------------------------

SCRIPT_PLAN = """\
hpdesk: 1
task: script
command: [python, "my train.py", --note, "it's a \\"quoted\\" note", --lr, "{lr}",
          "--data={project}/data"]
params_style: template
trial_folder: shared
objective: {metric: val_acc, direction: maximize}
space: {lr: [0.1, 0.2]}
"""


def test_the_wizard_the_confirmation_and_launch_show_the_same_command(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = loads_plan(SCRIPT_PLAN).with_changes(workdir=str(tmp_path / "my project"))
    line = shown_command(plan)
    assert shlex.split(line) == preview_of(plan).argv  # POSIX quoting that pastes back
    assert shlex.split(line)[1:4] == ["my train.py", "--note", 'it\'s a "quoted" note']
    assert shlex.split(line)[-1] == f"--data={tmp_path / 'my project'}/data"  # as it will run

    wizard = [t for t in command_preview(plan).splitlines() if not t.startswith("#")]
    assert wizard == [line]

    dialog = CommandConfirmDialog(preview_of(plan), "plan.yaml")
    qtbot.addWidget(dialog)
    assert dialog.text.toPlainText().splitlines()[0] == line

    asked: list[str] = []

    def question(parent: Any, title: str, text: str, *args: Any) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.No  # nothing starts

    monkeypatch.setattr(QMessageBox, "question", question)
    trial_actions.launch(None, plan)  # type: ignore[arg-type]
    assert len(asked) == 1 and f"\n\n{line}\n\n" in asked[0]


# ---- 3. importance from few trials says so --------------------------------------------------

def test_importance_from_ten_trials_carries_a_caveat(qtbot: Any, store: Store) -> None:
    exp = store.create_experiment("e", "classification", PLAN).id
    panel = ImportancePanel("en")
    qtbot.addWidget(panel)
    panel.show()
    table = trials_table(PLAN, finished(store, exp, 10, random.Random(4)))
    with qtbot.waitSignal(panel.resultShown, timeout=30_000,
                          check_params_cb=lambda r: r is not None and r.ready):
        panel.set_table(table)
    assert panel.shown is not None and panel.shown.trials == 10 and panel.shown.uncertain
    assert panel.caveat.isVisible() and panel.pages.currentWidget() is panel.graphics
    text = panel.caveat.text()
    assert "only 10 trials" in text and "uncertain" in text and str(PED_ANOVA_RELIABLE) in text
    assert unnamed_widgets(panel) == []
    panel.wait()

    enough = trials_table(PLAN, finished(store, exp, PED_ANOVA_RELIABLE, random.Random(5)))
    assert not compute_importance(enough).uncertain  # 60 trials: no caveat
    with qtbot.waitSignal(panel.resultShown, timeout=30_000,
                          check_params_cb=lambda r: r is not None and r.ready):
        panel.set_table(enough)
    assert not panel.caveat.isVisible()
    panel.wait()


def test_the_caveat_and_the_rerun_mark_are_said_in_chinese(qtbot: Any, store: Store) -> None:
    from PySide6.QtCore import QCoreApplication, QLocale

    from hpdesk.gui.shell import i18n

    app = QCoreApplication.instance()
    assert app is not None
    before = QLocale()
    exp = store.create_experiment("e", "classification", PLAN).id
    trials = finished(store, exp, 10, random.Random(6))
    again = control_free_rerun(store, trials[0])
    try:
        i18n.install(app, "zh_CN")
        panel = ImportancePanel("zh_CN")
        qtbot.addWidget(panel)
        with qtbot.waitSignal(panel.resultShown, timeout=30_000,
                              check_params_cb=lambda r: r is not None and r.ready):
            panel.set_table(trials_table(PLAN, trials))
        panel.wait()
        assert "10" in panel.caveat.text() and "不确定" in panel.caveat.text()
        view = TrialsView("zh_CN", clock=lambda: NOW)
        qtbot.addWidget(view)
        view.set_plan(PLAN)
        view.set_trials(store.trials(exp))
        cell = view.model.index(view.model.row_of(again.id) or 0, view.model.column_of("number"))
        assert "重新运行" in cell.data(Qt.ItemDataRole.ToolTipRole)
    finally:
        i18n.install(app, "en")
        QLocale.setDefault(before)


# ---- 4. a batch larger than the training set --------------------------------------------------

def _digits_plan(batch: dict[str, Any], **data: Any) -> dict[str, Any]:
    space = {**PLAN["space"], "batch_size": batch}
    return {**PLAN, "space": space, "data": {"source": "digits", **data}}


def test_a_batch_larger_than_the_digits_training_split_is_called_out(qtbot: Any) -> None:
    assert train_samples(PLAN) == ("digits", 1438)  # 1,797 digits less the 20 % held out
    plan = _digits_plan({"type": "int", "low": 64, "high": 2048, "log": True})
    found = [f for f in advise(plan) if "training samples" in f.message_en]
    assert len(found) == 1
    f = found[0]
    assert f.level == "warning" and f.params == ("batch_size",)
    assert "2048" in f.message_en and "1438" in f.message_en and "one step" in f.message_en
    assert "1438" in f.message("zh") and "每轮只有一步" in f.message("zh")
    assert f.sources == ("hpdesk:sanity",) and "not from the guide" in f.source

    fixed = _digits_plan({"type": "fixed", "value": 300}, train_size=200)
    assert any("200 training samples" in g.message_en for g in advise(fixed))
    fits = _digits_plan({"type": "int", "low": 16, "high": 1024, "log": True})
    assert not any("training samples" in g.message_en for g in advise(fits))
    files = {**plan, "data": {"source": "npz", "path": "x.npz"}}  # a file's size is unknown
    assert not any("training samples" in g.message_en for g in advise(files))

    panel = AdvicePanel("zh_CN")
    qtbot.addWidget(panel)
    panel.set_plan(plan)
    assert "批样本数量不超过 1438" in panel.text()

