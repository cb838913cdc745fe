"""Reading one experiment's SQLite file off the GUI thread, a few times a second.

`ExperimentPoller` (GUI thread) owns a `QThread` in which a `_PollWorker` opens its own `Store`
and, on a timer, reads what changed: the experiment's trial rows (a small table), the metric
points written since the last look (a rowid watermark: never a whole-table aggregate), the
search's events the views draw (stages, importance, PBT decisions; an id watermark too), and, on
request, whole curves from the packed store (`hpdesk.store.curves`). Results travel back as
frozen dataclasses of plain data and numpy arrays, one signal per tick, never one per point.

Ordering contract: `CurvesResult`s (a request is answered in batches of a few trials) are read
in the same snapshot as the `PollResult` emitted just before them and carry its watermark, so a
receiver that replaces a curve with the `CurvesResult` and appends later `PollResult.new_points`
sees every point exactly once.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QCoreApplication,
    QMetaObject,
    QObject,
    Qt,
    QThread,
    QTimer,
    Signal,
    Slot,
)

from hpdesk.gui.base.gc_guard import collect_on_gui_thread
from hpdesk.store import Event, Experiment, Store, StoreError, Trial
from hpdesk.store.curves import Curve, last_points, metric_names, read_curves, snapshot

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_MS = 250  # 4 Hz: live enough, cheap enough
MAX_POINTS_PER_TICK = 200_000  # a backlog is read over several ticks, the window stays fluid
READER_BUSY_TIMEOUT_MS = 2_000  # a reader waits little: a locked file is reported, then retried
OPEN_RETRY_MS = 3_000  # a database that would not open is tried again this often
CURVES_PER_RESULT = 8  # whole curves per curvesLoaded signal
#: The GUI thread hands results on for at most this long per pass of its event loop: the
#: worker reads 2,000 whole curves faster than the views draw them, and Qt delivers every
#: result queued before a pass in that pass (benchmarks/gui_scale.py: an 18 s stall).
RELAY_BUDGET_S = 0.02
#: A one-row summary of an experiment's trial rows that changes when any shown column does: a
#: sum per number column (each its own, so a small change is not lost beside large ones), every
#: state in order, and the lengths and first characters of the text columns. A change it cannot
#: see (equal sums that cancel out) is read at the next full read, `FULL_READ_S` later at most.
TRIALS_PROBE = (
    "SELECT count(*), total(id), total(number), total(pid), total(started_at), total(ended_at),"
    " total(exit_code), total(objective), total(last_report_at), total(stalled_since),"
    " total(process_started_at), total(retry_of), group_concat(state, ','),"
    " group_concat(ifnull(requested_state, ''), ','), total(length(message)),"
    " total(unicode(message)), total(length(search_state)), total(length(objectives)),"
    " total(length(device)), total(length(log_path)), total(length(host)),"
    " total(length(provenance)), total(length(params))"
    " FROM trials WHERE experiment_id = ?")
FULL_READ_S = 2.0  # the trial rows are read whole at least this often
#: Events with a payload the views draw: staged search (stage, stage_end, importance), PBT.
VIEW_EVENTS = ("stage", "stage_end", "importance", "pbt")


@dataclass(frozen=True)
class Points:
    """Points of one curve as arrays: int64 steps, float64 values (NaN: no value) and wall
    times (seconds since the epoch)."""

    steps: np.ndarray
    values: np.ndarray
    walls: np.ndarray

    def __len__(self) -> int:
        return int(self.steps.size)

    @classmethod
    def from_curve(cls, curve: Curve) -> Points:
        """Zero-copy views of the store's packed arrays."""
        return cls(np.frombuffer(curve.steps, dtype=np.int64),
                   np.frombuffer(curve.values, dtype=np.float64),
                   np.frombuffer(curve.walls, dtype=np.float64))


