"""The curves as files: the plot as an image with a legend naming its trials (and without the
notes meant for the person at the screen), and the shown points as CSV."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication

from hpdesk.analysis.series import SeriesBuffer
from hpdesk.gui.curves.items import TrialCurve


def write_csv(path: Path, curves: Iterable[TrialCurve], metric: str, mode: str,
              epochs: dict[int, SeriesBuffer]) -> None:
    """Every point of the shown curves as shown (x unit, smoothing), one row per point."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["trial_id", "number", "metric", mode, "value"])
        for curve in sorted(curves, key=lambda c: c.number):
            points = curve.shown_points(mode, epochs.get(curve.trial_id)) if curve.visible \
                else None
            if points is None:
                continue
            lead = [curve.trial_id, curve.number, metric]
            writer.writerows(lead + [repr(x), repr(y)]
                             for x, y in zip(points[0].tolist(), points[1].tolist()))


LEGEND_ROWS = 14  # trials per legend column in an exported image
MAX_LEGEND = 42  # trials an exported image's legend names (3 columns); the rest are counted


def legend_entries(curves: Iterable[TrialCurve], best: int | None, selected: set[int]
                   ) -> list[tuple[pg.PlotDataItem, str]]:
    """(line, name) of each curve drawn, the best and the selected ones first, then by number;
    past `MAX_LEGEND` the last line says how many more there are."""
    shown = sorted((c for c in curves if c.visible and c.drawn() is not None),
                   key=lambda c: (c.trial_id != best, c.trial_id not in selected, c.number))
    entries = [(c.legend_item(), (QCoreApplication.translate("CurvesView", "Trial %1 (best)")
                         if c.trial_id == best else
                         QCoreApplication.translate("CurvesView", "Trial %1"))
                .replace("%1", str(c.number))) for c in shown[:MAX_LEGEND]]
    if len(shown) > MAX_LEGEND:
        entries[-1] = (pg.PlotDataItem(), QCoreApplication.translate(
            "CurvesView", "and %1 more trials").replace("%1", str(len(shown) - MAX_LEGEND + 1)))
    return entries


def export_plot(widget: pg.PlotWidget, path: Path, title: str,
                legend: Sequence[tuple[pg.PlotDataItem, str]] = (),
                hide: Sequence[pg.GraphicsObject | pg.GraphicsWidget] = ()) -> Path:
    """The plot as SVG (vector; by the suffix) or PNG (anything else becomes .png), with a
    legend of `legend`'s (line, name) pairs at the top left and without the on-screen notes in
    `hide` (a figure names its lines; hints are for the person at the screen).

    SVG goes through Qt's QSvgGenerator: pyqtgraph 0.14's SVGExporter fails on the paths
    Qt 6.11 writes (pyqtgraph issue 3485)."""
    hidden = [item for item in hide if item.isVisible()]
    for item in hidden:
        item.setVisible(False)
    box = None
    if legend:
        box = pg.LegendItem(offset=(10, 10), brush=pg.mkBrush(255, 255, 255, 225),
                            pen=pg.mkPen("#b0b0b0"), labelTextColor="#222222",
                            colCount=math.ceil(len(legend) / LEGEND_ROWS))
        box.setParentItem(widget.getPlotItem().vb)
        box.setZValue(30)
        for line, name in legend:
            box.addItem(line, name)
    try:
        return _write_plot(widget, path, title)
    finally:
        if box is not None:
            box.clear()
            scene = box.scene()
            if scene is not None:
                scene.removeItem(box)
        for item in hidden:
            item.setVisible(True)


def _write_plot(widget: pg.PlotWidget, path: Path, title: str) -> Path:
    if path.suffix.lower() == ".svg":
        from PySide6.QtCore import QRect
        from PySide6.QtGui import QPainter
        from PySide6.QtSvg import QSvgGenerator

        size = widget.size()
        generator = QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(size)
        generator.setViewBox(QRect(0, 0, size.width(), size.height()))
        generator.setTitle(title)
        painter = QPainter(generator)
        widget.render(painter)
        painter.end()
        return path
    from pyqtgraph import exporters

    if path.suffix.lower() != ".png":
        path = path.with_suffix(".png")
    exporters.ImageExporter(widget.getPlotItem()).export(str(path))
    return path
