"""Errors off the GUI thread (issue 11, item 8): logged with their traceback at ERROR or WARNING,
and said to the person in one line (the main window's status bar)."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from hpdesk.gui.base.background import Background
from hpdesk.gui.base.poller import ExperimentPoller
from hpdesk.gui.base.settings import Settings
from hpdesk.gui.shell.app import setup_logging
from hpdesk.gui.shell.main_window import MainWindow
from hpdesk.store import Store

pytestmark = [pytest.mark.usefixtures("qapp"), pytest.mark.timeout(60)]
TIMEOUT_MS = 10_000


def _explode() -> None:
    raise sqlite3.OperationalError("database is locked\nsecond line")


def _records(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == name and r.levelno >= logging.WARNING]


def test_a_failing_job_is_logged_with_its_traceback_and_said_in_one_line(qtbot, caplog) -> None:
    background = Background()
    told: list[str] = []
    with qtbot.waitSignal(background.failed, timeout=TIMEOUT_MS) as line:
        background.run(_explode, failure=told.append, what="Stop")
    assert line.args == ["Stop failed: database is locked"]
    assert told == ["database is locked"]
    (record,) = _records(caplog, "hpdesk.gui.base.background")
    assert record.levelno == logging.ERROR and "Stop" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is sqlite3.OperationalError
    assert "_explode" in caplog.text  # the traceback, not just the message


def test_a_callback_that_raises_is_logged_and_said_too(qtbot, caplog) -> None:
    background = Background()

    def show(result: dict[str, int]) -> None:
        result["missing"]  # noqa: B018  (a bug in the code that handles the result)

    with qtbot.waitSignal(background.failed, timeout=TIMEOUT_MS) as line:
        background.run(lambda: {}, success=show)
    assert line.args == ["A background task failed: KeyError: 'missing'"]
    (record,) = _records(caplog, "hpdesk.gui.base.background")
    assert record.exc_info is not None and record.exc_info[0] is KeyError


def test_the_main_window_shows_a_failed_job_in_its_status_bar(qtbot, tmp_path: Path) -> None:
    window = MainWindow(Settings(tmp_path / "settings.ini"), tmp_path / "x.db", "en")
    qtbot.addWidget(window)
    window.background.run(_explode, what=window.tr("Stop"))
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() != "", timeout=TIMEOUT_MS)
    assert window.statusBar().currentMessage() == "Stop failed: database is locked"
    window.background.wait()


def test_a_poll_that_fails_is_logged_with_its_traceback_once(qtbot, tmp_path: Path,
                                                             caplog) -> None:
    path = tmp_path / "hp.db"
    with Store(path) as store:
        exp = store.create_experiment("e", "classification", {"hpdesk": 1})
        store.add_trial(exp.id, {"lr": 1})
    poller = ExperimentPoller(path, exp.id, interval_ms=20)
    try:
        with qtbot.waitSignal(poller.polled, timeout=TIMEOUT_MS):
            poller.start()
        with qtbot.waitSignal(poller.failed, timeout=TIMEOUT_MS) as failed:
            conn = sqlite3.connect(path)
            conn.execute("ALTER TABLE trials RENAME TO trials_gone")  # every read now fails
            conn.commit()
            conn.close()
        qtbot.wait(200)  # several more ticks fail the same way: said and logged once
    finally:
        poller.stop()
    assert "Cannot read the database (no such table: trials)" in failed.args[0]
    (record,) = _records(caplog, "hpdesk.gui.base.poller")
    assert record.levelno == logging.WARNING
    assert record.exc_info is not None and record.exc_info[0] is sqlite3.OperationalError


def test_the_window_log_file_keeps_tracebacks_and_only_its_owner_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "hpdesk.log"
    handler = setup_logging(path)
    assert handler is not None
    try:
        assert setup_logging(path) is handler  # once per process
        try:
            _explode()
        except sqlite3.OperationalError:
            logging.getLogger("hpdesk.gui.base.background").error("job failed", exc_info=True)
        logging.getLogger("hpdesk.gui.base.poller").info("not written: below WARNING")
        handler.flush()
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    text = path.read_text()
    assert "ERROR hpdesk.gui.base.background" in text and "Traceback" in text
    assert "sqlite3.OperationalError: database is locked" in text
    assert "below WARNING" not in text
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
