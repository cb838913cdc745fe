"""Colours and fonts the comparison plots share, so the three tabs read as one picture."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont

BACKGROUND = "w"
INK = "#333333"  # axis lines, tick labels
FAINT = "#b8b8b8"  # trials that did not complete
BEST = "#ff7f0e"  # the best trial, wherever it is drawn
HOVER = "#000000"
POINT = "#1f77b4"
#: Importance bars by the guide's tier: tier 1 (tune first) darkest; None: not in the guide.
TIER_COLORS = {1: "#08519c", 2: "#4292c6", 3: "#9ecae1", None: "#bdbdbd"}


def objective_colormap(maximize: bool) -> pg.ColorMap:
    """Pale for the worst objective, dark for the best, whichever the direction: on a white
    background the trials that matter stand out and the rest recede."""
    colors = ["#c6dbef", "#4292c6", "#08306b"]
    return pg.ColorMap([0.0, 0.5, 1.0], colors if maximize else colors[::-1])


def goodness(values: np.ndarray, low: float, high: float, maximize: bool) -> np.ndarray:
    """Objective values scaled to [0, 1] with 1 the best end."""
    if not high > low:
        return np.ones_like(values)
    scaled = np.clip((values - low) / (high - low), 0.0, 1.0)
    return scaled if maximize else 1.0 - scaled


def small_font(points: float = 8.0) -> QFont:
    font = QFont()
    font.setPointSizeF(points)
    return font


def style_plot(plot: pg.PlotItem) -> None:
    """Dark axes and labels for the white background."""
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(INK))
        axis.setTextPen(pg.mkPen(INK))
        axis.enableAutoSIPrefix(False)  # "val_acc (x0.001)" confuses; values are shown as they are


def qcolor(color: str, alpha: int = 255) -> QColor:
    c = QColor(color)
    c.setAlpha(alpha)
    return c
