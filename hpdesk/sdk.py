"""What a training script imports to talk to hpdesk: `params()`, `report()`, `should_stop()`.

Run by hpdesk, the trial finds its database and trial id in the environment and commits its
own metric points, in batches (every ~0.5 s, every 1,000 points, at exit and on SIGTERM), so a
trial that dies loses at most its last unflushed batch. Run by hand, the same script works:
parameters come from its defaults or `--params FILE`, and reports are printed as JSON lines.

This module imports only the standard library and the store, so `import hpdesk.sdk` stays cheap.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import signal
import sqlite3
import sys
import threading
import time
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from hpdesk.store.connection import connect, write_transaction

ENV_DB = "HPDESK_DB"
ENV_TRIAL = "HPDESK_TRIAL_ID"
ENV_PARAMS = "HPDESK_PARAMS"
ENV_PARAMS_FILE = "HPDESK_PARAMS_FILE"
#: Metric names written at once when reported (the objective: a pruner judges each report, so
#: it must not wait half a second in the buffer), comma-separated; set by the scheduler.
ENV_FLUSH_ON = "HPDESK_FLUSH_ON"

#: The event a trial writes when it first reports a metric name through the SDK: the scheduler
#: then leaves that name to the SDK and does not read it from the script's printed output.
SDK_METRICS_EVENT = "sdk_metrics"

FLUSH_INTERVAL_S = 0.5
FLUSH_POINTS = 1000
STOP_POLL_INTERVAL_S = 1.0
SIGTERM_GRACE_S = 1.0


class SdkError(RuntimeError):
    """A misuse of the SDK or an unreadable parameter file, said in one sentence."""


def load_params_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parameters from a JSON or TOML file (the format follows the suffix; JSON otherwise)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise SdkError(f"cannot read parameter file {file}: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text) if file.suffix == ".toml" else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise SdkError(f"parameter file {file} is not valid: {exc}") from exc
    if not isinstance(data, dict):
        raise SdkError(f"parameter file {file} must hold a mapping of names to values")
    return data


def _params_file_from_argv(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--params" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--params="):
            return arg.split("=", 1)[1]
    return None


class _Sink:
    """Where points go; `write` takes (name, step, value, wall_time) tuples."""

    def write(self, points: list[tuple[str, int, float | None, float]]) -> None:
        raise NotImplementedError

    def event(self, kind: str, message: str, step: int | None, level: str) -> None:
        raise NotImplementedError

    def announce(self, names: list[str]) -> None:
        """Say which metric names this trial reports through the SDK (see `Reporter.report`)."""

    def stop_requested(self) -> bool:
        return False


class _WriterQueue:
    """Trial writers take turns through an flock on a side file before `BEGIN IMMEDIATE`.

    SQLite's busy handler polls with sleeps of up to 100 ms, so eight writers contending for the
    lock lose most of their time asleep; a blocking flock wakes the next writer the moment the
    last one commits. Optional: where flock is missing the busy timeout still serialises.
    """

    def __init__(self, db_path: str) -> None:
        self._fd: int | None = None
        try:
            import fcntl

            self._flock = fcntl.flock
            self._ex, self._un = fcntl.LOCK_EX, fcntl.LOCK_UN
            self._fd = os.open(db_path + "-writers.lock", os.O_RDWR | os.O_CREAT, 0o644)
        except (ImportError, OSError):
            self._fd = None

    def __enter__(self) -> None:
        if self._fd is not None:
            self._flock(self._fd, self._ex)

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            self._flock(self._fd, self._un)


class _DatabaseSink(_Sink):
    def __init__(self, db_path: str, trial_id: int) -> None:
        from hpdesk.store.store import INSERT_METRIC_SQL

        self._sql = INSERT_METRIC_SQL
        self._trial_id = trial_id
        self._conn = connect(db_path, must_exist=True)
        self._queue = _WriterQueue(db_path)

    def write(self, points: list[tuple[str, int, float | None, float]]) -> None:
        tid = self._trial_id
        rows = [(tid, n, s, v, w) for n, s, v, w in points]  # built before the lock is taken
        with self._queue, write_transaction(self._conn) as conn:
            conn.executemany(self._sql, rows)

    def event(self, kind: str, message: str, step: int | None, level: str) -> None:
        self._conn.execute(
            "INSERT INTO events (experiment_id, trial_id, kind, level, message, step, created_at)"
            " SELECT experiment_id, id, ?, ?, ?, ?, ? FROM trials WHERE id = ?",
            (kind, level, message, step, time.time(), self._trial_id),
        )

    def announce(self, names: list[str]) -> None:
        self._conn.execute(
            "INSERT INTO events (experiment_id, trial_id, kind, level, message, step, created_at,"
            " data) SELECT experiment_id, id, ?, 'debug', ?, NULL, ?, ? FROM trials WHERE id = ?",
            (SDK_METRICS_EVENT, "reports through the SDK: " + ", ".join(names), time.time(),
             json.dumps({"names": names}), self._trial_id),
        )

    def stop_requested(self) -> bool:
        row = self._conn.execute(
            "SELECT requested_state FROM trials WHERE id = ?", (self._trial_id,)
        ).fetchone()
        return row is not None and row[0] is not None


class _StdoutSink(_Sink):
    """Outside hpdesk: one JSON line per step, so a person (or hpdesk's stdout reader) sees it."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def write(self, points: list[tuple[str, int, float | None, float]]) -> None:
        stream = self._stream or sys.stdout
        line: dict[str, Any] = {}
        step: int | None = None
        for name, s, value, _ in points:
            if s != step and line:
                stream.write(json.dumps(line) + "\n")
                line = {}
            step = s
            if not line:
                line["step"] = s
            line[name] = value
        if line:
            stream.write(json.dumps(line) + "\n")
        stream.flush()

    def event(self, kind: str, message: str, step: int | None, level: str) -> None:
        stream = self._stream or sys.stdout
        stream.write(json.dumps({"event": kind, "level": level, "message": message,
                                 "step": step}) + "\n")
        stream.flush()


class Reporter:
    """Buffers points and hands them to a sink in batches; one per process (see `_reporter`)."""

    def __init__(self, sink: _Sink, urgent: frozenset[str] = frozenset()) -> None:
        self._sink = sink
        self._urgent = urgent
        self._buffer: list[tuple[str, int, float | None, float]] = []
        self._next_flush = 0.0  # the first point is written at once: a curve appears quickly
        self._lock = threading.RLock()  # re-entrant: a SIGTERM handler may flush mid-flush
        self._stop = False
        self._stop_checked = 0.0
        self.flushing = False  # a signal that lands mid-flush must not flush again
        self.polls = 0
        self._announced: set[str] = set()

    def report(self, step: int, metrics: Mapping[str, Any]) -> None:
        if not self._announced.issuperset(metrics):
            new = sorted(set(metrics) - self._announced)
            # Written before report() returns, so before the script prints the same value.
            self._sink.announce(new)
            self._announced.update(new)
        now = time.time()
        append = self._buffer.append
        for name, value in metrics.items():
            append((name, step, _clean(value), now))
        if (len(self._buffer) >= FLUSH_POINTS or now >= self._next_flush
                or (self._urgent and not self._urgent.isdisjoint(metrics))):
            self.flush()

    def flush(self) -> None:
        with self._lock:
            if self.flushing:
                return  # re-entered from a signal handler in the middle of a write
            self.flushing = True
            batch, self._buffer = self._buffer, []
            self._next_flush = time.time() + FLUSH_INTERVAL_S
            try:
                if batch:
                    self._sink.write(batch)
            except BaseException:
                # Keep the points for the next try (a locked database, a signal mid-write).
                self._buffer[:0] = batch
                raise
            finally:
                self.flushing = False

    def event(self, kind: str, message: str, step: int | None, level: str) -> None:
        self.flush()
        self._sink.event(kind, message, step, level)

    def request_stop(self) -> None:
        self._stop = True

    def should_stop(self) -> bool:
        self.polls += 1
        if self._stop:
            return True
        now = time.monotonic()
        if now - self._stop_checked >= STOP_POLL_INTERVAL_S:
            self._stop_checked = now
            try:
                self._stop = self._sink.stop_requested()
            except sqlite3.Error:
                pass  # a busy database is no reason to stop; ask again next time
        return self._stop


def _clean(value: Any) -> float | None:
    """A float, or None for NaN (SQLite stores NaN as NULL anyway: say so explicitly)."""
    number = float(value)
    return None if math.isnan(number) else number


_REPORTER: Reporter | None = None
_REPORTER_LOCK = threading.Lock()


def _reporter() -> Reporter:
    global _REPORTER
    if _REPORTER is None:
        with _REPORTER_LOCK:
            if _REPORTER is None:
                _REPORTER = _make_reporter()
    return _REPORTER


def _make_reporter() -> Reporter:
    db_path, trial = os.environ.get(ENV_DB), os.environ.get(ENV_TRIAL)
    if db_path and trial:
        try:
            sink: _Sink = _DatabaseSink(db_path, int(trial))
        except ValueError as exc:
            raise SdkError(f"{ENV_TRIAL} must be an integer, found {trial!r}") from exc
    else:
        sink = _StdoutSink()
    urgent = frozenset(n for n in os.environ.get(ENV_FLUSH_ON, "").split(",") if n)
    reporter = Reporter(sink, urgent)
    atexit.register(_flush_quietly, reporter)
    _install_sigterm(reporter)
    return reporter


def _flush_quietly(reporter: Reporter) -> None:
    try:
        reporter.flush()
    except Exception as exc:  # at exit there is no one left to raise to
        print(f"hpdesk: could not save the last metric points: {exc}", file=sys.stderr)


def _install_sigterm(reporter: Reporter) -> None:
    """SIGTERM flushes and sets `should_stop()`. A script that polls it within
    `SIGTERM_GRACE_S` finishes its step and returns; one that does not is then ended as SIGTERM
    would have ended it (exit status 143), its points saved."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return  # the script (or its framework) handles SIGTERM itself

    def on_sigterm(signum: int, frame: object) -> None:
        polls = reporter.polls
        signal.signal(signum, signal.SIG_DFL)  # a second SIGTERM ends the process at once
        reporter.request_stop()
        if not reporter.flushing:  # a signal landing mid-flush lets that flush finish
            _flush_quietly(reporter)
        watchdog = threading.Timer(SIGTERM_GRACE_S, _end_unless_polled, (reporter, polls, signum))
        watchdog.daemon = True
        watchdog.start()

    signal.signal(signal.SIGTERM, on_sigterm)


def _end_unless_polled(reporter: Reporter, polls: int, signum: int) -> None:
    if reporter.polls > polls:
        return  # the script saw the request and is finishing its step
    _flush_quietly(reporter)
    os.kill(os.getpid(), signum)  # the default action now: exit status 128 + signum


def params(defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The trial's parameters laid over `defaults`.

    Sources, first found wins: $HPDESK_PARAMS (JSON), $HPDESK_PARAMS_FILE, `--params FILE` on the
    command line; with none of them the defaults are returned unchanged.
    """
    merged = dict(defaults or {})
    raw = os.environ.get(ENV_PARAMS)
    if raw:
        try:
            given = json.loads(raw)
        except ValueError as exc:
            raise SdkError(f"{ENV_PARAMS} is not valid JSON: {exc}") from exc
        if not isinstance(given, dict):
            raise SdkError(f"{ENV_PARAMS} must be a JSON object")
    elif os.environ.get(ENV_PARAMS_FILE):
        given = load_params_file(os.environ[ENV_PARAMS_FILE])
    elif (path := _params_file_from_argv(sys.argv[1:])) is not None:
        given = load_params_file(path)
    else:
        given = {}
    merged.update(given)
    _reporter()  # installs the SIGTERM flush early, before the first report
    return merged


def report(step: int, **metrics: float) -> None:
    """Record `metrics` at `step` (an int that grows); cheap enough to call every step."""
    (_REPORTER or _reporter()).report(step, metrics)


def event(kind: str, message: str, *, step: int | None = None, level: str = "info") -> None:
    """A note on the trial's timeline (diverged, checkpoint saved...); written at once."""
    _reporter().event(kind, message, step, level)


def should_stop() -> bool:
    """True once hpdesk asked this trial to stop: finish the current step and return."""
    return _reporter().should_stop()


def flush() -> None:
    """Write buffered points now (also done every 0.5 s, at exit and on SIGTERM)."""
    if _REPORTER is not None:
        _REPORTER.flush()
