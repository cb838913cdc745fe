"""The plan editor's top lines: the plan's name, its objective and the fine-tuning switch."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QLineEdit, QWidget

from hpdesk.gui.common import named
from hpdesk.gui.plan_rows import INVALID_STYLE, combo_box
from hpdesk.plan import Plan


class PlanHeader(QWidget):
    """Name, objective (metric, direction, which value counts) and fine-tuning of a plan.

    `edited()` after each change by the person; `fineTuneToggled(bool)` as well for the switch,
    which moves the recommended learning rate. `extra` goes at the right of the objective line."""

    edited = Signal()
    fineTuneToggled = Signal(bool)

    def __init__(self, extra: QWidget | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self.name_edit = named(QLineEdit(), "planName", self.tr("Plan name"))
        self.name_edit.setPlaceholderText(self.tr("a name for this experiment"))
        self.metric_edit = named(QLineEdit(), "objectiveMetric", self.tr("Objective metric"),
                                 self.tr("The metric each trial is judged by (as it reports it)"))
        self.direction = combo_box("objectiveDirection", self.tr("Objective direction"))
        self.direction.addItem(self.tr("maximise"), "maximize")
        self.direction.addItem(self.tr("minimise"), "minimize")
        self.reduce = combo_box("objectiveReduce", self.tr("Which value of the metric counts"),
                                self.tr("Judge a trial by the last value it reported or by its "
                                        "best one"))
        self.reduce.addItem(self.tr("last value"), "last")
        self.reduce.addItem(self.tr("best value"), "best")
        self.fine_tune = named(QCheckBox(self.tr("Fine-tuning a pre-trained model")),
                               "planFineTune", self.tr("Fine-tuning a pre-trained model"),
                               self.tr("Fine-tuning lowers the recommended initial learning rate "
                                       "by one to two orders of magnitude (KNOWLEDGE.md §5)."))
        self.name_edit.textEdited.connect(lambda _t: self.edited.emit())
        self.metric_edit.textEdited.connect(lambda _t: self.edited.emit())
        self.direction.activated.connect(lambda _i: self.edited.emit())
        self.reduce.activated.connect(lambda _i: self.edited.emit())
        self.fine_tune.toggled.connect(self._toggled)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel(self.tr("Name")), 0, 0)
        grid.addWidget(self.name_edit, 0, 1, 1, 3)
        grid.addWidget(self.fine_tune, 0, 4)
        grid.addWidget(QLabel(self.tr("Objective")), 1, 0)
        grid.addWidget(self.metric_edit, 1, 1)
        grid.addWidget(self.direction, 1, 2)
        grid.addWidget(self.reduce, 1, 3)
        if extra is not None:
            grid.addWidget(extra, 1, 4)
        grid.setColumnStretch(1, 1)

    def set_plan(self, plan: Plan) -> None:
        """Show `plan`'s name, objective and fine-tuning (emitting nothing)."""
        self._loading = True
        try:
            self.name_edit.setText(plan.name)
            self.metric_edit.setText(plan.objective.metric)
            self.direction.setCurrentIndex(max(0, self.direction.findData(plan.objective.direction)))
            self.reduce.setCurrentIndex(max(0, self.reduce.findData(plan.objective.reduce)))
            self.fine_tune.setChecked(plan.fine_tune)
        finally:
            self._loading = False

    def values(self) -> dict[str, Any]:
        """The plan's top-level fields as typed, in the exported form."""
        return {"name": self.name_edit.text().strip(), "fine_tune": self.fine_tune.isChecked(),
                "objective": {"metric": self.metric_edit.text().strip(),
                              "direction": self.direction.currentData(),
                              "reduce": self.reduce.currentData()}}

    def mark(self, problems: dict[str, str]) -> None:
        """Red border and the problem on the fields named by plan path (`objective.metric`)."""
        for key, widget in (("name", self.name_edit), ("objective.metric", self.metric_edit),
                            ("objective.direction", self.direction),
                            ("objective.reduce", self.reduce)):
            widget.setStyleSheet(INVALID_STYLE if key in problems else "")
            widget.setAccessibleDescription(problems.get(key, ""))

    def _toggled(self, checked: bool) -> None:
        if not self._loading:
            self.fineTuneToggled.emit(checked)
            self.edited.emit()