@dataclass(frozen=True)
class PollResult:
    """What one tick found. Emitted only when something changed.

    - `trials`: every trial of the experiment, in number order (`trials_changed` says whether
      they differ from the previous result's).
    - `experiment`: the experiment row, or None when unchanged since the previous result.
    - `new_points`: (trial id, metric) -> points written since the previous result, in the order
      they were written (a resumed trial may repeat steps; the newest value wins).
    - `latest`: trial id -> {metric: value at its latest step}, for the trials that changed
      (all of them in the first result): merge it into what you have.
    - `metrics`: every metric name the experiment's trials reported, sorted.
    - `watermark`: the newest metric rowid this result covers.
    - `events`: the experiment's events of the kinds in VIEW_EVENTS written since the previous
      result, oldest first (all of them in the first result)."""

    experiment_id: int
    watermark: int
    trials: tuple[Trial, ...]
    trials_changed: bool
    experiment: Experiment | None
    new_points: dict[tuple[int, str], Points] = field(default_factory=dict)
    latest: dict[int, dict[str, float | None]] = field(default_factory=dict)
    metrics: tuple[str, ...] = ()
    events: tuple[Event, ...] = ()


@dataclass(frozen=True)
class CurvesResult:
    """Whole curves of one metric (trial id -> points, one per step in step order), read in the
    snapshot of the `PollResult` with the same watermark. Trials without points are absent."""

    metric: str
    watermark: int
    curves: dict[int, Points]
    trial_ids: tuple[int, ...]  # what was asked for (absent ones have no points yet)


