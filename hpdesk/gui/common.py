"""Small conventions every widget shares: names for tests and screen readers, state colours
and names. (Knowledge texts take the UI language code as it is: "zh_CN" picks Chinese.)"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

W = TypeVar("W", bound=QWidget)

#: One colour per trial state, shared by the trials table and the curves.
STATE_COLORS: dict[str, str] = {
    "queued": "#8c8c8c",
    "running": "#1f77b4",
    "completed": "#2ca02c",
    "pruned": "#ff7f0e",
    "failed": "#d62728",
    "diverged": "#9467bd",
    "interrupted": "#bcbd22",
}


def state_color(state: str) -> QColor:
    return QColor(STATE_COLORS.get(state, "#8c8c8c"))


def named(widget: W, object_name: str, accessible_name: str, tooltip: str | None = None) -> W:
    """Give an interactive widget the objectName tests find it by and the accessible name a
    screen reader speaks (pass a translated text); returns the widget for inline use."""
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible_name)
    if tooltip:
        widget.setToolTip(tooltip)
    return widget


def state_label(state: str) -> str:
    """A trial's or an experiment's state in the window's language."""
    labels = {
        "queued": QCoreApplication.translate("States", "queued"),
        "running": QCoreApplication.translate("States", "running"),
        "completed": QCoreApplication.translate("States", "completed"),
        "pruned": QCoreApplication.translate("States", "pruned"),
        "failed": QCoreApplication.translate("States", "failed"),
        "diverged": QCoreApplication.translate("States", "diverged"),
        "interrupted": QCoreApplication.translate("States", "interrupted"),
        "stopped": QCoreApplication.translate("States", "stopped"),
        "created": QCoreApplication.translate("States", "created"),
    }
    return labels.get(state, state)
