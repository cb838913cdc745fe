"""Work that must not freeze the window (starting a scheduler, stopping, writing files): run on
Qt's thread pool, with the result or the error delivered back on the GUI thread (Anki's
CollectionOp). No error is swallowed: the traceback goes to the log at ERROR (the window's log
file, see hpdesk.gui.shell.app.setup_logging), the failure callback gets the error as one sentence,
and `Background.failed` carries one line for the person ("Stop failed: database is locked"),
which the main window shows in its status bar. A success or failure callback that raises is
treated the same way."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from hpdesk.gui.base.gc_guard import collect_on_gui_thread

log = logging.getLogger(__name__)
MAX_LINE = 200  # characters of an error shown in the status bar


def one_line(exc: BaseException) -> str:
    """An exception as one short line: its first line of text, with the type's name where the
    text alone says little (a KeyError's text is just the key)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else ""
    plain = type(exc).__module__ == "builtins" and not isinstance(
        exc, (OSError, ValueError, RuntimeError))
    if not text or plain:
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= MAX_LINE else text[:MAX_LINE - 1] + "…"


def _name(work: Callable[..., Any], what: str | None) -> str:
    return what or getattr(work, "__qualname__", None) or type(work).__name__


class _Relay(QObject):
    succeeded = Signal(object)
    failed = Signal(str)


class _Job(QRunnable):
    def __init__(self, work: Callable[[], Any], relay: _Relay, what: str | None) -> None:
        super().__init__()
        self.work, self.relay, self.what = work, relay, what

    def run(self) -> None:
        try:
            result = self.work()
        except Exception as exc:  # the person sees one line; the log keeps the traceback
            log.error("background job failed: %s", _name(self.work, self.what), exc_info=True)
            self.relay.failed.emit(one_line(exc))
        else:
            self.relay.succeeded.emit(result)


class Background(QObject):
    """Owns the relays of running jobs so their signals outlive the caller's stack frame.

    Signals: `failed(str)`: one line saying what failed and why, on the GUI thread, for every
    job that raised (its failure callback, if any, is called too)."""

    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        collect_on_gui_thread()  # jobs run Python in pool threads: no Qt object may die there
        self._relays: set[_Relay] = set()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)

    def run(self, work: Callable[[], Any], *, success: Callable[[Any], None] | None = None,
            failure: Callable[[str], None] | None = None, what: str | None = None) -> None:
        """Run `work()` on the pool; `success(result)` or `failure(message)` on the GUI thread.
        `what` names the job for the person in a few words, already translated ("Stop")."""
        relay = _Relay()  # lives on the GUI thread: its signals queue back here

        def done() -> None:
            self._relays.discard(relay)
            relay.deleteLater()

        def succeeded(result: Any) -> None:
            done()
            if success is not None:
                self._call(success, result, what)

        def failed(message: str) -> None:
            done()
            self._tell(what, message)
            if failure is not None:
                self._call(failure, message, what)

        self._relays.add(relay)
        relay.succeeded.connect(succeeded)
        relay.failed.connect(failed)
        self.pool.start(_Job(work, relay, what))

    def _call(self, callback: Callable[[Any], None], value: Any, what: str | None) -> None:
        """A callback on the GUI thread: if it raises, logged and said like a failed job (an
        exception must not escape into Qt's event loop, where it would only be printed)."""
        try:
            callback(value)
        except Exception as exc:
            log.error("handling the result of a background job failed: %s",
                      _name(callback, what), exc_info=True)
            self._tell(what, one_line(exc))

    def _tell(self, what: str | None, message: str) -> None:
        if what:
            line = self.tr("%1 failed: %2").replace("%1", what).replace("%2", message)
        else:
            line = self.tr("A background task failed: %1").replace("%1", message)
        self.failed.emit(line)

    def wait(self, msecs: int = 30_000) -> bool:
        """Wait for running jobs (closing the window, tests)."""
        return self.pool.waitForDone(msecs)
