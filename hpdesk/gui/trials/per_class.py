"""Per-class results of a classification trial (issue 15, item 4, in the window): training against
validation accuracy per class, with each class's samples; the rare classes (at most half the
median class's samples) first and marked, since the guide's section on data asks to compare
their validation results with their training results.

The trial's last values are read from the database and the data's classes counted on the
background pool (`hpdesk.analysis.evidence.per_class_results`, as `hpdesk trials --json` does).
A trial that reported no `train_acc_class_<name>` / `val_acc_class_<name>` gets one sentence.
Opened from the trials table's context menu ("Per-class results…") or Experiment → Per-class
results of the selected trial (Ctrl+Shift+P).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from hpdesk.analysis.class_counts import class_counts, data_of
from hpdesk.analysis.evidence import per_class_results
from hpdesk.gui.base.background import Background
from hpdesk.gui.base.bar_chart import MARKER, BarChart
from hpdesk.gui.base.common import named
from hpdesk.gui.base.inputs import fill
from hpdesk.knowledge.rules_evidence import GAP, class_key
from hpdesk.store import Store

RARE_BACKGROUND = QColor("#fde0c5")
WIDE_GAP = QColor("#b5161b")


@dataclass
class PerClass:
    """What the view shows for one trial: its number, task and per-class rows (empty: none
    reported); `counted`: the data's class counts were read (samples and rarity known)."""

    trial: int
    task: str
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    counted: bool = False


def read_per_class(db_path: str | os.PathLike[str], trial_id: int) -> PerClass:
    """The per-class results of trial `trial_id` (on a pool thread: it opens its own store)."""
    with Store(db_path, must_exist=True, read_only=True) as store:
        trial = store.trial(trial_id)
        experiment = store.experiment(trial.experiment_id)
        values = store.last_values(trial_id)
        plan = experiment.plan
    if not any(name.startswith(("train_acc_class_", "val_acc_class_")) for name in values):
        return PerClass(trial.number, experiment.task)
    data = data_of(plan)
    counts = class_counts(data) if data is not None else None
    # Metric names carry the class as the task writes it (class_key): counts meet them so.
    keyed = {class_key(k): n for k, n in counts.items()} if counts else None
    return PerClass(trial.number, experiment.task, per_class_results(values, keyed),
                    counted=bool(keyed))


