"""Whole curves, fast: metric points packed into chunks of little-endian arrays (schema m003).

Reading 6.4 million rows one per point takes seconds; the same curves packed as BLOBs read in a
fraction of one. The `metrics` rows stay the source of truth and the chunks are a cache:

- `compact_curves(store, trial_id)` packs points not yet in a chunk once there are enough of them
  (the scheduler calls it every ~10 s for running trials and with `final=True` when one ends).
  A re-reported step (a resumed trial) makes it rebuild that curve from the rows.
- `read_curves(store, name, trial_ids)` returns chunks plus the rows not yet packed, one value per
  step (the newest), in step order, and the rowid watermark a poller continues from.

Contract: a trial that ended (and was packed with `final=True`) writes only steps after its last
one (a batch still in flight) until it runs again, which moves its `started_at` on; reads of
curves packed final trust that and skip looking for re-reported steps. Every process opens its
own `Store`; compaction reads in a snapshot and writes in one short `BEGIN IMMEDIATE`
transaction that re-checks nothing was packed meanwhile, so two compactors (or a compactor and
the trials writing points) never corrupt or duplicate a curve. Returned `Curve`s are snapshots
whose arrays the caller owns (`numpy.frombuffer` reads them without a copy). Only the standard
library here: the SDK imports the store inside every trial.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import sys
import time
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hpdesk.store.connection import write_transaction

if TYPE_CHECKING:
    from hpdesk.store.store import Store

#: Pack a running trial's new points only once this many have gathered (per curve).
CHUNK_MIN_POINTS = 5_000
#: The most points one chunk holds (about 1.5 MB of BLOBs).
CHUNK_MAX_POINTS = 65_536

_BIG_ENDIAN = sys.byteorder == "big"
_Row = tuple[int, int, "float | None", float]  # rowid, step, value, wall_time


@dataclass(frozen=True)
class Curve:
    """One metric of one trial: one point per step, in step order. `values` holds NaN where a
    point had no value (SQLite stores NaN as NULL). Arrays are 'q' (int64) and 'd' (float64)."""

    trial_id: int
    name: str
    steps: array = field(default_factory=lambda: array("q"))
    values: array = field(default_factory=lambda: array("d"))
    walls: array = field(default_factory=lambda: array("d"))

    def __len__(self) -> int:
        return len(self.steps)


@dataclass(frozen=True)
class CurveRead:
    """Curves read in one snapshot; points with a rowid above `watermark` are not in them."""

    name: str
    watermark: int
    curves: dict[int, Curve]


@dataclass(frozen=True)
class _Mark:
    n: int
    last_step: int
    packed_rowid: int
    final: bool
    compacted_at: float
    vmin: float | None
    vmax: float | None


@contextlib.contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A read transaction: every query inside sees the same committed state (WAL snapshot).
    Nested use joins the outer one."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


def _cursor(conn: sqlite3.Connection) -> sqlite3.Cursor:
    cur = conn.cursor()
    cur.row_factory = None  # plain tuples: much cheaper than sqlite3.Row for many rows
    return cur


def _pack(items: array) -> bytes:
    if _BIG_ENDIAN:
        items = array(items.typecode, items)
        items.byteswap()
    return items.tobytes()


def _unpack_into(target: array, blob: bytes) -> None:
    if _BIG_ENDIAN:
        part = array(target.typecode)
        part.frombytes(blob)
        part.byteswap()
        target.extend(part)
    else:
        target.frombytes(blob)


def _append_rows(curve: Curve, rows: Sequence[_Row]) -> None:
    nan = math.nan
    curve.steps.extend([r[1] for r in rows])
    curve.values.extend([nan if r[2] is None else r[2] for r in rows])
    curve.walls.extend([r[3] for r in rows])


def _merge(curve: Curve, rows: Sequence[_Row]) -> Curve:
    """`curve` with `rows` (sorted by step) laid over it: a row's step replaces the same step."""
    nan = math.nan
    new = {r[1]: (nan if r[2] is None else r[2], r[3]) for r in rows}
    points = {s: (v, w) for s, v, w in zip(curve.steps, curve.values, curve.walls)}
    points.update(new)
    steps = sorted(points)
    merged = Curve(curve.trial_id, curve.name, array("q", steps))
    merged.values.extend([points[s][0] for s in steps])
    merged.walls.extend([points[s][1] for s in steps])
    return merged


