"""Small input pieces every part of the window uses: named combo boxes that ignore the wheel
until focused (so scrolled forms do not change values as they pass under the pointer), the
styles of invalid fields and notes, and the filling of translated templates."""

from __future__ import annotations

import re
from typing import TypeVar

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import QComboBox, QWidget

from hpdesk.gui.base.common import named

B = TypeVar("B", bound=QComboBox)

INVALID_STYLE = "border: 1px solid #d62728; border-radius: 2px;"
NOTE_STYLE = "color: palette(placeholder-text);"


def fill(template: str, *args: str) -> str:
    """Put `args` into a translated template's %1, %2... in one pass (a value may hold '%2')."""
    return re.sub(r"%(\d)", lambda m: args[int(m.group(1)) - 1]
                  if 0 < int(m.group(1)) <= len(args) else m.group(0), template)


class _WheelGuard(QObject):
    """Spin boxes and combo boxes of a scrolled form take the wheel only once focused, so
    scrolling past them does not change a value (PLATFORM.md): the ignored event goes on to
    the scroll area, which scrolls."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and \
                not watched.hasFocus():
            event.ignore()
            return True
        return False


_GUARD: _WheelGuard | None = None


def guard_wheel(widget: QWidget) -> None:
    """Let `widget` change with the wheel only while it has the keyboard focus (a click or Tab
    gives it), never as the pointer passes over it while the page scrolls."""
    global _GUARD
    if _GUARD is None:
        _GUARD = _WheelGuard(QCoreApplication.instance())
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    widget.installEventFilter(_GUARD)


def combo_box(object_name: str, accessible_name: str, tooltip: str | None = None) -> QComboBox:
    """A named combo box (its pop-up list belongs to it for screen readers and tests) that
    ignores the wheel until focused (`guard_wheel`): forms holding it scroll."""
    return wheel_safe(QComboBox(), object_name, accessible_name, tooltip)


def wheel_safe(box: B, object_name: str, accessible_name: str, tooltip: str | None = None) -> B:
    """`combo_box` for a combo box of another class (one that elides its labels, say)."""
    named(box, object_name, accessible_name, tooltip)
    guard_wheel(box)
    return box


def html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
