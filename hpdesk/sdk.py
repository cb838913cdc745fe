"""What a training script imports to talk to hpdesk: `params()`, `report()`, `should_stop()`.

Run by hpdesk, the trial finds its database and trial id in the environment and commits its
own metric points, in batches (every ~0.5 s, every 1,000 points, at exit and on SIGTERM), so a
trial that dies loses at most its last unflushed batch. The batches are written by a background
thread: `report()` never waits for the database, and the points of a script that then computes
for minutes still appear within half a second. A database held by another process only delays
the writes (the points wait in memory, nothing is dropped); it never stops the training.
Run by hand, the same script works: parameters come from its defaults or `--params FILE`, and
reports are printed as JSON lines.

This module imports only the standard library and the store, so `import hpdesk.sdk` stays cheap.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import signal
import sqlite3
import sys
import threading
import time
import tomllib
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hpdesk.store.connection import StoreError
from hpdesk.store.trial_sink import (
    SDK_METRICS_EVENT,
    DatabaseSink,
    LineSink,
    Sink,
    StdoutSink,
)

__all__ = ["SDK_METRICS_EVENT", "SdkError", "event", "flush", "load_params_file", "params",
           "report", "should_stop"]

ENV_DB = "HPDESK_DB"
ENV_TRIAL = "HPDESK_TRIAL_ID"
ENV_PARAMS = "HPDESK_PARAMS"
ENV_PARAMS_FILE = "HPDESK_PARAMS_FILE"
#: Metric names written at once when reported (the objective: a pruner judges each report, so
#: it must not wait half a second in the buffer), comma-separated; set by the scheduler.
ENV_FLUSH_ON = "HPDESK_FLUSH_ON"
#: "lines": the trial runs where its database is out of reach (a Ray job); what it reports is
#: printed as tagged lines that hpdesk stores on the machine that holds the database.
ENV_REPORT = "HPDESK_REPORT"

FLUSH_INTERVAL_S = 0.5
FLUSH_POINTS = 1000
#: Points held while the database cannot be written (another process holds it): past this,
#: `report()` waits for the writer (back-pressure) rather than grow without bound.
MAX_BUFFERED_POINTS = 2_000_000
EXIT_FLUSH_S = 60.0  # at exit, how long a locked database is waited for before points are lost
MAX_PARAMS_BYTES = 10_000_000
STOP_POLL_INTERVAL_S = 1.0
SIGTERM_GRACE_S = 1.0


class SdkError(RuntimeError):
    """A misuse of the SDK or an unreadable parameter file, said in one sentence."""


def load_params_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parameters from a JSON or TOML file (the format follows the suffix; JSON otherwise)."""
    file = Path(path)
    try:
        with open(file, "rb") as fh:  # bounded: `--params /dev/zero` must not read for ever
            raw = fh.read(MAX_PARAMS_BYTES + 1)
        if len(raw) > MAX_PARAMS_BYTES:
            raise SdkError(f"parameter file {file} is larger than {MAX_PARAMS_BYTES:,} bytes")
        text = raw.decode("utf-8")
    except OSError as exc:
        raise SdkError(f"cannot read parameter file {file}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise SdkError(f"parameter file {file} is not UTF-8 text (byte {exc.start})") from exc
    try:
        data = tomllib.loads(text) if file.suffix == ".toml" else json.loads(text)
    except (ValueError, RecursionError, tomllib.TOMLDecodeError) as exc:
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


class Reporter:
    """Buffers points and hands them to a sink in batches; one per process (see `_reporter`).

    With `background=True` a daemon thread writes the batches: every `FLUSH_INTERVAL_S` while
    points wait, at once when `FLUSH_POINTS` have gathered or an urgent metric (the objective)
    arrives. A write that fails keeps its points for the next try."""

    def __init__(self, sink: Sink, urgent: frozenset[str] = frozenset(), *,
                 background: bool = False) -> None:
        self._sink = sink
        self._urgent = urgent
        # A deque, never replaced: report() appends on its right while the writer pops whole
        # batches from its left, each operation atomic, so a point reported while a batch is
        # taken is in that batch or the next, never lost between (a swapped list lost one).
        self._buffer: deque[tuple[str, int, float | None, float]] = deque()
        self._next_flush = 0.0  # the first point is written at once: a curve appears quickly
        self._lock = threading.RLock()  # re-entrant: a SIGTERM handler may flush mid-flush
        self._stop = False
        self._stop_checked = 0.0
        self.flushing = False  # a signal that lands mid-flush must not flush again
        self.polls = 0
        self._announced: set[str] = set()
        self._wake = threading.Event()
        self._closed = False
        self._writer: threading.Thread | None = None
        if background:
            self._writer = threading.Thread(target=self._write_loop, name="hpdesk-sdk-writer",
                                            daemon=True)
            self._writer.start()
        self.write_errors = 0
        #: Why points can no longer be saved (a full disk, a read-only or damaged database).
        self.failed: StoreError | None = None

    def _give_up(self, failure: StoreError) -> None:
        """Points that cannot be saved: said in one line, once; the trial is asked to stop
        (`should_stop()`), and its next `report()` ends it with exit status 1."""
        if self.failed is None:
            self.failed = failure
            with contextlib.suppress(OSError):  # the log may sit on the same full disk
                print(f"hpdesk: this trial's metrics cannot be saved: {failure}; it stops",
                      file=sys.stderr, flush=True)
        self._buffer.clear()
        self._stop = True

    def report(self, step: int, metrics: Mapping[str, Any]) -> None:
        if self.failed is not None:
            raise SystemExit(1)  # the reason is in the log already (`_give_up`)
        if not self._announced.issuperset(metrics):
            new = sorted(set(metrics) - self._announced)
            # Written before report() returns, so before the script prints the same value.
            try:
                self._sink.announce(new)
            except StoreError as exc:
                self._give_up(exc)
                raise SystemExit(1) from None
            self._announced.update(new)
        now = time.time()
        if len(self._buffer) >= MAX_BUFFERED_POINTS and self._writer is not None:
            self._wake.set()
            while len(self._buffer) >= MAX_BUFFERED_POINTS and self._writer.is_alive():
                time.sleep(0.05)  # the database is held elsewhere: wait rather than grow
        append = self._buffer.append
        for name, value in metrics.items():
            append((name, step, _clean(value), now))
        if (len(self._buffer) >= FLUSH_POINTS or now >= self._next_flush
                or (self._urgent and not self._urgent.isdisjoint(metrics))):
            if self._writer is None:
                self.flush()
            else:
                self._wake.set()

    def _write_loop(self) -> None:
        """The background writer: flushes while points wait, on time or when woken."""
        while not self._closed:
            self._wake.wait(FLUSH_INTERVAL_S)
            self._wake.clear()
            if self._closed or not self._buffer:
                continue
            try:
                self.flush()
            except Exception as exc:  # kept for the next pass (flush puts them back)
                self.write_errors += 1
                if self.write_errors == 1 or self.write_errors % 100 == 0:
                    print(f"hpdesk: metric points wait for the database: {exc}",
                          file=sys.stderr)
                time.sleep(min(2.0, 0.1 * self.write_errors))

    def close(self, wait_s: float = EXIT_FLUSH_S) -> None:
        """Stop the writer and write what is left, retrying a locked database for `wait_s`."""
        self._closed = True
        self._wake.set()
        if self._writer is not None and self._writer is not threading.current_thread():
            self._writer.join(timeout=wait_s)
        deadline = time.monotonic() + wait_s
        while True:
            try:
                self.flush()
                return
            except sqlite3.OperationalError:
                if time.monotonic() >= deadline or not self._buffer:
                    raise
                time.sleep(0.2)

    def flush(self) -> None:
        with self._lock:
            if self.flushing:
                return  # re-entered from a signal handler in the middle of a write
            if self.failed is not None:
                self._buffer.clear()
                return
            self.flushing = True
            buffer = self._buffer
            batch = [buffer.popleft() for _ in range(len(buffer))]
            self._next_flush = time.time() + FLUSH_INTERVAL_S
            try:
                if batch:
                    self._sink.write(batch)
            except StoreError as exc:  # not a busy lock: waiting will not bring them back
                self._give_up(exc)
            except BaseException:
                # Keep the points for the next try (a locked database, a signal mid-write).
                self._buffer.extendleft(reversed(batch))
                raise
            finally:
                self.flushing = False

    def event(self, kind: str, message: str, step: int | None, level: str) -> None:
        self.flush()
        try:
            if self.failed is None:
                self._sink.event(kind, message, step, level)
        except StoreError as exc:
            self._give_up(exc)
        if self.failed is not None:
            raise SystemExit(1)

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
    if os.environ.get(ENV_REPORT) == "lines":
        sink: Sink = LineSink()
    elif db_path and trial:
        try:
            sink = DatabaseSink(db_path, int(trial))
        except ValueError as exc:
            raise SdkError(f"{ENV_TRIAL} must be an integer, found {trial!r}") from exc
        except StoreError as exc:  # one line in the trial's log, not a traceback
            raise SystemExit(f"hpdesk: this trial cannot open its database: {exc}") from None
    else:
        sink = StdoutSink()
    urgent = frozenset(n for n in os.environ.get(ENV_FLUSH_ON, "").split(",") if n)
    reporter = Reporter(sink, urgent, background=isinstance(sink, DatabaseSink))
    atexit.register(_close_quietly, reporter)
    _install_sigterm(reporter)
    return reporter


def _close_quietly(reporter: Reporter) -> None:
    try:
        reporter.close()
    except Exception as exc:  # at exit there is no one left to raise to
        print(f"hpdesk: could not save the last metric points: {exc}", file=sys.stderr)


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
    """Write buffered points now, in this thread (also done every 0.5 s by a background
    thread, at exit and on SIGTERM)."""
    if _REPORTER is not None:
        _REPORTER.flush()
