"""Finished trials' curves drawn from pictures.

A finished curve never changes, yet pyqtgraph repaints every item of a plot whenever any of them
changes: with 2,000 finished curves and 16 streaming ones, each tick painted all 2,016 (about a
tenth of a millisecond each, benchmarks/gui_scale.py). Here finished curves are painted in
chunks of `CHUNK` into pictures of the visible range, and a tick repaints the streaming curves
over those pictures.

- A change stays cheap: a curve that joins or leaves repaints its chunk, not all 2,000.
- After a zoom or a pan ("follow latest" moves the view every second while trials stream) the
  pictures are shown stretched and redone one chunk per pass of the event loop.
- Selecting trials does not repaint the others: their pictures are shown faint (the dimmed
  style, as opacity) and the selected curves are painted thick in pictures of their own.
- Each chunk keeps its last `PICTURES` pictures, so clearing a filter (or applying it again)
  shows what it showed before without painting.
- With more than `OUTLINE_OVER` plain curves shown, each is drawn as its outline (the mean of
  every two pixel columns, `TrialCurve.outline`) rather than its noise envelope: hundreds of
  envelopes make one band of ink and cost ten times the pixels. The selected curves, the best
  one and the streaming ones keep their envelopes.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QImage, QPainter, QPainterPath, QPen, QTransform

from hpdesk.gui.curves.items import TrialCurve

log = logging.getLogger(__name__)
CHUNK = 250  # curves per picture (a picture costs a clear of the plot's size to make)
PICTURES = 2  # pictures each chunk keeps (the view and the shown curves they were made for)
DIM_OPACITY = 60 / 255  # the dimmed style's alpha, as the opacity of a whole picture
BASE_Z, THICK_Z = 0.5, 1.5  # above the dimmed / plain streaming curves, below the selected ones
OUTLINE_OVER = 200  # plain curves shown above which they are drawn as outlines

#: Brings the chunk's curves to the zoom they are seen at (re-decimates those that drifted;
#: the flag: they are drawn as outlines, which tolerate more drift); returns whether any changed.
Prepare = Callable[[Iterable[TrialCurve], bool], bool]
Target = tuple[tuple[float, float, float, float], int, int]  # view (x, y, w, h), width, height
Content = tuple[frozenset[int], int, bool, bool]  # shown ids, data version, log y, outlines


class CurveChunk(pg.GraphicsObject):
    """Paints its shown curves (faint raw lines first, then the lines in trial order) into a
    picture of the visible range and shows it; `thick` chunks paint the selected style."""

    def __init__(self, thick: bool, log_y: bool, owner: CurveBundles) -> None:
        super().__init__()
        self.thick = thick
        self.curves: dict[int, TrialCurve] = {}
        self.log_y = log_y
        self.cached = True  # off: paint the paths themselves (exports keep vectors)
        self._owner = owner
        self._version = 0  # of the curves' data and pens
        self._rect = QRectF()
        self._pictures: OrderedDict[tuple[Content, Target], tuple[QImage, QRectF]] = \
            OrderedDict()
        self._shown: tuple[Content, Target, QImage, QRectF] | None = None
        self._outlined: tuple[object, list[tuple[TrialCurve, QPen, QPainterPath]]] | None = None
        self._failed = False  # said once in the log (paint)
        self.setZValue(THICK_Z if thick else BASE_Z)

    # what is drawn -----------------------------------------------------------------------------
    def changed(self, data: bool = True) -> None:
        """After the curves' data or pens (`data`) or only which are shown changed."""
        if data:
            self._version += 1
            self._pictures.clear()
        rect = QRectF()
        for curve in self._members():
            rect = rect.united(curve.extent(self.log_y))
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self.update()

    def _outline_list(self, px_per_x: float) -> list[tuple[TrialCurve, QPen, QPainterPath]]:
        """(curve, pen, outline) of every curve, shown or not, in trial order: kept while the
        curves, their data and the zoom stay, so a filter only skips the hidden ones."""
        key = (self._version, self.log_y, round(math.log2(px_per_x) * 4) if px_per_x > 0 else 0,
               frozenset(self.curves))
        if self._outlined is None or self._outlined[0] != key:
            listed = []
            for curve in sorted(self.curves.values(), key=lambda c: c.number):
                line = curve.outline(self.log_y, px_per_x)
                if line is not None:
                    listed.append((curve, curve.pen(style="normal"), line))
            self._outlined = (key, listed)
        return self._outlined[1]

    def _members(self) -> list[TrialCurve]:
        return sorted((c for c in self.curves.values() if c.shown), key=lambda c: c.number)

    def _content(self) -> Content:
        return (frozenset(c.trial_id for c in self.curves.values() if c.shown), self._version,
                self.log_y, self._outlines())

    def _outlines(self) -> bool:
        return not self.thick and self._owner.shown_plain() > OUTLINE_OVER

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        rect = QRectF(self._rect)
        return rect.united(self._shown[3]) if self._shown is not None else rect

    # pictures ----------------------------------------------------------------------------------
    def _target(self) -> Target | None:
        """The view range and the picture's size in device pixels for the view as it is."""
        vb = self.getViewBox()
        if vb is None:
            return None
        scene = vb.scene()
        ratio = float(scene.views()[0].devicePixelRatioF()) if scene is not None and \
            scene.views() else 1.0
        width, height = math.ceil(vb.width() * ratio), math.ceil(vb.height() * ratio)
        view = vb.viewRect()
        if width <= 0 or height <= 0 or view.width() <= 0 or view.height() <= 0:
            return None
        return (view.x(), view.y(), view.width(), view.height()), width, height

    def stale(self) -> bool:
        """Whether the picture shown was made for another view, size or content than today's."""
        return self._shown is not None and (self._shown[0], self._shown[1]) != \
            (self._content(), self._target())

    def render(self) -> None:
        """Make (or take from those kept) the picture for the view and curves as they are."""
        if self._owner.prepare(self.curves.values(), self._outlines()):
            self.changed()
        target, content = self._target(), self._content()
        if target is None:
            self._shown = None
            return
        key = (content, target)
        kept = self._pictures.get(key)
        if kept is not None:
            self._pictures.move_to_end(key)
        else:
            old = self._shown
            if old is not None and old[1] == target and old[0][1:] == content[1:] and \
                    old[0][0] <= content[0]:
                # Only curves joined (loading: a few at a time): drawn over a copy.
                kept = self._paint_more(target, old[2], content[0] - old[0][0])
            else:
                kept = self._paint_picture(target)
            self._pictures[key] = kept
            while len(self._pictures) > PICTURES:
                self._pictures.popitem(last=False)
        if self._shown is None or kept[1] != self._shown[3]:
            self.prepareGeometryChange()
        self._shown = (content, target, *kept)
        self.update()

    def _paint_picture(self, target: Target) -> tuple[QImage, QRectF]:
        _view, width, height = target
        image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        return self._paint_more(target, image, None)

    def _paint_more(self, target: Target, image: QImage, only: frozenset[int] | None
                    ) -> tuple[QImage, QRectF]:
        """Draw the curves (`only` these) over a copy of `image` (a new, clear one: as is)."""
        (x, y, w, h), width, height = target
        if only is not None:
            image = image.copy()
        painter = QPainter(image)
        # view coordinates -> pixels, row 0 at the view's smallest y: drawn back into the view
        # rect, the picture turns with the view's own y axis.
        painter.setTransform(QTransform(width / w, 0, 0, height / h, -x * width / w,
                                        -y * height / h))
        self._draw(painter, pixels=True, px_per_x=width / w, only=only)
        painter.end()
        return image, QRectF(x, y, w, h)

    def _draw(self, painter: QPainter, *, pixels: bool, px_per_x: float = 0.0,
              only: frozenset[int] | None = None) -> None:
        if pixels and self._outlines():
            # One path per colour (a palette of 20): a tenth of the calls into Qt.
            by_colour: dict[int, tuple[QPen, QPainterPath]] = {}
            for curve, pen, outline in self._outline_list(px_per_x):
                if curve.shown and (only is None or curve.trial_id in only):
                    entry = by_colour.get(pen.color().rgba())
                    if entry is None:
                        entry = by_colour[pen.color().rgba()] = (pen, QPainterPath())
                    entry[1].addPath(outline)
            for pen, path in by_colour.values():
                painter.setPen(pen)
                painter.drawPath(path)
            return
        lines = [(c, *c.paths(self.log_y)) for c in self._members()
                 if only is None or c.trial_id in only]
        if not self.thick:
            for curve, _line, raw in lines:
                if raw is not None:
                    painter.setPen(curve.raw_pen(plain=True))
                    painter.drawPath(raw)
        # A cosmetic pen wider than a pixel costs Qt ten times a thin one; in a picture the
        # thick line is a thin one drawn twice, a pixel apart.
        shifts = [(0.0, 0.0), (1.0, 1.0)] if self.thick and pixels else [(0.0, 0.0)]
        base = painter.transform()
        for dx, dy in shifts:
            painter.setTransform(base * QTransform.fromTranslate(dx, dy))
            for curve, line, _raw in lines:
                if line is not None:
                    pen = curve.pen(style="strong" if self.thick else "normal")
                    if pixels:
                        pen = QPen(pen)
                        pen.setWidthF(1.0)
                    painter.setPen(pen)
                    painter.drawPath(line)
        painter.setTransform(base)

    def paint(self, painter: QPainter, *args: Any) -> None:
        try:
            if not self.cached:
                self._draw(painter, pixels=False)
                return
            if self._shown is None or self._shown[0] != self._content():
                self.render()  # other curves: painted now (a stretched picture would show them)
            elif self.stale():
                self._owner.queue(self)  # another view: stretched until redone
            if self._shown is not None:
                painter.drawImage(self._shown[3], self._shown[2])
        except Exception:  # an error raised into Qt's paint can bring the process down
            if not self._failed:
                self._failed = True
                log.exception("curves of %d finished trials could not be drawn", len(self.curves))


