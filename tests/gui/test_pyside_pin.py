"""PLATFORM.md: PySide6 6.12.0 on CPython 3.11 drops a reference to True on every Signal.emit()
and aborts the process after a few thousand. The constraints pin PySide6-Essentials below 6.12;
this test fails if a build with that bug comes back (while we support 3.11)."""

from __future__ import annotations

import sys

from PySide6 import QtCore  # a dependency: missing, the test fails (it never skips)


class _Emitter(QtCore.QObject):
    changed = QtCore.Signal(bool)


def test_emitting_thousands_of_signals_keeps_the_refcount_of_true() -> None:
    app = QtCore.QCoreApplication.instance() or QtCore.QCoreApplication([])
    emitter = _Emitter()
    count = [0]

    def received(value: bool) -> None:  # keeps no reference to the value it gets
        count[0] += value

    emitter.changed.connect(received)
    before = sys.getrefcount(True)
    for _ in range(5000):
        emitter.changed.emit(True)
    app.processEvents()
    assert count[0] == 5000
    # Immortal on 3.12+ (a huge constant); on 3.11 a leak shows as a steady fall.
    assert sys.getrefcount(True) >= before - 50
