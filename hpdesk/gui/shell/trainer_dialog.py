"""Settings → Trainer Python: which interpreter runs the schedulers and trials, and why one
would change it. Trials import torch; the Python this window runs in may not have it (or, in
a bundled app, there is no Python of its own), so trials may need another interpreter.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hpdesk.gui.base.common import named
from hpdesk.gui.base.settings import Settings


def in_use(settings: Settings) -> str:
    """The interpreter trials start with now: the chosen one, else this window's Python."""
    chosen = str(settings.get("trainer_python") or "")
    if chosen:
        return chosen
    return "" if getattr(sys, "frozen", False) else sys.executable


class TrainerPythonDialog(QDialog):
    """Shows the Python in use and lets the person choose another (or go back to this one)."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setObjectName("trainerPythonDialog")
        self.setWindowTitle(self.tr("Trainer Python"))
        current = in_use(settings)
        self.current = named(QLabel(), "trainerPythonCurrent", self.tr("Python in use"))
        self.current.setText(self.tr("Trials now run with: %1").replace(
            "%1", current or self.tr("none chosen yet")))
        self.current.setWordWrap(True)
        why = named(QLabel(self.tr(
            "Each trial imports torch (and hpdesk). The Python this window runs in may not have "
            "torch, or not the build for your GPU; choose one that does, for example the "
            "python of your training environment.")), "trainerPythonWhy",
            self.tr("Why choose another Python"))
        why.setWordWrap(True)
        self.edit = named(QLineEdit(str(settings.get("trainer_python") or "")),
                          "trainerPythonEdit", self.tr("Trainer Python path"))
        self.edit.setPlaceholderText(sys.executable if not getattr(sys, "frozen", False)
                                     else "")
        browse = named(QPushButton(self.tr("Browse…")), "trainerPythonBrowse",
                       self.tr("Browse for a Python"))
        browse.clicked.connect(self._browse)
        self.reset = named(QPushButton(self.tr("Use this window's Python")),
                           "trainerPythonReset", self.tr("Use this window's Python"))
        self.reset.setEnabled(not getattr(sys, "frozen", False))
        self.reset.clicked.connect(self.edit.clear)
        self.problem = named(QLabel(), "trainerPythonProblem", self.tr("Problem"))
        self.problem.setStyleSheet("color: #b00020")
        self.problem.setWordWrap(True)
        self.problem.hide()  # shown with a problem only
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.setObjectName("trainerPythonButtons")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        row.addWidget(browse)
        layout = QVBoxLayout(self)
        for widget in (self.current, why):
            layout.addWidget(widget)
        layout.addLayout(row)
        layout.addWidget(self.reset)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())

    def _browse(self) -> None:
        from hpdesk.gui.base import file_dialogs

        text = self.edit.text().strip()
        chosen = file_dialogs.open_file(self, "trainer", self.tr("Python that runs the trials"),
                                        here=Path(text) if text else None,
                                        fallback=Path(sys.executable).parent)
        if chosen is not None:
            self.edit.setText(str(chosen))

    def accept(self) -> None:
        """Keep the choice; a path that is not a file is said, not saved."""
        text = self.edit.text().strip()
        if text and not Path(text).expanduser().is_file():
            self.problem.setText(self.tr("There is no file %1.").replace("%1", text))
            self.problem.show()
            return
        self.settings.set("trainer_python", str(Path(text).expanduser()) if text else "")
        super().accept()


__all__ = ["TrainerPythonDialog", "in_use"]