def ordered(rows: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Rare classes first, then the widest gap between training and validation, then names."""
    return sorted(rows.items(), key=lambda kv: (not kv[1].get("rare", False),
                                                -(kv[1].get("gap") or 0.0), kv[0]))


class _SortItem(QTableWidgetItem):
    """Sorts by the number in UserRole (missing values last), not by the text."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(Qt.ItemDataRole.UserRole), other.data(Qt.ItemDataRole.UserRole)
        if isinstance(mine, (int, float)) and isinstance(theirs, (int, float)):
            return bool(mine < theirs)
        if mine is None or theirs is None:
            return theirs is None and mine is not None
        return str(mine) < str(theirs)


def _cell(value: Any, text: str) -> QTableWidgetItem:
    item = _SortItem(text)
    item.setData(Qt.ItemDataRole.UserRole, value)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return item


class PerClassView(QWidget):
    """The per-class table above a grouped bar chart, for one trial at a time."""

    def __init__(self, language: str = "en", parent: QWidget | None = None,
                 background: Background | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("perClassView")
        self._lang = language
        self.background = background or Background(self)
        self._asked: tuple[str, int] | None = None
        self.result: PerClass | None = None
        self.title = QLabel()
        self.title.setObjectName("perClassTitle")
        self.title.setWordWrap(True)
        self.note = QLabel()
        self.note.setObjectName("perClassNote")
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        headers = [self.tr("Class"), self.tr("Samples"), self.tr("Training accuracy"),
                   self.tr("Validation accuracy"), self.tr("Gap (points)"), self.tr("Rare")]
        self.table = named(QTableWidget(0, len(headers)), "perClassTable",
                           self.tr("Per-class results"))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(headers)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.chart = named(BarChart(), "perClassChart",
                           self.tr("Training and validation accuracy per class"))
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.chart)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.note)
        layout.addWidget(self.splitter, 1)
        self._show(None)

    def show_trial(self, db_path: str | os.PathLike[str] | None, trial_id: int | None) -> None:
        """Read and show trial `trial_id`'s per-class results (None: ask for a selection)."""
        if db_path is None or trial_id is None:
            self._asked = None
            self._show(None)
            self.note.setText(self.tr("Select a trial of a classification experiment in the "
                                      "trials table, then ask for its per-class results."))
            return
        key = (str(db_path), int(trial_id))
        self._asked = key
        self._show(None)
        self.note.setText(self.tr("Reading the trial's results…"))

        def done(result: object) -> None:
            if isValid(self) and self._asked == key and isinstance(result, PerClass):
                self._show(result)

        def failed(message: str) -> None:
            if isValid(self) and self._asked == key:
                self.note.setText(fill(self.tr("Cannot read the trial: %1"), message))

        self.background.run(lambda: read_per_class(key[0], key[1]), success=done,
                            failure=failed, what=self.tr("Reading the per-class results"))

    def text(self) -> str:
        """What the view says (tests, copying)."""
        return self.title.text() + "\n" + self.note.text()

    def _show(self, result: PerClass | None) -> None:
        self.result = result
        self.table.setSortingEnabled(False)
        self.table.setRowCount(0)
        if result is None:
            self.title.setText("")
            self.chart.set_groups([], [], [], [])
            return
        self.title.setText("<b>" + fill(self.tr("Trial %1: training against validation "
                                                "accuracy per class"), str(result.trial))
                           + "</b>")
        if not result.rows:
            self.table.hide()
            self.chart.hide()
            self.note.setText(fill(self.tr(
                "Trial %1 (%2) reported no per-class accuracy: the built-in classification "
                "task reports train_acc_class_<name> and val_acc_class_<name>, and a script of "
                "your own can report them under the same names."), str(result.trial),
                result.task))
            return
        self.table.show()
        self.chart.show()
        rows = ordered(result.rows)
        rare = [name for name, row in rows if row.get("rare")]
        if not result.counted:
            note = self.tr("The data's class counts could not be read here: samples and rare "
                           "classes are not shown.")
        elif rare:
            note = fill(self.tr("%1 rare: at most half the median class's samples, listed "
                                "first. The tuning guide asks to compare their validation "
                                "results with their training results (Help → Tuning guide: "
                                "Data comes first); gaps of %2 points or more are in "
                                "red."), MARKER, f"{GAP * 100:.0f}")
        else:
            note = self.tr("No class is rare (none has at most half the median class's "
                           "samples). Classes with the widest gap come first.")
        self.note.setText(note)
        self._fill(rows)
        self.chart.set_groups([n for n, _ in rows], [r.get("train_acc") for _, r in rows],
                              [r.get("val_acc") for _, r in rows],
                              [bool(r.get("rare")) for _, r in rows],
                              y_label=self.tr("accuracy"),
                              legend=(self.tr("training"), self.tr("validation")))

    def _fill(self, rows: list[tuple[str, dict[str, Any]]]) -> None:
        def pct(value: Any) -> str:
            return f"{value:.1%}" if isinstance(value, (int, float)) else "–"

        self.table.setRowCount(len(rows))
        bold = QFont(self.table.font())
        bold.setBold(True)
        rare_word = MARKER + " " + self.tr("rare")
        for r, (name, row) in enumerate(rows):
            gap = row.get("gap")
            samples = row.get("samples")
            cells = [_cell(name, name), _cell(samples, "–" if samples is None else str(samples)),
                     _cell(row.get("train_acc"), pct(row.get("train_acc"))),
                     _cell(row.get("val_acc"), pct(row.get("val_acc"))),
                     _cell(gap, "–" if gap is None else f"{gap * 100:+.1f}"),
                     _cell(bool(row.get("rare")), rare_word if row.get("rare") else "")]
            for c, cell in enumerate(cells):
                if c:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if row.get("rare"):
                    cell.setBackground(RARE_BACKGROUND)
                    cell.setFont(bold)
                self.table.setItem(r, c, cell)
            if row.get("rare") and gap is not None and gap >= GAP:
                cells[4].setForeground(WIDE_GAP)
        # Sorting by a header click only: enabling it must not re-sort by an old indicator.
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)


class PerClassDialog(QDialog):
    """The per-class view in a window of its own (not modal)."""

    def __init__(self, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("perClassDialog")
        self.setWindowTitle(self.tr("Per-class results"))
        self.view = PerClassView(language, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        self.resize(760, 560)


def show_per_class(parent: QWidget, db_path: str | os.PathLike[str] | None,
                   trial_id: int | None, language: str) -> PerClassDialog:
    """Open (or raise) the per-class window of `parent` on trial `trial_id`."""
    dialog = parent.findChild(PerClassDialog)
    if dialog is None:
        dialog = PerClassDialog(language, parent)
    dialog.view.show_trial(db_path, trial_id)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


__all__ = ["PerClass", "PerClassDialog", "PerClassView", "ordered", "read_per_class",
           "show_per_class"]
