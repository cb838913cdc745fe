"""The trials of one experiment as a table: number, state, the searched parameters, the
objective (and the other objectives of a plan with several), the best so far, progress, elapsed
time and ETA; the stage of each trial when the search is staged.

Polls update the rows in place (dataChanged for the cells that changed, inserted rows for new
trials), never a reset, so the selection and the scroll position survive every poll. Sorting
and filtering live in `hpdesk.gui.trials.proxy.TrialsProxy`, which sorts on `SORT_ROLE`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont

from hpdesk.analysis.progress import (
    elapsed_seconds,
    epoch_fraction,
    eta_seconds,
    format_duration,
    running_best,
    total_epochs,
)
from hpdesk.gui.base.common import (
    STATE_SYMBOLS,
    format_value,
    state_color,
    state_icon,
    state_label,
    state_reason,
)
from hpdesk.gui.base.fit_findings import Badge, Findings, badge, level_color
from hpdesk.gui.base.plan_dicts import objectives, strategy_name
from hpdesk.knowledge import catalogue
from hpdesk.store import Trial
from hpdesk.store.records import TRIAL_STATES

SORT_ROLE = Qt.ItemDataRole.UserRole + 1      # the value a column sorts by (number or text)
TRIAL_ID_ROLE = Qt.ItemDataRole.UserRole + 2  # the trial's id, on every cell
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 3  # share done in [0, 1], on the progress cell
STATE_ROLE = Qt.ItemDataRole.UserRole + 4     # the trial's state, on every cell

Index = QModelIndex | QPersistentModelIndex
FIXED_BEFORE = ("number", "state")
FIXED_AFTER = ("objective", "best", "progress", "elapsed", "eta")


@dataclass(frozen=True)
class Cell:
    text: str = ""
    sort: Any = None
    provisional: bool = False    # a running trial's latest value, not yet its objective
    progress: float | None = None


def sort_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class TrialsModel(QAbstractTableModel):
    """One row per trial, in the order the trials arrived; `clock` gives "now" for the times
    of running trials (call `refresh_times()` on a timer to advance them). Signal `updated()`:
    after each burst of `dataChanged` (the sorting proxy moves rows once per burst)."""

    updated = Signal()

    def __init__(self, language: str = "en", clock: Callable[[], float] = time.time,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lang = language
        self.clock = clock
        self._plan: dict[str, Any] = {}
        self._params: list[str] = []
        # "fit": the badge of the trial's fit-state findings (hpdesk.gui.base.fit_findings).
        self._columns: list[str] = [*FIXED_BEFORE, "fit", *FIXED_AFTER]
        self._trials: list[Trial] = []
        self._row_of: dict[int, int] = {}
        self._cells: list[list[Cell]] = []
        self._filter_cache: dict[int, tuple[dict[str, Any], str]] = {}  # row -> values, text
        self._latest: dict[int, dict[str, float]] = {}
        self._direction = "maximize"
        self._metric = ""
        self._extra: list[str] = []  # metrics of the objectives after the first
        self._found: dict[int, tuple[Any, ...]] = {}  # trial id -> its fit-state findings
        self._badges: dict[int, Badge] = {}
        self.state_names = {state: state_label(state) for state in TRIAL_STATES}

    # --- the API the window calls ---------------------------------------------------------------
    def set_plan(self, plan: Mapping[str, Any]) -> None:
        """The plan in its exported form: its searched parameters become columns, its objective
        names the objective column and the direction of "best". Resets the table (once per
        experiment); trials already set are kept."""
        space = plan.get("space") or {}
        params = [name for name, entry in space.items()
                  if not (isinstance(entry, Mapping) and entry.get("type") == "fixed")
                  and isinstance(entry, (Mapping, list))]
        goals = objectives(plan) or [{"metric": "", "direction": "maximize"}]
        self.beginResetModel()
        self._plan = dict(plan)
        self._params = params
        self._extra = [g["metric"] for g in goals[1:]]
        stage = ["stage"] if strategy_name(plan) == "staged" else []
        self._columns = [*FIXED_BEFORE, *stage, "fit", *(f"param:{p}" for p in params),
                         "objective", *(f"extra:{i}" for i in range(len(self._extra))),
                         *FIXED_AFTER[1:]]
        self._metric = str(goals[0]["metric"])
        self._direction = str(goals[0]["direction"])
        self._cells = self._compute_all()
        self._filter_cache.clear()
        self.endResetModel()

    def set_trials(self, trials: Sequence[Trial]) -> None:
        """The experiment's trials now: known rows change in place, new ones are appended,
        vanished ones removed."""
        wanted = {t.id: t for t in trials}
        for gone in sorted((r for tid, r in self._row_of.items() if tid not in wanted),
                           reverse=True):
            self.beginRemoveRows(QModelIndex(), gone, gone)
            del self._trials[gone]
            del self._cells[gone]
            self._filter_cache.clear()  # rows below moved up
            self.endRemoveRows()
        removed = len(self._row_of) != len(self._trials)
        self._row_of = {t.id: r for r, t in enumerate(self._trials)}
        changed: set[int] = set()
        ranking = removed  # a change that can move "best" (the running best) recomputes all
        for trial in trials:
            row = self._row_of.get(trial.id)
            if row is not None and self._trials[row] != trial:
                old = self._trials[row]
                ranking |= (old.state, old.objective, old.number) != (
                    trial.state, trial.objective, trial.number)
                self._trials[row] = trial
                changed.add(row)
        new = sorted((t for t in trials if t.id not in self._row_of), key=lambda t: t.number)
        computed = None
        if new:
            first = len(self._trials)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            self._trials.extend(new)
            self._row_of = {t.id: r for r, t in enumerate(self._trials)}
            computed = self._compute_all()  # every row's, used again just below
            self._cells.extend(computed[first:])
            self.endInsertRows()
            ranking = True
        # 2,000 trials: only the rows that changed are recomputed (benchmarks/gui_scale.py).
        self._update_cells(None if ranking else changed, computed)

    def set_latest(self, latest: Mapping[int, Mapping[str, float | None]]) -> None:
        """Latest value of each metric per trial id (merged into what is known)."""
        for trial_id, values in latest.items():
            self._latest.setdefault(trial_id, {}).update(
                {k: v for k, v in values.items() if v is not None})
        self._update_cells({r for tid in latest if (r := self._row_of.get(tid)) is not None})

    def set_findings(self, findings: Findings) -> None:
        """Every trial's fit-state findings now (trial id -> findings; absent: none): their
        badges change in place."""
        old = self._found
        self._found = {tid: tuple(f) for tid, f in findings.items() if f}
        changed = {tid for tid in set(old) | set(self._found)
                   if old.get(tid) != self._found.get(tid)}
        for tid in changed:
            made = badge(self._found.get(tid, ()), self.lang)
            if made is None:
                self._badges.pop(tid, None)
            else:
                self._badges[tid] = made
        rows = {r for tid in changed if (r := self._row_of.get(tid)) is not None}
        if rows:
            self._update_cells(rows)

    def findings_of(self, trial_id: int) -> tuple[Any, ...]:
        """The trial's fit-state findings (`TrialFinding`s, most urgent first)."""
        return self._found.get(trial_id, ())

    def refresh_times(self) -> None:
        """Advance the elapsed time and ETA of running trials to `clock()` (only a trial
        started and not ended has times that move)."""
        self._update_cells({r for r, t in enumerate(self._trials)
                            if t.started_at is not None and t.ended_at is None})

    # --- lookups --------------------------------------------------------------------------------
    def trial(self, row: int) -> Trial:
        return self._trials[row]

    def trial_by_id(self, trial_id: int) -> Trial | None:
        row = self._row_of.get(trial_id)
        return None if row is None else self._trials[row]

    def row_of(self, trial_id: int) -> int | None:
        return self._row_of.get(trial_id)

    def column_of(self, key: str) -> int:
        """Column of "number", "state", "objective", "best", "progress", "elapsed", "eta" or
        "param:NAME"; -1 when absent."""
        return self._columns.index(key) if key in self._columns else -1

    def column_key(self, column: int) -> str:
        """What a column shows: "number", "state", "param:lr", "extra:0"... (column_of's key)."""
        return self._columns[column]

    def searched(self) -> list[str]:
        return list(self._params)

    def filter_values(self, row: int) -> dict[str, Any]:
        """What a typed condition (`lr>0.01`, `state=running`) compares against (kept until the
        row changes: do not modify it)."""
        return self._filtered(row)[0]

    def row_text(self, row: int) -> str:
        return self._filtered(row)[1]

    def sort_key(self, row: int, column: int) -> Any:
        """The cell's SORT_ROLE value, without a trip through Qt (the proxy sorts 2,000 rows)."""
        return self._cells[row][column].sort

    def _filtered(self, row: int) -> tuple[dict[str, Any], str]:
        cached = self._filter_cache.get(row)
        if cached is None:
            text = " ".join([c.text for c in self._cells[row]] + [self._trials[row].state])
            cached = self._filter_cache[row] = (self._filter_values(row), text)
        return cached

    def _filter_values(self, row: int) -> dict[str, Any]:
        t = self._trials[row]
        cells = self._cells[row]
        values: dict[str, Any] = {**t.params, "number": t.number, "#": t.number, "state": t.state,
                                  "id": t.id, "stage": t.stage}
        found = self._badges.get(t.id)
        values["fit"] = " ".join(found.kinds) if found is not None else ""
        for key in ("objective", "best", "progress"):
            values[key] = cells[self.column_of(key)].sort
        if self._metric:
            values.setdefault(self._metric, values["objective"])
        for name, value in self._latest.get(t.id, {}).items():
            values.setdefault(name, value)
        return values

    # --- Qt's model interface -------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._trials)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        trial, cell, key = self._trials[row], self._cells[row][col], self._columns[col]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell.text
        if role == SORT_ROLE:
            return cell.sort
        if role == TRIAL_ID_ROLE:
            return trial.id
        if role == STATE_ROLE:
            return trial.state
        if role == PROGRESS_ROLE:
            return cell.progress if key == "progress" else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            left = key in ("state", "fit") or isinstance(cell.sort, str)
            return int((Qt.AlignmentFlag.AlignLeft if left else Qt.AlignmentFlag.AlignRight)
                       | Qt.AlignmentFlag.AlignVCenter)
        if key == "state" and role == Qt.ItemDataRole.BackgroundRole:
            return state_color(trial.state)
        if key == "state" and role == Qt.ItemDataRole.DecorationRole and \
                trial.state in STATE_SYMBOLS:  # the shape of its curve's end marker
            return state_icon(trial.state)
        if key == "state" and role == Qt.ItemDataRole.ForegroundRole:
            return _readable_on(state_color(trial.state))
        if key == "fit" and role == Qt.ItemDataRole.ForegroundRole and \
                (found := self._badges.get(trial.id)) is not None:
            return QColor(level_color(found.level))
        if role == Qt.ItemDataRole.FontRole and (cell.provisional or key == "state"):
            font = QFont()
            font.setItalic(cell.provisional)
            font.setBold(key == "state")
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(trial, key, cell)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        key = self._columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._header(key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._header_tip(key)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # --- cells ----------------------------------------------------------------------------------
    def _header(self, key: str) -> str:
        if key.startswith("param:"):
            return key[len("param:"):]
        if key == "objective":
            return self._metric or self.tr("Objective")
        if key.startswith("extra:"):
            return self._extra[int(key[len("extra:"):])]
        return {"number": self.tr("#"), "state": self.tr("State"), "stage": self.tr("Stage"),
                "fit": self.tr("Fit"), "best": self.tr("Best so far"),
                "progress": self.tr("Progress"),
                "elapsed": self.tr("Elapsed"), "eta": self.tr("ETA")}.get(key, key)

    def _header_tip(self, key: str) -> str:
        if key.startswith("param:"):
            hp = catalogue().get(key[len("param:"):])
            return hp.help(self.lang) if hp is not None else ""
        if key == "objective":
            text = (self.tr("The objective %1; higher is better.") if self._direction == "maximize"
                    else self.tr("The objective %1; lower is better."))
            return text.replace("%1", self._metric) + " " + self.tr(
                "Running trials show their latest value in italics.")
        if key == "best":
            return self.tr("The best objective of the completed trials up to this one.")
        if key == "stage":
            return self.tr("The stage of the staged search the trial ran in (1: the first).")
        if key.startswith("extra:"):
            return self.tr("Another objective of the plan (see the Pareto front).")
        if key == "progress":
            return self.tr("Epochs done of the epochs planned.")
        if key == "fit":
            return self.tr("Fit-state findings read from the curves: divergence, a learning rate "
                           "too high, over-fitting, under-fitting, a plateau, a GAN's collapse. "
                           "Enter or a double-click lists them in full.")
        if key == "eta":
            return self.tr("Time left, if the rest goes at the pace so far.")
        return ""

    def rerun_of(self, trial: Trial) -> int | None:
        """The number of the trial whose parameters `trial` runs again (a person's re-run or
        an automatic retry both record it in `retry_of`); None when it is no re-run."""
        if trial.retry_of is None:
            return None
        row = self._row_of.get(trial.retry_of)
        return None if row is None else self._trials[row].number

    def _number_text(self, t: Trial) -> str:
        """"12 ↻ 7" for trial 12 running trial 7's parameters again (the tooltip says so)."""
        if t.retry_of is None:
            return str(t.number)
        origin = self.rerun_of(t)
        return f"{t.number} ↻ {origin}" if origin is not None else f"{t.number} ↻"

    def _tooltip(self, trial: Trial, key: str, cell: Cell) -> str | None:
        if key == "fit":
            found = self._badges.get(trial.id)
            return found.tip if found is not None else None
        if key == "number" and trial.retry_of is not None:
            origin = self.rerun_of(trial)
            if origin is None:
                return self.tr("A re-run: the same parameters as an earlier trial.")
            return self.tr("A re-run of trial %1: the same parameters, run again (by Run "
                           "again, or retried after a failure).").replace("%1", str(origin))
        if key == "state":
            if trial.state == "running" and trial.stalled_since is not None:
                minutes = max(0.0, self.clock() - trial.stalled_since) / 60
                return self.tr("No metric point, no output and no CPU time for %1 min: the "
                               "trial may be hung (executor.stall_timeout).").replace(
                                   "%1", f"{minutes:.0f}")
            return state_reason(trial.state, trial.message) or None
        if cell.provisional:
            return self.tr("Latest value; the trial is still running.")
        return None

    def _compute_all(self) -> list[list[Cell]]:
        order = sorted(range(len(self._trials)), key=lambda r: self._trials[r].number)
        values = [self._trials[r].objective if self._trials[r].state == "completed" else None
                  for r in order]
        best_of = dict(zip(order, running_best(values, self._direction)))
        now = self.clock()
        return [self._row_cells(t, best_of[r], now) for r, t in enumerate(self._trials)]

    def _row_cells(self, t: Trial, best: float | None, now: float) -> list[Cell]:
        latest = self._latest.get(t.id, {})
        cells: list[Cell] = []
        fraction = epoch_fraction(latest.get("epoch"),
                                  total_epochs(t.params, self._plan.get("space")),
                                  completed=t.state == "completed")
        elapsed = elapsed_seconds(t.started_at, t.ended_at, now)
        for key in self._columns:
            if key == "number":
                cells.append(Cell(self._number_text(t), t.number))
            elif key == "state":
                label = self.state_names.get(t.state, t.state)
                if t.state == "running" and t.stalled_since is not None:
                    label = self.tr("%1 (stalled)").replace("%1", label)
                cells.append(Cell(label,
                                  TRIAL_STATES.index(t.state) if t.state in TRIAL_STATES else 99))
            elif key == "fit":
                found = self._badges.get(t.id)
                cells.append(Cell(found.text, found.rank) if found is not None else Cell())
            elif key.startswith("param:"):
                value = t.params.get(key[len("param:"):])
                cells.append(Cell(format_value(value), sort_value(value)))
            elif key == "stage":
                cells.append(Cell("" if t.stage is None else str(t.stage), t.stage))
            elif key.startswith("extra:"):
                i = int(key[len("extra:"):]) + 1
                extra = t.objectives[i] if t.objectives and len(t.objectives) > i else None
                cells.append(Cell(format_value(extra), sort_value(extra)))
            elif key == "objective":
                value, provisional = t.objective, False
                if value is None and t.state == "running" and self._metric in latest:
                    value, provisional = latest[self._metric], True
                cells.append(Cell(format_value(value), sort_value(value), provisional))
            elif key == "best":
                cells.append(Cell(format_value(best), best))
            elif key == "progress":
                total = total_epochs(t.params, self._plan.get("space"))
                done = latest.get("epoch")
                text = ""
                if total is not None and (done is not None or t.state == "completed"):
                    shown = total if t.state == "completed" else min(int(done or 0), total)
                    text = f"{shown}/{total}"
                cells.append(Cell(text, fraction, progress=fraction))
            elif key == "elapsed":
                cells.append(Cell(format_duration(elapsed), elapsed))
            elif key == "eta":
                eta = eta_seconds(elapsed, fraction) if t.state == "running" else None
                cells.append(Cell(format_duration(eta), eta))
        return cells

    def _update_cells(self, rows: set[int] | None = None,
                      computed: list[list[Cell]] | None = None) -> None:
        """Recompute every row's cells (None; `computed`: already done), or only `rows`,
        keeping their "best" (the running best changes only with the trials' objectives:
        `set_trials` passes None)."""
        if rows is None:
            self._filter_cache.clear()
            pairs: Iterable[tuple[int, list[Cell]]] = enumerate(
                computed if computed is not None else self._compute_all())
        else:
            for r in rows:
                self._filter_cache.pop(r, None)
            best_col, now = self.column_of("best"), self.clock()
            pairs = [(r, self._row_cells(self._trials[r], self._cells[r][best_col].sort, now))
                     for r in sorted(rows)]
        for row, new in pairs:
            old = self._cells[row]
            changed = [c for c, (a, b) in enumerate(zip(old, new)) if a != b]
            self._cells[row] = new
            if changed:
                self.dataChanged.emit(self.index(row, changed[0]), self.index(row, changed[-1]))
        self.updated.emit()


def _readable_on(background: QColor) -> QColor:
    """White text where it keeps a 3:1 contrast (WCAG's ratio for bold or large text; the
    saturated state colours), else black (orange, olive)."""
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4
    lum = (0.2126 * channel(background.red()) + 0.7152 * channel(background.green())
           + 0.0722 * channel(background.blue()))
    return QColor("#ffffff") if 1.05 / (lum + 0.05) >= 3.0 else QColor("#000000")
