"""Advice on the plan being edited: each finding of `hpdesk.knowledge.advise`, explained.

Findings are listed most serious first, each with its level, the hyperparameters concerned (links
that emit `parameterActivated`, so the editor can jump to the row), the explanation in the
window's language and its source in the guide or the literature. Problems that keep the plan
from running at all (`set_problems`) come first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from hpdesk.gui.base.common import named
from hpdesk.gui.base.inputs import fill, html_escape
from hpdesk.knowledge import Finding, advise

LEVEL_COLORS = {"error": "#d62728", "warning": "#e08a00", "info": "#1f77b4"}
_ICONS = {"error": "\u2716", "warning": "\u26a0", "info": "\u2139"}


class AdvicePanel(QWidget):
    """Shows the advice for a plan; `set_plan` accepts a `Plan` or its exported dict."""

    parameterActivated = Signal(str)

    def __init__(self, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("advicePanel")
        self._lang = language
        self._findings: list[Finding] = []
        self._problems: list[str] = []
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
        """Run the advice rules on `plan` (a Plan or its `to_dict()` form) and show the findings."""
        data = plan.to_dict() if hasattr(plan, "to_dict") else plan
        self._findings = advise(data) if isinstance(data, Mapping) else []
        self._render()

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
            return self.tr("No findings: every range is within the guide's recommendations.")
        return ", ".join(parts) + "."

    def _render(self) -> None:
        self.summary.setText(self._summary_text())
        blocks = []
        for text in self._problems:
            blocks.append(self._block("error", self.tr("Cannot run"), html_escape(text), ""))
        for f in self._findings:
            params = ", ".join(f"<a href='param:{html_escape(p)}'>{html_escape(p)}</a>"
                               for p in f.params)
            source = fill(self.tr("Source: %1"), f.source)
            blocks.append(self._block(f.level, self._level_name(f.level),
                                      html_escape(f.message(self._lang)), html_escape(source),
                                      params))
        if not blocks:
            blocks.append("<p style='color:#777777'>" + html_escape(self.tr(
                "Each change to the plan is checked against the tuning guide (KNOWLEDGE.md): "
                "ranges outside its recommendations, settings that clash, values that cannot "
                "train. What it finds is listed here.")) + "</p>")
        self.view.setHtml("".join(blocks))
        self.view.setAccessibleDescription(self.summary.text())

    def _block(self, level: str, title: str, body: str, source: str, params: str = "") -> str:
        color = LEVEL_COLORS.get(level, "#8c8c8c")
        head = (f"<span style='color:{color}; font-weight:bold'>{_ICONS.get(level, '')} "
                f"{html_escape(title)}</span>")
        if params:
            head += " &nbsp; " + params
        foot = f"<br><span style='color:#777777; font-size:small'>{source}</span>" if source else ""
        return (f"<table width='100%' cellspacing='0' cellpadding='6' style='margin-bottom:6px'>"
                f"<tr><td width='4' style='background-color:{color}'></td>"
                f"<td>{head}<br>{body}{foot}</td></tr></table>")


__all__ = ["AdvicePanel", "LEVEL_COLORS"]
