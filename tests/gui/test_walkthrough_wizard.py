"""Issue 12, items 1, 4 and 12, as a person meets them in the New-experiment wizard.

1: the GAN on the ring optimised `fid`, which the ring never reports. 4: any existing folder
passed as a YOLO data set. 12: two learning-rate ranges on two pages, a Finish button that said
"Create experiment" but only filled the plan, and a Plan tab that did not show the data.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QWizard

from hpdesk.gui.wizard.dialog import DATA, REVIEW, TRAINING, NewExperimentDialog
from hpdesk.gui.workbench.editor import PlanEditor
from hpdesk.knowledge import advise
from hpdesk.plan import FloatRange

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def dialog(qtbot) -> NewExperimentDialog:  # noqa: ANN001
    dlg = NewExperimentDialog("en")
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def to_data_page(dlg: NewExperimentDialog, task: str, source: str) -> None:
    dlg.select_task(task)
    dlg.next()
    assert dlg.currentId() == DATA
    dlg.data_page.select(source)


def next_enabled(dlg: NewExperimentDialog) -> bool:
    return dlg.button(QWizard.WizardButton.NextButton).isEnabled()


def test_the_gan_on_the_ring_optimises_a_metric_the_ring_reports(
        dialog: NewExperimentDialog) -> None:
    to_data_page(dialog, "gan", "ring")
    dialog.next()
    dialog.next()
    assert dialog.currentId() == REVIEW
    plan = dialog.plan()
    assert (plan.objective.metric, plan.objective.direction) == ("modes_covered", "maximize")
    assert plan.data == {"source": "ring"}
    assert dialog.review_page.values["objective"].text().startswith("modes_covered")
    assert "Eight Gaussians on a ring" in dialog.review_page.values["data"].text()
    assert not [f for f in advise(plan.to_dict()) if f.rule == "objective_not_reported"]
    # and back on digits, FID again
    dialog.back()
    dialog.back()
    dialog.data_page.select("digits")
    assert dialog.plan().objective.metric == "fid"


def test_the_review_warns_when_the_objective_is_never_reported(
        dialog: NewExperimentDialog) -> None:
    """The same advice the review shows reads a plan someone edited to the wrong metric."""
    to_data_page(dialog, "gan", "ring")
    data = dialog.plan().to_dict()
    data["objective"] = {"metric": "fid", "direction": "minimize"}
    found = [f.message("en") for f in advise(data) if f.rule == "objective_not_reported"]
    assert found and "modes_covered" in found[0]


def test_a_folder_that_is_no_yolo_data_set_blocks_next(dialog: NewExperimentDialog,
                                                        tmp_path: Path) -> None:
    to_data_page(dialog, "detection", "yolo")
    folder = tmp_path / "holiday-photos"
    (folder / "pictures").mkdir(parents=True)
    dialog.data_page.path_row.edit.setText(str(folder))
    assert not next_enabled(dialog)
    line = dialog.data_page.problem_line.text()
    assert line == (f"{folder} has no images/ folder: a YOLO data set holds images/ and labels/, "
                    "with or without train/ and val/ inside.")
    (folder / "images" / "train").mkdir(parents=True)
    dialog.data_page.path_row.edit.setText(str(folder) + "/")
    assert not next_enabled(dialog)
    assert "images/train holds no image files" in dialog.data_page.problem_line.text()
    (folder / "images" / "train" / "0001.png").write_bytes(b"")
    dialog.data_page.path_row.edit.setText(str(folder))
    assert next_enabled(dialog) and dialog.data_page.problem_line.text() == ""


def test_the_gan_learning_rates_are_stated_once(dialog: NewExperimentDialog) -> None:
    to_data_page(dialog, "gan", "digits")
    dialog.next()
    assert dialog.currentId() == TRAINING
    note = dialog.training_page.lr_note.text()
    space = dialog.plan().space
    for name in ("lr_g", "lr_d"):
        dist = space[name]
        assert isinstance(dist, FloatRange)
        assert f"{name} from {dist.low:g} to {dist.high:g}" in note
    dialog.next()
    searched = dialog.review_page.values["searched"].text()
    for name in ("lr_g", "lr_d"):
        dist = space[name]
        assert isinstance(dist, FloatRange)
        assert f"{name} {dist.low:g} … {dist.high:g}" in searched
    # fine-tuning lowers both, on both pages
    dialog.back()
    dialog.training_page.fine.setChecked(True)
    low = dialog.plan().space["lr_g"]
    assert isinstance(low, FloatRange) and f"lr_g from {low.low:g}" in \
        dialog.training_page.lr_note.text()


def test_finish_says_it_fills_the_plan(dialog: NewExperimentDialog) -> None:
    finish = dialog.button(QWizard.WizardButton.FinishButton)
    assert finish.text() == "Fill the plan"
    assert "Plan tab" in finish.accessibleName()
    dialog.next()
    dialog.next()
    dialog.next()
    assert dialog.currentId() == REVIEW
    assert "Launch" in dialog.review_page.subTitle()
    assert "start" not in dialog.review_page.title().lower()


def test_the_plan_tab_shows_the_data_source(qtbot, dialog: NewExperimentDialog,  # noqa: ANN001
                                            tmp_path: Path) -> None:
    to_data_page(dialog, "gan", "ring")
    editor = PlanEditor("en")
    qtbot.addWidget(editor)
    editor.set_plan(dialog.plan())
    shown = editor.findChild(QLabel, "planData")
    assert shown is not None and shown.accessibleName() == "Data"
    assert shown.text() == "Eight Gaussians on a ring (built in)"
    assert editor.plan() is not None and editor.plan().data == {"source": "ring"}
    dialog.back()
    to_data_page(dialog, "classification", "npz")
    file = tmp_path / "set.npz"
    file.write_bytes(b"")
    dialog.data_page.path_row.edit.setText(str(file))
    editor.set_plan(dialog.plan())
    assert shown.text() == f"A NumPy .npz file: {file}"
