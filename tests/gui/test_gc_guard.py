"""Python's cycle collector runs on the GUI thread only once the window starts threads: a Qt
object freed by it in the poller's thread deadlocked a test run (hpdesk.gui.base.gc_guard)."""

from __future__ import annotations

import gc
import threading

import pytest
from PySide6.QtCore import QCoreApplication, QObject, Qt

from hpdesk.gui.base.background import Background
from hpdesk.gui.base.gc_guard import collect_on_gui_thread

pytestmark = pytest.mark.usefixtures("qapp")


class _Cycle:
    """Holds a QObject in a reference cycle: only the collector frees it."""

    def __init__(self) -> None:
        self.obj = QObject()
        self.me = self


def test_qt_objects_in_cycles_die_on_the_gui_thread(qtbot) -> None:
    Background()  # what the window makes before its first thread: the guard is on
    assert not gc.isenabled()
    died_on_gui_thread: list[bool] = []
    cycle = _Cycle()
    cycle.obj.destroyed.connect(
        lambda *_: died_on_gui_thread.append(threading.current_thread() is threading.main_thread()),
        Qt.ConnectionType.DirectConnection)
    del cycle
    keep = []
    worker = threading.Thread(target=lambda: keep.extend([[i] for i in range(50_000)]))
    worker.start()  # enough new containers to start a collection, were it automatic
    worker.join()
    assert died_on_gui_thread == []  # the other thread collected nothing
    qtbot.waitUntil(lambda: died_on_gui_thread == [True], timeout=5_000)


def test_the_guard_is_set_once(qtbot) -> None:
    collect_on_gui_thread()
    collect_on_gui_thread()
    collectors = QCoreApplication.instance().findChildren(QObject, "hpdeskGuiThreadCollector")
    assert len(collectors) == 1
