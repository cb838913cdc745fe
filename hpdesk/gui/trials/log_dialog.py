"""A trial's log, read from its end and followed while the trial runs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QFontDatabase, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hpdesk.gui.base.common import named
from hpdesk.runner.capped_log import follow_from

TAIL_BYTES = 256 * 1024


class LogDialog(QDialog):
    def __init__(self, path: Path, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("logDialog")
        self.setWindowTitle(title)
        self.resize(900, 600)
        self.path = path
        self._offset = max(0, path.stat().st_size - TAIL_BYTES)
        layout = QVBoxLayout(self)
        self.text = named(QPlainTextEdit(), "logText", self.tr("Log text"))
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setMaximumBlockCount(20_000)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        external = named(QPushButton(self.tr("Open in editor")), "openLogExternally",
                         self.tr("Open the log file in the system's editor"))
        external.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path))))
        buttons.addButton(external, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.follow)
        self._timer.start()
        self.follow()

    def follow(self) -> None:
        """Append what the trial wrote since the last read."""
        try:
            if self.path.stat().st_size < self._offset:  # cut by the trial's log limit
                self._offset = follow_from(self.path, self._offset)
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                data = fh.read(TAIL_BYTES)
        except OSError:
            return
        if data:
            self._offset += len(data)
            self.text.moveCursor(QTextCursor.MoveOperation.End)
            self.text.insertPlainText(data.decode("utf-8", "replace"))
            self.text.moveCursor(QTextCursor.MoveOperation.End)
