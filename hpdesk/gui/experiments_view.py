"""The list of experiments in the open database: name, task, state, trials, best."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QTableWidgetItem, QWidget

from hpdesk.gui.common import named, state_label
from hpdesk.knowledge import KnowledgeError, preset
from hpdesk.runner.experiment import ExperimentRow

EXPERIMENT_COLORS = {"running": "#1f77b4", "completed": "#2ca02c", "failed": "#d62728",
                     "stopped": "#8c6d31", "interrupted": "#bcbd22", "created": "#8c8c8c"}


class ExperimentsView(QTableWidget):
    """Selecting a row emits `experimentSelected(id)`; updates keep the selection."""

    experimentSelected = Signal(int)

    def __init__(self, language: str = "en", parent: QWidget | None = None) -> None:
        super().__init__(0, 5, parent)
        self.language = language
        named(self, "experimentsTable", self.tr("Experiments"))
        self.setHorizontalHeaderLabels(
            [self.tr("Experiment"), self.tr("Task"), self.tr("State"), self.tr("Trials"),
             self.tr("Best")])
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        self.setAlternatingRowColors(True)
        self._ids: list[int] = []
        self.itemSelectionChanged.connect(self._emit_selection)

    def selected_id(self) -> int | None:
        rows = self.selectionModel().selectedRows()
        return self._ids[rows[0].row()] if rows else None

    def set_rows(self, rows: list[ExperimentRow]) -> None:
        keep = self.selected_id()
        self.blockSignals(True)
        self.setRowCount(len(rows))
        self._ids = [r.experiment.id for r in rows]
        for i, row in enumerate(rows):
            exp = row.experiment
            created = dt.datetime.fromtimestamp(exp.created_at).strftime("%Y-%m-%d %H:%M")
            done = sum(n for s, n in row.counts.items() if s not in ("queued", "running"))
            cells = [f"#{exp.id} {exp.name}", self._short_task(exp.task), state_label(exp.state),
                     f"{done}/{row.total}", "" if row.best is None else f"{row.best:.4g}"]
            for col, text in enumerate(cells):
                item = self.item(i, col)
                if item is None:
                    item = QTableWidgetItem()
                    self.setItem(i, col, item)
                item.setText(text)
                if col == 0:
                    item.setToolTip(self.tr("Created %1").replace("%1", created))
                elif col == 1:
                    item.setToolTip(self.task_label(exp.task))
            state_item = self.item(i, 2)
            assert state_item is not None
            state_item.setForeground(QColor(EXPERIMENT_COLORS.get(exp.state, "#444444")))
        self.resizeColumnToContents(0)
        if keep in self._ids:
            self.selectRow(self._ids.index(keep))
        self.blockSignals(False)

    def _short_task(self, task: str) -> str:
        """A word that fits the list's column; the preset's full name is its tooltip."""
        short = {"classification": self.tr("Classification"), "detection": self.tr("Detection"),
                 "gan": self.tr("GAN"), "script": self.tr("Script")}
        return short.get(task, task)

    def task_label(self, task: str) -> str:
        try:
            return preset(task).label(self.language)
        except KnowledgeError:  # a task this version does not know (a newer database)
            return task

    def select_experiment(self, experiment_id: int) -> None:
        if experiment_id in self._ids:
            self.selectRow(self._ids.index(experiment_id))


    def _emit_selection(self) -> None:
        chosen = self.selected_id()
        if chosen is not None:
            self.experimentSelected.emit(chosen)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._emit_selection()
