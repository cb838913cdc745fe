"""The store: experiments, trials, metrics and events in one SQLite file.

Contract (as Optuna's BaseStorage states its own): one `Store` per process and thread; records
returned are frozen snapshots; the scheduler owns experiment and trial state, a trial owns its
metric points and events, and anyone may set a `requested_state` that the owner acts upon.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from hpdesk.jsonsafe import dumps
from hpdesk.store import curves
from hpdesk.store.connection import (
    StoreError,
    check_intact,
    open_database,
    storage_failure,
    write_transaction,
)
from hpdesk.store.metric_rows import MetricRows
from hpdesk.store.records import Event, Experiment, Trial
from hpdesk.store.schema import migrate, require_current, vet
from hpdesk.store.trial_sink import SDK_METRICS_EVENT

_EXPERIMENT_FIELDS = frozenset(
    {"name", "state", "requested_state", "scheduler_pid", "scheduler_host", "heartbeat_at",
     "workdir", "plan", "scheduler_started_at"}
)
_TRIAL_FIELDS = frozenset(
    {"state", "requested_state", "device", "pid", "host", "started_at", "ended_at", "exit_code",
     "objective", "log_path", "message", "params", "provenance", "retry_of", "search_state",
     "objectives", "process_started_at", "last_report_at", "stalled_since"}
)
_JSON_FIELDS = frozenset({"params", "plan", "provenance", "search_state", "objectives"})
#: Events a trial writes for its scheduler only (the SDK's metric names): left out of
#: `events()` unless asked for by kind.
INTERNAL_EVENTS = (SDK_METRICS_EVENT,)
CHECKPOINT_WAIT_S = 0.2  # how long closing waits to fold the WAL back into the database
MAX_NAME = 200  # characters in an experiment's name given by a person (the window, a rename)


def _json(value: Any) -> str:
    """Strict JSON for the database: NaN and infinities become null (as SQLite stores a NaN
    REAL as NULL), so an event's data or a trial's objectives never fail to be written."""
    return dumps(value, sort_keys=False)


def lock_busy(exc: BaseException) -> bool:
    """Whether `exc` is SQLite saying another connection holds the lock (busy or locked)."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    name = getattr(exc, "sqlite_errorname", "")
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(exc)


class SchedulerClaimed(StoreError):
    """Another live scheduler runs the experiment (said in one sentence)."""


