"""One trial's line in the curves plot: its points, their x in steps, epochs or seconds, and the
decimated copy pyqtgraph draws (about 2 points per pixel, peaks kept), redrawn only when needed.

The whole curve is decimated (not only the visible part) at the zoom of the view, so panning
needs no work, the decimated copy keeps the curve's true extremes (follow-latest ranges from it)
and `setClipToView` leaves pyqtgraph only the visible slice to draw.

With smoothing on, the raw points are drawn faint behind the smoothed line (as TensorBoard
does), so smoothing never hides what the trial reported; a curve with a single point is drawn
as a marker (a line needs two).

A curve that no longer changes (its trial finished) can be `bundled`: its own plot item is then
hidden and left without data, and `hpdesk.gui.curves.bundle.CurveBundle` draws it, with every
other finished curve, from one cached picture (2,000 curves painted on every tick otherwise).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainterPath, QPen

from hpdesk.analysis.series import SeriesBuffer, SmoothedSeries, decimate, epochs_at

X_STEP, X_EPOCH, X_WALL = "step", "epoch", "wall"

#: Line colours by trial number (Tableau 20 order: neighbours differ).
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
    "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
)

#: How far the zoom may drift from the one a curve was decimated for before it is redone.
REDECIMATE_RATIO = 1.5
#: The same for a curve drawn as an outline (the mean of 2-pixel columns needs less detail).
OUTLINE_REDECIMATE_RATIO = 4.0
RAW_ALPHA = 55  # the raw line behind a smoothed one: faint, as TensorBoard draws it
MARKER_SIZE = 8  # a curve of one point is drawn as a marker of this size
DIM_ALPHA = 60  # the other curves while some are selected
OUTLINE_PX = 2  # pixels per column of a curve's outline (`TrialCurve.outline`)


def trial_color(number: int) -> QColor:
    return QColor(PALETTE[number % len(PALETTE)])


class TrialCurve:
    """A trial's curve of the current metric: data (`series`), its decimated copy, and the
    `PlotDataItem` that draws it, made only while the curve draws itself (not `bundled`)."""

    def __init__(self, plot: pg.PlotItem, trial_id: int, number: int) -> None:
        self.trial_id = trial_id
        self.number = number
        self.series = SmoothedSeries()
        self._plot = plot
        self._item: pg.PlotDataItem | None = None
        self.raw_item: pg.PlotDataItem | None = None  # the raw points, while smoothing is on
        self._raw_drawn: tuple[np.ndarray, np.ndarray] | None = None
        self.shown = True  # wanted on the plot (the trials list's tick and the table's filter)
        self.bundled = False  # drawn by a CurveBundles chunk: no items of its own
        self._paths: dict[tuple[Any, ...], tuple[object, QPainterPath | None]] = {}
        self._legend_item: pg.PlotDataItem | None = None
        self.marked = False  # drawn as markers: fewer than two finite points
        self._below_zero: tuple[int, int] | None = None  # (raw version, count)
        self.color = trial_color(number)
        self.style = ""  # "", "strong", "dim", "best": set by set_style
        self._pen = QPen()
        self._pens: dict[str, QPen] = {}  # by style: a bundle asks for them by the hundred
        self.set_style("normal")
        self._drawn: tuple[np.ndarray, np.ndarray] | None = None
        self._buckets_per_x = 0.0  # the zoom the drawn copy was decimated for
        self._x_cache: tuple[tuple[str, int, int], np.ndarray | None] | None = None
        # bounds() of the drawn copy, by (drawn copy, mode, log y): "follow latest" asks every
        # curve each time, and 2,000 finished curves never change (benchmarks/gui_scale.py).
        self._bounds_cache: tuple[object, str, bool, Box | None] | None = None
        self.dirty = True

    @property
    def item(self) -> pg.PlotDataItem:
        """The curve's own plot item, made (with the drawn copy) when first asked for."""
        if self._item is None:
            item = pg.PlotDataItem()
            self._plot.addItem(item)  # takes the plot's log mode
            item.setClipToView(True)  # after addItem: it needs the view box
            item.setPen(self._pen)
            item.setZValue(self.z())
            item.setVisible(self.shown and not self.bundled)
            if self.marked:
                self._symbols(item)
            if self._drawn is not None:
                item.setData(*self._drawn)
            self._item = item
            if self._raw_drawn is not None:
                self._raw_line().setData(*self._raw_drawn)
        return self._item

    def remove(self, plot: pg.PlotItem) -> None:
        self._drop_items()

    def _drop_items(self) -> None:
        if self._item is not None:
            self._plot.removeItem(self._item)
            self._item = None
        self._drop_raw_item()

    def _drop_raw(self) -> None:
        self._raw_drawn = None
        self._drop_raw_item()

    def _drop_raw_item(self) -> None:
        if self.raw_item is not None:
            self._plot.removeItem(self.raw_item)
            self.raw_item = None

    def _raw_pen(self, plain: bool = False) -> QPen:
        color = QColor(self.color)
        color.setAlpha(RAW_ALPHA // 3 if self.style == "dim" and not plain else RAW_ALPHA)
        pen = QPen(color)
        pen.setCosmetic(True)
        return pen

    def _pen_for(self, style: str) -> QPen:
        pen = self._pens.get(style)
        if pen is None:
            pen = self._pens[style] = self._make_pen(style)
        return pen

    def _make_pen(self, style: str) -> QPen:
        color = QColor(self.color)
        if style == "dim":
            color.setAlpha(DIM_ALPHA)
        pen = QPen(color)
        pen.setWidthF(2.0 if style in ("strong", "best") else 1.0)
        pen.setCosmetic(True)
        return pen

    def set_style(self, style: str) -> None:
        """normal (thin), strong (selected: thick), dim (others when some are selected),
        best (the best trial: thick, on top). Thick pens cost more to draw: few curves get them."""
        if style == self.style:
            return
        self.style = style
        pen = self._pen_for(style)
        self._pen = pen
        self._legend_item = None
        if self._item is not None:
            self._item.setPen(pen)
            self._item.setZValue(self.z())
            if self.marked:
                self._symbols(self._item)
        if self.raw_item is not None:
            self.raw_item.setPen(self._raw_pen())

    def z(self) -> int:
        """Stacking: the best on top, then the selected, the others, the dimmed."""
        return {"best": 3, "strong": 2, "normal": 1, "dim": 0}.get(self.style, 1)

    def pen(self, style: str | None = None) -> QPen:
        """The pen of the curve's style, or of `style` (a bundle draws plain and selected);
        not to be changed."""
        return self._pen if style is None else self._pen_for(style)

    def raw_pen(self, plain: bool = False) -> QPen:
        """The faint raw line's pen (`plain`: as if not dimmed)."""
        return self._raw_pen(plain)

    def set_visible(self, visible: bool) -> None:
        self.shown = visible
        if self._item is not None:
            self._item.setVisible(visible)
        if self.raw_item is not None:
            self.raw_item.setVisible(visible)

    def set_bundled(self, bundled: bool) -> None:
        """Hand the drawing to a bundle (True: the own items go) or take it back (False)."""
        if bundled == self.bundled:
            return
        self.bundled = bundled
        if bundled:
            self._drop_items()
        elif self._drawn is not None:
            _ = self.item  # made with the drawn copy

    def paths(self, log_y: bool) -> tuple[QPainterPath | None, QPainterPath | None]:
        """(line, faint raw line) as painter paths in view coordinates (y in log10 on a log
        axis, as pyqtgraph draws it), for a bundle; cached until the drawn copy changes."""
        return (self._path("line", self._drawn, log_y),
                self._path("raw", self._raw_drawn, log_y))

    def extent(self, log_y: bool) -> QRectF:
        """The rectangle the line and the faint raw line take in view coordinates."""
        key = ("extent", log_y)
        cached = self._paths.get(key)
        if cached is not None and cached[0] is self._drawn:
            return cached[1]  # type: ignore[return-value]
        rect = QRectF()
        for path in self.paths(log_y):
            if path is not None:
                rect = rect.united(path.controlPointRect())
        self._paths[key] = (self._drawn, rect)  # type: ignore[assignment]
        return rect

    def _path(self, kind: str, data: tuple[np.ndarray, np.ndarray] | None, log_y: bool
              ) -> QPainterPath | None:
        if data is None or data[0].size < 2:
            return None
        cached = self._paths.get((kind, log_y))
        if cached is not None and cached[0] is data:
            return cached[1]
        x, y = data
        if log_y:
            with np.errstate(divide="ignore", invalid="ignore"):
                y = np.log10(np.where(y > 0, y, np.nan))
        path = pg.arrayToQPath(np.asarray(x, dtype=np.float64), y, connect="finite")
        self._paths[(kind, log_y)] = (data, path)
        return path

    def outline(self, log_y: bool, px_per_x: float) -> QPainterPath | None:
        """The line through the mean of each column of `OUTLINE_PX` pixels (`px_per_x` pixels
        per x unit): how a bundle draws a plain curve among hundreds, where each one's noise
        envelope would only add ink (a tenth of the pixels to paint, benchmarks/gui_scale.py).
        Cached for the drawn copy, the axis and the zoom."""
        data = self._drawn
        if data is None or data[0].size < 2 or px_per_x <= 0:
            return None
        # The zoom in steps of a quarter octave: a small zoom or pan reuses the outline.
        px = 2.0 ** (round(math.log2(px_per_x) * 4) / 4)
        key = ("outline", log_y, px)
        cached = self._paths.get(key)
        if cached is not None and cached[0] is data:
            return cached[1]
        x, y = np.asarray(data[0], dtype=np.float64), data[1]
        if log_y:
            with np.errstate(divide="ignore", invalid="ignore"):
                y = np.log10(np.where(y > 0, y, np.nan))
        finite = np.isfinite(y)
        if not finite.all():
            x, y = x[finite], y[finite]
        path = None
        if x.size >= 2:
            if np.any(np.diff(x) < 0):  # wall-clock x of a resumed trial
                order = np.argsort(x, kind="stable")
                x, y = x[order], y[order]
            column = np.floor(x * (px / OUTLINE_PX))
            starts = np.concatenate(([0], np.flatnonzero(np.diff(column)) + 1))
            if starts.size >= 2:
                count = np.diff(np.append(starts, x.size))
                path = pg.arrayToQPath(np.add.reduceat(x, starts) / count,
                                       np.add.reduceat(y, starts) / count)
        for old in [k for k in self._paths if k[0] == "outline"]:
            del self._paths[old]  # one zoom's outline kept
        self._paths[key] = (data, path)
        return path

    def legend_item(self) -> pg.PlotDataItem:
        """A line with this curve's pen for a legend (a bundled curve has no item of its own;
        one made here stays out of the plot)."""
        if not self.bundled:
            return self.item
        if self._legend_item is None:
            self._legend_item = pg.PlotDataItem(pen=QPen(self.pen()))
        return self._legend_item

    def _symbols(self, item: pg.PlotDataItem) -> None:
        item.setSymbol("o")
        item.setSymbolSize(MARKER_SIZE)
        item.setSymbolBrush(self._pen.color())
        item.setSymbolPen(self._pen)

    def _mark(self, few: bool) -> None:
        """Markers for a curve of fewer than two finite points, which a line cannot show."""
        if few == self.marked:
            return
        self.marked = few
        if self._item is not None:
            if few:
                self._symbols(self._item)
            else:
                self._item.setSymbol(None)

    def below_zero(self) -> int:
        """How many reported values are zero or negative (a log axis cannot show them; with
        smoothing on, the faint raw line loses them even where the smoothed one stays up)."""
        key = self.series.raw.version
        if self._below_zero is None or self._below_zero[0] != key:
            with np.errstate(invalid="ignore"):
                count = int(np.count_nonzero(self.series.raw.values <= 0))
            self._below_zero = (key, count)
        return self._below_zero[1]

    @property
    def visible(self) -> bool:
        return self.shown

    def x(self, mode: str, epochs: SeriesBuffer | None) -> np.ndarray | None:
        """The x of every point in the unit of `mode` (None: no epoch reports to go by);
        cached until the points, the unit or the epoch reports change."""
        raw = self.series.raw
        key = (mode, raw.version, epochs.version if (epochs is not None and mode == X_EPOCH)
               else -1)
        if self._x_cache is not None and self._x_cache[0] == key:
            return self._x_cache[1]
        x: np.ndarray | None
        if mode == X_EPOCH:
            x = None if epochs is None or len(epochs) == 0 else epochs_at(
                raw.steps, epochs.steps, epochs.values)
        elif mode == X_WALL:
            walls = raw.walls
            x = walls - walls[0] if walls.size else walls.copy()
        else:
            x = raw.steps  # int64: decimation takes it as it is
        self._x_cache = (key, x)
        return x

    def redraw(self, mode: str, epochs: SeriesBuffer | None, px_per_x: float,
               force: bool, drift: float = REDECIMATE_RATIO) -> bool:
        """Decimate and hand the curve to pyqtgraph when its data changed (`dirty`), `force`,
        or the zoom (`px_per_x`, pixels per x unit) drifted; returns whether it did."""
        if not (self.dirty or force or self._zoom_drifted(px_per_x, drift)):
            return False
        self.dirty = False
        x = self.x(mode, epochs) if len(self.series) else None
        if x is None or x.size == 0:
            self._drawn = None
            if self._item is not None:
                self._item.setData([], [])
            self._drop_raw()
            return True
        y = self.series.y()
        raw = self.series.raw.values if self.series.weight > 0 else None
        if mode == X_WALL and x.size > 1 and np.any(np.diff(x) < 0):  # a resumed trial
            order = np.argsort(x, kind="stable")
            x, y = x[order], y[order]
            raw = None if raw is None else raw[order]
        span = float(x[-1] - x[0])
        buckets = max(1, math.ceil(span * px_per_x)) if px_per_x > 0 else 1000
        dx, dy = decimate(x, y, None, buckets)
        self._buckets_per_x = px_per_x
        self._drawn = (dx, dy)
        self._mark(int(np.count_nonzero(np.isfinite(dy))) < 2)
        if not self.bundled:
            self.item.setData(dx, dy)
        self._draw_raw(x, raw, buckets)
        return True

    def _draw_raw(self, x: np.ndarray, raw: np.ndarray | None, buckets: int) -> None:
        """The raw points faint behind the smoothed line (None: smoothing is off)."""
        if raw is None or self.marked:
            self._drop_raw()
            return
        self._raw_drawn = decimate(x, raw, None, buckets)
        if not self.bundled:
            self._raw_line().setData(*self._raw_drawn)

    def _raw_line(self) -> pg.PlotDataItem:
        if self.raw_item is None:
            self.raw_item = pg.PlotDataItem()
            self._plot.addItem(self.raw_item)
            self.raw_item.setClipToView(True)
            self.raw_item.setPen(self._raw_pen())
            self.raw_item.setZValue(-1)
            self.raw_item.setVisible(self.shown)
        return self.raw_item

    def raw_drawn(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The faint raw line's data (None when smoothing is off)."""
        return self._raw_drawn

    def _zoom_drifted(self, px_per_x: float, drift: float = REDECIMATE_RATIO) -> bool:
        if self._drawn is None or px_per_x <= 0 or self._buckets_per_x <= 0:
            return False
        ratio = px_per_x / self._buckets_per_x
        return not (1 / drift <= ratio <= drift)

    def last_point(self) -> tuple[float, float] | None:
        if self._drawn is None or self._drawn[0].size == 0:
            return None
        return float(self._drawn[0][-1]), float(self._drawn[1][-1])

    def bounds(self, mode: str, epochs: SeriesBuffer | None, log_y: bool
               ) -> tuple[float, float, float, float] | None:
        """(x min, x max, y min, y max) of the curve, y in log10 when the axis is logarithmic
        (non-positive values left out). From the drawn copy, which keeps the extremes, once it
        is up to date; from every point before the first draw (so that draw has the zoom)."""
        if not self.dirty and self._drawn is not None:
            cache = self._bounds_cache
            if cache is not None and cache[0] is self._drawn and cache[1:3] == (mode, log_y):
                return cache[3]
            box = self._bounds(*self._drawn, mode, log_y)
            self._bounds_cache = (self._drawn, mode, log_y, box)
            return box
        every = self.x(mode, epochs) if len(self.series) else None
        if every is None:
            return None
        return self._bounds(every, self.series.y(), mode, log_y)

    @staticmethod
    def _bounds(x: np.ndarray, y: np.ndarray, mode: str, log_y: bool) -> Box | None:
        if x.size == 0:
            return None
        if log_y:
            y = y[y > 0]  # NaN compares false: left out too
            y = np.log10(y) if y.size else y
        with np.errstate(invalid="ignore"):
            low, high = np.fmin.reduce(y, initial=np.inf), np.fmax.reduce(y, initial=-np.inf)
        if not (np.isfinite(low) and np.isfinite(high)):
            finite = y[np.isfinite(y)]
            if finite.size == 0:
                return None
            low, high = finite.min(), finite.max()
        x0, x1 = (x[0], x[-1]) if mode != X_WALL else (np.nanmin(x), np.nanmax(x))
        return float(x0), float(x1), float(low), float(high)

    def drawn(self) -> tuple[np.ndarray, np.ndarray] | None:
        return self._drawn

    def shown_points(self, mode: str, epochs: SeriesBuffer | None
                     ) -> tuple[np.ndarray, np.ndarray] | None:
        """Every point as shown (x in the current unit, y smoothed if smoothing is on)."""
        x = self.x(mode, epochs) if len(self.series) else None
        if x is None:
            return None
        return x, self.series.y()


def nearest_curve(curves: Iterable[TrialCurve], x: float, y: float, px_y: float, *,
                  log_y: bool, within_px: float = 8.0) -> int | None:
    """The trial whose drawn line passes closest above or below (x, y), in view coordinates,
    within `within_px` pixels (`px_y`: view units per pixel); None when none is that close."""
    best, best_d = None, within_px
    for curve in curves:
        data = curve.drawn()
        if not curve.visible or data is None or data[0].size == 0 or px_y <= 0:
            continue
        dx, dy = data
        if not dx[0] <= x <= dx[-1]:
            continue
        if log_y:
            with np.errstate(divide="ignore", invalid="ignore"):
                dy = np.log10(dy)
        at = float(np.interp(x, dx, dy))
        d = abs(at - y) / px_y
        if d < best_d:
            best, best_d = curve.trial_id, d
    return best


Box = tuple[float, float, float, float]  # x min, x max, y min, y max


def follow_range(boxes: list[Box], view: Box, fitted: Box | None, *, grow_only: bool,
                 headroom: float) -> tuple[Box, Box, float] | None:
    """What "follow latest" does: None to keep the view, or (the curves' box, the range to
    set, its padding). `fitted` is the curves' box of the last fit (None: never fitted).

    Every range change makes each curve clip and paint again, so the view stays while the
    curves fill most of it; a new range leaves `headroom` of its width free on the right to
    stream into. `grow_only` (curves still loading) only ever widens the last fit."""
    if not boxes:
        return None
    arr = np.array(boxes)
    data = (float(arr[:, 0].min()), float(arr[:, 1].max()), float(arr[:, 2].min()),
            float(arr[:, 3].max()))
    x0, x1, y0, y1 = data
    vx0, vx1, vy0, vy1 = view
    fits = vx0 <= x0 and x1 <= vx1 and vy0 <= y0 and y1 <= vy1
    if grow_only and fitted is not None:
        if fits:
            return None
        data = (min(x0, fitted[0]), max(x1, fitted[1]), min(y0, fitted[2]), max(y1, fitted[3]))
        return data, data, 0.05  # room for the next few curves
    tight = (x1 - x0 >= 0.9 * (vx1 - vx0) or x1 == x0) and \
        (y1 - y0 >= 0.8 * (vy1 - vy0) or y1 == y0)
    if fitted is not None and fits and tight:
        return None
    x1 += headroom * (x1 - x0)
    if x1 <= x0:  # one point per trial at one step: the markers in the middle, not on an edge
        x0, x1 = x0 - 0.5, x0 + 0.5
    if y1 <= y0:
        y0, y1 = y0 - 0.5, y0 + 0.5
    return data, (x0, x1, y0, y1), 0.02
