"""Where the window was and how its splitters were set, kept in the settings between runs."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QSplitter, QWidget

from hpdesk.gui.base.settings import Settings


def restore(window: QWidget, splitters: dict[str, QSplitter], settings: Settings) -> None:
    """The saved geometry, but only onto a screen that still exists (STYLE.md), else a size
    that fits the primary screen; then each splitter's saved state."""
    geometry = settings.layout("geometry")
    if geometry is None or not window.restoreGeometry(geometry) or not _on_a_screen(window):
        screen = QGuiApplication.primaryScreen().availableGeometry()
        window.resize(min(1440, screen.width()), min(900, screen.height()))
    for name, splitter in splitters.items():
        restore_splitter(name, splitter, settings)


def restore_splitter(name: str, splitter: QSplitter, settings: Settings) -> None:
    state = settings.layout(name)
    if state is not None:
        splitter.restoreState(state)


def save(window: QWidget, splitters: dict[str, QSplitter], settings: Settings) -> None:
    settings.set_layout("geometry", window.saveGeometry())
    for name, splitter in splitters.items():
        settings.set_layout(name, splitter.saveState())
    settings.sync()


def _on_a_screen(window: QWidget) -> bool:
    centre = window.frameGeometry().center()
    return any(s.availableGeometry().contains(centre) for s in QGuiApplication.screens())
