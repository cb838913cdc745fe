"""The New-experiment dialog: the digits default, a script with its command preview, the checks
that keep Next and Finish disabled, and names for every control."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QWizard

from hpdesk.gui.wizard.choices import Choices, build_plan, path_problem, pattern_problem
from hpdesk.gui.wizard.dialog import (
    ARGUMENTS,
    DATA,
    METRICS,
    REVIEW,
    SCRIPT,
    TRAINING,
    NewExperimentDialog,
)
from hpdesk.plan import parse_plan
from hpdesk.plan.script import MetricPattern
from tests.gui.accessibility import unnamed_widgets

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def dialog(qtbot) -> NewExperimentDialog:
    dlg = NewExperimentDialog("en")
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def finish(dlg: NewExperimentDialog):
    return dlg.button(QWizard.WizardButton.FinishButton)


def next_enabled(dlg: NewExperimentDialog) -> bool:
    return dlg.button(QWizard.WizardButton.NextButton).isEnabled()


def test_the_default_is_a_valid_digits_classification_plan(dialog: NewExperimentDialog) -> None:
    assert dialog.task() == "classification"
    dialog.next()
    assert dialog.currentId() == DATA
    assert dialog.data_page.source() == "digits"
    dialog.next()
    assert dialog.currentId() == TRAINING
    dialog.next()
    assert dialog.currentId() == REVIEW
    assert finish(dialog).isEnabled()
    assert unnamed_widgets(dialog) == []
    dialog.accept()
    plan = dialog.plan()
    assert plan.task == "classification"
    assert plan.data == {"source": "digits"}
    assert plan.objective.metric == "val_acc" and plan.objective.direction == "maximize"
    assert parse_plan(plan.to_dict()) == plan
    assert NewExperimentDialog.digits_default() == plan
    assert "python -m hpdesk.tasks.classification" in dialog.review_page.preview.toPlainText()


def test_a_script_shows_the_full_command_before_finish(dialog: NewExperimentDialog,
                                                       tmp_path: Path) -> None:
    dialog.select_task("script")
    dialog.next()
    assert dialog.currentId() == SCRIPT
    assert not next_enabled(dialog)                       # no command yet
    assert "command" in dialog.script_page.problem_line.text()
    dialog.script_page.command.setText("python train.py")
    assert not next_enabled(dialog)                       # no project folder yet
    dialog.script_page.workdir.edit.setText(str(tmp_path))
    assert next_enabled(dialog)
    dialog.next()
    assert dialog.currentId() == ARGUMENTS
    dialog.arguments_page.select("equals")
    assert next_enabled(dialog)
    expected = ("python train.py --optimizer=adam --lr=0.0032 --batch_size=64 --beta1=0.9 "
                "--beta2=0.999 --weight_decay=0.0 --dropout=0.0 --epochs=10 --seed=0")
    assert expected in dialog.arguments_page.preview.toPlainText().splitlines()
    assert unnamed_widgets(dialog) == []
    dialog.next()
    assert dialog.currentId() == METRICS
    dialog.metrics_page.metric_edit.setText("val_loss")
    dialog.metrics_page.patterns.setPlainText(r"(?P<name>\w+)=(?P<value>[\d.]+)")
    dialog.next()
    dialog.next()
    assert dialog.currentId() == REVIEW
    assert finish(dialog).isEnabled()
    assert expected in dialog.review_page.preview.toPlainText().splitlines()
    assert dialog.review_page.preview.isReadOnly()
    plan = dialog.plan()
    assert plan.command == ("python", "train.py")
    assert plan.workdir == str(tmp_path)
    assert plan.params_style == "equals"
    assert plan.stdout_metrics.patterns == (MetricPattern(r"(?P<name>\w+)=(?P<value>[\d.]+)"),)
    assert plan.objective.metric == "val_loss" and plan.objective.direction == "minimize"


def test_a_pattern_without_a_value_group_blocks_next(dialog: NewExperimentDialog,
                                                     tmp_path: Path) -> None:
    dialog.select_task("script")
    dialog.next()
    dialog.script_page.command.setText("python train.py --lr {lr}")
    dialog.script_page.workdir.edit.setText(str(tmp_path))
    dialog.next()
    dialog.next()
    assert dialog.currentId() == METRICS
    page = dialog.metrics_page
    page.patterns.setPlainText(r"(?P<name>\w+)=(?P<val>[\d.]+)")
    assert not next_enabled(dialog)
    assert "value" in page.problem_line.text()
    page.patterns.setPlainText(r"(?P<name>\w+)=(?P<value>[\d.]+")      # unbalanced
    assert not next_enabled(dialog)
    assert "not a valid regular expression" in page.problem_line.text()
    page.patterns.setPlainText(r"(?P<name>\w+)=(?P<value>[\d.]+)")
    assert next_enabled(dialog)
    assert page.problem_line.text() == ""
    page.sample.setPlainText("step 3 acc=0.5")
    assert "acc: 1 point, value 0.5" in page.reads.text()


def test_finish_stays_disabled_while_the_plan_is_invalid(dialog: NewExperimentDialog,
                                                         tmp_path: Path) -> None:
    dialog.select_task("script")
    dialog.next()
    dialog.script_page.command.setText("python train.py")
    dialog.script_page.workdir.edit.setText(str(tmp_path))
    for _ in range(4):
        dialog.next()
    assert dialog.currentId() == REVIEW
    assert finish(dialog).isEnabled()
    dialog.script_page.command.setText("python 'train.py")          # an unclosed quote
    dialog.review_page.changed()
    assert not finish(dialog).isEnabled()
    assert "quot" in dialog.review_page.problem_line.text()
    dialog.script_page.command.setText("python train.py")
    dialog.metrics_page.metric_edit.setText(" ")
    dialog.review_page.changed()
    assert not finish(dialog).isEnabled()
    dialog.metrics_page.metric_edit.setText("loss")
    dialog.review_page.changed()
    assert finish(dialog).isEnabled()
    assert dialog.review_page.problem_line.text() == ""


def test_a_data_folder_that_does_not_exist_is_rejected(dialog: NewExperimentDialog,
                                                       tmp_path: Path, monkeypatch) -> None:
    dialog.next()
    page = dialog.data_page
    page.select("folder")
    assert page.path_row.isVisible()
    assert not next_enabled(dialog)
    page.path_row.edit.setText(str(tmp_path / "nope"))
    assert not next_enabled(dialog)
    assert "does not exist" in page.problem_line.text()
    (tmp_path / "file.txt").write_text("x")
    page.path_row.edit.setText(str(tmp_path / "file.txt"))
    assert not next_enabled(dialog)
    assert "not a folder" in page.problem_line.text()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    page.path_row.browse.click()
    assert page.path() == str(tmp_path)
    assert next_enabled(dialog)
    assert dialog.plan().data == {"source": "folder", "path": str(tmp_path)}
    page.select("digits")
    assert not page.path_row.isVisible()
    assert next_enabled(dialog)


def test_each_task_lists_its_own_data_sources(dialog: NewExperimentDialog) -> None:
    dialog.select_task("detection")
    assert list(dialog.data_page.buttons) == ["shapes", "yolo"]
    dialog.select_task("gan")
    assert list(dialog.data_page.buttons) == ["digits", "ring"]
    dialog.data_page.select("ring")
    assert dialog.plan().data == {"source": "ring"}
    assert unnamed_widgets(dialog) == []


def test_optimiser_and_fine_tuning_reach_the_plan(dialog: NewExperimentDialog) -> None:
    dialog.next()
    dialog.next()
    page = dialog.training_page
    assert page.chosen_optimizer() == "adam"              # the preset's default
    page.optimizer.setCurrentIndex(page.optimizer.findData("sgd_momentum"))
    page.fine.setChecked(True)
    page.trials.setValue(4)
    plan = dialog.plan()
    assert plan.fine_tune and plan.budget.trials == 4
    assert plan.space["optimizer"].value == "sgd_momentum"
    scratch = build_plan(Choices(task="classification", optimizer="sgd_momentum"))
    assert plan.space["lr"].high <= scratch.space["lr"].low  # lowered for fine-tuning
    low, high = plan.space["lr"].low, plan.space["lr"].high
    assert page.lr_note.text() == f"Learning rates searched: {low:g} to {high:g}."


def test_detection_fine_tuning_asks_for_a_checkpoint(dialog: NewExperimentDialog,
                                                     tmp_path: Path) -> None:
    dialog.select_task("detection")
    dialog.next()
    dialog.next()
    page = dialog.training_page
    assert not page.checkpoint.isVisible()
    page.fine.setChecked(True)
    assert page.checkpoint.isVisible()
    assert not next_enabled(dialog)
    weights = tmp_path / "checkpoint.pt"
    weights.write_bytes(b"x")
    page.checkpoint.edit.setText(str(weights))
    assert next_enabled(dialog)
    assert dialog.plan().space["init_checkpoint"].value == str(weights)


def test_pure_checks() -> None:
    assert pattern_problem(r"(?P<name>\w+) (?P<value>\d+)") is None
    assert pattern_problem(r"(?P<metric>\w+) (?P<value>\d+)") is None
    assert pattern_problem(r"(?P<name>\w+)") == ("value", "")
    assert pattern_problem(r"(?P<value>\d+)") == ("name", "")
    assert pattern_problem("(")[0] == "syntax"
    assert path_problem("", "folder") == "empty"
    assert path_problem("/no/such/place", "file") == "missing"
    assert path_problem(str(Path(__file__).parent), "file") == "kind"
    assert path_problem(__file__, "file") is None
    with pytest.raises(ValueError):
        build_plan(Choices(task="script", command="", workdir="/tmp"))
