"""Advice on the plan being edited: each finding of `hpdesk.knowledge.advise`, explained.

Findings are listed most serious first, each with its level, the hyperparameters concerned (links
that emit `parameterActivated`, so the editor can jump to the row), the explanation in the
window's language and its source in the guide or the literature. Problems that keep the plan
from running at all (`set_problems`) come first.

The advice also reads evidence (hpdesk.knowledge.rules_evidence): the class counts of the plan's
data source, counted on the background pool (a folder may hold many files) whenever the source
changes, and what a finished trial of the experiment shown measured (`set_trial_evidence`, or
`show_experiment_evidence` to read it from a database in the background). The data inspector's
file checks (identical files, unreadable ones, images without labels; a detection set's objects
per class) come from one inspection of the data (`inspections`, shared with the data panel),
run by itself for data of at most data_inspection.AUTO_LIMIT files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget
from shiboken6 import isValid

from hpdesk.analysis.class_counts import class_counts, data_of
from hpdesk.analysis.evidence import trial_evidence
from hpdesk.gui.base.background import Background
from hpdesk.gui.base.common import LEVEL_COLORS, LEVEL_ICONS, named
from hpdesk.gui.base.inputs import fill, html_escape
from hpdesk.gui.workbench.data_inspection import (
    DataInspections,
    Inspection,
    inspected_data,
    key_of,
)
from hpdesk.knowledge import Finding, advise
from hpdesk.store import Store


class AdvicePanel(QWidget):
    """Shows the advice for a plan; `set_plan` accepts a `Plan` or its exported dict."""

    parameterActivated = Signal(str)

    def __init__(self, language: str, parent: QWidget | None = None,
                 background: Background | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("advicePanel")
        self._lang = language
        self._findings: list[Finding] = []
        self._problems: list[str] = []
        self.background = background or Background(self)
        self._data: Mapping[str, Any] | None = None  # the plan last advised on
        self._data_key: tuple[str, str] | None = None  # its data source, as counted
        self._counts: dict[str, int] | None = None  # class counts of _data_key's source
        self._trial_evidence: dict[str, Any] = {}
        self._evidence_for: tuple[str, int] | None = None  # the experiment asked for last
        self.inspections = DataInspections(self)  # shared with the data panel
        self.inspections.finished.connect(self._inspected)
        self._inspect_key: tuple[str, str, str] | None = None  # the data inspected for advice
        self._report: Any = None  # its DataReport, once there is one
        self.summary = QLabel()
        self.summary.setObjectName("adviceSummary")
        self.summary.setWordWrap(True)
        self.view = named(QTextBrowser(), "adviceText", self.tr("Advice on the plan"))
        self.view.setOpenLinks(False)
        self.view.setOpenExternalLinks(False)
        self.view.anchorClicked.connect(self._anchor)
        title = QLabel("<b>" + self.tr("Advice") + "</b>")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        self._render()

    def set_plan(self, plan: Any) -> None:
        """Run the advice rules on `plan` (a Plan or its `to_dict()` form) and show the findings;
        when its data source changed, count its classes in the background and advise again."""
        data = plan.to_dict() if hasattr(plan, "to_dict") else plan
        self._data = data if isinstance(data, Mapping) else None
        self._count_classes()
        self._inspect_data()
        self._advise()

    def set_trial_evidence(self, evidence: Mapping[str, Any] | None) -> None:
        """What a finished trial measured (`hpdesk.analysis.evidence`): advise with it too."""
        self._trial_evidence = dict(evidence or {})
        self._advise()

    def show_experiment_evidence(self, db_path: str | os.PathLike[str] | None,
                                 experiment_id: int | None) -> None:
        """Read the evidence of experiment `experiment_id`'s finished trials from the database at
        `db_path` in the background, then advise with it (None: drop the trial evidence)."""
        if db_path is None or experiment_id is None:
            self._evidence_for = None
            self.set_trial_evidence(None)
            return
        key = (str(db_path), int(experiment_id))
        self._evidence_for = key

        def work() -> dict[str, Any]:
            with Store(key[0], must_exist=True, read_only=True) as store:
                return trial_evidence(store, key[1])

        def done(evidence: object) -> None:
            if not isValid(self):  # the window closed while the pool was reading
                return
            if self._evidence_for == key and isinstance(evidence, Mapping):
                self.set_trial_evidence(evidence)

        self.background.run(work, success=done, what=self.tr("Reading the trials' results"))

    def evidence(self) -> dict[str, Any]:
        """The evidence the advice reads now: class counts and the trial's figures (only when
        the trial ran the task of the plan shown: a draft may be for another task)."""
        task = self._trial_evidence.get("task")
        plan_task = self._data.get("task") if self._data is not None else None
        out = dict(self._trial_evidence) if task is None or task == plan_task else {}
        if self._counts:
            out["class_counts"] = dict(self._counts)
        if self._report is not None:  # the file checks; a detection set's objects per class
            found = self._report.evidence()
            if self._counts or not found.get("class_counts"):
                found.pop("class_counts", None)
            out.update(found)
        return out

    def _inspect_data(self) -> None:
        """Ask for the inspection of the plan's data when its source changed (data of at most
        AUTO_LIMIT files; the data panel asks for bigger ones and the report arrives here too)."""
        wanted = inspected_data(self._data)
        key = key_of(*wanted) if wanted is not None else None
        if key == self._inspect_key:
            return
        self._inspect_key, self._report = key, None
        if wanted is not None:
            done = self.inspections.request(*wanted, auto=True)
            self._report = done.report if done is not None else None

    def _inspected(self, inspection: object) -> None:
        if not isValid(self) or not isinstance(inspection, Inspection):
            return
        if inspection.key == self._inspect_key and inspection.report is not None:
            self._report = inspection.report
            self._advise()

    def _advise(self) -> None:
        data = self._data
        self._findings = advise(data, self.evidence() or None) if data is not None else []
        self._render()

    def _count_classes(self) -> None:
        source = data_of(self._data) if self._data is not None else None
        key = (str(source.get("source")), str(source.get("path") or "")) if source else None
        if key == self._data_key:
            return
        self._data_key, self._counts = key, None
        if key is None:
            return

        def done(counts: object) -> None:
            if isValid(self) and self._data_key == key:  # still shown, the same source
                self._counts = counts if isinstance(counts, dict) else None
                self._advise()

        self.background.run(lambda: class_counts(source), success=done,
                            what=self.tr("Counting the samples of each class"))

    def set_problems(self, problems: list[str]) -> None:
        """Problems that keep the plan from running (the editor's), shown above the advice."""
        self._problems = list(problems)
        self._render()

    def findings(self) -> list[Finding]:
        return list(self._findings)

    def text(self) -> str:
        """The panel's text as shown (for tests and copying)."""
        return self.summary.text() + "\n" + self.view.toPlainText()

    def _anchor(self, url: QUrl) -> None:
        if url.scheme() == "param":
            self.parameterActivated.emit(url.path())

    def _level_name(self, level: str) -> str:
        return {"error": self.tr("Error"), "warning": self.tr("Warning"),
                "info": self.tr("Note")}.get(level, level)

    def _summary_text(self) -> str:
        counts = {lvl: sum(f.level == lvl for f in self._findings) for lvl in LEVEL_COLORS}
        parts = []
        if self._problems:
            parts.append(fill(self.tr("%1 problem(s) to fix before the plan can run"),
                              str(len(self._problems))))
        if counts["error"]:
            parts.append(fill(self.tr("%1 error(s)"), str(counts["error"])))
        if counts["warning"]:
            parts.append(fill(self.tr("%1 warning(s)"), str(counts["warning"])))
        if counts["info"]:
            parts.append(fill(self.tr("%1 note(s)"), str(counts["info"])))
        if not parts:
            return self.tr("No findings: no rule of the tuning guide objects to this plan.")
        return ", ".join(parts) + "."

    def _render(self) -> None:
        self.summary.setText(self._summary_text())
        blocks = []
        for text in self._problems:
            blocks.append(self._block("error", self.tr("Cannot run"), html_escape(text), ""))
        for f in self._findings:
            params = ", ".join(f"<a href='param:{html_escape(p)}'>{html_escape(p)}</a>"
                               for p in f.params)
            source = fill(self.tr("Source: %1"), f.source_text(self._lang))
            blocks.append(self._block(f.level, self._level_name(f.level),
                                      html_escape(f.message(self._lang)), html_escape(source),
                                      params))
        if not blocks:
            blocks.append("<p style='color:#777777'>" + html_escape(self.tr(
                "Each change to the plan is checked against the tuning guide (Help → Tuning "
                "guide): "
                "ranges outside its recommendations, settings that clash, values that cannot "
                "train. What it finds is listed here.")) + "</p>")
        self.view.setHtml("".join(blocks))
        self.view.setAccessibleDescription(self.summary.text())

    def _block(self, level: str, title: str, body: str, source: str, params: str = "") -> str:
        color = LEVEL_COLORS.get(level, "#8c8c8c")
        head = (f"<span style='color:{color}; font-weight:bold'>{LEVEL_ICONS.get(level, '')} "
                f"{html_escape(title)}</span>")
        if params:
            head += " &nbsp; " + params
        foot = f"<br><span style='color:#777777; font-size:small'>{source}</span>" if source else ""
        return (f"<table width='100%' cellspacing='0' cellpadding='6' style='margin-bottom:6px'>"
                f"<tr><td width='4' style='background-color:{color}'></td>"
                f"<td>{head}<br>{body}{foot}</td></tr></table>")


__all__ = ["AdvicePanel", "LEVEL_COLORS"]
