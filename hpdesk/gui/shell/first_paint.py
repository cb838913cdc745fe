"""Run something once the window has painted for the first time: the window shows at once and
the slow parts (opening the database, loading the plotting library) follow a moment later."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget


class FirstPaint(QObject):
    """Calls `callback` on the event loop's next turn after `window` first paints, then stops
    listening. It watches the window alone: a filter on the whole application would see every
    event and slow the very start-up it serves."""

    def __init__(self, callback: Callable[[], None], window: QWidget) -> None:
        super().__init__(window)
        self.callback, self.window = callback, window
        self.done = False
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if not self.done and event.type() == QEvent.Type.Paint:
            self.done = True
            self.window.removeEventFilter(self)
            QTimer.singleShot(0, self.callback)
        return False
