"""Sorting and filtering the trials table: numbers sort as numbers with missing values last in
either order; a state filter and a typed filter (`lr>0.01 running`, `state=已剪枝`, `stage=2`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt

from hpdesk.analysis.progress import parse_filter
from hpdesk.gui.common import state_label
from hpdesk.gui.trials_model import SORT_ROLE, TrialsModel
from hpdesk.store.records import TRIAL_STATES

Index = QModelIndex | QPersistentModelIndex


class TrialsProxy(QSortFilterProxyModel):
    """Sorts numbers as numbers and puts missing values last whichever the order; filters by
    one state (None: all) and by a typed filter."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)
        self._state: str | None = None
        self._filter = parse_filter("")

    def set_state_filter(self, state: str | None) -> None:
        self._refilter(lambda: setattr(self, "_state", state))

    def set_text_filter(self, text: str) -> None:
        """`state=` also takes the state names the table shows (state=已完成 in Chinese)."""
        by_label = {state_label(s).lower(): s for s in TRIAL_STATES}
        text = re.sub(r"(?i)(\bstate\s*(?:!=|==|=)\s*)(\S+)",
                      lambda m: m.group(1) + by_label.get(m.group(2).lower(), m.group(2)), text)
        self._refilter(lambda: setattr(self, "_filter", parse_filter(text)))

    def _refilter(self, change: Callable[[], None]) -> None:
        """Qt 6.9 brought begin/endFilterChange and deprecated invalidateFilter (we allow 6.8)."""
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802
        model = self.sourceModel()
        if not isinstance(model, TrialsModel):
            return True
        if self._state is not None and model.trial(source_row).state != self._state:
            return False
        if not self._filter:
            return True
        return self._filter.matches(model.filter_values(source_row), model.row_text(source_row))

    def lessThan(self, left: Index, right: Index) -> bool:  # noqa: N802
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if a is None or b is None:
            if a is None and b is None:
                return False
            # Missing values last: "less" in a descending sort, "greater" in an ascending one.
            return (a is None) == (self.sortOrder() == Qt.SortOrder.DescendingOrder)
        return _key(a) < _key(b)


def _key(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value)
    return (1, str(value).lower())
