"""The "my own script" steps of the New-experiment dialog: where each trial runs, how flag names
and true/false values are written, each parameter's own argument, and trying the metric reading
on pasted output (with the warning when the objective is not among what is read)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLineEdit, QToolButton, QWizard

from hpdesk.gui.wizard.choices import Choices, build_plan, read_output
from hpdesk.gui.wizard.dialog import ARGUMENTS, METRICS, REVIEW, NewExperimentDialog
from hpdesk.gui.workbench.workbench import PlanWorkbench
from hpdesk.plan import Categorical, dumps_plan, load_plan, loads_plan, parse_plan
from hpdesk.plan.script import Argument, MetricPattern
from hpdesk.runner.launch import preview_argv
from tests.gui.accessibility import unnamed_widgets

pytestmark = pytest.mark.usefixtures("qapp")

ROOT = Path(__file__).resolve().parents[2]
TIED = {"tied": Categorical((True, False))}


@pytest.fixture
def dialog(qtbot, tmp_path: Path) -> NewExperimentDialog:
    """The dialog with a script that also takes a true/false `tied`, on its arguments step."""
    dlg = NewExperimentDialog("en", extra_space=TIED)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.select_task("script")
    dlg.next()
    dlg.script_page.command.setText("python train.py")
    dlg.script_page.workdir.edit.setText(str(tmp_path))
    dlg.next()
    assert dlg.currentId() == ARGUMENTS
    return dlg


def go_to(dlg: NewExperimentDialog, page: int) -> None:
    while dlg.currentId() != page:
        assert dlg.button(QWizard.WizardButton.NextButton).isEnabled(), dlg.problem()
        dlg.next()


def command_line(text: str) -> list[str]:
    """The argument list of the preview's command (the line that is not a # comment)."""
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert len(lines) == 1, text
    return shlex.split(lines[0])


def test_the_plan_carries_folder_flag_names_booleans_and_arguments(
        dialog: NewExperimentDialog, tmp_path: Path) -> None:
    page = dialog.arguments_page
    dialog.script_page.own_folder.setChecked(False)
    page.select("flags", flag_names="dashes", booleans="number")
    page.table.passed["optimizer"].setChecked(False)
    page.table.flags["lr"].setText("--learning-rate")
    page.table.booleans["tied"].setCurrentIndex(page.table.booleans["tied"].findData("switch"))
    assert unnamed_widgets(dialog) == []
    go_to(dialog, REVIEW)
    assert dialog.button(QWizard.WizardButton.FinishButton).isEnabled()
    plan = dialog.plan()
    assert plan.trial_folder == "shared"
    assert plan.flag_names == "dashes" and plan.booleans == "number"
    assert dict(plan.arguments) == {"optimizer": Argument(passed=False),
                                    "lr": Argument(flag="--learning-rate"),
                                    "tied": Argument(boolean="switch")}
    assert loads_plan(dumps_plan(plan)) == plan       # written to a plan file and read back
    argv = command_line(dialog.review_page.preview.toPlainText())
    assert "--optimizer" not in argv and "--learning-rate" in argv and "--batch-size" in argv
    assert argv[-1] == "--tied"                       # its own switch, not `--tied 1`
    assert f"every trial in {tmp_path}" in dialog.review_page.values["folder"].text()


def test_a_store_true_switch_is_the_flag_for_true_and_nothing_for_false(
        dialog: NewExperimentDialog) -> None:
    page = dialog.arguments_page
    page.select("flags", booleans="switch")
    preview = page.preview.toPlainText()
    assert command_line(preview)[-1] == "--tied"       # the example value is true
    assert "# tied: --tied when true, nothing when false" in preview.splitlines()
    plan = dialog.plan()
    assert preview_argv(plan, {"tied": True}) == ["python", "train.py", "--tied"]
    assert preview_argv(plan, {"tied": False}) == ["python", "train.py"]
    page.select(booleans="negatable")
    assert "# tied: --tied when true, --no-tied when false" in page.preview.toPlainText()
    page.select(booleans="value")
    assert command_line(page.preview.toPlainText())[-2:] == ["--tied", "true"]
    assert "# tied:" not in page.preview.toPlainText()