def _marks(conn: sqlite3.Connection, trial_ids: Sequence[int], name: str | None
           ) -> dict[tuple[int, str], _Mark]:
    sql = ("SELECT trial_id, name, n, last_step, packed_rowid, final, compacted_at, vmin, vmax"
           f" FROM curves WHERE trial_id IN ({', '.join('?' * len(trial_ids))})")
    args: list[object] = list(trial_ids)
    if name is not None:
        sql += " AND name = ?"
        args.append(name)
    return {(r[0], r[1]): _Mark(r[2], r[3], r[4], bool(r[5]), r[6], r[7], r[8])
            for r in _cursor(conn).execute(sql, args)}


def _trusted(conn: sqlite3.Connection, trial_ids: Sequence[int]) -> dict[int, tuple[str, float]]:
    rows = _cursor(conn).execute(
        f"SELECT id, state, COALESCE(started_at, 0) FROM trials"
        f" WHERE id IN ({', '.join('?' * len(trial_ids))})", list(trial_ids))
    return {r[0]: (r[1], r[2]) for r in rows}


def _is_final(mark: _Mark | None, trial: tuple[str, float] | None) -> bool:
    """A curve packed when its trial ended, and the trial has not run since: no row of it can be
    newer than the packing except after its last step, so reading skips the re-report scan."""
    return (mark is not None and mark.final and trial is not None and trial[0] != "running"
            and trial[1] <= mark.compacted_at)


def _rows_after(conn: sqlite3.Connection, trial_id: int, name: str, mark: _Mark | None,
                final: bool, top: int) -> list[_Row]:
    """The rows a curve's chunks lack: after its last packed step when the packing is final,
    else every row newer than the packing (re-reported steps included), in step order.

    Rows newer than the packing are found either by walking the curve's index entries or by
    reading the table from the packing's rowid on (`top` is the newest rowid), whichever touches
    fewer entries: a running trial packed a few seconds ago is cheap either way."""
    cur = _cursor(conn)
    base = ("SELECT rowid, step, value, wall_time FROM metrics"
            " WHERE trial_id = ? AND name = ?")
    if mark is None:
        return cur.execute(base + " ORDER BY step", (trial_id, name)).fetchall()
    if final:
        return cur.execute(base + " AND step > ? ORDER BY step",
                           (trial_id, name, mark.last_step)).fetchall()
    if top - mark.packed_rowid < mark.n // 2:
        # "+column" keeps SQLite off the (trial, name, step) index: a rowid range scan.
        rows = cur.execute(
            "SELECT rowid, step, value, wall_time FROM metrics"
            " WHERE rowid > ? AND +trial_id = ? AND +name = ?",
            (mark.packed_rowid, trial_id, name)).fetchall()
        rows.sort(key=lambda r: r[1])
        return rows
    return cur.execute(base + " AND rowid > ? ORDER BY step",
                       (trial_id, name, mark.packed_rowid)).fetchall()


def _chunks(conn: sqlite3.Connection, trial_id: int, name: str) -> Curve:
    curve = Curve(trial_id, name)
    for steps, vals, walls in _cursor(conn).execute(
            "SELECT steps, vals, walls FROM curve_chunks WHERE trial_id = ? AND name = ?"
            " ORDER BY first_step", (trial_id, name)):
        _unpack_into(curve.steps, steps)
        _unpack_into(curve.values, vals)
        _unpack_into(curve.walls, walls)
    return curve


def _read_one(conn: sqlite3.Connection, trial_id: int, name: str, mark: _Mark | None,
              trial: tuple[str, float] | None, top: int) -> Curve:
    rows = _rows_after(conn, trial_id, name, mark, _is_final(mark, trial), top)
    curve = _chunks(conn, trial_id, name) if mark is not None else Curve(trial_id, name)
    if rows and mark is not None and rows[0][1] <= mark.last_step:
        return _merge(curve, rows)
    _append_rows(curve, rows)
    return curve


