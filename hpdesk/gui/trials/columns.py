"""Widths of the trials table's columns, from the plan rather than from the trials at hand.

A column sized to the first poll's trials is too narrow for the next ones ("0.00…") and a
different width at each launch. Here each column is as wide as the widest text its plan lets
it show: a searched float in 4 significant digits (`format_value`) is at most ten characters
("-0.0001235", "-1.235e-05"), an integer range its bounds, a list its choices; never narrower
than its head (with room for the sort arrow) or `MIN_WIDTH`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics

from hpdesk.gui.base.common import format_value
from hpdesk.gui.trials.model import TrialsModel

MIN_WIDTH = 48      # pixels: a column never shrinks to a sliver
MAX_WIDTH = 260     # a long categorical value is cut (its tooltip has it whole)
PADDING = 16        # the cell's margins either side of the text
HEAD_PADDING = 28   # the head's margins and its sort arrow
WIDEST_FLOATS = ("-0.0001235", "-1.235e-05", "-1.235e+05")
WIDEST_DURATIONS = ("1:00:00", "100:00:00")
PROGRESS_MIN = 110


def _samples(key: str, model: TrialsModel, plan: Mapping[str, Any]) -> Iterable[str]:
    """The widest texts a column may show."""
    if key == "number":
        return ("9999",)
    if key == "state":
        return model.state_names.values()
    if key == "stage":
        return ("99",)
    if key in ("objective", "best") or key.startswith("extra:"):
        return WIDEST_FLOATS
    if key in ("elapsed", "eta"):
        return WIDEST_DURATIONS
    if key == "progress":
        return ("100/100",)
    if key == "fit":  # a badge: an icon, the longest title of a finding and "+1"
        from hpdesk.knowledge.fit_words import fit_words

        zh = str(model.lang).startswith("zh")
        return tuple(f"\u26a0 {w.title_zh if zh else w.title_en} +1"
                     for w in fit_words().values())
    if key.startswith("param:"):
        return _param_samples((plan.get("space") or {}).get(key[len("param:"):]))
    return ()


def _param_samples(entry: Any) -> list[str]:
    if isinstance(entry, list):
        return [format_value(v) for v in entry]
    if not isinstance(entry, Mapping):
        return list(WIDEST_FLOATS)
    kind = entry.get("type")
    if kind == "int":
        return [format_value(entry.get(k)) for k in ("low", "high") if k in entry]
    if kind == "categorical":
        return [format_value(v) for v in entry.get("choices") or ()]
    return list(WIDEST_FLOATS)  # a float anywhere in its range


def column_widths(model: TrialsModel, plan: Mapping[str, Any], font: QFont,
                  head_font: QFont) -> list[int]:
    """One width in pixels per column of `model`, set up for `plan` (its exported form)."""
    bold = QFont(font)
    bold.setBold(True)
    cells, bold_cells, heads = QFontMetrics(font), QFontMetrics(bold), QFontMetrics(head_font)
    widths = []
    for col in range(model.columnCount()):
        key = model.column_key(col)
        metrics = bold_cells if key == "state" else cells
        extra = 36 if key == "state" else PADDING  # the state's icon
        texts = [t for t in _samples(key, model, plan) if t]
        content = max((metrics.horizontalAdvance(t) for t in texts), default=0) + extra
        head = heads.horizontalAdvance(str(model.headerData(col, Qt.Orientation.Horizontal) or ""))
        width = max(MIN_WIDTH, content, head + HEAD_PADDING)
        if key == "progress":
            width = max(width, PROGRESS_MIN)
        widths.append(min(width, MAX_WIDTH))
    return widths

__all__ = ["MIN_WIDTH", "column_widths"]
