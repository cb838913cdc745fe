"""The "my own script" steps of the new-experiment dialog: the command and how it gets its
parameters (with the command of one example trial, as it will run), then the metric to
optimise and how metrics are read from the script's output."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QWidget

from hpdesk.analysis.progress import unused_placeholders
from hpdesk.gui.common import named
from hpdesk.gui.new_experiment_pages import (
    Page,
    PathRow,
    hint_label,
    monospace_box,
    named_combo,
    page_form,
)
from hpdesk.gui.new_experiment_plan import path_problem, pattern_problem, split_command
from hpdesk.plan import Plan
from hpdesk.plan.model import PARAMS_STYLES
from hpdesk.runner.stdout_metrics import StdoutParser


class ScriptPage(Page):
    """The command line, the folder it runs in, and how the parameters reach it."""

    def __init__(self, language: str, build: Callable[[], Plan],
                 parent: QWidget | None = None) -> None:
        super().__init__(language, parent)
        self.build = build
        self.setTitle(self.tr("Your training script"))
        self.setSubTitle(self.tr("hpdesk runs this command once per trial, with that trial's "
                                 "hyperparameters. It is never passed to a shell."))
        self.command = named(QLineEdit(), "command", self.tr("Command"))
        self.command.setPlaceholderText("python train.py --lr {lr} --batch-size {batch_size}")
        self.workdir = PathRow("workdir", self.tr("Working folder"), self.tr("Browse…"))
        self.style_descriptions = {
            "template": self.tr("Only the {name} placeholders you write in the command are "
                                "replaced, e.g. python train.py --lr {lr}."),
            "flags": self.tr("Every parameter is added at the end as two arguments: "
                             "--name value."),
            "equals": self.tr("Every parameter is added at the end as one argument: "
                              "--name=value."),
            "hydra": self.tr("Every parameter is added at the end as name=value, the override "
                             "syntax of Hydra."),
            "json": self.tr("The parameters are written to a JSON file and --params FILE is "
                            "added (or write {params_file} where the path should go)."),
            "env": self.tr("Nothing is added: the script reads the parameters as JSON from the "
                           "HPDESK_PARAMS environment variable (hpdesk.sdk.params() does "
                           "this)."),
        }
        style_names = {
            "template": self.tr("Placeholders in the command"),
            "flags": self.tr("Flags: --name value"),
            "equals": self.tr("Flags: --name=value"),
            "hydra": self.tr("Hydra overrides: name=value"),
            "json": self.tr("A JSON file: --params FILE"),
            "env": self.tr("Environment variable HPDESK_PARAMS"),
        }
        self.style_box = named_combo("paramsStyle", self.tr("How parameters are passed"))
        for style in PARAMS_STYLES:
            self.style_box.addItem(style_names.get(style, style), style)
        self.style_note = hint_label()
        self.note = hint_label()
        self.preview = monospace_box("commandPreview", self.tr("Command of one example trial"))
        form = page_form(self)
        form.addRow(self.tr("&Command:"), self.command)
        form.addRow(self.tr("&Working folder:"), self.workdir)
        form.addRow(self.tr("&Parameters:"), self.style_box)
        form.addRow("", self.style_note)
        form.addRow(QLabel(self.tr("One trial will run (example values):")))
        form.addRow(self.preview)
        form.addRow(self.note)
        form.addRow(self.problem_line)
        self.command.textChanged.connect(lambda *_: self.changed())
        self.workdir.edit.textChanged.connect(lambda *_: self.changed())
        self.style_box.currentIndexChanged.connect(lambda *_: self.changed())

    def params_style(self) -> str:
        return str(self.style_box.currentData())

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        self.changed()

    def changed(self) -> None:
        self.style_note.setText(self.style_descriptions.get(self.params_style(), ""))
        plan = None
        if not self.problem():
            try:
                plan = self.build()
            except ValueError:  # PlanError too: a later page's problem; this one is fine
                plan = None
        self.preview.setPlainText(self.command_preview(plan) if plan is not None else "")
        self.note.setText(self._note(plan))
        super().changed()

    def _note(self, plan: Plan | None) -> str:
        if plan is None:
            return ""
        unknown = unused_placeholders(plan)
        if unknown:
            return self.tr("{%1} names no parameter of the plan: the script gets it as written.") \
                .replace("%1", unknown[0])
        if self.params_style() == "template" and "{" not in " ".join(plan.command or ()):
            return self.tr("The command has no {name} placeholders, so the script gets its "
                           "parameters only from the HPDESK_PARAMS environment variable.")
        return ""

    def problem(self) -> str:
        text = self.command.text().strip()
        if not text:
            return self.tr("Type the command that starts your training, for example: "
                           "python train.py --lr {lr}")
        try:
            split_command(text)
        except ValueError as exc:
            return self.tr("The command cannot be split into arguments (%1).") \
                .replace("%1", str(exc))
        issue = path_problem(self.workdir.text(), "folder")
        if issue == "empty":
            return self.tr("Choose the folder the command runs in (where your script is).")
        if issue is not None:
            return self.tr("%1 is not a folder.").replace("%1", self.workdir.text())
        return ""


class MetricsPage(Page):
    """The metric to optimise and its direction; the patterns that read metrics from output,
    checked as they are typed and tried on a sample line."""

    def __init__(self, language: str, parent: QWidget | None = None) -> None:
        super().__init__(language, parent)
        self.setTitle(self.tr("What to optimise"))
        self.setSubTitle(self.tr("hpdesk reads metrics from what your script prints, or from "
                                 "hpdesk.sdk.report() if it uses the SDK."))
        self.metric_edit = named(QLineEdit("val_loss"), "objectiveMetric",
                                 self.tr("Objective metric"))
        self.direction = named_combo("objectiveDirection", self.tr("Objective direction"))
        self.direction.addItem(self.tr("lower is better (minimize)"), "minimize")
        self.direction.addItem(self.tr("higher is better (maximize)"), "maximize")
        self.patterns = named(QPlainTextEdit(), "stdoutPatterns",
                              self.tr("Metric patterns, one regular expression per line"))
        self.patterns.setPlaceholderText(r"epoch (?P<step>\d+) (?P<name>\w+) (?P<value>[\d.]+)")
        self.patterns.setMaximumHeight(90)
        default_note = hint_label(self.tr(
            "Leave empty to read lines such as loss: 0.25 or val_acc=0.9. A pattern needs the "
            "named groups (?P<name>…) and (?P<value>…), and may have (?P<step>…)."))
        self.sample = named(QLineEdit(), "sampleLine", self.tr("A line of your script's output"))
        self.sample.setPlaceholderText("step 3 val_loss: 0.25")
        self.reads = hint_label()
        form = page_form(self)
        form.addRow(self.tr("&Metric to optimise:"), self.metric_edit)
        form.addRow(self.tr("&Direction:"), self.direction)
        form.addRow(self.tr("Metric &patterns:"), self.patterns)
        form.addRow("", default_note)
        form.addRow(self.tr("&Try a line:"), self.sample)
        form.addRow("", self.reads)
        form.addRow(self.problem_line)
        self.metric_edit.textChanged.connect(lambda *_: self.changed())
        self.patterns.textChanged.connect(self.changed)
        self.sample.textChanged.connect(lambda *_: self.changed())

    def pattern_list(self) -> list[str]:
        return [line for line in self.patterns.toPlainText().splitlines() if line.strip()]

    def chosen_direction(self) -> str:
        return str(self.direction.currentData())

    def changed(self) -> None:
        self.reads.setText(self._reads())
        super().changed()

    def _reads(self) -> str:
        line = self.sample.text()
        if not line.strip() or any(pattern_problem(p) for p in self.pattern_list()):
            return ""
        points = StdoutParser(self.pattern_list()).parse_line(line)
        if not points:
            return self.tr("Reads nothing from this line.")
        shown = ", ".join(
            self.tr("%1 = %2 (step %3)").replace("%1", name)
            .replace("%2", "NaN" if value is None else f"{value:g}").replace("%3", str(step))
            for name, step, value in points)
        return self.tr("Reads: %1").replace("%1", shown)

    def problem(self) -> str:
        if not self.metric_edit.text().strip():
            return self.tr("Name the metric to optimise, as your script reports it "
                           "(for example val_loss).")
        for number, pattern in enumerate(self.pattern_list(), start=1):
            issue = pattern_problem(pattern)
            if issue is None:
                continue
            kind, detail = issue
            if kind == "syntax":
                text = self.tr("Pattern %1 is not a valid regular expression (%2).") \
                    .replace("%2", detail)
            elif kind == "value":
                text = self.tr("Pattern %1 has no (?P<value>…) group, so no number can be read.")
            else:
                text = self.tr("Pattern %1 has no (?P<name>…) group, so the metric has no name.")
            return text.replace("%1", str(number))
        return ""
