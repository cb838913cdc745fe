"""The data panel: the plan's data as its task reads it, before any model (the guide's section on
data). Class counts as bars (rare classes marked), the imbalance ratio, samples per class
against the number of classes, identical and unreadable files, image sizes; for detection the
objects' scales and objects per image; then the guide's findings, as the advice shows them.

The inspection (`hpdesk.analysis.data_inspect`) runs on the shared `DataInspections` pool, so the
plan's advice gets the same report without reading the folder again. What cannot be read is one
sentence in the panel, in the window's language. Opened from the plan's data line ("Inspect…")
or Experiment → Inspect the plan's data (Ctrl+I), as a window beside the work.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from hpdesk.gui.base.bar_chart import MARKER, BarChart
from hpdesk.gui.base.common import LEVEL_COLORS, LEVEL_ICONS, named
from hpdesk.gui.base.inputs import fill, html_escape
from hpdesk.gui.workbench.data_inspection import (
    DataInspections,
    Inspection,
    inspected_data,
    key_of,
)
from hpdesk.gui.workbench.data_sources import data_text

MAX_ROWS = 5000  # classes listed in the table (the chart draws them all)
MAX_FILES_LISTED = 500  # identical groups, unreadable files listed
RARE_BACKGROUND = QColor("#fde0c5")


def _item(value: Any, text: str | None = None) -> QTableWidgetItem:
    """A read-only cell that sorts by `value` (numbers as numbers)."""
    item = QTableWidgetItem()
    item.setData(Qt.ItemDataRole.DisplayRole, value if text is None else text)
    if text is not None:
        item.setData(Qt.ItemDataRole.UserRole, value)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return item


def _table(name: str, accessible: str, headers: list[str]) -> QTableWidget:
    table = named(QTableWidget(0, len(headers)), name, accessible)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setAlternatingRowColors(True)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for col in range(1, len(headers)):
        header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
    return table


class DataPanel(QWidget):
    """Inspects the data of the plan given to `set_plan` and shows the report."""

    def __init__(self, language: str, inspections: DataInspections | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dataPanel")
        self._lang = language
        self.inspections = inspections or DataInspections(self)
        self.inspections.finished.connect(self._finished)
        self._wanted: tuple[str, dict[str, Any]] | None = None
        self.report: Any = None
        self.source_label = QLabel()
        self.source_label.setObjectName("dataSource")
        self.source_label.setWordWrap(True)
        self.source_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.again_button = named(QPushButton(self.tr("Inspect again")), "inspectAgainButton",
                                  self.tr("Inspect the data again"),
                                  self.tr("Read the data again (after you changed its files)"))
        self.again_button.clicked.connect(self.inspect_again)
        self.status = QLabel()
        self.status.setObjectName("dataStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = QLabel()
        self.summary.setObjectName("dataSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.chart = named(BarChart(), "classCountsChart", self.tr("Samples per class"))
        self.classes = _table("classCountsTable", self.tr("Samples per class"),
                              [self.tr("Class"), self.tr("Samples"), self.tr("Share"),
                               self.tr("Rare")])
        self.classes.setSortingEnabled(True)
        class_split = QSplitter(Qt.Orientation.Horizontal)
        class_split.addWidget(self.chart)
        class_split.addWidget(self.classes)
        class_split.setStretchFactor(0, 3)
        class_split.setStretchFactor(1, 2)
        class_split.setChildrenCollapsible(False)
        class_split.setSizes([540, 400])

        self.sizes = _table("imageSizesTable", self.tr("Image sizes"),
                            [self.tr("Size (width x height)"), self.tr("Images")])
        self.duplicates = named(QListWidget(), "duplicatesList", self.tr("Identical files"))
        self.unreadable = named(QListWidget(), "unreadableList", self.tr("Unreadable files"))
        files = QWidget()
        files_layout = QHBoxLayout(files)
        for title, widget in ((self.tr("Image sizes"), self.sizes),
                              (self.tr("Identical files (one group a line)"), self.duplicates),
                              (self.tr("Files no image reader opens"), self.unreadable)):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(widget)
            files_layout.addWidget(box, 1)

        self.scales_chart = named(BarChart(), "objectScalesChart", self.tr("Object scales"))
        self.objects_label = QLabel()
        self.objects_label.setObjectName("objectsPerImage")
        self.objects_label.setWordWrap(True)
        objects = QWidget()
        objects_layout = QVBoxLayout(objects)
        objects_layout.addWidget(self.objects_label)
        objects_layout.addWidget(self.scales_chart, 1)

        self.findings = named(QTextBrowser(), "dataFindings", self.tr("Findings on the data"))
        self.findings.setOpenLinks(False)
        self.tabs = named(QTabWidget(), "dataTabs", self.tr("Data report"))
        self.tabs.addTab(class_split, self.tr("Classes"))
        self.tabs.addTab(files, self.tr("Files"))
        self.tabs.addTab(objects, self.tr("Objects"))
        self.tabs.addTab(self.findings, self.tr("Findings"))

        top = QHBoxLayout()
        top.addWidget(self.source_label, 1)
        top.addWidget(self.again_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addStretch(0)  # takes the room while the tabs are hidden (nothing to show)
        self._show(None)

    # --- in --------------------------------------------------------------------------------------
    def set_plan(self, plan: Any) -> None:
        """Inspect `plan`'s data (a Plan or its dict) unless it is the data shown already."""
        data = plan.to_dict() if hasattr(plan, "to_dict") else plan
        data = data if isinstance(data, Mapping) else {}
        wanted = inspected_data(data)
        if wanted is not None and self._wanted is not None and \
                key_of(*wanted) == key_of(*self._wanted):
            return
        self._wanted = wanted
        task = str(data.get("task", ""))
        where = data_text(wanted[1] if wanted else data.get("data"),
                          script=bool(data.get("command")))
        self.source_label.setText("<b>" + html_escape(fill(self.tr("%1 data"),
                                                           self._task_name(task)))
                                  + "</b>: " + html_escape(where))
        self.again_button.setEnabled(wanted is not None)
        if wanted is None:
            self._show(None)
            self._say(self.tr("This plan runs your own script, which reads its own data: there "
                              "is nothing to inspect here.") if data.get("command") else
                      fill(self.tr("The %1 task has no data to inspect here: the inspector reads "
                                   "the classification and detection tasks' data."),
                           self._task_name(task)))
            return
        done = self.inspections.request(*wanted)
        if done is not None:
            self._finished(done)
        else:
            self._waiting()

    def inspect_again(self) -> None:
        if self._wanted is not None:
            self.inspections.request(*self._wanted, again=True)
            self._waiting()

    def text(self) -> str:
        """What the panel says (tests, copying)."""
        return "\n".join((self.source_label.text(), self.status.text(), self.summary.text(),
                          self.objects_label.text(), self.findings.toPlainText()))

    # --- out -------------------------------------------------------------------------------------
    def _task_name(self, task: str) -> str:
        return {"classification": self.tr("Classification"),
                "detection": self.tr("Detection")}.get(task, task)

    def _waiting(self) -> None:
        self._show(None)
        self.status.setStyleSheet("")
        self.status.show()
        self.status.setText(self.tr("Inspecting the data… (a large folder takes a while: every "
                                    "file is read once)"))

    def _say(self, sentence: str) -> None:
        self.status.setVisible(bool(sentence))
        self.status.setStyleSheet("color: #b5161b;")
        self.status.setText(sentence)
        self.status.setAccessibleDescription(sentence)

    def _finished(self, inspection: object) -> None:
        if not isValid(self) or not isinstance(inspection, Inspection) or self._wanted is None:
            return
        if inspection.key != key_of(*self._wanted):
            return
        if inspection.report is None:
            self._show(None)
            self._say(self._error(inspection))
            return
        self.status.setStyleSheet("")
        self.status.setText("")
        self.status.hide()
        self._show(inspection.report)

    def _error(self, inspection: Inspection) -> str:
        task, _source, path = inspection.key
        if inspection.kind == "missing":
            return fill(self.tr("%1: no such file or folder."), path or self.tr("(no path)"))
        if inspection.kind == "builtin":
            return self.tr("The detection task's built-in shapes are drawn anew as each trial "
                           "runs, balanced by construction: there is nothing to inspect. A YOLO "
                           "folder (New experiment…) can be inspected.")
        if inspection.kind == "empty":
            return fill(self.tr("%1 holds no image file where the task looks for them (one "
                                "sub-folder per class for classification; images/ for "
                                "detection)."), path)
        if inspection.kind == "not_yolo":
            return fill(self.tr("%1 has no images/ folder: a YOLO data set holds images/ and "
                                "labels/, with or without train/ and val/ inside."), path)
        if inspection.kind == "unreadable":
            return fill(self.tr("%1 cannot be read as the %2 task reads it."), path,
                        self._task_name(task))
        return fill(self.tr("Inspecting the data failed: %1"), inspection.error)

    def _show(self, report: Any) -> None:
        self.report = report
        detection = report is not None and report.task == "detection"
        self.tabs.setTabVisible(2, detection)
        self.tabs.setTabText(0, self.tr("Objects per class") if detection else self.tr("Classes"))
        self.tabs.setVisible(report is not None)
        self.summary.setVisible(report is not None)
        if report is None:
            self.summary.setText("")
            self.chart.set_bars([], [])
            self.classes.setRowCount(0)
            self.sizes.setRowCount(0)
            self.duplicates.clear()
            self.unreadable.clear()
            self.scales_chart.set_bars([], [])
            self.objects_label.setText("")
            self.findings.setHtml("")
            self.tabs.setTabText(3, self.tr("Findings"))
            return
        self.summary.setText(self._summary(report))
        self.summary.setAccessibleDescription(self.summary.text())
        self._show_classes(report)
        self._show_files(report)
        if detection:
            self._show_objects(report)
        self._show_findings(report)

    def _summary(self, report: Any) -> str:
        counts: dict[str, int] = report.classes
        total, n = sum(counts.values()), len(counts)
        word = self.tr("objects") if report.task == "detection" else self.tr("samples")
        lines = [fill(self.tr("%1 classes, %2 %3."), str(n), str(total), word)]
        if report.task == "detection":
            lines.append(fill(self.tr("%1 images, %2 of them without a label file."),
                              str(report.images), str(report.images_without_labels)))
        if report.imbalance_ratio is not None:
            lines.append(fill(self.tr("Imbalance ratio (largest class / smallest): %1."),
                              f"{report.imbalance_ratio:.3g}"))
        if n and report.task == "detection":
            median = statistics.median(counts.values())
            lines.append(fill(self.tr("Objects per class: median %1, against %2 classes."),
                              f"{median:g}", str(n)))
        elif n:
            median = statistics.median(counts.values())
            lines.append(fill(self.tr("Samples per class: median %1, against %2 classes%3."),
                              f"{median:g}", str(n),
                              self.tr(" (fewer than the classes: few-shot)")
                              if median < n else ""))
        rare = report.rare_classes
        if rare:
            names = ", ".join(f"{k} ({v})" for k, v in sorted(rare.items(),
                                                              key=lambda kv: kv[1])[:10])
            more = fill(self.tr(" and %1 more"), str(len(rare) - 10)) if len(rare) > 10 else ""
            lines.append("<span style='color:#a33f00'>" + MARKER + " " + html_escape(fill(
                self.tr("Rare classes (at most half the median class): %1%2."), names, more))
                + "</span>")
        return "<br>".join(line if line.startswith("<span") else html_escape(line)
                           for line in lines)

    def _show_classes(self, report: Any) -> None:
        counts: dict[str, int] = report.classes
        rare = report.rare_classes
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        self.chart.set_bars([k for k, _ in ordered], [v for _, v in ordered],
                            [k in rare for k, _ in ordered], y_label=self.tr("count"))
        total = sum(counts.values()) or 1
        shown = ordered[:MAX_ROWS]
        table = self.classes
        table.setSortingEnabled(False)
        table.setRowCount(len(shown))
        bold = QFont(table.font())
        bold.setBold(True)
        rare_word = MARKER + " " + self.tr("rare")
        for row, (name, count) in enumerate(shown):
            cells = [_item(name), _item(count), _item(count / total, f"{count / total:.1%}"),
                     _item(name in rare, rare_word if name in rare else "")]
            for col, cell in enumerate(cells):
                if name in rare:
                    cell.setBackground(RARE_BACKGROUND)
                    cell.setFont(bold)
                table.setItem(row, col, cell)
        table.horizontalHeader().setSortIndicator(1, Qt.SortOrder.DescendingOrder)
        table.setSortingEnabled(True)  # sorts as shown: most samples first
        table.setToolTip(fill(self.tr("The first %1 of %2 classes, most samples first"),
                              str(MAX_ROWS), str(len(ordered))) if len(ordered) > MAX_ROWS
                         else "")

    def _show_files(self, report: Any) -> None:
        sizes = list(report.image_sizes.items())
        self.sizes.setRowCount(len(sizes[:MAX_FILES_LISTED]))
        for row, (size, n) in enumerate(sizes[:MAX_FILES_LISTED]):
            self.sizes.setItem(row, 0, _item(size))
            self.sizes.setItem(row, 1, _item(n))
        self.duplicates.clear()
        self.duplicates.addItems([" = ".join(g) for g in report.duplicates[:MAX_FILES_LISTED]])
        self.unreadable.clear()
        self.unreadable.addItems(list(report.unreadable[:MAX_FILES_LISTED]))
        for widget, items in ((self.duplicates, report.duplicates),
                              (self.unreadable, report.unreadable)):
            if len(items) > MAX_FILES_LISTED:
                widget.addItem(fill(self.tr("… and %1 more"), str(len(items) - MAX_FILES_LISTED)))
            if not items:
                widget.addItem(self.tr("none found"))
        if not sizes:
            self.sizes.setRowCount(1)
            self.sizes.setItem(0, 0, _item(self.tr("not read (an .npz or built-in data)")
                                           if report.task == "classification" else "-"))

    def _show_objects(self, report: Any) -> None:
        per = report.objects_per_image
        self.objects_label.setText(fill(
            self.tr("Objects per image: mean %1, median %2, max %3. Scale: the side of a box's "
                    "square (the square root of its area) against the image's side."),
            f"{per.get('mean', 0):.3g}", f"{per.get('median', 0):g}", f"{per.get('max', 0):g}"))
        names = {"small": self.tr("small (< 0.1)"), "medium": self.tr("medium (0.1 to 0.3)"),
                 "large": self.tr("large (≥ 0.3)")}
        scales = report.object_scales
        self.scales_chart.set_bars([names.get(k, k) for k in scales], list(scales.values()),
                                   y_label=self.tr("objects"), full_labels=True)

    def _show_findings(self, report: Any) -> None:
        blocks = []
        levels = {"error": self.tr("Error"), "warning": self.tr("Warning"),
                  "info": self.tr("Note")}
        for f in report.findings:
            color = LEVEL_COLORS.get(f.level, "#8c8c8c")
            source = fill(self.tr("Source: %1"), f.source_text(self._lang))
            blocks.append(
                f"<p><span style='color:{color}; font-weight:bold'>{LEVEL_ICONS.get(f.level, '')} "
                f"{html_escape(levels.get(f.level, f.level))}</span><br>"
                f"{html_escape(f.message(self._lang))}<br>"
                f"<span style='color:#777777; font-size:small'>{html_escape(source)}</span></p>")
        if not blocks:
            blocks.append("<p>" + html_escape(self.tr(
                "No finding: no rule of the tuning guide objects to this data.")) + "</p>")
        self.findings.setHtml("".join(blocks))
        self.tabs.setTabText(3, fill(self.tr("Findings (%1)"), str(len(report.findings))))


class DataInspectorDialog(QDialog):
    """The data panel in a window of its own, beside the plan (not modal)."""

    def __init__(self, language: str, inspections: DataInspections | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dataInspectorDialog")
        self.setWindowTitle(self.tr("Inspect the data"))
        self.panel = DataPanel(language, inspections, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel, 1)
        layout.addWidget(buttons)
        self.resize(940, 600)


def show_data_panel(workbench: Any) -> DataInspectorDialog:
    """Open (or raise) the data window for `workbench`'s plan; it follows the plan's edits."""
    dialog = workbench.findChild(DataInspectorDialog)
    if dialog is None:
        dialog = DataInspectorDialog(workbench.language, workbench.advice.inspections, workbench)
        workbench.planChanged.connect(dialog.panel.set_plan)
    plan = workbench.plan() or workbench.editor.last_valid_plan()
    if plan is not None:
        dialog.panel.set_plan(plan)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


__all__ = ["DataInspectorDialog", "DataPanel", "show_data_panel"]