def test_switches_are_offered_only_with_flags(dialog: NewExperimentDialog) -> None:
    page = dialog.arguments_page
    page.select("equals", booleans="switch")
    tied = page.table.booleans["tied"]
    tied.setCurrentIndex(tied.findData("negatable"))
    assert page.boolean_style() == "switch"
    assert page.flag_names.isVisibleTo(page) and page.table.isVisibleTo(page)
    page.select("hydra")                               # name=value has no flag alone
    offered = [page.booleans.itemData(i) for i in range(page.booleans.count())]
    assert offered == ["value", "capitalized", "number"]
    assert page.boolean_style() == "value"
    assert not page.flag_names.isVisibleTo(page) and page.table.isVisibleTo(page)
    assert [tied.itemData(i) for i in range(tied.count())] == [None, "value", "capitalized",
                                                               "number"]
    assert tied.currentData() is None
    assert dialog.plan().booleans == "value" and "tied" not in dialog.plan().arguments
    page.select("env")
    assert not page.table.isVisibleTo(page) and not page.booleans.isVisibleTo(page)
    page.select("flags")                               # the choices come back with flags
    assert page.boolean_style() == "switch" and tied.currentData() == "negatable"
    assert dialog.plan().arguments["tied"].boolean == "negatable"


def test_a_parameter_not_passed_leaves_the_command(dialog: NewExperimentDialog) -> None:
    page = dialog.arguments_page
    page.select("flags")
    assert "--optimizer" in command_line(page.preview.toPlainText())
    page.table.passed["optimizer"].setChecked(False)
    argv = command_line(page.preview.toPlainText())
    assert "--optimizer" not in argv and "adam" not in argv and "--lr" in argv
    assert not page.table.flags["optimizer"].isEnabled()
    assert dialog.plan().space["optimizer"].value == "adam"   # still informs the advice
    page.table.passed["optimizer"].setChecked(True)
    assert "--optimizer" in command_line(page.preview.toPlainText())


def test_flags_show_their_default_and_a_bad_one_blocks_next(dialog: NewExperimentDialog) -> None:
    page = dialog.arguments_page
    page.select("flags", flag_names="dashes")
    assert page.table.flags["batch_size"].placeholderText() == "--batch-size"
    page.table.flags["lr"].setText("--learning rate")
    assert not dialog.button(QWizard.WizardButton.NextButton).isEnabled()
    assert "lr" in page.problem_line.text()
    page.table.flags["lr"].setText("--learning-rate")
    assert dialog.button(QWizard.WizardButton.NextButton).isEnabled()


def test_the_preview_says_which_folder_a_trial_runs_in(dialog: NewExperimentDialog,
                                                       tmp_path: Path) -> None:
    first = dialog.arguments_page.preview.toPlainText().splitlines()[0]
    assert first == f"# in <trial folder>, a folder of its own filled from {tmp_path}"
    dialog.back()
    dialog.script_page.own_folder.setChecked(False)
    assert "project folder" in dialog.script_page.own_note.text()
    dialog.next()
    assert dialog.arguments_page.preview.toPlainText().splitlines()[0] == f"# in {tmp_path}"
    assert dialog.plan().trial_folder == "shared"


def test_the_objective_warning_follows_the_pasted_output(dialog: NewExperimentDialog) -> None:
    go_to(dialog, METRICS)
    page = dialog.metrics_page
    page.metric_edit.setText("val_loss")
    page.sample.setPlainText("epoch 1 acc: 0.5\nepoch 2 acc: 0.75")
    assert "None of these lines gives val_loss" in page.warning.text()
    assert "Seen: " in page.warning.text() and "acc" in page.warning.text()
    assert "acc: 2 points, last 0.75" in page.reads.text()
    assert dialog.button(QWizard.WizardButton.NextButton).isEnabled()   # a warning only
    page.sample.appendPlainText("epoch 2 val_loss: 0.31")
    assert page.warning.text() == ""
    assert "val_loss: 1 point, value 0.31" in page.reads.text()
    page.sample.setPlainText("Starting training…\ndone")
    assert "no metric" in page.warning.text()
    page.sample.setPlainText("")
    assert page.warning.text() == "" and page.reads.text() == ""