class Store(MetricRows):
    """Typed access to one hpdesk database file (created and migrated on first open).

    Opening writes nothing to a file that is not hpdesk's, and nothing at all when the file
    cannot be written (a read-only file or mount, a full disk): it is then opened read-only
    (`read_only`), reading works, and `ensure_writable` says why writing cannot.

    Raises:
        StoreError: missing (`must_exist`), not an hpdesk file, too new, unreadable; its
            subclasses `DamagedError`, `DiskFullError`, `ReadOnlyError` where they apply.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, must_exist: bool = False, read_only: bool = False
    ) -> None:
        self.path = Path(path)
        try:
            opened = open_database(self.path, must_exist=must_exist, read_only=read_only,
                                   vet=vet)
        except StoreError as exc:
            if str(self.path) in str(exc):
                raise
            raise type(exc)(f"{self.path}: {exc}") from exc
        self.conn = opened.conn
        self._why_read_only = opened.read_only
        self.conn.row_factory = sqlite3.Row
        try:
            if opened.read_only is None:
                migrate(self.conn, before_write=lambda: check_intact(self.conn, self.path))
            else:
                require_current(self.conn, str(opened.read_only))
        except (sqlite3.DatabaseError, StoreError) as exc:
            self.conn.close()
            failure = storage_failure(exc, self.path) if isinstance(
                exc, sqlite3.DatabaseError) else exc
            if failure is None:
                raise StoreError(f"{self.path} is not a usable hpdesk database: {exc}") from exc
            if str(self.path) in str(failure):
                raise failure from exc
            raise type(failure)(f"{self.path}: {failure}") from exc

    @property
    def read_only(self) -> bool:
        """True when the file could only be opened for reading (see `ensure_writable`)."""
        return self._why_read_only is not None

    def ensure_writable(self) -> None:
        """Call before a process's first write where damage would spread (creating an
        experiment, starting a scheduler, recovery): raises unless the file may be written and
        passes `PRAGMA quick_check` (run once per process and file: see `check_intact`).

        Raises:
            ReadOnlyError: the file, its folder or its mount is read-only.
            DiskFullError: the disk is so full that the file could only be opened read-only.
            DamagedError: the integrity check found damage.
        """
        if self._why_read_only is not None:
            raise self._why_read_only
        check_intact(self.conn, self.path)

    def close(self) -> None:
        """Checkpoint the WAL so it does not grow between sessions, then close. Nothing is
        written to a read-only file; a full disk or a busy reader leaves the WAL to the next
        close."""
        if self._why_read_only is None:
            try:
                # A courtesy, so it waits only briefly: TRUNCATE waits for every writer and
                # reader (a frozen one for ever, the window's for the whole busy timeout).
                with self.waiting_at_most(CHECKPOINT_WAIT_S):
                    self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass  # a reader holds it open, or the disk is full: the next close will do it
        self.conn.close()

    @contextlib.contextmanager
    def waiting_at_most(self, seconds: float) -> Iterator[None]:
        """Inside, a locked database raises after `seconds` instead of the usual busy timeout:
        for work that may give up (recovery) or must not stall (the scheduler's loop)."""
        old = self.conn.execute("PRAGMA busy_timeout").fetchone()[0]
        self.conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {int(old)}")

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

    def update_experiment(
        self, experiment_id: int, *, expect: str | Sequence[str] | None = None, **fields: Any
    ) -> bool:
        """Set `fields`; with `expect`, only while the experiment is in that state (or one of
        those states): a compare-and-set. True when the row changed."""
        return self._update("experiments", _EXPERIMENT_FIELDS, experiment_id, fields, stamp=True,
                            expect=expect)

    def claim_scheduler(
        self, experiment_id: int, *, pid: int, started_at: float | None,
        holder_alive: Callable[[Experiment], str | None],
    ) -> None:
        """Make this process the experiment's one scheduler, atomically: inside one write
        transaction the recorded scheduler is checked (`holder_alive` says why it still lives,
        or None) and replaced. Raises `SchedulerClaimed` when another live one holds it."""
        host = socket.gethostname()
        with write_transaction(self.conn):
            current = self.experiment(experiment_id)
            mine = (current.scheduler_pid, current.scheduler_host,
                    current.scheduler_started_at) == (pid, host, started_at)
            if current.state == "running" and current.scheduler_pid is not None and not mine:
                why = holder_alive(current)
                if why is not None:
                    raise SchedulerClaimed(
                        f"experiment {experiment_id} already has a scheduler ({why}); "
                        "stop it with `hpdesk stop` first")
            # Running from this commit on: a second claim that waited for the lock sees it.
            self.conn.execute(
                "UPDATE experiments SET scheduler_pid = ?, scheduler_host = ?,"
                " scheduler_started_at = ?, heartbeat_at = ?, updated_at = ?, state = 'running',"
                " requested_state = NULL WHERE id = ?",
                (pid, host, started_at, time.time(), time.time(), experiment_id))

    def beat(self, experiment_id: int, *, pid: int | None = None) -> bool:
        """The scheduler's heartbeat. False when the experiment is no longer this scheduler's
        (another took it over after this one was found dead): it must stop at once."""
        cur = self.conn.execute(
            "UPDATE experiments SET heartbeat_at = ? WHERE id = ? AND scheduler_pid = ?"
            " AND scheduler_host = ? AND state = 'running'",
            (time.time(), experiment_id, os.getpid() if pid is None else pid,
             socket.gethostname()))
        return cur.rowcount == 1

    def release_scheduler(self, experiment_id: int, state: str) -> bool:
        """The scheduler's last word: the experiment's final state, written only while this
        process still holds it (a scheduler found dead and replaced must not overwrite)."""
        cur = self.conn.execute(
            "UPDATE experiments SET state = ?, requested_state = NULL, updated_at = ?"
            " WHERE id = ? AND scheduler_pid = ? AND scheduler_host = ?",
            (state, time.time(), experiment_id, os.getpid(), socket.gethostname()))
        return cur.rowcount == 1

    # a person managing the list ------------------------------------------------------------
    def rename_experiment(self, experiment_id: int, name: str) -> Experiment:
        """Give the experiment another name (its plan keeps the name it ran with).

        Raises:
            ValueError: an empty name, or one longer than `MAX_NAME` characters.
            StoreError: no such experiment.
        """
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise ValueError(f"an experiment's name must be 1 to {MAX_NAME} characters")
        self.update_experiment(experiment_id, name=name)
        return self.experiment(experiment_id)  # raises StoreError when there is none

    def set_archived(self, experiment_id: int, archived: bool) -> Experiment:
        """Archive (hide from the window's list) or bring back; nothing else changes."""
        self.conn.execute("UPDATE experiments SET archived = ?, updated_at = ? WHERE id = ?",
                          (int(archived), time.time(), experiment_id))
        return self.experiment(experiment_id)  # raises StoreError when there is none

    def delete_experiment(self, experiment_id: int) -> Experiment:
        """Remove the experiment with its trials, metric points, packed curves and events, in
        one transaction; returns the record as it was (its `workdir` holds its files, which
        the caller removes). Refused while it or one of its trials runs: stop it first.

        Raises:
            StoreError: no such experiment, or it is running.
        """
        with write_transaction(self.conn):
            experiment = self.experiment(experiment_id)
            running = self.conn.execute(
                "SELECT COUNT(*) FROM trials WHERE experiment_id = ? AND state = 'running'",
                (experiment_id,)).fetchone()[0]
            if experiment.state == "running" or running:
                raise StoreError(f"experiment {experiment_id} is running; stop it before "
                                 "deleting it")
            trials = "SELECT id FROM trials WHERE experiment_id = ?"
            for table in ("metrics", "curves", "curve_chunks"):
                self.conn.execute(f"DELETE FROM {table} WHERE trial_id IN ({trials})",
                                  (experiment_id,))
            self.conn.execute(f"DELETE FROM events WHERE experiment_id = ? OR trial_id IN"
                              f" ({trials})", (experiment_id, experiment_id))
            self.conn.execute("DELETE FROM trials WHERE experiment_id = ?", (experiment_id,))
            self.conn.execute("DELETE FROM experiments WHERE id = ?", (experiment_id,))
        return experiment

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

    def update_trial(
        self, trial_id: int, *, expect: str | Sequence[str] | None = None, **fields: Any
    ) -> bool:
        """Set `fields`; with `expect`, a compare-and-set on the trial's state (as Optuna's
        storage does): the change lands only if the trial is still in that state, so a trial
        cancelled meanwhile is not started, nor a finished one set running. True if it took."""
        return self._update("trials", _TRIAL_FIELDS, trial_id, fields, stamp=False,
                            expect=expect)

    def request_trial_state(self, trial_id: int, requested: str) -> bool:
        """Ask a running trial to end as `requested` unless someone asked first: a pruner's
        decision never overwrites a person's stop, nor the other way round. True if it took."""
        cur = self.conn.execute(
            "UPDATE trials SET requested_state = ? WHERE id = ? AND state = 'running'"
            " AND requested_state IS NULL", (requested, trial_id))
        return cur.rowcount == 1

    def _update(
        self, table: str, allowed: frozenset[str], row_id: int, fields: dict[str, Any],
        *, stamp: bool, expect: str | Sequence[str] | None = None,
    ) -> bool:
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"cannot set {', '.join(sorted(unknown))} on {table}")
        values = {k: _json(v) if k in _JSON_FIELDS else v
                  for k, v in fields.items()}
        if stamp:
            values["updated_at"] = time.time()
        assignments = ", ".join(f"{k} = ?" for k in values)
        sql, args = f"UPDATE {table} SET {assignments} WHERE id = ?", [*values.values(), row_id]
        if expect is not None:
            states = [expect] if isinstance(expect, str) else list(expect)
            sql += f" AND state IN ({', '.join('?' * len(states))})"
            args += states
        return self.conn.execute(sql, args).rowcount == 1

    # metrics -------------------------------------------------------------------------------
    def metric_names(self, trial_id: int) -> list[str]:
        """The trial's metric names, sorted (an index seek per name, not a scan of its points)."""
        return curves.trial_metric_names(self.conn, trial_id)

    def last_values(self, trial_id: int) -> dict[str, float | None]:
        """Each metric's value at its latest step: what a summary shows (index seeks only)."""
        latest = curves.last_points(self, [trial_id]).get(trial_id, {})
        return {name: point.value for name, point in latest.items()}

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
