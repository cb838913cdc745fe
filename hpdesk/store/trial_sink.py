"""How a trial process writes what it reports: into the database (batched, one writer at a
time) when hpdesk runs it, else as JSON lines on stdout. Used by `hpdesk.sdk`; standard library
and the store only, so importing the SDK stays cheap."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, TextIO

from hpdesk.jsonsafe import dumps as strict_json
from hpdesk.store.connection import connect, storage_failure, write_transaction

#: The event a trial writes when it first reports a metric name through the SDK: the scheduler
#: then leaves that name to the SDK and does not read it from the script's printed output.
SDK_METRICS_EVENT = "sdk_metrics"
#: How long a writer waits in the writer queue before it goes to SQLite's own lock directly: a
#: frozen process holding the queue delays the others by this much, never for ever.
QUEUE_WAIT_S = 2.0
Point = tuple[str, int, float | None, float]  # name, step, value, wall time


class Sink:
    """Where points go; `write` takes (name, step, value, wall_time) tuples."""

    def write(self, points: list[Point]) -> None:
        raise NotImplementedError

    def event(self, kind: str, message: str, step: int | None, level: str) -> None:
        raise NotImplementedError

    def announce(self, names: list[str]) -> None:
        """Say which metric names this trial reports through the SDK (see `Reporter.report`)."""

    def stop_requested(self) -> bool:
        return False


class WriterQueue:
    """Trial writers take turns through an flock on a side file before `BEGIN IMMEDIATE`.

    SQLite's busy handler polls with sleeps of up to 100 ms, so eight writers contending for the
    lock lose most of their time asleep; a blocking flock wakes the next writer the moment the
    last one commits. The wait is bounded (`QUEUE_WAIT_S`): a writer frozen while it holds the
    queue (SIGSTOP) must not hold the others for ever, so after that they skip the queue and
    SQLite's busy timeout alone serialises them. Optional: where flock is missing, likewise.
    """

    def __init__(self, db_path: str) -> None:
        self._fd: int | None = None
        try:
            import fcntl

            self._flock = fcntl.flock
            self._ex, self._un = fcntl.LOCK_EX, fcntl.LOCK_UN
            self._fd = os.open(db_path + "-writers.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except (ImportError, OSError):
            self._fd = None

    def __enter__(self) -> None:
        self._held = False
        if self._fd is None:
            return
        import fcntl

        deadline = time.monotonic() + QUEUE_WAIT_S
        pause = 0.0005
        while True:
            try:
                self._flock(self._fd, self._ex | fcntl.LOCK_NB)
                self._held = True
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return  # the holder is stuck: go straight to SQLite's lock
                time.sleep(pause)
                pause = min(pause * 2, 0.01)
            except OSError:
                return

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None and self._held:
            self._flock(self._fd, self._un)
            self._held = False


class DatabaseSink(Sink):
    """Writes into the trial's database. The background writer thread has a connection of its
    own (a connection belongs to one thread); the main thread's serves events, the stop
    question and the last flush at exit."""

    def __init__(self, db_path: str, trial_id: int) -> None:
        from hpdesk.store.metric_rows import INSERT_METRIC_SQL

        self._sql = INSERT_METRIC_SQL
        self._trial_id = trial_id
        self._db_path = db_path
        self._conn = connect(db_path, must_exist=True)
        self._owner = threading.get_ident()
        self._thread_conns: dict[int, sqlite3.Connection] = {}
        self._queue = WriterQueue(db_path)

    def _connection(self) -> sqlite3.Connection:
        me = threading.get_ident()
        if me == self._owner:
            return self._conn
        if me not in self._thread_conns:
            self._thread_conns[me] = connect(self._db_path, must_exist=True)
        return self._thread_conns[me]

    def write(self, points: list[Point]) -> None:
        tid = self._trial_id
        rows = [(tid, n, s, v, w) for n, s, v, w in points]  # built before the lock is taken
        with self._said(), self._queue, write_transaction(self._connection()) as conn:
            conn.executemany(self._sql, rows)

    @contextlib.contextmanager
    def _said(self) -> Iterator[None]:
        """A full disk, a read-only or damaged database raise as the sentence that says so."""
        try:
            yield
        except sqlite3.Error as exc:
            failure = storage_failure(exc, self._db_path)
            if failure is None:
                raise
            raise failure from exc

    def event(self, kind: str, message: str, step: int | None, level: str) -> None:
        with self._said():
            self._insert_event(kind, message, step, level)

    def _insert_event(self, kind: str, message: str, step: int | None, level: str) -> None:
        self._connection().execute(
            "INSERT INTO events (experiment_id, trial_id, kind, level, message, step, created_at)"
            " SELECT experiment_id, id, ?, ?, ?, ?, ? FROM trials WHERE id = ?",
            (kind, level, message, step, time.time(), self._trial_id),
        )

    def announce(self, names: list[str]) -> None:
        with self._said():
            self._connection().execute(
                "INSERT INTO events (experiment_id, trial_id, kind, level, message, step,"
                " created_at, data) SELECT experiment_id, id, ?, 'debug', ?, NULL, ?, ?"
                " FROM trials WHERE id = ?",
                (SDK_METRICS_EVENT, "reports through the SDK: " + ", ".join(names),
                 time.time(), json.dumps({"names": names}), self._trial_id),
            )

    def stop_requested(self) -> bool:
        row = self._connection().execute(
            "SELECT requested_state FROM trials WHERE id = ?", (self._trial_id,)
        ).fetchone()
        return row is not None and row[0] is not None


class StdoutSink(Sink):
    """Outside hpdesk: one JSON line per step, so a person (or hpdesk's stdout reader) sees it."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def write(self, points: list[Point]) -> None:
        stream = self._stream or sys.stdout
        line: dict[str, Any] = {}
        step: int | None = None
        for name, s, value, _ in points:
            if s != step and line:
                stream.write(strict_json(line) + "\n")
                line = {}
            step = s
            if not line:
                line["step"] = s
            line[name] = value
        if line:
            stream.write(strict_json(line) + "\n")
        stream.flush()

    def event(self, kind: str, message: str, step: int | None, level: str) -> None:
        stream = self._stream or sys.stdout
        stream.write(json.dumps({"event": kind, "level": level, "message": message,
                                 "step": step}) + "\n")
        stream.flush()


#: A trial whose database is on another machine (a Ray job) prints what it reports as lines
#: starting with this; the machine that holds the database reads them back (runner.ray_trial).
SDK_LINE_PREFIX = "@hpdesk-sdk "


class LineSink(Sink):
    """For a trial that cannot reach its database (it runs on a cluster): every batch, event
    and announcement is one tagged JSON line on stdout, exact (step, value and wall time as
    reported), which hpdesk's side stores as if the trial had written it itself."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def _line(self, record: dict[str, Any]) -> None:
        stream = self._stream or sys.stdout
        # Plain json: Python writes infinities as Infinity and reads them back (a loss that
        # went infinite stays so); NaN never gets here (the SDK stores it as None).
        stream.write(SDK_LINE_PREFIX + json.dumps(record) + "\n")
        stream.flush()

    def write(self, points: list[Point]) -> None:
        self._line({"points": [list(p) for p in points]})

    def event(self, kind: str, message: str, step: int | None, level: str) -> None:
        self._line({"event": kind, "message": message, "step": step, "level": level})

    def announce(self, names: list[str]) -> None:
        self._line({"announce": names})


def read_sdk_line(line: str) -> dict[str, Any] | None:
    """The record of one tagged line (`LineSink`), or None for any other line."""
    if not line.startswith(SDK_LINE_PREFIX):
        return None
    try:
        record = json.loads(line[len(SDK_LINE_PREFIX):])
    except ValueError:
        return None
    return record if isinstance(record, dict) else None
