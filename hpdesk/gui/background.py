"""Work that must not freeze the window (starting a scheduler, stopping, writing files): run on
Qt's thread pool, with the result or the error delivered back on the GUI thread (Anki's
CollectionOp). No error is swallowed: the failure callback gets it as one sentence."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class _Relay(QObject):
    succeeded = Signal(object)
    failed = Signal(str)


class _Job(QRunnable):
    def __init__(self, work: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.work, self.relay = work, relay

    def run(self) -> None:
        try:
            result = self.work()
        except Exception as exc:  # the person sees it; the log keeps the traceback
            log.debug("background work failed", exc_info=True)
            self.relay.failed.emit(f"{exc}" or type(exc).__name__)
        else:
            self.relay.succeeded.emit(result)


class Background(QObject):
    """Owns the relays of running jobs so their signals outlive the caller's stack frame."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._relays: set[_Relay] = set()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)

    def run(self, work: Callable[[], Any], *, success: Callable[[Any], None] | None = None,
            failure: Callable[[str], None] | None = None) -> None:
        relay = _Relay()  # lives on the GUI thread: its signals queue back here
        self._relays.add(relay)

        def done(*_: Any) -> None:
            self._relays.discard(relay)
            relay.deleteLater()

        if success is not None:
            relay.succeeded.connect(success)
        if failure is not None:
            relay.failed.connect(failure)
        relay.succeeded.connect(done)
        relay.failed.connect(done)
        self.pool.start(_Job(work, relay))

    def wait(self, msecs: int = 30_000) -> bool:
        """Wait for running jobs (closing the window, tests)."""
        return self.pool.waitForDone(msecs)
