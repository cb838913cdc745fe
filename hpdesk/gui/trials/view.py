"""The trials table widget: the table with sorting, a filter line, a state filter, progress bars,
and a context menu whose actions are signals carrying trial ids (the window wires them to the
scheduler control and the curves). Copying parameters happens here: it needs only the table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QGuiApplication,
    QKeySequence,
    QPainter,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hpdesk.gui.base.common import named, state_icon
from hpdesk.gui.trials.columns import column_widths
from hpdesk.gui.trials.model import PROGRESS_ROLE, TRIAL_ID_ROLE, TrialsModel
from hpdesk.gui.trials.proxy import TrialsProxy
from hpdesk.store import Trial
from hpdesk.store.records import FINISHED_STATES, TRIAL_STATES

STOPPABLE = frozenset({"running", "queued"})
RERUNNABLE = FINISHED_STATES | {"interrupted"}
MAX_LOGS = 3  # log windows one click opens


class ProgressDelegate(QStyledItemDelegate):
    """Draws a progress bar where the cell has a share done (PROGRESS_ROLE), text as usual
    elsewhere."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        fraction = index.data(PROGRESS_ROLE)
        if fraction is None:
            super().paint(painter, option, index)
            return
        item = QStyleOptionViewItem(option)
        self.initStyleOption(item, index)
        widget = option.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, item, painter, widget)
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(3, 3, -3, -3)  # type: ignore[attr-defined]
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = round(float(fraction) * 1000)
        bar.text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        bar.textVisible = True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        bar.state = option.state | QStyle.StateFlag.State_Horizontal  # type: ignore[attr-defined]
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, widget)


