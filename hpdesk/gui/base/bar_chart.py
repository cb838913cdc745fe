"""Bar charts for counts and per-class figures (pyqtgraph's BarGraphItem on a white plot), shared
by the data panel (class counts, object scales) and the per-class results of a trial.

Highlighted bars (rare classes) get their own colour and their tick label a marker, so the
highlight does not rest on colour alone. With many bars the tick labels would overlap: beyond
MAX_LABELS only every n-th bar is labelled (the table beside the chart names them all).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QWidget

INK = "#333333"
BAR = "#4292c6"
SECOND = "#9ecae1"  # the second series of a grouped chart
HIGHLIGHT = "#d95f02"  # rare classes: orange, readable for the common colour blindnesses
HIGHLIGHT_SECOND = "#fdb863"
MARKER = "▲"  # put before a highlighted bar's label
MAX_LABELS = 30
MAX_LABEL_CHARS = 14


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL_CHARS else text[:MAX_LABEL_CHARS - 1] + "…"


class BarChart(pg.PlotWidget):
    """A vertical bar chart; `set_bars` draws one series, `set_groups` two side by side."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        plot = self.getPlotItem()
        plot.showGrid(y=True, alpha=0.25)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        self.setMouseEnabled(x=True, y=False)
        font = QFont()
        font.setPointSizeF(8.0)
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            axis.setPen(pg.mkPen(INK))
            axis.setTextPen(pg.mkPen(INK))
            axis.setStyle(tickFont=font)
            axis.enableAutoSIPrefix(False)
        self.setMinimumHeight(160)
        self.labels: list[str] = []  # the tick labels as drawn (tests read them)

    def set_bars(self, names: Sequence[str], values: Sequence[float],
                 highlighted: Sequence[bool] | None = None, *, y_label: str = "",
                 full_labels: bool = False) -> None:
        """One bar per name; highlighted ones in HIGHLIGHT, their label marked (long labels
        shortened unless `full_labels`)."""
        marks = list(highlighted) if highlighted is not None else [False] * len(names)
        x = np.arange(len(names), dtype=float)
        y = np.asarray(values, dtype=float)
        brushes = [pg.mkBrush(HIGHLIGHT if m else BAR) for m in marks]
        self._draw([pg.BarGraphItem(x=x, height=y, width=0.8, brushes=brushes,
                                    pens=[pg.mkPen(None)] * len(names))] if len(names) else [],
                   names, marks, y_label, full_labels)
        self.setYRange(0, float(y.max()) * 1.05 if len(y) and y.max() > 0 else 1, padding=0)

    def set_groups(self, names: Sequence[str], first: Sequence[float | None],
                   second: Sequence[float | None], highlighted: Sequence[bool], *,
                   y_label: str = "", legend: tuple[str, str] = ("", "")) -> None:
        """Two bars per name (training, validation), None drawn as no bar."""
        x = np.arange(len(names), dtype=float)
        items = []
        for values, offset, colours, label in ((first, -0.2, (BAR, HIGHLIGHT), legend[0]),
                                               (second, 0.2, (SECOND, HIGHLIGHT_SECOND),
                                                legend[1])):
            y = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
            keep = ~np.isnan(y)
            if not keep.any():
                continue
            brushes = [pg.mkBrush(colours[1] if m else colours[0])
                       for m, k in zip(highlighted, keep) if k]
            item = pg.BarGraphItem(x=x[keep] + offset, height=y[keep], width=0.38,
                                   brush=pg.mkBrush(colours[0]), brushes=brushes,
                                   pens=[pg.mkPen(None)] * int(keep.sum()),
                                   name=label)
            items.append(item)
        self._draw(items, names, list(highlighted), y_label)
        self.setYRange(0, 1.18 if legend[0] else 1.0, padding=0.02)  # the legend above 1
        if legend[0] and items:
            plot = self.getPlotItem()
            if plot.legend is None:
                plot.addLegend(offset=(-10, 10), labelTextColor=INK)
            for item in items:
                plot.legend.addItem(item, item.opts.get("name", ""))

    def _draw(self, items: list[pg.BarGraphItem], names: Sequence[str], marks: list[bool],
              y_label: str, full_labels: bool = False) -> None:
        plot = self.getPlotItem()
        plot.clear()
        if plot.legend is not None:
            plot.legend.clear()
        for item in items:
            plot.addItem(item)
        step = max(1, int(np.ceil(len(names) / MAX_LABELS)))
        self.labels = [(MARKER + " " if m else "") + (str(n) if full_labels else _short(str(n)))
                       for n, m in zip(names, marks)]
        ticks = [(float(i), label) for i, label in enumerate(self.labels) if i % step == 0]
        plot.getAxis("bottom").setTicks([ticks, []])
        plot.setLabel("left", y_label, color=INK)
        self.setXRange(-0.6, max(len(names), 1) - 0.4, padding=0)


__all__ = ["HIGHLIGHT", "MARKER", "BarChart"]