def read_curves(store: Store, name: str, trial_ids: Sequence[int]) -> CurveRead:
    """Every point of metric `name` of each trial, chunks and unpacked rows together, read in one
    snapshot. Trials without such a metric get no entry. Costs a few BLOB reads per packed curve,
    plus an index scan for trials still running (to catch re-reported steps)."""
    conn = store.conn
    ids = list(dict.fromkeys(trial_ids))
    with snapshot(conn):
        watermark = _watermark(conn)
        if not ids:
            return CurveRead(name, watermark, {})
        marks = _marks(conn, ids, name)
        trials = _trusted(conn, ids)
        curves = {}
        for tid in ids:
            curve = _read_one(conn, tid, name, marks.get((tid, name)), trials.get(tid),
                              watermark)
            if len(curve):
                curves[tid] = curve
    return CurveRead(name, watermark, curves)


def _watermark(conn: sqlite3.Connection) -> int:
    return int(_cursor(conn).execute("SELECT COALESCE(MAX(rowid), 0) FROM metrics").fetchone()[0])


def trial_metric_names(conn: sqlite3.Connection, trial_id: int) -> list[str]:
    """The metric names of one trial by skipping through the index (one seek per name, not a scan
    of every point: 100,000 points cost the same as 10)."""
    names: list[str] = []
    cur = _cursor(conn)
    row = cur.execute("SELECT MIN(name) FROM metrics WHERE trial_id = ?", (trial_id,)).fetchone()
    while row is not None and row[0] is not None:
        names.append(row[0])
        row = cur.execute("SELECT MIN(name) FROM metrics WHERE trial_id = ? AND name > ?",
                          (trial_id, row[0])).fetchone()
    return names


def metric_names(store: Store, experiment_id: int) -> dict[int, list[str]]:
    """Each trial's metric names (trial id -> sorted names), for one experiment, cheaply."""
    conn = store.conn
    with snapshot(conn):
        ids = [r[0] for r in _cursor(conn).execute(
            "SELECT id FROM trials WHERE experiment_id = ? ORDER BY number", (experiment_id,))]
        return {tid: trial_metric_names(conn, tid) for tid in ids}


@dataclass(frozen=True)
class LastPoint:
    step: int
    value: float | None
    wall_time: float


def last_points(store: Store, trial_ids: Sequence[int]) -> dict[int, dict[str, LastPoint]]:
    """Each trial's metrics at their latest step (one index seek per metric)."""
    conn = store.conn
    out: dict[int, dict[str, LastPoint]] = {}
    with snapshot(conn):
        cur = _cursor(conn)
        for tid in dict.fromkeys(trial_ids):
            latest = {}
            for name in trial_metric_names(conn, tid):
                row = cur.execute(
                    "SELECT step, value, wall_time FROM metrics WHERE trial_id = ? AND name = ?"
                    " ORDER BY step DESC LIMIT 1", (tid, name)).fetchone()
                if row is not None:
                    latest[name] = LastPoint(*row)
            out[tid] = latest
    return out


def extremes(store: Store, name: str, trial_ids: Sequence[int]
             ) -> dict[int, tuple[float | None, float | None]]:
    """(lowest, highest) finite value of metric `name` per trial, from the packed summary plus the
    rows not packed yet: the "best so far" of an objective without reading whole curves. A value
    since replaced by a re-reported step still counts until the curve is packed again."""
    conn = store.conn
    ids = list(dict.fromkeys(trial_ids))
    out: dict[int, tuple[float | None, float | None]] = {}
    if not ids:
        return out
    with snapshot(conn):
        marks = _marks(conn, ids, name)
        cur = _cursor(conn)
        for tid in ids:
            mark = marks.get((tid, name))
            low, high = (mark.vmin, mark.vmax) if mark else (None, None)
            after = -(2**63) if mark is None else mark.last_step
            # A plain aggregate: SQLite's MIN/MAX skip NULL (and NaN is stored as NULL).
            row = cur.execute(
                "SELECT MIN(value), MAX(value) FROM metrics"
                " WHERE trial_id = ? AND name = ? AND step > ?", (tid, name, after)).fetchone()
            out[tid] = (_pick(min, low, row[0]), _pick(max, high, row[1]))
    return out


def _pick(fn: Callable[[list[float]], float], *values: float | None) -> float | None:
    present = [v for v in values if v is not None]
    return fn(present) if present else None


# compaction ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Plan:
    name: str
    seen: int | None  # the mark's packed_rowid when read (None: no mark), re-checked on write
    rebuild: bool
    rows: list[_Row]


