"""Starting the window: the QApplication, its identity, language, its log file, and the main
window.

The window logs warnings and errors, with their tracebacks, to a rotating file in the user's log
folder (`~/.local/state/hpdesk/log/hpdesk.log` on Linux, from platformdirs; `$HPDESK_LOG_DIR`
instead when set): errors in background jobs and in the poller land there, while the person sees
one line in the status bar.

Two environment variables serve tests and benchmarks, never people:
HPDESK_QUIT_AFTER_MS quits the application that many milliseconds after the window shows;
HPDESK_STARTUP_PROBE names a file that receives, at the first paint of the window, one JSON line
with the time, the peak memory and whether torch was imported.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import sys
import time
from io import TextIOWrapper
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QLocale, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QSplitter, QWidget

from hpdesk import __version__

if TYPE_CHECKING:
    from hpdesk.gui.base.settings import Settings
    from hpdesk.gui.shell.main_window import MainWindow


_windows: list[QWidget] = []  # the open main window(s), kept alive across a replacement
LOG_FILE_BYTES = 1_000_000  # a log file is rotated at this size...
LOG_BACKUPS = 3  # ...keeping this many old ones (hpdesk.log.1 ...)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


def log_file_path() -> Path:
    """Where the window's log goes: `$HPDESK_LOG_DIR/hpdesk.log`, else the user's log folder."""
    import platformdirs

    folder = os.environ.get("HPDESK_LOG_DIR") or platformdirs.user_log_dir(
        "hpdesk", appauthor=False)
    return Path(folder) / "hpdesk.log"


class _PrivateRotatingFile(RotatingFileHandler):
    """A rotating log whose files only their owner can read (0600; the folder 0700)."""

    def _open(self) -> TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def setup_logging(path: Path | None = None) -> logging.Handler | None:
    """Send WARNING and above, tracebacks included, to the window's rotating log file (once
    per process). Returns the handler, or None when the file cannot be written (a read-only
    home): then the log goes to stderr only, as before, and the window still starts."""
    path = path or log_file_path()
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, _PrivateRotatingFile) and handler.baseFilename == str(
                path.absolute()):
            return handler
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = _PrivateRotatingFile(path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_BACKUPS,
                                       encoding="utf-8")
    except OSError as exc:
        logging.getLogger(__name__).warning("cannot write the window's log to %s: %s",
                                            path, exc)
        return None
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    return handler


def make_application(argv: list[str] | None = None) -> QApplication:
    """The one QApplication, with the identity the desktop entry and settings expect."""
    from hpdesk.gui.shell.resources import APP_ID, ResourceError, app_icon

    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv or sys.argv[:1])
    app.setOrganizationName("hpdesk")
    app.setApplicationName("hpdesk")
    app.setApplicationDisplayName("hpdesk")
    app.setApplicationVersion(__version__)
    QGuiApplication.setDesktopFileName(APP_ID)
    try:
        app.setWindowIcon(app_icon())  # every PNG size plus the SVG
    except ResourceError:  # an install without resources/: Qt's default icon
        pass
    return app


def _write_probe(path: str) -> None:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    record = {"painted_at": time.time(), "peak_rss_mb": peak_kb / 1024,
              "torch_imported": "torch" in sys.modules}
    Path(path).write_text(json.dumps(record) + "\n")


def run(*, db: str | os.PathLike[str] | None = None,
        plan_file: str | os.PathLike[str] | None = None,
        language: str | None = None, settings_path: str | None = None) -> int:
    """Open the main window on `db` (default: the user's database) and run until it closes."""
    from hpdesk.gui.base.settings import Settings
    from hpdesk.gui.shell import i18n
    from hpdesk.runner.paths import default_db_path, keep_files_private

    keep_files_private()  # the database, settings, exports: the user's alone (docs/security.md)
    app = make_application()
    setup_logging()
    settings = Settings(settings_path)
    chosen = language or settings.language(QLocale.system().name())
    i18n.install(app, chosen)
    window = _open_window(settings, Path(db) if db else default_db_path(), chosen)
    if plan_file is not None:
        window.open_plan_file(Path(plan_file))
    quit_after = os.environ.get("HPDESK_QUIT_AFTER_MS")
    if quit_after:
        QTimer.singleShot(int(quit_after), app.closeAllWindows)
    return app.exec()


def _open_window(settings: Settings, db_path: Path, language: str, *,
                 like: QWidget | None = None) -> MainWindow:
    """A main window, shown; `like`: where and as large (maximised...) as that window."""
    from hpdesk.gui.shell.first_paint import FirstPaint
    from hpdesk.gui.shell.main_window import MainWindow

    window = MainWindow(settings, db_path, language)
    if like is not None:  # on a screen that exists: it is there now
        window.setGeometry(like.normalGeometry())
        window.setWindowState(like.windowState() & ~Qt.WindowState.WindowMinimized)
    window.languageChosen.connect(lambda code: replace_window(window, language=code))
    window.databaseChosen.connect(lambda path: replace_window(window, db_path=path))
    _windows.append(window)
    probe = os.environ.get("HPDESK_STARTUP_PROBE")
    if probe:
        FirstPaint(lambda: _write_probe(probe), window)
    window.show()
    return window


def replace_window(old: MainWindow, *, db_path: Path | None = None,
                   language: str | None = None) -> MainWindow:
    """A new main window in place of `old` (another database, another language); the old one
    closes, saving its layout first.

    The new one keeps what the person set up: where the window is and how large, its splitters,
    the plan being edited exactly as typed (invalid text and problems included, still unsaved
    if it was), the curves' controls and the Compare tab's choices. On the same database also
    the experiment shown, the tab, and the experiment's own view: the trials selected, the
    table's filters, sort and scroll position, the metric drawn with its smoothing and the
    trials hidden or emphasised. Another database's experiments are not these: there the
    window opens on its default experiment."""
    from hpdesk.gui.shell import i18n

    old.save_layout()
    same_database = db_path is None
    views = _view_states(old)
    language = language or old.language
    if language != old.language:
        old.settings.set("language", language)
        app = QApplication.instance()
        assert app is not None
        i18n.install(app, language)
    window = _open_window(old.settings, db_path or old.db_path, language, like=old)
    if views:
        window.build_views()  # now, not after the first paint: they take the views' states
        window.curves.restore_view_state(views["curves"], experiment=False)
        window.compare.restore_view_state(views["compare"])
    _restore_splitters(window, {s.objectName(): s.saveState()
                                for s in old.findChildren(QSplitter) if s.objectName()})
    window.workbench.restore_state(old.workbench.state())  # invalid text too: not via a Plan
    window.plan_path = old.plan_path
    window.show_archived.setChecked(old.show_archived.isChecked())
    if same_database:
        shown, tab = old.experiment, old.tabs.currentIndex()

        def reselect() -> None:
            if shown is not None:
                window.experiments.select_experiment(shown.id)
            window.tabs.setCurrentIndex(tab)
            if views and shown is not None and window.experiment is not None \
                    and window.experiment.id == shown.id:  # shown again: its view as it was
                window.trials.restore_view_state(views["trials"])
                window.curves.restore_view_state(views["curves"])
                window.compare.restore_view_state(views["compare"])

        window.databaseOpened.connect(reselect)
    old.replaced = True  # its edits live on in `window`: closing it asks nothing
    old.close()
    if old in _windows:
        _windows.remove(old)
    return window


def _view_states(window: MainWindow) -> dict[str, dict[str, Any]]:
    """The trials table's, the curves' and the comparison's states; {} before they were built
    (they are built after the first paint)."""
    if window.run_splitter is None:
        return {}
    return {"trials": window.trials.view_state(), "curves": window.curves.view_state(),
            "compare": window.compare.view_state()}


def _restore_splitters(window: MainWindow, states: dict[str, QByteArray]) -> None:
    for splitter in window.findChildren(QSplitter):
        state = states.get(splitter.objectName())
        if state is not None:
            splitter.restoreState(state)