def test_a_metric_name_with_a_space_works_end_to_end(dialog: NewExperimentDialog) -> None:
    go_to(dialog, METRICS)
    page = dialog.metrics_page
    page.metric_edit.setText(" valid  loss")         # spaces as the reader gives them
    page.patterns.setPlainText(r"\| (?P<name>valid (?:loss|ppl)) +(?P<value>[\d.]+)")
    page.sample.setPlainText("| end of epoch   1 | time:  1.23s | valid loss  5.84 | "
                             "valid ppl   343.19")
    assert page.warning.text() == ""
    assert "valid loss: 1 point, value 5.84" in page.reads.text()
    page.patterns.setPlainText(r"valid loss +(?P<value>[\d.]+)")        # no name group
    assert "(?P<name>valid loss)" in page.problem_line.text()
    assert not dialog.button(QWizard.WizardButton.NextButton).isEnabled()
    page.patterns.setPlainText(r"\| (?P<name>valid (?:loss|ppl)) +(?P<value>[\d.]+)")
    go_to(dialog, REVIEW)
    dialog.accept()
    plan = dialog.plan()
    assert plan.objective.metric == "valid loss"
    assert parse_plan(plan.to_dict()) == plan
    assert dialog.review_page.values["objective"].text().startswith("valid loss")


def test_read_output_counts_points_per_metric() -> None:
    seen = read_output([], "loss: 9\nloss: 6.5\nval_loss: nan\n")
    assert seen["loss"] == (2, 6.5) and seen["val_loss"] == (1, None)
    assert read_output([r"(?P<name>acc) (?P<value>\d)"], "acc 1 loss: 3") == {"acc": (1, 1.0)}


def test_build_plan_drops_arguments_of_parameters_the_plan_lacks() -> None:
    plan = build_plan(Choices(task="script", command="python t.py", workdir="/tmp",
                              params_style="flags", metric="loss",
                              arguments={"momentum": Argument(passed=False),
                                         "lr": Argument(flag="--learning-rate"),
                                         "seed": Argument()}))
    assert dict(plan.arguments) == {"lr": Argument(flag="--learning-rate")}
    assert plan.stdout_metrics.patterns == ()
    fixed = build_plan(Choices(task="script", command="python t.py", metric="loss",
                               patterns=(r"(?P<name>\w+) (?P<value>\d)",)))
    assert fixed.stdout_metrics.patterns == (MetricPattern(r"(?P<name>\w+) (?P<value>\d)"),)


def test_the_plan_tab_keeps_the_script_fields_through_an_edit(qtbot) -> None:
    plan = load_plan(ROOT / "resources" / "examples" / "own-script.yaml").with_changes(
        trial_folder="shared", flag_names="dashes")
    bench = PlanWorkbench("en", [])
    qtbot.addWidget(bench)
    bench.set_plan(plan)
    edit = bench.editor.findChild(QLineEdit, "param.lr.low")
    edit.setText("0.6")
    edit.textEdited.emit("0.6")
    edited = bench.plan()
    assert edited is not None and edited.space["lr"].low == 0.6
    assert (edited.trial_folder, edited.flag_names, edited.booleans) == ("shared", "dashes",
                                                                         "value")
    assert edited.arguments == plan.arguments and edited.stdout_metrics == plan.stdout_metrics
    assert edited.objective.metric == "valid loss"


def test_the_plan_tab_removes_a_parameter_with_its_own_argument(qtbot) -> None:
    plan = load_plan(ROOT / "resources" / "examples" / "own-script.yaml")
    bench = PlanWorkbench("en", [])
    qtbot.addWidget(bench)
    bench.set_plan(plan)
    bench.editor.findChild(QToolButton, "param.tied.remove").click()
    edited = bench.plan()
    assert edited is not None and "tied" not in edited.space and "tied" not in edited.arguments
