"""Python's cyclic garbage collector, run on the GUI thread only.

The window runs Python in other threads: the poller, background jobs. When the collector
happens to run in one of them and frees a Qt object caught in a reference cycle (a closed
dialog, a pyqtgraph item taken off a plot, its menus), the object's destructor runs in that
thread. Qt objects must be destroyed in their own thread, and a destructor that needs the
interpreter while the GUI thread waits on the same Qt lock deadlocks: a test run hung that way
in ~QMenu, the poller's thread collecting a plot left by an earlier test. pyqtgraph documents the
remedy (`pyqtgraph.util.GarbageCollector`): automatic collection off, and the GUI thread collects
on a timer, generation by generation as Python's own thresholds would.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

INTERVAL_MS = 500  # how often the GUI thread looks (a generation 0 of 700 objects fills fast)


class _Collector(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.setObjectName("hpdeskGuiThreadCollector")
        self._threshold = gc.get_threshold()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect)
        self._timer.start(INTERVAL_MS)

    def collect(self) -> None:
        counts, limits = gc.get_count(), self._threshold
        generation = -1
        for g in range(3):
            if counts[g] <= limits[g]:
                break
            generation = g
        if generation >= 0:
            gc.collect(generation)


def collect_on_gui_thread() -> None:
    """From now on only the GUI thread collects cycles (idempotent; call it on the GUI thread
    before starting a thread that runs Python)."""
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        return
    if app.findChild(_Collector, "hpdeskGuiThreadCollector") is None:
        _Collector(app)
        gc.disable()
