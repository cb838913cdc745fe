"""The list of experiments in the open database: name, state, trials, best and task, with the
person's ways to manage them (rename, archive, delete) as a context menu and keys. The list only
asks: it emits what was requested, and the window does it (hpdesk.gui.actions.experiments)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QFont,
    QKeyEvent,
    QKeySequence,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from hpdesk.gui.base.common import named, state_label
from hpdesk.knowledge import KnowledgeError, preset
from hpdesk.runner.experiment import ExperimentRow

EXPERIMENT_COLORS = {"running": "#1f77b4", "completed": "#2ca02c", "failed": "#d62728",
                     "stopped": "#8c6d31", "interrupted": "#bcbd22", "created": "#8c8c8c"}
ARCHIVED_COLOR = "#808080"
NAME, STATE, TRIALS, BEST, TASK = range(5)
#: Columns given up, in this order, when the list is too narrow to show them beside a readable
#: name; the name and the state always stay (their tooltip tells the rest).
DROP_ORDER = (TASK, BEST, TRIALS)
MIN_NAME_PX = 72


class ExperimentsView(QTableWidget):
    """Selecting a row emits `experimentSelected(id)`; updates keep the selection.

    Signals: `renameRequested(id)` (F2), `archiveRequested(id, archived)`,
    `deleteRequested(id)` (the Delete key): asked from the context menu or the keys, done by
    whoever listens. Archived experiments are listed only after `set_show_archived(True)`."""

    experimentSelected = Signal(int)
    renameRequested = Signal(int)
    archiveRequested = Signal(int, bool)
    deleteRequested = Signal(int)

    def __init__(self, language: str = "en", parent: QWidget | None = None) -> None:
        super().__init__(0, 5, parent)
        self.language = language
        named(self, "experimentsTable", self.tr("Experiments"))
        self.setHorizontalHeaderLabels(
            [self.tr("Experiment"), self.tr("State"), self.tr("Trials"), self.tr("Best"),
             self.tr("Task")])
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(24)
        self.setAlternatingRowColors(True)
        self._rows: list[ExperimentRow] = []  # every experiment, newest first
        self._ids: list[int] = []  # the listed ones, row by row
        self._show_archived = False
        self._build_actions()
        self.itemSelectionChanged.connect(self._emit_selection)
        self.itemSelectionChanged.connect(self._update_actions)

    def _build_actions(self) -> None:
        """The list's own actions: their keys work while the list has the focus (the window's
        Delete and F2 belong to whatever has it), and the Experiment menu shows them too."""
        def action(name: str, text: str, slot: object, key: QKeySequence | None) -> QAction:
            act = QAction(text, self)
            act.setObjectName(name)
            if key is not None:
                act.setShortcut(key)
                act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        self.rename_action = action("renameExperimentAction", self.tr("&Rename…"),
                                    self._request_rename, QKeySequence(Qt.Key.Key_F2))
        self.archive_action = action("archiveExperimentAction", self.tr("&Archive"),
                                     self._request_archive, None)
        self.delete_action = action("deleteExperimentAction", self.tr("&Delete…"),
                                    self._request_delete,
                                    QKeySequence(QKeySequence.StandardKey.Delete))
        self._update_actions()

    # rows ------------------------------------------------------------------------------------
    def selected_id(self) -> int | None:
        rows = self.selectionModel().selectedRows()
        return self._ids[rows[0].row()] if rows else None

    def selected_row(self) -> ExperimentRow | None:
        chosen = self.selected_id()
        return next((r for r in self._rows if r.experiment.id == chosen), None)

    def listed_ids(self) -> list[int]:
        """The experiments shown, top to bottom (archived ones only when asked for)."""
        return list(self._ids)

    def default_id(self) -> int | None:
        """What opening a database shows: a running experiment (the newest running one), else
        the newest; an archived one is never picked unless archived ones are listed."""
        listed = [r for r in self._rows if r.experiment.id in self._ids]
        running = [r for r in listed if r.experiment.state == "running"]
        chosen = running or listed
        return chosen[0].experiment.id if chosen else None

    def set_show_archived(self, show: bool) -> None:
        self._show_archived = show
        self.set_rows(self._rows)

    def set_rows(self, rows: list[ExperimentRow]) -> None:
        keep = self.selected_id()
        self._rows = list(rows)
        shown = [r for r in rows if self._show_archived or not r.experiment.archived]
        self.blockSignals(True)
        self.setRowCount(len(shown))
        self._ids = [r.experiment.id for r in shown]
        for i, row in enumerate(shown):
            self._fill(i, row)
        if keep in self._ids:
            self.selectRow(self._ids.index(keep))
        else:  # gone or hidden: no other experiment takes its row's selection
            self.clearSelection()
        self.blockSignals(False)
        self._fit_columns()
        self._update_actions()

    def _fill(self, i: int, row: ExperimentRow) -> None:
        exp = row.experiment
        done = sum(n for s, n in row.counts.items() if s not in ("queued", "running"))
        best = "" if row.best is None else f"{row.best:.4g}"
        cells = {NAME: f"#{exp.id} {exp.name}", STATE: state_label(exp.state),
                 TRIALS: f"{done}/{row.total}", BEST: best, TASK: self._short_task(exp.task)}
        created = dt.datetime.fromtimestamp(exp.created_at).strftime("%Y-%m-%d %H:%M")
        tip = [cells[NAME], self.task_label(exp.task), self.tr("Created %1").replace("%1", created),
               self.tr("%1: %2").replace("%1", self.tr("Trials")).replace("%2", cells[TRIALS])]
        if best:
            tip.append(self.tr("%1: %2").replace("%1", self.tr("Best")).replace("%2", best))
        if exp.archived:
            tip.append(self.tr("Archived"))
        for col, text in cells.items():
            item = self.item(i, col)
            if item is None:
                item = QTableWidgetItem()
                self.setItem(i, col, item)
            item.setText(text)
            item.setToolTip("\n".join(tip) if col == NAME else
                            self.task_label(exp.task) if col == TASK else text)
            font = QFont(self.font())
            font.setItalic(exp.archived)
            item.setFont(font)
            if col == STATE:
                item.setForeground(QColor(EXPERIMENT_COLORS.get(exp.state, "#444444")))
            elif exp.archived:
                item.setForeground(QColor(ARCHIVED_COLOR))
            else:
                item.setData(Qt.ItemDataRole.ForegroundRole, None)

    def _fit_columns(self) -> None:
        """Every column at its content's width, the name taking the rest; where that leaves the
        name too little room, the task, then the best value, then the trials are hidden (the
        name's tooltip has them). The state is never cut."""
        width = self.viewport().width()
        for col in DROP_ORDER:
            self.setColumnHidden(col, False)
        for col in DROP_ORDER:
            used = sum(self._content_width(c) for c in range(1, self.columnCount())
                       if not self.isColumnHidden(c))
            if width - used >= MIN_NAME_PX:
                break
            self.setColumnHidden(col, True)

    def _content_width(self, col: int) -> int:
        return max(self.sizeHintForColumn(col), self.horizontalHeader().sectionSizeHint(col))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_columns()

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

    # requests ----------------------------------------------------------------------------------
    def _update_actions(self) -> None:
        row = self.selected_row()
        for act in (self.rename_action, self.archive_action, self.delete_action):
            act.setEnabled(row is not None)
        archived = row is not None and row.experiment.archived
        self.archive_action.setText(self.tr("Un&archive") if archived else self.tr("&Archive"))

    def _request_rename(self) -> None:
        chosen = self.selected_id()
        if chosen is not None:
            self.renameRequested.emit(chosen)

    def _request_archive(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.archiveRequested.emit(row.experiment.id, not row.experiment.archived)

    def _request_delete(self) -> None:
        chosen = self.selected_id()
        if chosen is not None:
            self.deleteRequested.emit(chosen)

    def context_menu(self, pos: QPoint) -> QMenu | None:
        """The menu for the row at `pos` (viewport coordinates), which it selects; None off
        the rows."""
        row = self.rowAt(pos.y())
        if row < 0:
            return None
        self.selectRow(row)
        menu = QMenu(self)
        menu.setObjectName("experimentContextMenu")
        for act in (self.rename_action, self.archive_action):
            menu.addAction(act)
        menu.addSeparator()
        menu.addAction(self.delete_action)
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 (Qt's name)
        menu = self.context_menu(event.pos())  # a scroll area's: in viewport coordinates
        if menu is not None:
            menu.exec(event.globalPos())
            menu.deleteLater()

    def _emit_selection(self) -> None:
        chosen = self.selected_id()
        if chosen is not None:
            self.experimentSelected.emit(chosen)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._emit_selection()