class _PollWorker(QObject):
    """Lives in the poller's thread; every slot runs there. Never raises into Qt."""

    polled = Signal(object)
    curvesLoaded = Signal(object)
    failed = Signal(str)

    def __init__(self, db_path: Path, experiment_id: int, interval_ms: int) -> None:
        super().__init__()
        self._path = db_path
        self._experiment_id = experiment_id
        self._interval_ms = interval_ms
        self._store: Store | None = None
        self._timer: QTimer | None = None
        self._watermark = 0
        self._event_id = 0
        self._trial_rows: list[tuple[Any, ...]] | None = None
        self._trials_probe: tuple[Any, ...] | None = None
        self._trials_read_at = 0.0
        self._trials: tuple[Trial, ...] = ()
        self._experiment_row: tuple[Any, ...] | None = None
        self._metrics: set[str] = set()
        self._latest_steps: dict[tuple[int, str], int] = {}
        self._pending: dict[str, set[int]] = {}
        self._last_error = ""
        self._primed = False
        self._opening: QTimer | None = None  # the next try to open, after a failed one

    @Slot()
    def begin(self) -> None:
        self._opening = None
        try:
            self._store = Store(self._path, must_exist=True)
            self._store.conn.execute(f"PRAGMA busy_timeout = {READER_BUSY_TIMEOUT_MS}")
        except Exception as exc:  # StoreError says what is wrong in a sentence
            self._store = None
            self._fail(self.tr("Cannot open %1: %2").replace("%1", str(self._path))
                       .replace("%2", str(exc)), exc_info=True)
            # Try again: a file caught mid-write by another process, or put back, is readable
            # in a moment; one that stays damaged keeps its message and costs an open a while.
            self._opening = QTimer(self)
            self._opening.setSingleShot(True)
            self._opening.timeout.connect(self.begin)
            self._opening.start(OPEN_RETRY_MS)
            return
        self._last_error = ""
        self._timer = QTimer(self)
        self._timer.setInterval(self._interval_ms)
        self._timer.timeout.connect(self.tick)
        self._timer.start()
        self.tick()

    @Slot(str, object)
    def request(self, metric: str, trial_ids: object) -> None:
        """Queue a whole-curves read; requests that pile up are answered in one tick."""
        ids = {int(t) for t in trial_ids} if trial_ids is not None else set()  # type: ignore[attr-defined]
        first = not self._pending
        self._pending.setdefault(metric, set()).update(ids)
        if first and self._store is not None:
            QTimer.singleShot(0, self, self.tick)

    @Slot()
    def tick(self) -> None:
        store = self._store
        if store is None:
            return
        if not self._path.exists():
            self._fail(self.tr("The database %1 was removed; the curves stop updating.")
                       .replace("%1", str(self._path)), exc_info=False)
            self.finish()
            return
        requests, self._pending = self._pending, {}
        try:
            with snapshot(store.conn):
                result = self._poll(store)
                if result is not None:
                    self.polled.emit(result)
                # Whole curves come in batches, so the window draws the first while the next
                # are read (the read is SQLite's C code: the GUI thread runs meanwhile).
                while requests:
                    metric, ids = next(iter(requests.items()))
                    batch = sorted(ids)[:CURVES_PER_RESULT]
                    self.curvesLoaded.emit(self._curves(store, metric, batch))
                    ids.difference_update(batch)
                    if not ids:
                        del requests[metric]
        except (sqlite3.Error, StoreError, OSError) as exc:
            for metric, ids in requests.items():  # asked again at the next tick
                self._pending.setdefault(metric, set()).update(ids)
            self._fail(self.tr("Cannot read the database (%1); trying again.")
                       .replace("%1", str(exc)), exc_info=True)
            return
        except Exception as exc:  # a bug: logged with its traceback, said, never raised into Qt
            self._fail(self.tr("The curves stopped updating after an error: %1")
                       .replace("%1", f"{type(exc).__name__}: {exc}"), exc_info=True,
                       level=logging.ERROR)
            return
        self._last_error = ""

    @Slot()
    def finish(self) -> None:
        """Stop the timer and close the connection (no checkpoint: writers do that)."""
        if self._opening is not None:
            self._opening.stop()
            self._opening = None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._store is not None:
            try:
                self._store.conn.close()
            except sqlite3.Error:
                pass
            self._store = None

    # one tick ----------------------------------------------------------------------------------
    def _poll(self, store: Store) -> PollResult | None:
        conn = store.conn
        cur = conn.cursor()
        cur.row_factory = None
        exp_row = cur.execute("SELECT * FROM experiments WHERE id = ?",
                              (self._experiment_id,)).fetchone()
        if exp_row is None:
            raise StoreError(f"experiment {self._experiment_id} is gone")
        trial_rows = self._trial_rows_now(cur)
        trials_changed = trial_rows != self._trial_rows
        if trials_changed:
            # Only the rows that changed become new Trials (2,000 trials, a heartbeat every
            # few seconds: benchmarks/gui_scale.py); the others are the objects of last time.
            names = [d[0] for d in cur.description]
            known = dict(zip(self._trial_rows or (), self._trials))
            self._trial_rows = trial_rows
            self._trials = tuple(known.get(row) or Trial.from_row(dict(zip(names, row)))
                                 for row in trial_rows)
        experiment = None
        if exp_row != self._experiment_row:
            self._experiment_row = exp_row
            experiment = store.experiment(self._experiment_id)
        ids = [t.id for t in self._trials]
        latest: dict[int, dict[str, float | None]] = {}
        new_points: dict[tuple[int, str], Points] = {}
        if not self._primed:
            self._primed = True
            self._watermark = int(cur.execute(
                "SELECT COALESCE(MAX(rowid), 0) FROM metrics").fetchone()[0])
            for names in metric_names(store, self._experiment_id).values():
                self._metrics.update(names)
            for tid, points in last_points(store, ids).items():
                latest[tid] = {name: p.value for name, p in points.items()}
                self._latest_steps.update({(tid, name): p.step for name, p in points.items()})
        elif ids:
            new_points = self._new_points(cur, ids, latest)
        events = self._new_events(store)
        if not (trials_changed or experiment is not None or new_points or latest or events):
            return None
        return PollResult(self._experiment_id, self._watermark, self._trials, trials_changed,
                          experiment, new_points, latest, tuple(sorted(self._metrics)), events)

    def _trial_rows_now(self, cur: sqlite3.Cursor) -> list[tuple[Any, ...]]:
        """The experiment's trial rows: read again only when a one-row summary of them changed
        or `FULL_READ_S` passed. Reading 2,000 rows a tick costs the reader thread 2,000
        hand-overs of the interpreter (sqlite3 lets it go for every row) while the window
        paints: seconds, some ticks (benchmarks/gui_scale.py)."""
        probe = cur.execute(TRIALS_PROBE, (self._experiment_id,)).fetchone()
        now = time.monotonic()
        if self._trial_rows is not None and probe == self._trials_probe and \
                now - self._trials_read_at < FULL_READ_S:
            return self._trial_rows
        self._trials_probe, self._trials_read_at = probe, now
        return cur.execute("SELECT * FROM trials WHERE experiment_id = ? ORDER BY number",
                           (self._experiment_id,)).fetchall()

    def _new_events(self, store: Store) -> tuple[Event, ...]:
        """Events the views draw, after the last one read (the index on experiment and kind)."""
        rows = store.conn.execute(
            "SELECT * FROM events WHERE experiment_id = ? AND id > ?"
            f" AND kind IN ({', '.join('?' * len(VIEW_EVENTS))}) ORDER BY id",
            (self._experiment_id, self._event_id, *VIEW_EVENTS)).fetchall()
        if rows:
            self._event_id = int(rows[-1]["id"])
        return tuple(Event.from_row(r) for r in rows)

    def _new_points(self, cur: sqlite3.Cursor, ids: list[int],
                    latest: dict[int, dict[str, float | None]]) -> dict[tuple[int, str], Points]:
        # "+trial_id" keeps SQLite on the rowid range (see Store.points_after).
        rows = cur.execute(
            "SELECT rowid, trial_id, name, step, ifnull(value, 0.0), value IS NULL, wall_time"
            f" FROM metrics WHERE rowid > ? AND +trial_id IN ({', '.join('?' * len(ids))})"
            " ORDER BY rowid LIMIT ?", (self._watermark, *ids, MAX_POINTS_PER_TICK)).fetchall()
        if not rows:
            return {}
        if len(rows) == MAX_POINTS_PER_TICK:
            QTimer.singleShot(0, self, self.tick)  # more is waiting: read on at once
        self._watermark = rows[-1][0]
        # Columns, then groups by (trial, metric) in numpy: no Python work per row but the
        # metric's code (4,000 rows a tick while 16 trials stream: benchmarks/gui_scale.py).
        _rowids, tids, names, steps, values, missing, walls = zip(*rows)
        codes = {name: i for i, name in enumerate(set(names))}
        key = np.array(tids, dtype=np.int64) * len(codes) + np.fromiter(
            map(codes.__getitem__, names), np.int64, len(names))
        step = np.array(steps, dtype=np.int64)
        value = np.array(values, dtype=np.float64)
        value[np.array(missing, dtype=bool)] = np.nan
        wall = np.array(walls, dtype=np.float64)
        order = np.argsort(key, kind="stable")  # each group keeps the order it was written in
        starts = np.flatnonzero(np.diff(key[order])) + 1
        out = {}
        for group in np.split(order, starts):
            first = int(group[0])
            key_ = (int(tids[first]), str(names[first]))
            points = Points(step[group], value[group], wall[group])
            out[key_] = points
            self._metrics.add(key_[1])
            top = int(points.steps.argmax())
            if int(points.steps[top]) >= self._latest_steps.get(key_, -(2**63)):
                self._latest_steps[key_] = int(points.steps[top])
                v = points.values[top]
                latest.setdefault(key_[0], {})[key_[1]] = None if np.isnan(v) else float(v)
        return out

    def _curves(self, store: Store, metric: str, trial_ids: list[int]) -> CurvesResult:
        read = read_curves(store, metric, trial_ids)
        # The snapshot is the poll's: its watermark is the one the PollResult carried.
        return CurvesResult(metric, self._watermark,
                            {tid: Points.from_curve(c) for tid, c in read.curves.items()},
                            tuple(trial_ids))

    def _fail(self, message: str, *, exc_info: bool, level: int = logging.WARNING) -> None:
        """Say `message` once per lasting problem (not 4 times a second), and log it at
        `level` with the traceback of the exception being handled, if any (`exc_info`)."""
        if message != self._last_error:
            self._last_error = message
            log.log(level, "poller of %s: %s", self._path, message, exc_info=exc_info)
            self.failed.emit(message)


