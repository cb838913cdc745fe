"""Sorting and filtering the trials table: numbers sort as numbers with missing values last in
either order; a state filter and a typed filter (`lr>0.01 running`, `state=已剪枝`, `stage=2`).
A typed filter that cannot match (an unknown name, `lr>abc`) says why in `filter_problem()`.

The order and the rows shown are Python lists made in one pass (`sorted` over the cells the
model keeps), not QSortFilterProxyModel's: that one asks Python for every comparison and for
the source's row count hundreds of thousands of times, 150 ms a sort of 2,000 trials
(benchmarks/gui_scale.py). Every change of order or of the rows shown is a layout change that
carries the selection and the current cell along by trial id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractProxyModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from hpdesk.analysis.progress import parse_filter
from hpdesk.gui.base.common import state_label
from hpdesk.gui.trials.model import TrialsModel
from hpdesk.store.records import TRIAL_STATES

Index = QModelIndex | QPersistentModelIndex
# Layout changes say that only the rows' order changes (VerticalSortHint): the selection model
# then keeps whole selected rows as row ranges instead of a persistent index for every cell
# (200 rows selected: 110 -> 10 ms a change). PySide's plain emit() carries no hint.
_PERSISTENT, _HINT = "QList<QPersistentModelIndex>", "QAbstractItemModel::LayoutChangeHint"
_SORT_HINT = QAbstractItemModel.LayoutChangeHint.VerticalSortHint
ORDERING = frozenset({">", "<", ">=", "<="})
ALWAYS_KNOWN = frozenset({"number", "#", "state", "id", "stage", "objective", "best", "progress"})


class TrialsProxy(QAbstractProxyModel):
    """Sorts numbers as numbers and puts missing values last whichever the order; filters by
    one state (None: all) and by a typed filter. Its source is a `TrialsModel`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state: str | None = None
        self._filter = parse_filter("")
        self._rows: list[int] = []  # proxy row -> source row
        self._pos: dict[int, int] = {}  # source row -> proxy row (shown rows only)
        self._column = -1
        self._order = Qt.SortOrder.AscendingOrder
        self._saved: list[tuple[QModelIndex, int | None, int]] | None = None
        self._accept: dict[int, bool] = {}  # source row -> shown by the filters
        self._relayout_due = False  # a changed row moves or shows or hides (_relayout)

    # --- the source -----------------------------------------------------------------------------
    def setSourceModel(self, model: QAbstractItemModel) -> None:  # noqa: N802 (Qt's name)
        old = self.sourceModel()
        if old is not None:
            old.disconnect(self)
        self.beginResetModel()
        super().setSourceModel(model)
        model.modelAboutToBeReset.connect(self.beginResetModel)
        model.modelReset.connect(self._source_reset)
        for about in (model.rowsAboutToBeInserted, model.rowsAboutToBeRemoved,
                      model.layoutAboutToBeChanged):
            about.connect(self._begin_layout)
        for done in (model.rowsInserted, model.rowsRemoved, model.layoutChanged):
            done.connect(self._end_layout)
        model.dataChanged.connect(self._source_data_changed)
        if isinstance(model, TrialsModel):
            model.updated.connect(self._relayout)
        else:
            model.dataChanged.connect(self._relayout)
        model.headerDataChanged.connect(self.headerDataChanged)
        self._rebuild()
        self.endResetModel()

    def _model(self) -> TrialsModel | None:
        model = self.sourceModel()
        return model if isinstance(model, TrialsModel) else None

    def _source_reset(self) -> None:
        self._accept.clear()
        self._rebuild()
        self.endResetModel()

    def _begin_layout(self, *_: object) -> None:
        """Before the rows shown or their order change: remember each persistent index (the
        selection, the current cell) by its trial id."""
        if self._saved is not None:
            return
        self.layoutAboutToBeChanged[_PERSISTENT, _HINT].emit([], _SORT_HINT)  # type: ignore[index]
        self._saved = [(QModelIndex(p), self._id_at(p.row()), p.column())
                       for p in self.persistentIndexList()]

    def _end_layout(self, *_: object) -> None:
        saved, self._saved = self._saved or [], None
        self._relayout_due = False  # this layout is the one that was due
        if self._model() is not None and len(self._accept) > self._model().rowCount():  # type: ignore[union-attr]
            self._accept.clear()  # rows went: their numbers moved
        self._rebuild()
        model = self._model()
        moved = []
        for _old, tid, column in saved:
            row = model.row_of(tid) if model is not None and tid is not None else None
            at = self._pos.get(row) if row is not None else None
            moved.append(self.index(at, column) if at is not None else QModelIndex())
        self.changePersistentIndexList([old for old, _tid, _col in saved], moved)
        self.layoutChanged[_PERSISTENT, _HINT].emit([], _SORT_HINT)  # type: ignore[index]

    def _id_at(self, row: int) -> int | None:
        model = self._model()
        if model is None or not 0 <= row < len(self._rows):
            return None
        return model.trial(self._rows[row]).id

    def _source_data_changed(self, top: QModelIndex, bottom: QModelIndex,
                             roles: list[int] | None = None) -> None:
        """A cell changed: a layout change when that moves a row or shows or hides one (new
        objective values, states), else the cells themselves. Only the changed rows and their
        neighbours are looked at (a poll changes a few of 2,000)."""
        model = self._model()
        if model is None:
            return
        changed = range(top.row(), bottom.row() + 1)
        for r in changed:
            self._accept.pop(r, None)
        if not self._relayout_due and any(
                self._accepted(model, r) != (r in self._pos) or
                (r in self._pos and not self._in_order(model, self._pos[r])) for r in changed):
            # Once for a poll's many changed rows, after them (the model's `updated`): until
            # then the rows keep their places and show their new values.
            self._relayout_due = True
        shown = [self._pos[r] for r in changed if r in self._pos]
        if shown:
            self.dataChanged.emit(self.index(min(shown), top.column()),
                                  self.index(max(shown), bottom.column()), roles or [])

    def _relayout(self) -> None:
        if self._relayout_due:
            self._relayout_due = False
            self._begin_layout()
            self._end_layout()

    # --- order and filter -------------------------------------------------------------------------
    def _in_order(self, model: TrialsModel, row: int) -> bool:
        """Whether the shown row `row` still sorts between its neighbours."""
        if not 0 <= self._column < model.columnCount():
            return True
        rows = self._rows
        return (row == 0 or self._precedes(model, rows[row - 1], rows[row])) and \
            (row == len(rows) - 1 or self._precedes(model, rows[row], rows[row + 1]))

    def _precedes(self, model: TrialsModel, a: int, b: int) -> bool:
        ka, kb = model.sort_key(a, self._column), model.sort_key(b, self._column)
        if ka is None or kb is None:
            return kb is None  # missing values last
        if self._order == Qt.SortOrder.DescendingOrder:
            return _key(ka) >= _key(kb)
        return _key(ka) <= _key(kb)

    def _rebuild(self) -> None:
        self._rows = self._arranged()
        self._pos = {source: row for row, source in enumerate(self._rows)}

    def _arranged(self) -> list[int]:
        """The source rows shown, in the order shown."""
        model = self._model()
        if model is None:
            return []
        rows = [r for r in range(model.rowCount()) if self._accepted(model, r)]
        if not 0 <= self._column < model.columnCount():
            return rows
        keys = {r: model.sort_key(r, self._column) for r in rows}
        present = [r for r in rows if keys[r] is not None]
        present.sort(key=lambda r: _key(keys[r]),
                     reverse=self._order == Qt.SortOrder.DescendingOrder)
        return present + [r for r in rows if keys[r] is None]  # missing values last

    def _accepted(self, model: TrialsModel, row: int) -> bool:
        """`_accepts`, kept per row until the row, the rows or the filter change."""
        known = self._accept.get(row)
        if known is None:
            known = self._accept[row] = self._accepts(model, row)
        return known

    def _accepts(self, model: TrialsModel, row: int) -> bool:
        if self._state is not None and model.trial(row).state != self._state:
            return False
        if not self._filter:
            return True
        return self._filter.matches(model.filter_values(row), model.row_text(row))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._begin_layout()
        self._column, self._order = column, order
        self._end_layout()

    def shown_trial_ids(self) -> list[int]:
        """The trials the table shows, in its order (without a trip through Qt per row)."""
        model = self._model()
        return [] if model is None else [model.trial(r).id for r in self._rows]

    def sortColumn(self) -> int:  # noqa: N802 (QSortFilterProxyModel's name)
        return self._column

    def sortOrder(self) -> Qt.SortOrder:  # noqa: N802 (QSortFilterProxyModel's name)
        return self._order

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
        self._begin_layout()
        change()
        self._accept.clear()
        self._end_layout()

    # --- Qt's proxy interface -------------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if parent.isValid() or not (0 <= row < len(self._rows)) or \
                not 0 <= column < self.columnCount():
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        return QModelIndex()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        model = self.sourceModel()
        return 0 if parent.isValid() or model is None else model.columnCount()

    def mapToSource(self, proxy: Index) -> QModelIndex:  # noqa: N802
        model = self.sourceModel()
        if model is None or not proxy.isValid() or not 0 <= proxy.row() < len(self._rows):
            return QModelIndex()
        return model.index(self._rows[proxy.row()], proxy.column())

    def mapFromSource(self, source: Index) -> QModelIndex:  # noqa: N802
        row = self._pos.get(source.row()) if source.isValid() else None
        return QModelIndex() if row is None else self.createIndex(row, source.column())

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        model = self.sourceModel()
        if orientation == Qt.Orientation.Horizontal and model is not None:
            return model.headerData(section, orientation, role)
        if role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        model = self.sourceModel()
        if model is None or not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return model.data(model.index(self._rows[index.row()], index.column()), role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable if index.isValid() \
            else Qt.ItemFlag.NoItemFlags


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
