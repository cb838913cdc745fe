"""All the fit-state findings of one trial in a small dialog: the trials table's badge shows
the most urgent one, its tooltip needs a mouse; this reads them all with the keyboard too (the
context menu's "Fit-state findings…", or Enter / a double-click on the badge)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from hpdesk.analysis.diagnose import TrialFinding
from hpdesk.gui.base.common import named
from hpdesk.gui.base.fit_findings import findings_html


class FindingsDialog(QDialog):
    """One trial's findings, most urgent first, each with its step, evidence, next action and
    source, in the window's language."""

    def __init__(self, number: int, found: Sequence[TrialFinding], language: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fitFindingsDialog")
        self.setWindowTitle(self.tr("Fit-state findings of trial %1").replace("%1", str(number)))
        head = QLabel(self.tr("What trial %1's curves show, read by hpdesk; a running trial's "
                              "findings may change as it goes on.").replace("%1", str(number))
                      if found else
                      self.tr("Trial %1's curves show no fit-state finding so far.").replace(
                          "%1", str(number)))
        head.setWordWrap(True)
        self.text = named(QTextBrowser(), "fitFindingsText", self.tr("Fit-state findings"))
        self.text.setOpenLinks(False)
        self.text.setHtml(findings_html(found, language, trial=False) if found else "")
        self.text.setVisible(bool(found))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(head)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(560, 380 if found else 120)


def show_findings(parent: QWidget, number: int, found: Sequence[TrialFinding],
                  language: str) -> FindingsDialog:
    """Open the dialog (not modal: the table and curves stay usable beside it)."""
    dialog = FindingsDialog(number, found, language, parent)
    dialog.setModal(False)
    dialog.show()
    dialog.raise_()
    return dialog


__all__ = ["FindingsDialog", "show_findings"]
