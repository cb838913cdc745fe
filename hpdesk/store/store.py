"""The store: experiments, trials, metrics and events in one SQLite file.

Contract (as Optuna's BaseStorage states its own): one `Store` per process and thread; records
returned are frozen snapshots; the scheduler owns experiment and trial state, a trial owns its
metric points and events, and anyone may set a `requested_state` that the owner acts upon.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hpdesk.store import curves
from hpdesk.store.connection import StoreError, connect, write_transaction
from hpdesk.store.records import Event, Experiment, MetricPoint, Trial
from hpdesk.store.schema import migrate

_EXPERIMENT_FIELDS = frozenset(
    {"name", "state", "requested_state", "scheduler_pid", "scheduler_host", "heartbeat_at",
     "workdir", "plan"}
)
_TRIAL_FIELDS = frozenset(
    {"state", "requested_state", "device", "pid", "host", "started_at", "ended_at", "exit_code",
     "objective", "log_path", "message", "params", "provenance", "retry_of", "search_state",
     "objectives"}
)
_JSON_FIELDS = frozenset({"params", "plan", "provenance", "search_state", "objectives"})
#: Events a trial writes for its scheduler only (the SDK's metric names): left out of
#: `events()` unless asked for by kind.
INTERNAL_EVENTS = ("sdk_metrics",)  # hpdesk.sdk.SDK_METRICS_EVENT
INSERT_METRIC_SQL = (
    "INSERT OR REPLACE INTO metrics (trial_id, name, step, value, wall_time) VALUES (?, ?, ?, ?, ?)"
)
KEEP_METRIC_SQL = INSERT_METRIC_SQL.replace("OR REPLACE", "OR IGNORE")  # a stored point stays


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=False, allow_nan=False)


class Store:
    """Typed access to one hpdesk database file (created and migrated on first open)."""

    def __init__(self, path: str | os.PathLike[str], *, must_exist: bool = False) -> None:
        self.path = Path(path)
        self.conn = connect(self.path, must_exist=must_exist)
        self.conn.row_factory = sqlite3.Row
        try:
            migrate(self.conn)
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise StoreError(f"{self.path} is not a usable hpdesk database: {exc}") from exc
        except StoreError as exc:
            self.conn.close()
            raise StoreError(f"{self.path}: {exc}") from exc

    def close(self) -> None:
        """Checkpoint the WAL so it does not grow between sessions, then close."""
        try:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError:
            pass  # a reader holds it open; the next close will do it
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # experiments ---------------------------------------------------------------------------
    def create_experiment(
        self, name: str, task: str, plan: dict[str, Any], *, workdir: str | None = None
    ) -> Experiment:
        now = time.time()
        cur = self.conn.execute(
            "INSERT INTO experiments (name, task, plan, state, created_at, updated_at, workdir)"
            " VALUES (?, ?, ?, 'created', ?, ?, ?)",
            (name, task, _json(plan), now, now, workdir),
        )
        return self.experiment(int(cur.lastrowid or 0))

    def experiment(self, experiment_id: int) -> Experiment:
        row = self.conn.execute(
            "SELECT * FROM experiments WHERE id = ?", (experiment_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"no experiment {experiment_id} in {self.path}")
        return Experiment.from_row(row)

    def experiments(self) -> list[Experiment]:
        rows = self.conn.execute("SELECT * FROM experiments ORDER BY id").fetchall()
        return [Experiment.from_row(r) for r in rows]

    def update_experiment(self, experiment_id: int, **fields: Any) -> None:
        self._update("experiments", _EXPERIMENT_FIELDS, experiment_id, fields, stamp=True)

    def beat(self, experiment_id: int) -> None:
        """The scheduler's heartbeat: who runs the experiment, and that it is still alive."""
        self.update_experiment(
            experiment_id, scheduler_pid=os.getpid(), scheduler_host=socket.gethostname(),
            heartbeat_at=time.time(),
        )

    # trials --------------------------------------------------------------------------------
    def add_trial(
        self, experiment_id: int, params: dict[str, Any], *, state: str = "queued",
        search_state: dict[str, Any] | None = None,
    ) -> Trial:
        """Append a trial numbered after the experiment's last one (numbers start at 0)."""
        with write_transaction(self.conn):
            number = self.conn.execute(
                "SELECT COALESCE(MAX(number) + 1, 0) FROM trials WHERE experiment_id = ?",
                (experiment_id,),
            ).fetchone()[0]
            cur = self.conn.execute(
                "INSERT INTO trials (experiment_id, number, params, state, created_at,"
                " search_state) VALUES (?, ?, ?, ?, ?, ?)",
                (experiment_id, number, _json(params), state, time.time(),
                 None if search_state is None else _json(search_state)),
            )
        return self.trial(int(cur.lastrowid or 0))

    def trial(self, trial_id: int) -> Trial:
        row = self.conn.execute("SELECT * FROM trials WHERE id = ?", (trial_id,)).fetchone()
        if row is None:
            raise StoreError(f"no trial {trial_id} in {self.path}")
        return Trial.from_row(row)

    def trial_by_number(self, experiment_id: int, number: int) -> Trial | None:
        """The experiment's trial `number` (as `hpdesk run` prints it), or None."""
        row = self.conn.execute(
            "SELECT * FROM trials WHERE experiment_id = ? AND number = ?",
            (experiment_id, number)).fetchone()
        return None if row is None else Trial.from_row(row)

    def trials(self, experiment_id: int | None = None) -> list[Trial]:
        if experiment_id is None:
            rows = self.conn.execute("SELECT * FROM trials ORDER BY experiment_id, number")
        else:
            rows = self.conn.execute(
                "SELECT * FROM trials WHERE experiment_id = ? ORDER BY number", (experiment_id,)
            )
        return [Trial.from_row(r) for r in rows.fetchall()]

    def update_trial(self, trial_id: int, **fields: Any) -> None:
        self._update("trials", _TRIAL_FIELDS, trial_id, fields, stamp=False)

    def request_trial_state(self, trial_id: int, requested: str) -> bool:
        """Ask a running trial to end as `requested` unless someone asked first: a pruner's
        decision never overwrites a person's stop, nor the other way round. True if it took."""
        cur = self.conn.execute(
            "UPDATE trials SET requested_state = ? WHERE id = ? AND state = 'running'"
            " AND requested_state IS NULL", (requested, trial_id))
        return cur.rowcount == 1

    def _update(
        self, table: str, allowed: frozenset[str], row_id: int, fields: dict[str, Any],
        *, stamp: bool,
    ) -> None:
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"cannot set {', '.join(sorted(unknown))} on {table}")
        values = {k: _json(v) if k in _JSON_FIELDS else v
                  for k, v in fields.items()}
        if stamp:
            values["updated_at"] = time.time()
        assignments = ", ".join(f"{k} = ?" for k in values)
        self.conn.execute(
            f"UPDATE {table} SET {assignments} WHERE id = ?", (*values.values(), row_id)
        )

    # metrics -------------------------------------------------------------------------------
    def write_metrics(self, rows: Iterable[Sequence[Any]], *, replace: bool = True) -> None:
        """Insert (trial_id, name, step, value, wall_time) rows in one transaction; with
        `replace=False` a point already stored at that step is kept (read output never
        overwrites what a trial reported itself)."""
        with write_transaction(self.conn):
            self.conn.executemany(INSERT_METRIC_SQL if replace else KEEP_METRIC_SQL, rows)

    def series(self, trial_id: int, name: str) -> tuple[list[int], list[float | None]]:
        """Steps and values of one metric of one trial, in step order."""
        rows = self.conn.execute(
            "SELECT step, value FROM metrics WHERE trial_id = ? AND name = ? ORDER BY step",
            (trial_id, name),
        ).fetchall()
        return [r[0] for r in rows], [r[1] for r in rows]

    def metric_names(self, trial_id: int) -> list[str]:
        """The trial's metric names, sorted (an index seek per name, not a scan of its points)."""
        return curves.trial_metric_names(self.conn, trial_id)

    def points_after(
        self, rowid: int, *, trial_ids: Sequence[int] | None = None, limit: int | None = None,
        names: Sequence[str] | None = None,
    ) -> list[MetricPoint]:
        """Points written after the `rowid` watermark: the incremental read a poller makes."""
        sql = "SELECT rowid, trial_id, name, step, value, wall_time FROM metrics WHERE rowid > ?"
        args: list[Any] = [rowid]  # ints and names
        if trial_ids is not None:
            # "+trial_id": without it SQLite walks every point of those trials through the
            # (trial, name, step) index (1 s at 6.4 M rows) instead of the rowid range (2 ms).
            sql += f" AND +trial_id IN ({', '.join('?' * len(trial_ids))})"
            args.extend(trial_ids)
        if names is not None:
            sql += f" AND +name IN ({', '.join('?' * len(names))})"
            args += list(names)
        sql += " ORDER BY rowid"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [MetricPoint(*r) for r in self.conn.execute(sql, args)]

    def last_values(self, trial_id: int) -> dict[str, float | None]:
        """Each metric's value at its latest step: what a summary shows (index seeks only)."""
        latest = curves.last_points(self, [trial_id]).get(trial_id, {})
        return {name: point.value for name, point in latest.items()}

    def max_rowid(self) -> int:
        """The metrics watermark now: points written later have a larger rowid."""
        return int(self.conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM metrics").fetchone()[0])

    def reports(self, experiment_id: int, name: str) -> dict[int, list[tuple[int, float | None]]]:
        """Every trial's points of metric `name` in step order, by trial id (one index seek
        per trial): the intermediate values a search and its pruner are rebuilt from."""
        rows = self.conn.execute(
            "SELECT m.trial_id, m.step, m.value FROM trials t JOIN metrics m"
            " ON m.trial_id = t.id AND m.name = ? WHERE t.experiment_id = ?"
            " ORDER BY m.trial_id, m.step", (name, experiment_id))
        out: dict[int, list[tuple[int, float | None]]] = {}
        for trial_id, step, value in rows:
            out.setdefault(trial_id, []).append((step, value))
        return out

    def last_steps(self, trial_ids: Sequence[int]) -> dict[int, int]:
        """The highest step each trial reported (any metric)."""
        if not trial_ids:
            return {}
        rows = self.conn.execute(
            f"SELECT trial_id, MAX(step) FROM metrics WHERE trial_id IN "
            f"({', '.join('?' * len(trial_ids))}) GROUP BY trial_id", list(trial_ids))
        return {t: s for t, s in rows if s is not None}

    def last_step(self, trial_id: int) -> int | None:
        row = self.conn.execute(
            "SELECT MAX(step) FROM metrics WHERE trial_id = ?", (trial_id,)
        ).fetchone()
        return row[0]

    # packed curves (hpdesk.store.curves) ----------------------------------------------------
    def snapshot(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A read transaction: the queries inside see one committed state."""
        return curves.snapshot(self.conn)

    def compact_curves(self, trial_id: int, *, final: bool = False) -> int:
        """Pack the trial's new points into chunks (see `curves.compact_curves`)."""
        return curves.compact_curves(self, trial_id, final=final)

    def read_curves(self, name: str, trial_ids: Sequence[int]) -> curves.CurveRead:
        """Whole curves of metric `name` as arrays, and the rowid watermark they reach."""
        return curves.read_curves(self, name, trial_ids)

    def experiment_metric_names(self, experiment_id: int) -> list[str]:
        """Every metric name any trial of the experiment reported (an index seek per name)."""
        names = curves.metric_names(self, experiment_id)
        return sorted({n for per_trial in names.values() for n in per_trial})

    # events --------------------------------------------------------------------------------
    def add_event(
        self, kind: str, message: str, *, trial_id: int | None = None,
        experiment_id: int | None = None, step: int | None = None, level: str = "info",
        data: dict[str, Any] | None = None,
    ) -> None:
        """A note on the timeline; `data` is a JSON payload a view can draw from."""
        if experiment_id is None and trial_id is not None:
            experiment_id = self.trial(trial_id).experiment_id
        self.conn.execute(
            "INSERT INTO events (experiment_id, trial_id, kind, level, message, step, created_at,"
            " data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (experiment_id, trial_id, kind, level, message, step, time.time(),
             None if data is None else _json(data)),
        )

    def events(
        self, *, trial_id: int | None = None, experiment_id: int | None = None,
        kinds: Sequence[str] | None = None,
    ) -> list[Event]:
        sql, where = "SELECT * FROM events", []
        args: list[Any] = []
        if trial_id is not None:
            where, args = ["trial_id = ?"], [trial_id]
        elif experiment_id is not None:
            where, args = ["experiment_id = ?"], [experiment_id]
        if kinds is not None:
            where.append(f"kind IN ({', '.join('?' * len(kinds))})")
            args.extend(kinds)
        else:
            # Bookkeeping between a trial and its scheduler, not a note for people.
            where.append(f"kind NOT IN ({', '.join('?' * len(INTERNAL_EVENTS))})")
            args.extend(INTERNAL_EVENTS)
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [Event.from_row(r) for r in self.conn.execute(sql + " ORDER BY id", args)]