class CurveBundles:
    """The chunks of one plot: `set_members` says which curves they draw (the others draw
    themselves), `set_selected` which of those are drawn thick over the others, dimmed;
    `changed` after members' data or visibility changed."""

    def __init__(self, plot: pg.PlotItem, prepare: Prepare) -> None:
        self._plot = plot
        self.prepare = prepare
        self._chunks: dict[bool, list[CurveChunk]] = {False: [], True: []}
        self._where: dict[bool, dict[int, CurveChunk]] = {False: {}, True: {}}
        self._curves: dict[int, TrialCurve] = {}
        self._selected: set[int] = set()
        self._dim = False
        self._log_y = False
        self._cached = True
        self._stale: list[CurveChunk] = []
        self._shown_count: int | None = None
        self._expected = 0
        self._timer = QTimer(plot, singleShot=True, interval=0)
        self._timer.timeout.connect(self._refresh_one)

    def members(self) -> set[int]:
        return set(self._curves)

    def shown_plain(self) -> int:
        """How many of the plain chunks' curves are shown (counted again after a change), or
        will be once every finished trial's curve has loaded (`set_expected`): the pictures
        do not change from lines to outlines half way through loading."""
        if self._shown_count is None:
            self._shown_count = sum(1 for c in self._curves.values() if c.shown)
        return max(self._shown_count, self._expected)

    def set_expected(self, count: int) -> None:
        """How many finished trials the filters show, curves loaded or not."""
        if count != self._expected:
            self._expected = count
            self.changed(data=False)

    def chunks(self) -> list[CurveChunk]:
        return self._chunks[False] + self._chunks[True]

    def set_members(self, curves: Iterable[TrialCurve]) -> None:
        wanted = {c.trial_id: c for c in curves}
        for tid in list(self._curves):
            if tid not in wanted:
                self._curves.pop(tid).set_bundled(False)  # it draws itself again
        for tid, curve in wanted.items():
            if tid not in self._curves:
                curve.set_bundled(True)
        self._curves = wanted
        self._shown_count = None
        self._place(False, set(wanted))
        self._place(True, self._selected & set(wanted))

    def set_selected(self, ids: Iterable[int], *, dim: bool) -> None:
        """Draw these members thick over the rest, and the rest faint when `dim`."""
        self._selected = set(ids)
        self._place(True, self._selected & set(self._curves))
        if dim != self._dim:
            self._dim = dim
            for chunk in self._chunks[False]:
                chunk.setOpacity(DIM_OPACITY if dim else 1.0)

    def _place(self, thick: bool, ids: set[int]) -> None:
        """Put exactly `ids` into the `thick` (or plain) chunks, keeping where others are."""
        where = self._where[thick]
        touched: set[CurveChunk] = set()
        for tid in [t for t in where if t not in ids]:
            chunk = where.pop(tid)
            del chunk.curves[tid]
            touched.add(chunk)
        grown: set[CurveChunk] = set()
        for tid in sorted(ids - where.keys()):
            chunk = self._free_chunk(thick)
            chunk.curves[tid] = self._curves[tid]
            where[tid] = chunk
            grown.add(chunk)
        for chunk in touched:
            chunk.changed()
        for chunk in grown - touched:
            chunk.changed(data=False)  # only joined: drawn over its picture (render)

    def _free_chunk(self, thick: bool) -> CurveChunk:
        chunks = self._chunks[thick]
        for chunk in chunks:
            if len(chunk.curves) < CHUNK:
                return chunk
        chunk = CurveChunk(thick, self._log_y, self)
        chunk.cached = self._cached
        if self._dim and not thick:
            chunk.setOpacity(DIM_OPACITY)
        self._plot.addItem(chunk)
        chunks.append(chunk)
        return chunk

    def changed(self, tids: Iterable[int] | None = None, *, data: bool = True) -> None:
        """The chunks holding these curves (None: every chunk) paint afresh; `data` False:
        only which curves are shown changed (a picture kept for that may serve)."""
        self._shown_count = None
        if tids is None:
            chunks = set(self.chunks())
        else:
            ids = set(tids)
            chunks = {w[t] for w in self._where.values() for t in ids if t in w}
        for chunk in chunks:
            chunk.changed(data)

    def set_log_y(self, on: bool) -> None:
        if on != self._log_y:
            self._log_y = on
            for chunk in self.chunks():
                chunk.log_y = on
            self.changed()

    def set_cached(self, on: bool) -> None:
        """Off while exporting: an SVG keeps every line a vector, not a picture."""
        self._cached = on
        for chunk in self.chunks():
            chunk.cached = on
            chunk.update()

    # the stretched pictures, redone one per pass of the event loop -------------------------
    def queue(self, chunk: CurveChunk) -> None:
        if chunk not in self._stale:
            self._stale.append(chunk)
        if not self._timer.isActive():
            self._timer.start()

    def _refresh_one(self) -> None:
        while self._stale:
            chunk = self._stale.pop(0)
            if chunk.scene() is not None and chunk.stale():
                chunk.render()
                break
        if self._stale:
            self._timer.start()

    def clear(self) -> None:
        """Drop every chunk (the curves go too: nothing is handed back to them)."""
        for chunk in self.chunks():
            self._plot.removeItem(chunk)
        self._chunks = {False: [], True: []}
        self._where = {False: {}, True: {}}
        self._curves.clear()
        self._selected.clear()
        self._stale.clear()