def compact_curves(store: Store, trial_id: int, *, final: bool = False,
                   min_points: int = CHUNK_MIN_POINTS,
                   chunk_points: int = CHUNK_MAX_POINTS) -> int:
    """Pack the trial's points not yet in a chunk; returns how many points were packed.

    A curve is packed once `min_points` new points have gathered, or whatever is left when
    `final` (the trial ended). A curve with a re-reported step is rebuilt from its rows. Cheap
    when nothing is new (an index seek per metric), and safe to call again or concurrently."""
    if min_points < 1 or chunk_points < 1:
        raise ValueError("min_points and chunk_points must be at least 1")
    conn = store.conn
    plans: list[_Plan] = []
    with snapshot(conn):
        top = _watermark(conn)
        marks = _marks(conn, [trial_id], None)
        trial = _trusted(conn, [trial_id]).get(trial_id)
        for name in trial_metric_names(conn, trial_id):
            mark = marks.get((trial_id, name))
            plan = _plan(conn, trial_id, name, mark, trial, top, final=final,
                         min_points=min_points)
            if plan is not None:
                plans.append(plan)
    if not plans:
        return 0
    now = time.time()
    packed = 0
    with write_transaction(conn):
        current = _marks(conn, [trial_id], None)
        for plan in plans:
            mark = current.get((trial_id, plan.name))
            if (None if mark is None else mark.packed_rowid) != plan.seen:
                continue  # another compactor packed this curve meanwhile
            packed += _apply(conn, trial_id, plan, mark, final=final, now=now,
                             chunk_points=chunk_points)
    return packed


def _plan(conn: sqlite3.Connection, trial_id: int, name: str, mark: _Mark | None,
          trial: tuple[str, float] | None, top: int, *, final: bool, min_points: int
          ) -> _Plan | None:
    seen = None if mark is None else mark.packed_rowid
    if final and _is_final(mark, trial):
        rows = _rows_after(conn, trial_id, name, mark, True, top)
        return _Plan(name, seen, False, rows) if rows else None
    rows = _rows_after(conn, trial_id, name, mark, False, top)
    if mark is not None and rows and rows[0][1] <= mark.last_step:
        every = _rows_after(conn, trial_id, name, None, False, top)
        return _Plan(name, seen, True, every)
    # Final: pack what is left, or at least stamp the packing final (an empty plan).
    if len(rows) >= min_points or (final and (rows or mark is not None)):
        return _Plan(name, seen, mark is None, rows)
    return None


def _apply(conn: sqlite3.Connection, trial_id: int, plan: _Plan, mark: _Mark | None, *,
           final: bool, now: float, chunk_points: int) -> int:
    rows = plan.rows
    if plan.rebuild or mark is None:
        conn.execute("DELETE FROM curve_chunks WHERE trial_id = ? AND name = ?",
                     (trial_id, plan.name))
        n, vmin, vmax = 0, None, None
    else:
        n, vmin, vmax = mark.n, mark.vmin, mark.vmax
    for start in range(0, len(rows), chunk_points):
        part = rows[start:start + chunk_points]
        chunk = Curve(trial_id, plan.name)
        _append_rows(chunk, part)
        finite = [v for v in chunk.values if math.isfinite(v)]
        if finite:
            vmin, vmax = _pick(min, vmin, min(finite)), _pick(max, vmax, max(finite))
        conn.execute(
            "INSERT INTO curve_chunks (trial_id, name, first_step, last_step, n, steps, vals,"
            " walls) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (trial_id, plan.name, part[0][1], part[-1][1], len(part), _pack(chunk.steps),
             _pack(chunk.values), _pack(chunk.walls)))
        n += len(part)
    if rows:
        last_step, packed_rowid = rows[-1][1], max(r[0] for r in rows)
        if mark is not None and not plan.rebuild:
            packed_rowid = max(packed_rowid, mark.packed_rowid)
    elif mark is not None:
        last_step, packed_rowid = mark.last_step, mark.packed_rowid
    else:
        return 0
    conn.execute(
        "INSERT OR REPLACE INTO curves (trial_id, name, n, last_step, packed_rowid, final,"
        " compacted_at, vmin, vmax) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (trial_id, plan.name, n, last_step, packed_rowid, int(final), now, vmin, vmax))
    return len(rows)

