"""The New-experiment dialog: a short wizard from "what do you want to tune?" to a valid plan.

Steps: the task; its data (built-in tasks) or the command and its project folder, how the
parameters are passed, and the metrics (your own script); the optimiser and budget; a review
that shows the command of one example trial and the advice on the plan. Each step blocks Next
with a one-sentence reason; Finish waits for the whole plan to pass `parse_plan`, like a plan
file would. After `exec()` is accepted, `plan()` gives the plan;
`NewExperimentDialog.digits_default()` is the first-launch default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from PySide6.QtWidgets import QLabel, QLineEdit, QWidget, QWizard

from hpdesk.gui.base.common import named
from hpdesk.gui.wizard.choices import Choices, build_plan, digits_default
from hpdesk.gui.wizard.pages import (
    DataPage,
    Page,
    TaskPage,
    TrainingPage,
    WrappedLabel,
    hint_label,
    monospace_box,
    page_form,
)
from hpdesk.gui.wizard.script_arguments import ArgumentsPage, command_preview
from hpdesk.gui.wizard.script_pages import MetricsPage, ScriptPage
from hpdesk.gui.workbench.data_sources import data_text
from hpdesk.knowledge import advise, optimizers, preset
from hpdesk.plan import Categorical, Fixed, Plan, PlanError, plan_from_preset
from hpdesk.plan.space import Distribution

TASK, DATA, SCRIPT, ARGUMENTS, METRICS, TRAINING, REVIEW = range(7)


class ReviewPage(Page):
    """What will run: a summary, the command of one example trial, and the advice."""

    def __init__(self, language: str, dialog: NewExperimentDialog,
                 parent: QWidget | None = None) -> None:
        super().__init__(language, parent)
        self.dialog = dialog
        self.setTitle(self.tr("Check the plan"))
        self.setSubTitle(self.tr("“Fill the plan” puts this plan in the Plan tab, where you can "
                                 "change every range; Launch there starts the experiment."))
        self.name_edit = named(QLineEdit(), "experimentName", self.tr("Experiment name"))
        self.values: dict[str, QLabel] = {}
        form = page_form(self)
        form.addRow(self.tr("&Name:"), self.name_edit)
        for key, label in (("task", self.tr("Task:")), ("data", self.tr("Data:")),
                           ("folder", self.tr("Runs in:")),
                           ("training", self.tr("Optimiser:")),
                           ("objective", self.tr("Objective:")), ("trials", self.tr("Trials:")),
                           ("searched", self.tr("Searched:"))):
            value = WrappedLabel()
            self.values[key] = value
            form.addRow(label, value)
        self.form = form
        self.preview = monospace_box("reviewPreview", self.tr("Command of one example trial"))
        form.addRow(QLabel(self.tr("One trial will run (example values):")))
        form.addRow(self.preview)
        self.advice = hint_label()
        form.addRow(self.advice)
        form.addRow(self.problem_line)
        self.name_edit.textChanged.connect(lambda *_: self.changed())

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        self.changed()

    def problem(self) -> str:
        return self.dialog.problem()

    def changed(self) -> None:
        try:
            plan = self.dialog.plan()
        except ValueError:
            plan = None
        if plan is not None:
            self._show(plan)
        super().changed()

    def _show(self, plan: Plan) -> None:
        p = preset(plan.task)
        default_name = build_plan(replace(self.dialog.choices(), name="")).name
        self.name_edit.setPlaceholderText(default_name)
        self.values["task"].setText(p.label(self.lang))
        self.values["data"].setText(self._data_text(plan))
        self.values["folder"].setText(self._folder_text(plan))
        self.form.setRowVisible(self.values["folder"], plan.command is not None)
        opt = plan.space.get("optimizer")
        opt_name = str(opt.value) if isinstance(opt, Fixed) else ""
        label = optimizers()[opt_name].label(self.lang) if opt_name in optimizers() else opt_name
        mode = self.tr("fine-tuning") if plan.fine_tune else self.tr("from scratch")
        self.values["training"].setText(f"{label}, {mode}")
        direction = (self.tr("higher is better") if plan.objective.direction == "maximize"
                     else self.tr("lower is better"))
        self.values["objective"].setText(f"{plan.objective.metric} ({direction})")
        self.values["trials"].setText(str(plan.budget.trials))
        searched = [f"{name} {self._range(dist)}" for name, dist in plan.space.items()
                    if not isinstance(dist, Fixed)]
        fixed = len(plan.space) - len(searched)
        self.values["searched"].setText(
            "\n".join(searched) + "\n" + self.tr("%1 more fixed at recommended values.")
            .replace("%1", str(fixed)))
        self.preview.setPlainText(command_preview(plan))
        findings = advise(plan.to_dict())
        self.advice.setText("\n".join(f"⚠ {f.message(self.lang)}" for f in findings))

    def _data_text(self, plan: Plan) -> str:
        return data_text(plan.data, script=plan.command is not None)

    def _folder_text(self, plan: Plan) -> str:
        project = plan.workdir or self.tr("the project folder")
        if plan.trial_folder == "own":
            return self.tr("each trial in its own folder, filled from %1").replace("%1", project)
        return self.tr("every trial in %1").replace("%1", project)

    def _range(self, dist: Distribution) -> str:
        if isinstance(dist, Categorical):
            return "{" + ", ".join(str(c) for c in dist.choices) + "}"
        if isinstance(dist, Fixed):
            return str(dist.value)
        text = f"{dist.low:g} … {dist.high:g}"
        return text + self.tr(" (log scale)") if dist.log else text


class NewExperimentDialog(QWizard):
    """The wizard; `plan()` is valid once Finish was pressed (Finish waits for that)."""

    def __init__(self, language: str, parent: QWidget | None = None, *,
                 extra_space: Mapping[str, Distribution] | None = None) -> None:
        """`extra_space`: parameters the script takes beyond the task preset's (such as a
        true/false `tied`), e.g. those of a plan being copied; none by default."""
        super().__init__(parent)
        self.language = language
        self.extra_space = dict(extra_space or {})
        self.setObjectName("newExperimentDialog")
        self.setWindowTitle(self.tr("New experiment"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.task_page = TaskPage(language, self._task_changed)
        self.data_page = DataPage(language)
        self.script_page = ScriptPage(language)
        self.arguments_page = ArgumentsPage(language, self.parameters, self._plan_for_preview)
        self.metrics_page = MetricsPage(language)
        self.training_page = TrainingPage(language, self.task)
        self.review_page = ReviewPage(language, self)
        for page_id, page in ((TASK, self.task_page), (DATA, self.data_page),
                              (SCRIPT, self.script_page), (ARGUMENTS, self.arguments_page),
                              (METRICS, self.metrics_page),
                              (TRAINING, self.training_page), (REVIEW, self.review_page)):
            self.setPage(page_id, page)
        # Finish only fills the Plan tab (nothing runs yet): the button says so.
        self.setButtonText(QWizard.WizardButton.FinishButton, self.tr("Fill the plan"))
        names = {
            QWizard.WizardButton.BackButton: ("backButton", self.tr("Back")),
            QWizard.WizardButton.NextButton: ("nextButton", self.tr("Next")),
            QWizard.WizardButton.CommitButton: ("commitButton", self.tr("Commit")),
            QWizard.WizardButton.FinishButton: ("finishButton", self.tr(
                "Fill the plan: put this plan in the Plan tab, to launch from there")),
            QWizard.WizardButton.CancelButton: ("cancelButton", self.tr("Cancel")),
            QWizard.WizardButton.HelpButton: ("helpButton", self.tr("Help")),
        }
        for which, (object_name, accessible) in names.items():
            named(self.button(which), object_name, accessible)
        self.resize(760, 640)
        self._task_changed()

    @staticmethod
    def digits_default() -> Plan:
        """The plan the first launch offers: digits classification with the preset's ranges."""
        return digits_default()

    def task(self) -> str:
        return self.task_page.task()

    def select_task(self, task: str) -> None:
        self.task_page.select(task)

    def nextId(self) -> int:  # noqa: N802 (Qt's name)
        """Built-in tasks go task → data → training; a script goes task → script → arguments →
        metrics → training; both end on the review."""
        current = self.currentId()
        script = preset(self.task()).module is None
        following = {TASK: SCRIPT if script else DATA, DATA: TRAINING, SCRIPT: ARGUMENTS,
                     ARGUMENTS: METRICS, METRICS: TRAINING, TRAINING: REVIEW}
        return following.get(current, -1)

    def _task_changed(self) -> None:
        task = self.task()
        self.data_page.show_task(task)
        self.training_page.show_task(task)

    def choices(self) -> Choices:
        """What the widgets say now, as plain data."""
        script = preset(self.task()).module is None
        return Choices(
            task=self.task(),
            source=None if script else self.data_page.source(),
            data_path="" if script else self.data_page.path(),
            optimizer=self.training_page.chosen_optimizer(),
            fine_tune=self.training_page.fine_tune(),
            trials=self.training_page.trials.value(),
            checkpoint=self.training_page.checkpoint_path(),
            command=self.script_page.command.text() if script else "",
            workdir=self.script_page.workdir.text() if script else "",
            params_style=self.arguments_page.params_style(),
            trial_folder=self.script_page.trial_folder(),
            flag_names=self.arguments_page.flag_style(),
            booleans=self.arguments_page.boolean_style(),
            arguments=self.arguments_page.arguments(),
            extra_space=self.extra_space if script else {},
            metric=self.metrics_page.metric_edit.text(),
            direction=self.metrics_page.chosen_direction(),
            patterns=tuple(self.metrics_page.pattern_list()),
            name=self.review_page.name_edit.text() if hasattr(self, "review_page") else "",
        )

    def parameters(self) -> Mapping[str, Distribution]:
        """The parameters the plan will have, as chosen so far (the optimiser's included)."""
        plan = plan_from_preset(self.task(), optimizer=self.training_page.chosen_optimizer(),
                                fine_tune=self.training_page.fine_tune())
        return {**plan.space, **self.extra_space}

    def _plan_for_preview(self) -> Plan:
        return build_plan(self.choices())

    def plan(self) -> Plan:
        """The plan of the current choices; raises PlanError or ValueError while invalid."""
        return build_plan(self.choices())

    def problem(self) -> str:
        """The first thing that keeps the plan from running, in one sentence ("" when none)."""
        script = preset(self.task()).module is None
        pages: list[Page] = ([self.script_page, self.arguments_page, self.metrics_page] if script
                             else [self.data_page])
        for page in [*pages, self.training_page]:
            text = page.problem()
            if text:
                return text
        try:
            build_plan(self.choices())
        except ValueError as exc:
            return self._one_sentence(exc)
        return ""

    def _one_sentence(self, exc: Exception) -> str:
        """The first problem of a plan that does not build (and how many more there are)."""
        if not isinstance(exc, PlanError) or not exc.problems:
            return str(exc)
        first = exc.problems[0]
        text = self.tr("%1: expected %2, found %3").replace("%1", first.path) \
            .replace("%2", first.expected).replace("%3", first.found)
        more = len(exc.problems) - 1
        return text + (self.tr(" (and %1 more)").replace("%1", str(more)) if more else "")