class ExperimentPoller(QObject):
    """Polls one experiment of one database file from its own thread (see the module doc).

    Signals (delivered on the GUI thread):
    - `polled(PollResult)`: after a tick that found something new (trials, points, metrics).
    - `trialsChanged(tuple[Trial, ...])`: the experiment's trials, when any row changed.
    - `curvesLoaded(CurvesResult)`: the answer to `request_curves`.
    - `failed(str)`: one sentence when the file cannot be read (locked, removed, damaged);
      polling goes on where it can. Never raises into Qt.
    Slots: `request_curves(metric, trial_ids)`, `start()`, `stop()`.
    Call `stop()` before dropping the poller: it ends the thread cleanly (it blocks until the
    tick in progress, if any, ends)."""

    polled = Signal(object)
    trialsChanged = Signal(object)
    curvesLoaded = Signal(object)
    failed = Signal(str)
    _requested = Signal(str, object)

    def __init__(self, db_path: str | os.PathLike[str], experiment_id: int, *,
                 interval_ms: int = DEFAULT_INTERVAL_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if interval_ms < 1:
            raise ValueError(f"the poll interval must be at least 1 ms, not {interval_ms}")
        self.experiment_id = experiment_id
        collect_on_gui_thread()  # the thread below runs Python: no Qt object may die there
        self._thread = QThread()
        self._thread.setObjectName(f"hpdesk-poller-{experiment_id}")
        self._worker = _PollWorker(Path(db_path), experiment_id, interval_ms)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.begin)
        self._worker.polled.connect(self._relay_poll)
        self._worker.curvesLoaded.connect(self._relay_curves)
        self._worker.failed.connect(self.failed)
        self._requested.connect(self._worker.request)
        self._running = False
        self._queue: deque[tuple[Any, Any]] = deque()  # results held for the next pass, in order
        self._spent = 0.0  # seconds spent relaying in this pass of the event loop
        self._next_pass = QTimer(self)
        self._next_pass.setSingleShot(True)
        self._next_pass.setInterval(0)
        self._next_pass.timeout.connect(self._relay_queued)
        app = QCoreApplication.instance()
        if app is not None:  # a window closed without stop(): still end the thread cleanly
            app.aboutToQuit.connect(self.stop)

    def start(self) -> None:
        if not self._running:
            self._running = True
            self._thread.start()

    @Slot(str, object)
    def request_curves(self, metric: str, trial_ids: object) -> None:
        """Ask for whole curves of `metric` for these trials; answered by `curvesLoaded`."""
        self._requested.emit(metric, list(trial_ids))  # type: ignore[call-overload]

    def stop(self) -> None:
        """Stop polling, close the connection and end the thread; safe to call twice."""
        if not self._running:
            return
        self._running = False
        self._queue.clear()
        self._next_pass.stop()
        QMetaObject.invokeMethod(self._worker, "finish",
                                 Qt.ConnectionType.BlockingQueuedConnection)
        self._thread.quit()
        self._thread.wait()

    def is_running(self) -> bool:
        return self._running

    def _relay_curves(self, result: CurvesResult) -> None:
        self._relay(self._emit_curves, result)

    def _relay_poll(self, result: PollResult) -> None:
        self._relay(self._emit_poll, result)

    def _relay(self, emit: Any, result: Any) -> None:
        """Hand a result on now, or in a later pass of the event loop once this pass has spent
        RELAY_BUDGET_S on them (timers and paints run between); polls and curves keep their
        order, as whole curves replace what the polls before them appended."""
        if not self._running:  # nothing from a stopped poller reaches the next experiment's view
            return
        if self._queue or self._spent >= RELAY_BUDGET_S:
            self._queue.append((emit, result))
        else:
            t0 = time.perf_counter()
            emit(result)
            self._spent += time.perf_counter() - t0
        if not self._next_pass.isActive():
            self._next_pass.start()

    def _relay_queued(self) -> None:
        self._spent = 0.0
        while self._queue and self._running and self._spent < RELAY_BUDGET_S:
            emit, result = self._queue.popleft()
            t0 = time.perf_counter()
            emit(result)
            self._spent += time.perf_counter() - t0
        if self._queue and self._running:
            self._next_pass.start()

    def _emit_curves(self, result: CurvesResult) -> None:
        if self._running:
            self.curvesLoaded.emit(result)

    def _emit_poll(self, result: PollResult) -> None:
        if not self._running:
            return
        if result.trials_changed:
            self.trialsChanged.emit(result.trials)
        self.polled.emit(result)
