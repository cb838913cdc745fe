"""The "my own script" steps of the new-experiment dialog: the command, the project folder and
whether each trial runs in a folder of its own (how the parameters reach the command is the
next step, hpdesk.gui.wizard.script_arguments); then the metric to optimise, how metrics are
read from the script's output, and a box to try that reading on a few pasted lines."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLineEdit, QPlainTextEdit, QWidget

from hpdesk.gui.base.common import named
from hpdesk.gui.wizard.choices import (
    metric_name,
    path_problem,
    pattern_problem,
    read_output,
    split_command,
)
from hpdesk.gui.wizard.pages import (
    Page,
    PathRow,
    hint_label,
    named_combo,
    page_form,
    warning_label,
)


class ScriptPage(Page):
    """The command line, the project folder it runs from, and where each trial runs."""

    def __init__(self, language: str, parent: QWidget | None = None) -> None:
        super().__init__(language, parent)
        self.setTitle(self.tr("Your training script"))
        self.setSubTitle(self.tr("hpdesk runs this command once per trial, with that trial's "
                                 "hyperparameters. It is never passed to a shell."))
        self.command = named(QLineEdit(), "command", self.tr("Command"))
        self.command.setPlaceholderText("python train.py")
        self.workdir = PathRow("workdir", self.tr("Project folder"), self.tr("Browse…"))
        workdir_note = hint_label(self.tr("The folder your script and its files are in."))
        own_text = self.tr("Run each trial in its own folder")
        self.own_folder = named(QCheckBox(own_text), "ownTrialFolder", own_text)
        self.own_folder.setChecked(True)
        own_about = self.tr("Files the script writes, such as model.pt, stay apart: each trial's "
                            "folder links the project's folders and copies its small files.")
        self.own_folder.setToolTip(own_about)
        self.own_folder.setAccessibleDescription(own_about)
        self.own_note = hint_label()
        form = page_form(self)
        form.addRow(self.tr("&Command:"), self.command)
        form.addRow(self.tr("&Project folder:"), self.workdir)
        form.addRow("", workdir_note)
        form.addRow(self.tr("Trial folders:"), self.own_folder)
        form.addRow("", self.own_note)
        form.addRow(self.problem_line)
        self.command.textChanged.connect(lambda *_: self.changed())
        self.workdir.edit.textChanged.connect(lambda *_: self.changed())
        self.own_folder.toggled.connect(lambda *_: self.changed())
        self._own_about = own_about

    def trial_folder(self) -> str:
        return "own" if self.own_folder.isChecked() else "shared"

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        self.changed()

    def changed(self) -> None:
        self.own_note.setText(self._own_about if self.own_folder.isChecked() else self.tr(
            "Every trial runs in the project folder: trials running at the same time must not "
            "write the same files."))
        super().changed()

    def problem(self) -> str:
        text = self.command.text().strip()
        if not text:
            return self.tr("Type the command that starts your training, for example: "
                           "python train.py")
        try:
            split_command(text)
        except ValueError as exc:
            return self.tr("The command cannot be split into arguments (%1).") \
                .replace("%1", str(exc))
        issue = path_problem(self.workdir.text(), "folder")
        if issue == "empty":
            return self.tr("Choose the project folder: the one your script is in.")
        if issue is not None:
            return self.tr("%1 is not a folder.").replace("%1", self.workdir.text())
        return ""


class MetricsPage(Page):
    """The metric to optimise and its direction; the patterns that read metrics from output,
    checked as they are typed, and tried on a few lines the person pastes."""

    def __init__(self, language: str, parent: QWidget | None = None) -> None:
        super().__init__(language, parent)
        self.setTitle(self.tr("What to optimise"))
        self.setSubTitle(self.tr("hpdesk reads metrics from what your script prints, or from "
                                 "hpdesk.sdk.report() if it uses the SDK."))
        self.metric_edit = named(QLineEdit("val_loss"), "objectiveMetric",
                                 self.tr("Objective metric"))
        self.metric_edit.setToolTip(self.tr("As your script prints it; it may contain spaces, "
                                            "such as valid loss."))
        self.direction = named_combo("objectiveDirection", self.tr("Objective direction"))
        self.direction.addItem(self.tr("lower is better (minimize)"), "minimize")
        self.direction.addItem(self.tr("higher is better (maximize)"), "maximize")
        self.patterns = named(QPlainTextEdit(), "stdoutPatterns",
                              self.tr("Metric patterns, one regular expression per line"))
        self.patterns.setPlaceholderText(
            r"\| (?P<name>valid loss) +(?P<value>[\d.]+)")
        self.patterns.setFixedHeight(self.patterns.fontMetrics().lineSpacing() * 3 + 14)
        default_note = hint_label(self.tr(
            "Leave empty to read the usual formats: loss: 0.25, val_acc=0.9, tables such as "
            "| valid loss 6.62 |, Keras, Lightning and JSON lines. Otherwise one regular "
            "expression per line, with the groups (?P<name>…) and (?P<value>…), and optionally "
            "(?P<step>…) or (?P<epoch>…). For a name that never changes, put the words inside "
            "the name group: (?P<name>valid loss) +(?P<value>[\\d.]+)"))
        default_note.setTextFormat(Qt.TextFormat.PlainText)
        self.sample = named(QPlainTextEdit(), "sampleOutput",
                            self.tr("Some lines of your script's output"))
        self.sample.setPlaceholderText(
            self.tr("Paste a few lines your script prints, for example:")
            + "\n| epoch 1 | loss 6.50\n| end of epoch 1 | valid loss 5.84")
        self.sample.setFixedHeight(self.sample.fontMetrics().lineSpacing() * 4 + 14)
        self.reads = hint_label()
        self.reads.setObjectName("sampleReads")
        self.warning = warning_label("sampleWarning")
        form = page_form(self)
        form.addRow(self.tr("&Metric to optimise:"), self.metric_edit)
        form.addRow(self.tr("&Direction:"), self.direction)
        form.addRow(self.tr("Metric &patterns:"), self.patterns)
        form.addRow("", default_note)
        form.addRow(self.tr("&Try some output:"), self.sample)
        form.addRow("", self.reads)
        form.addRow("", self.warning)
        form.addRow(self.problem_line)
        self.metric_edit.textChanged.connect(lambda *_: self.changed())
        self.patterns.textChanged.connect(self.changed)
        self.sample.textChanged.connect(self.changed)

    def pattern_list(self) -> list[str]:
        return [line for line in self.patterns.toPlainText().splitlines() if line.strip()]

    def chosen_direction(self) -> str:
        return str(self.direction.currentData())

    def changed(self) -> None:
        reads, warning = self._reads()
        self.reads.setText(reads)
        self.warning.setText(warning)
        super().changed()

    def _reads(self) -> tuple[str, str]:
        """What the pasted output gives ("metric: N points, last V" each) and a warning when
        it gives nothing, or not the metric to optimise. Never blocks: the lines may just be
        the wrong ones."""
        text = self.sample.toPlainText()
        if not text.strip() or any(pattern_problem(p) for p in self.pattern_list()):
            return "", ""
        try:
            seen = read_output(self.pattern_list(), text)
        except ValueError:  # a pattern the reader refuses: problem() says why
            return "", ""
        if not seen:
            return "", self.tr("⚠ Reads no metric from these lines: trials would end with no "
                               "objective. Paste lines that print metrics, or check the "
                               "patterns.")
        parts = []
        for name, (count, last) in seen.items():
            value = "NaN" if last is None else f"{last:g}"
            part = (self.tr("%1: 1 point, value %2") if count == 1
                    else self.tr("%1: %3 points, last %2").replace("%3", str(count)))
            parts.append(part.replace("%1", name).replace("%2", value))
        reads = self.tr("Reads: %1").replace("%1", " · ".join(parts))
        metric = metric_name(self.metric_edit.text())
        if not metric or metric in seen:
            return reads, ""
        return reads, self.tr("⚠ None of these lines gives %1, the metric to optimise: trials "
                              "would end with no objective. Seen: %2.") \
            .replace("%1", metric).replace("%2", ", ".join(seen))

    def problem(self) -> str:
        if not self.metric_edit.text().strip():
            return self.tr("Name the metric to optimise, as your script prints it "
                           "(for example val_loss or valid loss).")
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
                text = self.tr("Pattern %1 has no (?P<name>…) group, so the metric has no "
                               "name: put the name the script prints inside one, such as "
                               "(?P<name>valid loss).")
            return text.replace("%1", str(number))
        return ""