class TrialsView(QWidget):
    """The table, a filter line and a state filter. Signals carry trial ids (plain ints)."""

    selectionChanged = Signal(list)      # ids of the selected trials
    stopRequested = Signal(list)         # ids of selected trials that are running or queued
    rerunRequested = Signal(list)        # ids of selected trials that have ended
    openLogRequested = Signal(list)      # ids of selected trials (at most 3) that have a log
    showInPlotRequested = Signal(list)   # ids to show in the curves
    parametersCopied = Signal(list)      # ids whose parameters went to the clipboard
    perClassRequested = Signal(int)      # the trial whose per-class results to show

    def __init__(self, language: str, parent: QWidget | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self.model = TrialsModel(language, clock=clock, parent=self)
        self.proxy = TrialsProxy(self)
        self.proxy.setSourceModel(self.model)

        self.filter_edit = named(QLineEdit(), "trialFilter", self.tr("Filter trials"))
        self.filter_edit.setPlaceholderText(self.tr("Filter: words, or conditions such as "
                                                    "lr>0.01 batch_size<=64"))
        self._filter_tip = self.tr(
            "Words must appear in the row; name<value, name>=value, name=value compare a "
            "parameter, objective, best, progress, number or state.")
        self.filter_edit.setToolTip(self._filter_tip)
        self.state_combo = named(QComboBox(), "trialStateFilter", self.tr("Show trials in state"))
        self.state_combo.addItem(self.tr("All states"), None)
        for state in TRIAL_STATES:
            self.state_combo.addItem(state_icon(state), self.model.state_names[state], state)
        self.count = QLabel()
        self.count.setObjectName("trialCount")

        self.table = named(QTableView(), "trialsTable", self.tr("Trials"))
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(
            self.table.fontMetrics().height() + 10)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setHighlightSections(False)
        self.table.setItemDelegate(ProgressDelegate(self.table))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        copy = QAction(self.tr("Copy parameters"), self.table)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        copy.triggered.connect(lambda: self._copy(self.selected_ids()))
        self.table.addAction(copy)
        self.table.activated.connect(self._activated)  # Enter or a double-click
        self._findings_dialog: QWidget | None = None

        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.state_combo)
        top.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

        self.filter_edit.textChanged.connect(self._filter_changed)
        self.state_combo.currentIndexChanged.connect(self._state_changed)
        self.table.selectionModel().selectionChanged.connect(
            lambda *_: self.selectionChanged.emit(self.selected_ids()))
        for sig in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset,
                    self.proxy.layoutChanged):
            sig.connect(self._update_count)
        self._plan: dict[str, Any] = {}
        self._restoring: tuple[list[int], int] | None = None  # restore_view_state's, pending
        self._reveal: list[int] = []  # trial ids to select once they arrive (reveal_trials)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._update_count()

    # --- data in ---------------------------------------------------------------------------------
    def set_plan(self, plan: dict[str, Any]) -> None:
        """Columns for `plan`, each as wide as any value the plan lets it hold (not as the
        trials of the first poll happen to be): the same widths at every launch."""
        self.model.set_plan(plan)
        self._plan = dict(plan)
        self._reveal = []  # re-runs asked for in another experiment
        self._fit_columns()

    def set_trials(self, trials: Sequence[Trial]) -> None:
        self.model.set_trials(trials)
        if self._reveal:
            self._reveal_arrived()
        self._fit_reruns()

    def set_findings(self, findings: Mapping[int, Sequence[Any]]) -> None:
        """Every trial's fit-state findings (hpdesk.gui.base.fit_findings): their badges."""
        self.model.set_findings(findings)  # type: ignore[arg-type]

    def show_findings(self, trial_id: int) -> QWidget | None:
        """The dialog listing all of a trial's fit-state findings (one open at a time)."""
        from hpdesk.gui.trials.findings import show_findings

        trial = self.model.trial_by_id(trial_id)
        if trial is None:
            return None
        if self._findings_dialog is not None:
            self._findings_dialog.close()
        self._findings_dialog = show_findings(self, trial.number,
                                              self.model.findings_of(trial_id), self.model.lang)
        return self._findings_dialog

    def _open_findings(self, trial_id: int) -> None:
        self.show_findings(trial_id)

    def _activated(self, index: QModelIndex) -> None:
        source = self.proxy.mapToSource(index)
        if source.isValid() and self.model.column_key(source.column()) == "fit":
            self._open_findings(int(index.data(TRIAL_ID_ROLE)))

    def set_latest(self, latest: dict[int, dict[str, float]]) -> None:
        self.model.set_latest(latest)

    # --- selection -------------------------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        rows = self.table.selectionModel().selectedRows()
        return [self.model.trial(self.proxy.mapToSource(i).row()).id
                for i in sorted(rows, key=lambda i: i.row())]

    def select_trials(self, ids: Sequence[int]) -> None:
        """Select these trials, in one selection change (those the filters hide are left out)."""
        rows = sorted(at.row() for tid in set(ids)
                      if (source := self.model.row_of(tid)) is not None
                      and (at := self.proxy.mapFromSource(self.model.index(source, 0))).isValid())
        selection = QItemSelection()
        start = 0
        for i in range(1, len(rows) + 1):  # one range per run of adjacent rows
            if i == len(rows) or rows[i] != rows[i - 1] + 1:
                selection.select(self.proxy.index(rows[start], 0),
                                 self.proxy.index(rows[i - 1], 0))
                start = i
        sel = self.table.selectionModel()
        sel.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect
                   | QItemSelectionModel.SelectionFlag.Rows)

    def reveal_trials(self, ids: Sequence[int]) -> None:
        """Select these trials and scroll to them once they are in the table: a re-run is
        queued now and appears at a later poll (DESIGN.md: the table follows the database)."""
        self._reveal = list(ids)
        self._reveal_arrived()

    def _reveal_arrived(self) -> None:
        here = [i for i in self._reveal if self.model.row_of(i) is not None]
        if not here:
            return
        self.select_trials(here)
        # Once the table has laid out the new rows (its scroll range grows after this event).
        QTimer.singleShot(0, self, lambda: self._scroll_to(here[0]))
        if len(here) == len(self._reveal):
            self._reveal = []

    def _scroll_to(self, trial_id: int) -> None:
        row = self.model.row_of(trial_id)
        shown = self.proxy.mapFromSource(self.model.index(row, 0)) if row is not None else None
        if shown is not None and shown.isValid():
            self.table.scrollTo(shown, QAbstractItemView.ScrollHint.EnsureVisible)

    def _fit_reruns(self) -> None:
        """Widen the number column once it shows re-runs ("12 ↻ 7"); it never narrows."""
        col = self.model.column_of("number")
        count = self.model.rowCount()
        if col < 0 or not any(self.model.trial(r).retry_of is not None for r in range(count)):
            return
        widest = str(max(self.model.trial(r).number for r in range(count)))
        header = self.table.horizontalHeader()
        want = self.table.fontMetrics().horizontalAdvance(f"{widest} ↻ {widest}") + 16
        if header.sectionSize(col) < want:
            header.resizeSection(col, want)

    # --- view state ------------------------------------------------------------------------------
    def view_state(self) -> dict[str, Any]:
        """The selection, the filters, the sort and the scroll position, as plain data for
        `restore_view_state` in a rebuilt window (another language)."""
        header = self.table.horizontalHeader()
        return {"selected": self.selected_ids(), "filter": self.filter_edit.text(),
                "state": self.state_combo.currentData(),
                "sort": (header.sortIndicatorSection(), header.sortIndicatorOrder().value),
                "scroll": self.table.verticalScrollBar().value()}

    def restore_view_state(self, state: dict[str, Any]) -> None:
        """Show `view_state()`'s choices for the same experiment, shown again (after
        `set_plan`): the filters and sort at once, the selection and scroll position as the
        trials arrive."""
        self.filter_edit.setText(str(state.get("filter", "")))
        self.state_combo.setCurrentIndex(max(0, self.state_combo.findData(state.get("state"))))
        column, order = state.get("sort", (0, Qt.SortOrder.AscendingOrder.value))
        self.table.sortByColumn(int(column), Qt.SortOrder(order))
        if self._restoring is None:
            for signal in self._restore_signals():
                signal.connect(self._restore_arrived)
        self._restoring = ([int(i) for i in state.get("selected", ())],
                           int(state.get("scroll", 0)))
        self._restore_arrived()

    def _restore_signals(self) -> list[Any]:
        # The proxy brings new rows in with a layout change (trials/proxy.py), not rowsInserted.
        return [self.proxy.layoutChanged, self.proxy.modelReset,
                self.table.verticalScrollBar().rangeChanged]

    def _restore_arrived(self, *_: object) -> None:
        """The restored selection once the trials are in; the scroll position once the rows
        that reach it are laid out (then no more)."""
        if self._restoring is None or self.proxy.rowCount() == 0:
            return
        selected, scroll = self._restoring
        if selected:
            self.select_trials(selected)
            self._restoring = ([], scroll)
        bar = self.table.verticalScrollBar()
        if bar.maximum() >= scroll:
            bar.setValue(scroll)
            self._restoring = None
            for signal in self._restore_signals():
                signal.disconnect(self._restore_arrived)

    # --- actions ---------------------------------------------------------------------------------
    def menu_for(self, ids: Sequence[int]) -> QMenu:
        """The context menu for these trials; actions that make no sense are disabled."""
        trials = [t for t in (self.model.trial_by_id(i) for i in ids) if t is not None]
        stoppable = [t.id for t in trials if t.state in STOPPABLE]
        ended = [t.id for t in trials if t.state in RERUNNABLE]  # not paused PBT members
        all_ids = [t.id for t in trials]
        menu = QMenu(self)
        menu.setObjectName("trialsMenu")

        def add(name: str, text: str, enabled: bool, slot: Callable[[], None]) -> None:
            action = menu.addAction(text)
            action.setObjectName(name)
            action.setEnabled(enabled)
            action.triggered.connect(slot)

        add("stopAction", self.tr("Stop"), bool(stoppable),
            lambda: self.stopRequested.emit(stoppable))
        add("rerunAction", self.tr("Run again with the same parameters"), bool(ended),
            lambda: self.rerunRequested.emit(ended))
        menu.addSeparator()
        add("copyAction", self.tr("Copy parameters"), bool(all_ids),
            lambda: self._copy(all_ids))
        logged = [t.id for t in trials if t.log_path][:MAX_LOGS]
        add("openLogAction", self.tr("Open log"), bool(logged),
            lambda: self.openLogRequested.emit(logged))
        add("plotAction", self.tr("Show in plot"), bool(all_ids),
            lambda: self.showInPlotRequested.emit(all_ids))
        add("perClassAction", self.tr("Per-class results…"), len(all_ids) == 1,
            lambda: self.perClassRequested.emit(all_ids[0]))
        add("fitFindingsAction", self.tr("Fit-state findings…"), len(all_ids) == 1,
            lambda: self._open_findings(all_ids[0]))
        return menu

    def copy_parameters(self, ids: Sequence[int]) -> str:
        """The parameters of these trials as JSON on the clipboard (one trial: its parameters;
        several: a list of {trial, params}); returns the text."""
        trials = [t for t in (self.model.trial_by_id(i) for i in ids) if t is not None]
        if not trials:
            return ""
        if len(trials) == 1:
            text = json.dumps(trials[0].params, indent=2)
        else:
            text = json.dumps([{"trial": t.number, "params": t.params} for t in trials], indent=2)
        QGuiApplication.clipboard().setText(text)
        self.parametersCopied.emit([t.id for t in trials])
        return text

    # --- internals -------------------------------------------------------------------------------
    def _copy(self, ids: Sequence[int]) -> None:
        self.copy_parameters(ids)

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if index.isValid() and index.data(TRIAL_ID_ROLE) not in self.selected_ids():
            self.select_trials([int(index.data(TRIAL_ID_ROLE))])
        ids = self.selected_ids()
        if ids:
            self.menu_for(ids).exec(self.table.viewport().mapToGlobal(pos))

    def _filter_changed(self, text: str) -> None:
        self.proxy.set_text_filter(text)
        self._update_count()

    def _state_changed(self, _index: int) -> None:
        self.proxy.set_state_filter(self.state_combo.currentData())
        self._update_count()

    def _update_count(self, *_: object) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        text = (self.tr("%1 trials") if shown == total else self.tr("%1 of %2 trials"))
        text = text.replace("%1", str(shown)).replace("%2", str(total))
        problem = self.proxy.filter_problem()  # a malformed filter says why it shows nothing
        self.filter_edit.setProperty("problem", problem)
        self.filter_edit.setStyleSheet("QLineEdit { border: 2px solid #d62728; }" if problem
                                       else "")
        self.filter_edit.setToolTip(problem or self._filter_tip)
        self.count.setStyleSheet("color: #b5161b;" if problem else "")
        self.count.setText(f"{text} · {problem}" if problem else text)

    def _fit_columns(self) -> None:
        header = self.table.horizontalHeader()
        for col, width in enumerate(column_widths(self.model, self._plan, self.table.font(),
                                                  header.font())):
            header.resizeSection(col, width)

    def _tick(self) -> None:
        if any(self.model.trial(r).state == "running" for r in range(self.model.rowCount())):
            self.model.refresh_times()
