"""The New-experiment wizard offers fine-tuning only where a task can start from pre-trained
weights (KNOWLEDGE.md §5): disabled, with the reason, for the GAN; enabled for detection and
classification, which then ask for the checkpoint file; enabled for a person's own script."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale
from PySide6.QtWidgets import QWizard

from hpdesk.gui.wizard.dialog import TRAINING, NewExperimentDialog
from hpdesk.knowledge import preset
from hpdesk.plan import Fixed, Plan

pytestmark = pytest.mark.usefixtures("qapp")


def open_dialog(qtbot, language: str = "en") -> NewExperimentDialog:  # noqa: ANN001
    dlg = NewExperimentDialog(language)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


@pytest.fixture
def dialog(qtbot) -> NewExperimentDialog:  # noqa: ANN001
    return open_dialog(qtbot)


def to_training(dlg: NewExperimentDialog, task: str) -> None:
    dlg.select_task(task)
    dlg.next()
    dlg.next()
    assert dlg.currentId() == TRAINING


def fixed(plan: Plan, name: str) -> object:
    dist = plan.space[name]
    assert isinstance(dist, Fixed), name
    return dist.value


def next_enabled(dlg: NewExperimentDialog) -> bool:
    return dlg.button(QWizard.WizardButton.NextButton).isEnabled()


def test_gan_cannot_fine_tune_and_says_why(dialog: NewExperimentDialog) -> None:
    to_training(dialog, "gan")
    page = dialog.training_page
    assert not page.fine.isEnabled() and page.scratch.isChecked()
    tip = page.fine.toolTip()
    assert "cannot start from pre-trained weights" in tip
    assert preset("gan").fine_tune_why("en") in tip
    assert page.fine_note.text() == tip
    assert not dialog.plan().fine_tune


def test_detection_offers_fine_tuning_and_asks_for_the_checkpoint(
        dialog: NewExperimentDialog, tmp_path: Path) -> None:
    to_training(dialog, "detection")
    page = dialog.training_page
    assert page.fine.isEnabled() and page.fine.toolTip() == ""
    assert "checkpoint.pt" in page.fine_note.text()
    page.fine.setChecked(True)
    assert page.checkpoint.isVisible() and not next_enabled(dialog)
    weights = tmp_path / "checkpoint.pt"
    weights.write_bytes(b"x")
    page.checkpoint.edit.setText(str(weights))
    assert next_enabled(dialog)
    plan = dialog.plan()
    assert plan.fine_tune and fixed(plan, "pretrained") is True


def test_classification_fine_tuning_starts_from_a_checkpoint(
        dialog: NewExperimentDialog, tmp_path: Path) -> None:
    to_training(dialog, "classification")
    page = dialog.training_page
    assert page.fine.isEnabled()
    assert not page.checkpoint.isVisible()
    page.fine.setChecked(True)
    assert page.checkpoint.isVisible()
    assert "checkpoint" in page.problem()
    weights = tmp_path / "checkpoint.pt"
    weights.write_bytes(b"x")
    page.checkpoint.edit.setText(str(weights))
    assert page.problem() == ""
    plan = dialog.plan()
    assert plan.fine_tune and fixed(plan, "pretrained") is True
    assert fixed(plan, "init_checkpoint") == str(weights)


def test_switching_to_gan_drops_a_chosen_fine_tune(dialog: NewExperimentDialog) -> None:
    to_training(dialog, "detection")
    dialog.training_page.fine.setChecked(True)
    dialog.back()
    dialog.back()
    dialog.select_task("gan")
    page = dialog.training_page
    assert page.scratch.isChecked() and not page.fine.isEnabled()
    assert not page.fine_tune() and not dialog.plan().fine_tune
    dialog.select_task("script")                    # a script loads its own weights
    assert page.fine.isEnabled()
    assert preset("script").fine_tune_why("en") in page.fine_note.text()


@pytest.fixture
def chinese(qapp) -> Iterator[None]:  # noqa: ANN001
    from hpdesk.gui.shell import i18n

    app = QCoreApplication.instance()
    assert app is not None
    before = QLocale()
    i18n.install(app, "zh_CN")
    try:
        yield
    finally:
        i18n.install(app, "en")
        QLocale.setDefault(before)


@pytest.mark.usefixtures("chinese")
def test_the_reason_reads_in_chinese(qtbot) -> None:  # noqa: ANN001
    dlg = open_dialog(qtbot, "zh")
    to_training(dlg, "gan")
    tip = dlg.training_page.fine.toolTip()
    assert tip.startswith(preset("gan").label("zh")) and "不能从预训练权重开始" in tip
    assert preset("gan").fine_tune_why("zh") in tip
