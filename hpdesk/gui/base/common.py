"""Small conventions every widget shares: names for tests and screen readers, state colours
and names. (Knowledge texts take the UI language code as it is: "zh_CN" picks Chinese.)"""

from __future__ import annotations

import functools
import math
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QPointF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QWidget

W = TypeVar("W", bound=QWidget)
#: A widget property: true on what only makes sense on screen (hints, what is under the
#: mouse), left out of exported images.
SCREEN_ONLY = "hpdeskScreenOnly"

#: One colour per trial state, shared by the trials table and the curves.
STATE_COLORS: dict[str, str] = {
    "queued": "#8c8c8c",
    "running": "#1f77b4",
    "completed": "#2ca02c",
    "no_objective": "#e377c2",  # ended well, but the objective metric never appeared
    "paused": "#17becf",       # a population member waiting for its generation (PBT)
    "pruned": "#ff7f0e",       # the plan's pruner stopped it early
    "stopped": "#8c564b",      # a person stopped it: never the pruner's orange
    "failed": "#d62728",
    "diverged": "#9467bd",
    "interrupted": "#bcbd22",
}
#: Advice and findings by level: the colour and the icon every view draws them with.
LEVEL_COLORS: dict[str, str] = {"error": "#d62728", "warning": "#e08a00", "info": "#1f77b4"}
LEVEL_ICONS: dict[str, str] = {"error": "\u2716", "warning": "\u26a0", "info": "\u2139"}
#: Where a trial's curve ended, the marker's shape (pyqtgraph symbols) tells why as well as its
#: colour: a pruner's cut (down triangle) never looks like a person's stop (square).
STATE_SYMBOLS: dict[str, str] = {
    "pruned": "t", "stopped": "s", "paused": "o", "failed": "x", "diverged": "d",
    "interrupted": "p", "no_objective": "star",
}


def state_color(state: str) -> QColor:
    return QColor(STATE_COLORS.get(state, "#8c8c8c"))


@functools.cache
def state_icon(state: str, size: int = 12) -> QIcon:
    """The state's colour in the shape of its curve-end marker (STATE_SYMBOLS; a plain swatch
    for states without one), outlined in black like the marker in the plot."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor("#000000"), 1.0))
    painter.setBrush(state_color(state))
    painter.drawPath(symbol_path(STATE_SYMBOLS.get(state, "s"), size - 1.0))
    painter.end()
    return QIcon(pixmap)


def symbol_path(symbol: str, size: float) -> QPainterPath:
    """pyqtgraph's marker shapes we use (t, s, o, d, x, p), drawn in a size x size box."""
    c, r = size / 2 + 0.5, size / 2 - 0.5
    path = QPainterPath()
    if symbol == "o":
        path.addEllipse(QPointF(c, c), r, r)
        return path
    if symbol == "t":  # pointing down, as pyqtgraph's "t"
        points = [(-r, -r * 0.8), (r, -r * 0.8), (0, r)]
    elif symbol == "d":
        points = [(0, -r), (r * 0.8, 0), (0, r), (-r * 0.8, 0)]
    elif symbol == "p":
        points = [(r * math.sin(a), -r * math.cos(a))
                  for a in (2 * math.pi * i / 5 for i in range(5))]
    elif symbol == "x":
        w = r * 0.35
        points = [(-r, -r + w), (-r + w, -r), (0, -w), (r - w, -r), (r, -r + w), (w, 0),
                  (r, r - w), (r - w, r), (0, w), (-r + w, r), (-r, r - w), (-w, 0)]
    else:
        points = [(-r, -r), (r, -r), (r, r), (-r, r)]
    path.addPolygon(QPolygonF([QPointF(c + x, c + y) for x, y in points]))
    path.closeSubpath()
    return path


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
        "no_objective": QCoreApplication.translate("States", "no objective"),
        "paused": QCoreApplication.translate("States", "paused"),
        "pruned": QCoreApplication.translate("States", "pruned"),
        "failed": QCoreApplication.translate("States", "failed"),
        "diverged": QCoreApplication.translate("States", "diverged"),
        "interrupted": QCoreApplication.translate("States", "interrupted"),
        "stopped": QCoreApplication.translate("States", "stopped"),
        "created": QCoreApplication.translate("States", "created"),
    }
    return labels.get(state, state)


def state_reason(state: str, message: str | None) -> str:
    """Why a trial is in its state, in a sentence: who stopped it and the recorded reason."""
    why = {
        "pruned": QCoreApplication.translate(
            "States", "Stopped early by the plan's pruner (early stopping)"),
        "stopped": QCoreApplication.translate("States", "Stopped by a person"),
        "paused": QCoreApplication.translate(
            "States", "Paused: waiting for the rest of its generation (population-based "
            "training)"),
    }.get(state)
    if why is None:
        return message or ""
    return f"{why}: {message}" if message and state != "paused" else why


def format_value(value: Any) -> str:
    """Parameters and metrics as a person reads them: 4 significant digits, true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    return str(value)
