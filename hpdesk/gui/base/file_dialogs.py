"""Every file dialog of the window, opened where the same kind of file was last chosen.

Qt's static dialogs start in the working directory unless told otherwise, so each dialog
started somewhere unrelated and forgot the folder a person had just used. Here each kind
("plans", "databases", "exports", "data", "trainer") remembers its last folder in the app's
Settings; a kind never used starts at the caller's `fallback` (usually the database's folder).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from hpdesk.gui.base.settings import Settings

# Tests (and the screenshot script) set this to see Qt's own dialog rather than the platform's.
OPTIONS = QFileDialog.Option(0)


def _settings(parent: QWidget | None) -> Settings | None:
    """The Settings of the window that `parent` belongs to (dialogs' parents included)."""
    widget = parent
    while widget is not None:
        settings = getattr(widget, "settings", None)
        if isinstance(settings, Settings):
            return settings
        widget = widget.parentWidget()
    return None


def start_folder(parent: QWidget | None, kind: str, fallback: Path | None = None,
                 here: Path | None = None) -> Path:
    """`here` (a path already typed) if it exists, else the remembered folder of `kind`,
    else `fallback`, else home."""
    settings = _settings(parent)
    remembered = settings.last_folder(kind) if settings is not None else ""
    typed = here if here is None or here.is_dir() else here.parent
    for candidate in (typed, remembered, fallback):
        if candidate and str(candidate) != "." and Path(candidate).is_dir():
            return Path(candidate)
    return Path.home()


def _remember(parent: QWidget | None, kind: str, chosen: str, *, is_folder: bool = False) -> None:
    settings = _settings(parent)
    if chosen and settings is not None:
        settings.set_last_folder(kind, chosen if is_folder else str(Path(chosen).parent))


def open_file(parent: QWidget | None, kind: str, title: str, filters: str = "",
              fallback: Path | None = None, here: Path | None = None) -> Path | None:
    """An existing file of `kind`, or None when the person cancels."""
    start = start_folder(parent, kind, fallback, here)
    chosen, _ = QFileDialog.getOpenFileName(parent, title, str(start), filters, "", OPTIONS)
    _remember(parent, kind, chosen)
    return Path(chosen) if chosen else None


def save_file(parent: QWidget | None, kind: str, title: str, name: str, filters: str = "",
              fallback: Path | None = None) -> Path | None:
    """Where to save a file of `kind` (suggested `name`), or None when the person cancels."""
    start = start_folder(parent, kind, fallback) / name
    chosen, _ = QFileDialog.getSaveFileName(parent, title, str(start), filters, "", OPTIONS)
    _remember(parent, kind, chosen)
    return Path(chosen) if chosen else None


def existing_folder(parent: QWidget | None, kind: str, title: str,
                    fallback: Path | None = None, here: Path | None = None) -> Path | None:
    """An existing folder of `kind`, or None when the person cancels."""
    start = start_folder(parent, kind, fallback, here)
    chosen = QFileDialog.getExistingDirectory(
        parent, title, str(start), OPTIONS | QFileDialog.Option.ShowDirsOnly)
    _remember(parent, kind, chosen, is_folder=True)
    return Path(chosen) if chosen else None


__all__ = ["OPTIONS", "existing_folder", "open_file", "save_file", "start_folder"]
