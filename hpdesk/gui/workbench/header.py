"""The plan editor's top lines: the plan's name, its objectives, the fine-tuning switch and
(read-only) the data its trials read.

A plan may have several objectives (accuracy against size, say): the first is the one the
header always shows; "Add an objective" adds a line for each further one, and a plan read with
several keeps them all, in order, through every edit."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from hpdesk.gui.base.common import named
from hpdesk.gui.base.inputs import INVALID_STYLE, combo_box
from hpdesk.gui.workbench.data_sources import data_text
from hpdesk.knowledge import preset, tasks
from hpdesk.plan import Plan
from hpdesk.plan.model import Objective


class PlanHeader(QWidget):
    """Name, objective (metric, direction, which value counts) and fine-tuning of a plan.

    `edited()` after each change by the person; `fineTuneToggled(bool)` as well for the switch,
    which moves the recommended learning rate. `extra` goes at the right of the objective line."""

    edited = Signal()
    fineTuneToggled = Signal(bool)
    inspectDataRequested = Signal()  # "Inspect…" beside the data: the data panel

    def __init__(self, extra: QWidget | None = None, parent: QWidget | None = None, *,
                 language: str = "en") -> None:
        super().__init__(parent)
        self._lang = language
        self._loading = False
        self._extra: list[tuple[QLabel, QLineEdit, QComboBox, QComboBox, QPushButton]] = []
        self.name_edit = named(QLineEdit(), "planName", self.tr("Plan name"))
        self.name_edit.setPlaceholderText(self.tr("a name for this experiment"))
        self.metric_edit = named(QLineEdit(), "objectiveMetric", self.tr("Objective metric"),
                                 self.tr("The metric each trial is judged by (as it reports it)"))
        self.direction, self.reduce = self._goal_combos("objective", "")
        self.add_objective = named(QToolButton(), "addObjective", self.tr("Add an objective"),
                                   self.tr("Add an objective: search for the trade-off between "
                                           "several (accuracy against training time, say); the "
                                           "comparison shows their Pareto front"))
        self.add_objective.setText("+")
        self.add_objective.clicked.connect(self._add_clicked)
        self.fine_tune = named(QCheckBox(self.tr("Fine-tuning a pre-trained model")),
                               "planFineTune", self.tr("Fine-tuning a pre-trained model"),
                               self.tr("Fine-tuning lowers the recommended initial learning "
                                       "rate by one to two orders of magnitude (the guide's "
                                       "“Suitable ranges of some hyperparameters”)."))
        # Where the trials read their data: set by the wizard or the plan file (data:), shown
        # here so the Plan tab says what a launch trains on.
        self.data_label = named(QLabel(), "planData", self.tr("Data"))
        self.data_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.data_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.inspect_button = named(
            QPushButton(self.tr("Inspect…")), "inspectDataButton", self.tr("Inspect the data"),
            self.tr("Class counts and balance, identical or unreadable files, image sizes, "
                    "objects' scales: the data as the task reads it (Ctrl+I)"))
        self.inspect_button.clicked.connect(self.inspectDataRequested)
        self.name_edit.textEdited.connect(lambda _t: self.edited.emit())
        self.metric_edit.textEdited.connect(lambda _t: self.edited.emit())
        self._fine_tune_tip = self.fine_tune.toolTip()
        self.fine_tune.toggled.connect(self._toggled)
        grid = self.grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel(self.tr("Name")), 0, 0)
        grid.addWidget(self.name_edit, 0, 1)
        grid.addWidget(self.fine_tune, 0, 2, 1, 2)  # over the objective's combos: no wider
        grid.addWidget(QLabel(self.tr("Objective")), 1, 0)
        grid.addWidget(self.metric_edit, 1, 1)
        grid.addWidget(self.direction, 1, 2)
        last = QHBoxLayout()
        last.setSpacing(2)
        last.addWidget(self.reduce, 1)
        last.addWidget(self.add_objective)
        grid.addLayout(last, 1, 3)
        if extra is not None:
            grid.addWidget(extra, 1, 4)
        grid.addWidget(QLabel(self.tr("Data")), 2, 0)
        data_line = QHBoxLayout()
        data_line.addWidget(self.data_label, 1)
        data_line.addWidget(self.inspect_button)
        grid.addLayout(data_line, 2, 1, 1, 4)
        grid.setColumnStretch(1, 1)

    def set_plan(self, plan: Plan) -> None:
        """Show `plan`'s name, objective and fine-tuning (emitting nothing)."""
        self._loading = True
        try:
            self.name_edit.setText(plan.name)
            self.metric_edit.setText(plan.objective.metric)
            self.direction.setCurrentIndex(
                max(0, self.direction.findData(plan.objective.direction)))
            self.reduce.setCurrentIndex(max(0, self.reduce.findData(plan.objective.reduce)))
            self.fine_tune.setChecked(plan.fine_tune)
            self._offer_fine_tune(plan.task)
            shown = data_text(plan.data, script=plan.command is not None)
            self.data_label.setText(shown)
            self.data_label.setToolTip(shown)
            self.data_label.setAccessibleDescription(shown)
            while self._extra:
                self._remove(self._extra[-1][1])
            for goal in plan.extra_objectives:
                self._add(goal)
        finally:
            self._loading = False

    def _offer_fine_tune(self, task: str) -> None:
        """Fine-tuning only where the task can start from weights (the GAN cannot): disabled,
        with the reason, elsewhere."""
        p = preset(task) if task in tasks() else None
        if p is None or p.can_fine_tune:
            self.fine_tune.setEnabled(True)
            self.fine_tune.setToolTip(self._fine_tune_tip)
            return
        lang = self._lang
        self.fine_tune.setEnabled(self.fine_tune.isChecked())  # a plan that says so can undo it
        self.fine_tune.setToolTip(self.tr("The %1 task cannot start from pre-trained weights: "
                                          "%2.").replace("%1", p.label(lang))
                                  .replace("%2", p.fine_tune_why(lang)))

    def state(self) -> dict[str, Any]:
        """The fields exactly as typed (invalid text too), for `restore_state` in a rebuilt
        window."""
        goals = [(edit.text(), direction.currentData(), reduce.currentData())
                 for edit, direction, reduce in [(self.metric_edit, self.direction, self.reduce),
                                                 *((r[1], r[2], r[3]) for r in self._extra)]]
        return {"name": self.name_edit.text(), "fine_tune": self.fine_tune.isChecked(),
                "goals": goals}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Show `state()`'s fields (after `set_plan` of the same plan), emitting nothing."""
        self._loading = True
        try:
            self.name_edit.setText(state["name"])
            self.fine_tune.setChecked(state["fine_tune"])
            (metric, direction, reduce), *extra = state["goals"]
            self.metric_edit.setText(metric)
            self.direction.setCurrentIndex(max(0, self.direction.findData(direction)))
            self.reduce.setCurrentIndex(max(0, self.reduce.findData(reduce)))
            while self._extra:
                self._remove(self._extra[-1][1])
            for goal in extra:
                self._add(Objective(*goal))
        finally:
            self._loading = False

    def values(self) -> dict[str, Any]:
        """The plan's top-level fields as typed, in the exported form (a list of objectives
        when there are several)."""
        goals = [{"metric": edit.text().strip(), "direction": direction.currentData(),
                  "reduce": reduce.currentData()}
                 for edit, direction, reduce in [(self.metric_edit, self.direction, self.reduce),
                                                 *((r[1], r[2], r[3]) for r in self._extra)]]
        return {"name": self.name_edit.text().strip(), "fine_tune": self.fine_tune.isChecked(),
                "objective": goals if len(goals) > 1 else goals[0]}

    def mark(self, problems: dict[str, str]) -> None:
        """Red border and the problem on the fields named by plan path (`objective.metric`,
        `objective[1].metric`)."""
        rows = [(self.metric_edit, self.direction, self.reduce),
                *((r[1], r[2], r[3]) for r in self._extra)]
        fields: list[tuple[tuple[str, ...], QWidget]] = [(("name",), self.name_edit)]
        for i, widgets in enumerate(rows):
            for part, widget in zip(("metric", "direction", "reduce"), widgets):
                keys = (f"objective[{i}].{part}",) + ((f"objective.{part}",) if i == 0 else ())
                fields.append((keys, widget))
        for keys, widget in fields:
            found = next((problems[k] for k in keys if k in problems), "")
            widget.setStyleSheet(INVALID_STYLE if found else "")
            widget.setAccessibleDescription(found)

    def field_label(self, path: str) -> str | None:
        """The words the header shows for a plan path (`name`, `objective[1].metric`), for
        problem sentences; None for a path outside the header."""
        if path == "name":
            return self.tr("Name")
        if path == "fine_tune":
            return self.tr("Fine-tuning a pre-trained model")
        match = re.fullmatch(r"objective(?:\[(\d+)\])?(?:\.(metric|direction|reduce))?", path)
        if match is None:
            return None
        n = int(match.group(1) or 0) + 1
        goal = self.tr("Objective") if n == 1 else self.tr("Objective %1").replace("%1", str(n))
        part = {"metric": self.tr("metric"), "direction": self.tr("direction"),
                "reduce": self.tr("which value counts")}.get(match.group(2) or "")
        return self.tr("%1, %2").replace("%1", goal).replace("%2", part) if part else goal

    def _goal_combos(self, name: str, which: str) -> tuple[QComboBox, QComboBox]:
        direction = combo_box(f"{name}Direction", (self.tr("Objective direction") + which))
        direction.addItem(self.tr("maximise"), "maximize")
        direction.addItem(self.tr("minimise"), "minimize")
        reduce = combo_box(f"{name}Reduce", self.tr("Which value of the metric counts") + which,
                           self.tr("Judge a trial by the last value it reported or by its "
                                   "best one"))
        reduce.addItem(self.tr("last value"), "last")
        reduce.addItem(self.tr("best value"), "best")
        for box in (direction, reduce):
            box.activated.connect(lambda _i: self.edited.emit())
        return direction, reduce

    def _add_clicked(self) -> None:
        edit = self._add(None)
        edit.setFocus()
        self.edited.emit()

    def _add(self, goal: Objective | None) -> QLineEdit:
        n = len(self._extra) + 2
        which = f" {n}"
        label = QLabel(self.tr("Objective %1").replace("%1", str(n)))
        edit = named(QLineEdit(), f"objectiveMetric{n}", self.tr("Objective metric") + which,
                     self.tr("Another metric each trial is judged by (as it reports it)"))
        edit.setPlaceholderText(self.tr("e.g. val_loss or train_seconds"))
        edit.textEdited.connect(lambda _t: self.edited.emit())
        direction, reduce = self._goal_combos(f"objective{n}", which)
        remove = named(QPushButton(self.tr("Remove")), f"removeObjective{n}",
                       self.tr("Remove objective %1").replace("%1", str(n)))
        remove.clicked.connect(lambda: self._remove_clicked(edit))
        if goal is not None:
            edit.setText(goal.metric)
            direction.setCurrentIndex(max(0, direction.findData(goal.direction)))
            reduce.setCurrentIndex(max(0, reduce.findData(goal.reduce)))
        row = self.grid.rowCount()
        for col, widget in enumerate((label, edit, direction, reduce, remove)):
            self.grid.addWidget(widget, row, col)
        self._extra.append((label, edit, direction, reduce, remove))
        return edit

    def _remove_clicked(self, edit: QLineEdit) -> None:
        self._remove(edit)
        self.edited.emit()

    def _remove(self, edit: QLineEdit) -> None:
        """Drop the objective whose metric field is `edit` (the others keep their values)."""
        row = next(r for r in self._extra if r[1] is edit)
        values = [(r[1].text(), r[2].currentData(), r[3].currentData())
                  for r in self._extra if r is not row]
        for r in self._extra:
            for widget in r:
                self.grid.removeWidget(widget)
                widget.deleteLater()
        self._extra = []
        for metric, direction, reduce in values:  # renumbered: objective 2, 3...
            self._add(Objective(metric, direction, reduce))

    def _toggled(self, checked: bool) -> None:
        if not self._loading:
            self.fineTuneToggled.emit(checked)
            self.edited.emit()
