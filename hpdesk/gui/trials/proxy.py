"""Sorting and filtering the trials table: numbers sort as numbers with missing values last in
either order; a state filter and a typed filter (`lr>0.01 running`, `state=已剪枝`, `stage=2`).
A typed filter that cannot match (an unknown name, `lr>abc`) says why in `filter_problem()`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from hpdesk.analysis.progress import parse_filter
from hpdesk.gui.base.common import state_label
from hpdesk.gui.trials.model import SORT_ROLE, TrialsModel
from hpdesk.store.records import TRIAL_STATES

Index = QModelIndex | QPersistentModelIndex
ORDERING = frozenset({">", "<", ">=", "<="})
ALWAYS_KNOWN = frozenset({"number", "#", "state", "id", "stage", "objective", "best", "progress"})


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
        text = re.sub(r"\s*(>=|<=|!=|==|=|>|<)\s*", r"\1", text)  # `lr > 0.01` is `lr>0.01`
        text = re.sub(r"(?i)(\bstate\s*(?:!=|==|=)\s*)(\S+)",
                      lambda m: m.group(1) + by_label.get(m.group(2).lower(), m.group(2)), text)
        self._refilter(lambda: setattr(self, "_filter", parse_filter(text)))

    def filter_problem(self) -> str:
        """Why the typed filter shows no trial when the reason is the filter itself (a name no
        column or metric has, an ordering against a word, an unknown state), in one sentence;
        "" when it is well formed or some trial matches it."""
        model = self.sourceModel()
        if not self._filter or not isinstance(model, TrialsModel) or self.rowCount() > 0 \
                or model.rowCount() == 0:
            return ""
        known = {n.lower() for n in ALWAYS_KNOWN | set(model.searched())}
        for cond in self._filter.conditions:
            shown = f"{cond.name}{cond.op}{cond.value}"
            if cond.value[:1] in ("<", ">", "=", "!"):
                return _say(QCoreApplication.translate(
                    "TrialsProxy", "“%1” is not a condition: write name<value, name>=value or "
                    "name=value."), shown)
            if cond.name.lower() not in known:
                known |= {k.lower() for r in range(model.rowCount())
                          for k in model.filter_values(r)}
                if cond.name.lower() not in known:
                    return _say(QCoreApplication.translate(
                        "TrialsProxy", "No column or metric is called “%1”."), cond.name)
            if cond.op in ORDERING and _number(cond.value) is None:
                return _say(QCoreApplication.translate(
                    "TrialsProxy", "“%1” compares with “%2”, which is not a number."), shown,
                    cond.value)
            if cond.name.lower() == "state" and cond.value.lower() not in TRIAL_STATES:
                return _say(QCoreApplication.translate(
                    "TrialsProxy", "“%1” is not a trial state."), cond.value)
        return ""

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
        model = self.sourceModel()
        if isinstance(model, TrialsModel):  # straight from the cells: 2,000 rows in < 100 ms
            a = model.sort_key(left.row(), left.column())
            b = model.sort_key(right.row(), right.column())
        else:
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


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _say(text: str, *args: str) -> str:
    out = text
    for i, arg in enumerate(args, 1):
        out = out.replace(f"%{i}", arg)
    return out
