"""Load: 32 trial processes report 1,000 points/s each through `hpdesk.sdk.report` into one
SQLite file for 60 s, while the window (offscreen: the real MainWindow, its poller and curves)
polls and draws the experiment and a stand-in scheduler beats and packs curves, as a real one
does. Every point reported must be stored, with no lock error.

Each writer is a real process started as a trial is (HPDESK_DB and HPDESK_TRIAL_ID in its
environment), reporting 4 metrics per step at rate/4 steps per second, paced by the wall clock
(when it falls behind it catches up, and the run lasts longer: `elapsed_s` says so).

Prints progress on stderr, then one JSON object as its last line:
  points_reported      points handed to report() by all writers (writers x rate x seconds)
  points_stored        metric rows in the database afterwards (must equal points_reported)
  lock_errors          "database is locked" errors seen by writers, the stand-in scheduler or
                       the window's poller (must be 0); lock_errors_by splits them
  max_stall_ms         the longest a writer's report() or flush, or the window's poll, took
  writer_report_ms_p99 / writer_max_stall_ms / writer_flush_ms_max: the writers' side
  poll_ms_p50/p99/max  the window's poll (its thread: reads what changed since the last tick)
  gui_ms_p50/p99       the GUI thread's handling of a poll result (tables, curves, compare)
  gui_max_stall_ms     the longest lateness of a 10 ms timer on the GUI thread (responsiveness)
  scheduler_max_stall_ms  the stand-in scheduler's longest heartbeat or curve packing
  elapsed_s            first report to the last writer's final flush (>= seconds when behind)
  stored_pps           points_stored / elapsed_s
  baseline_raw_s / baseline_raw_pps: one process inserting the same number of rows with raw
                       sqlite3 executemany in one transaction, same table, same run
Targets (issue 11): points_stored == points_reported, lock_errors == 0.

Usage: python benchmarks/load.py [--writers 32] [--rate 1000] [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

METRICS = ("loss", "acc", "lr", "grad_norm")  # 4 points per step
BEAT_S = 2.0  # the scheduler's heartbeat (hpdesk.runner.scheduler.HEARTBEAT_S)
COMPACT_S = 10.0  # the scheduler packs running trials' curves this often
FINAL_FLUSH_S = 60.0  # a writer gives up retrying its last flush after this long


def is_lock_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


# --- a writer: one trial process -----------------------------------------------------------------
def writer_main(rate: float, seconds: float) -> None:
    """Report METRICS at rate/len(METRICS) steps/s for `seconds`, then flush; print one JSON
    line. The sink's writes are timed (and lock errors counted) whichever thread flushes."""
    from hpdesk import sdk

    sdk.params({})  # opens the connection and installs the handlers, as a trial does first
    flushes: list[float] = []
    sink_locks = [0]
    reporter = getattr(sdk, "_REPORTER", None)
    sink = getattr(reporter, "_sink", None)
    if sink is not None and hasattr(sink, "write"):
        real_write = sink.write

        def timed_write(points: Any) -> None:
            t0 = time.perf_counter()
            try:
                real_write(points)
            except Exception as exc:
                if is_lock_error(exc):
                    sink_locks[0] += 1
                raise
            finally:
                flushes.append(time.perf_counter() - t0)

        sink.write = timed_write
    print("ready", flush=True)
    start = float(sys.stdin.readline())
    time.sleep(max(0.0, start - time.time()))
    steps_per_s = rate / len(METRICS)
    total = int(round(steps_per_s * seconds))
    calls: list[float] = []
    lock_errors, done = 0, 0
    t0 = time.perf_counter()
    while done < total:
        due = min(total, int((time.perf_counter() - t0) * steps_per_s) + 1)
        while done < due:
            c0 = time.perf_counter()
            try:
                sdk.report(done, loss=1.0 / (1 + done), acc=done / total, lr=1e-3,
                           grad_norm=0.5)
            except Exception as exc:  # the point stays buffered: the next flush writes it
                if not is_lock_error(exc):
                    raise
                lock_errors += 1
            calls.append(time.perf_counter() - c0)
            done += 1
        wait = t0 + done / steps_per_s - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
    deadline = time.monotonic() + FINAL_FLUSH_S
    while True:
        c0 = time.perf_counter()
        try:
            sdk.flush()
            calls.append(time.perf_counter() - c0)
            break
        except Exception as exc:
            calls.append(time.perf_counter() - c0)
            if not is_lock_error(exc) or time.monotonic() > deadline:
                raise
            lock_errors += 1
    elapsed = time.perf_counter() - t0
    print(json.dumps({
        "reported": done * len(METRICS), "lock_errors": lock_errors, "sink_locks": sink_locks[0],
        "call_max": max(calls), "call_p99": _percentile(calls, 99),
        "flush_max": max(flushes) if flushes else None, "flushes": len(flushes),
        "elapsed": elapsed, "start": start}), flush=True)


# --- the stand-in scheduler ----------------------------------------------------------------------
def scheduler_main(db: str, experiment_id: int) -> None:
    """Hold the experiment as its scheduler (pid, start time, heartbeat) so the window sees it
    alive, beat every BEAT_S and pack the running trials' curves every COMPACT_S, until stdin
    closes; print one JSON line with the longest write and the lock errors."""
    import psutil

    from hpdesk.store import Store
    from hpdesk.store.curves import compact_curves

    store = Store(db)
    store.update_experiment(experiment_id, state="running", scheduler_pid=os.getpid(),
                            scheduler_host=socket.gethostname(),
                            scheduler_started_at=psutil.Process().create_time(),
                            heartbeat_at=time.time())
    ids = [t.id for t in store.trials(experiment_id)]
    print("ready", flush=True)
    longest, lock_errors = 0.0, 0
    next_beat, next_pack = time.monotonic() + BEAT_S, time.monotonic() + COMPACT_S
    while True:
        readable, _, _ = select.select([sys.stdin], [], [], 0.2)
        if readable and not sys.stdin.readline():
            break  # the benchmark closed our stdin: done
        now = time.monotonic()
        jobs = []
        if now >= next_beat:
            next_beat = now + BEAT_S
            jobs.append(lambda: store.update_experiment(experiment_id, heartbeat_at=time.time()))
        if now >= next_pack:
            next_pack = now + COMPACT_S
            jobs.extend((lambda tid=tid: compact_curves(store, tid)) for tid in ids)
        for job in jobs:
            t0 = time.perf_counter()
            try:
                job()
            except sqlite3.OperationalError as exc:
                if not is_lock_error(exc):
                    raise
                lock_errors += 1
            longest = max(longest, time.perf_counter() - t0)
    store.update_experiment(experiment_id, state="completed")
    store.close()
    print(json.dumps({"max_stall": longest, "lock_errors": lock_errors}), flush=True)


# --- the benchmark -------------------------------------------------------------------------------
def build(path: Path, writers: int) -> tuple[int, list[int]]:
    from hpdesk.plan import parse_plan
    from hpdesk.store import Store

    plan = parse_plan({"hpdesk": 1, "task": "script", "name": "load", "command": "python t.py",
                       "objective": {"metric": "loss", "direction": "minimize"},
                       "space": {"lr": {"type": "float", "low": 1e-4, "high": 1e-1,
                                        "log": True}},
                       "budget": {"trials": writers}}, source="load benchmark")
    now = time.time()
    with Store(path) as store:
        exp = store.create_experiment("load", "script", plan.to_dict())
        ids = []
        for i in range(writers):
            trial = store.add_trial(exp.id, {"lr": 1e-4 * (1.2 ** (i % 30))})
            store.update_trial(trial.id, state="running", started_at=now)
            ids.append(trial.id)
    return exp.id, ids


def _spawn(args: list[str], env: dict[str, str], stderr: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, *args], env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=stderr.open("w"))


def _ready(proc: subprocess.Popen[str], what: str, log: Path) -> None:
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        raise SystemExit(f"{what} did not start: {log.read_text()[-2000:]}")


def _result(proc: subprocess.Popen[str], what: str, log: Path) -> dict[str, Any]:
    assert proc.stdout is not None
    out = proc.stdout.read()  # its stdin is closed already: no communicate()
    proc.wait(timeout=120)
    if proc.returncode != 0:
        raise SystemExit(f"{what} failed (exit {proc.returncode}): {log.read_text()[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])


class Window:
    """The real main window on the database, its poll and GUI work timed, its event loop's
    responsiveness measured by a 10 ms timer."""

    def __init__(self, db: Path, folder: Path) -> None:
        from PySide6.QtWidgets import QApplication

        from hpdesk.gui.base import poller as poller_module
        from hpdesk.gui.base.settings import Settings
        from hpdesk.gui.shell.main_window import MainWindow

        self.app = QApplication.instance() or QApplication([])
        self.polls: list[float] = []
        self.gui: list[float] = []
        self.lock_errors = 0
        self.errors: list[str] = []
        real_poll = poller_module._PollWorker._poll
        real_on_poll = MainWindow._on_poll
        bench = self

        def timed_poll(worker: Any, store: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return real_poll(worker, store)
            except sqlite3.OperationalError as exc:
                bench.lock_errors += is_lock_error(exc)
                raise
            finally:
                bench.polls.append(time.perf_counter() - t0)

        def timed_on_poll(window: Any, result: Any) -> None:
            t0 = time.perf_counter()
            real_on_poll(window, result)
            bench.gui.append(time.perf_counter() - t0)

        poller_module._PollWorker._poll = timed_poll  # type: ignore[method-assign]
        MainWindow._on_poll = timed_on_poll  # type: ignore[method-assign]
        self.window = MainWindow(Settings(folder / "settings.ini"), db, "en")
        self.window.resize(1400, 900)
        self.window.show()
        self.wait_until(lambda: self.window.poller is not None and bool(self.polls), 60)
        self.window.poller.failed.connect(self.errors.append)

    def wait_until(self, done: Any, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not done():
            if time.monotonic() > deadline:
                raise SystemExit("the window did not show the experiment in time")
            self.app.processEvents()
            time.sleep(0.01)

    def run_until(self, done: Any, seconds: float) -> float:
        """Run the event loop until `done()` (checked every 100 ms) or `seconds`; returns the
        longest lateness of a 10 ms timer meanwhile."""
        from PySide6.QtCore import QElapsedTimer, Qt, QTimer

        self.polls.clear()
        self.gui.clear()
        clock = QElapsedTimer()
        clock.start()
        last, late = [clock.nsecsElapsed()], [0.0]

        def beat() -> None:
            now = clock.nsecsElapsed()
            late[0] = max(late[0], (now - last[0]) / 1e6 - 10.0)
            last[0] = now

        heart = QTimer()
        heart.setTimerType(Qt.TimerType.PreciseTimer)
        heart.timeout.connect(beat)
        heart.start(10)
        check = QTimer()
        check.timeout.connect(lambda: done() and self.app.quit())
        check.start(100)
        QTimer.singleShot(int(seconds * 1000), self.app.quit)
        self.app.exec()
        heart.stop()
        check.stop()
        return late[0]

    def close(self) -> None:
        self.window.close()
        self.app.processEvents()


def baseline(folder: Path, rows: int) -> float:
    """One process, raw sqlite3: `rows` metric rows in one executemany and one transaction."""
    from hpdesk.store import Store
    from hpdesk.store.metric_rows import INSERT_METRIC_SQL

    path = folder / "baseline.db"
    with Store(path) as store:
        exp = store.create_experiment("baseline", "script", {"hpdesk": 1})
        trial_id = store.add_trial(exp.id, {}).id
    now = time.time()
    data = [(trial_id, METRICS[i % len(METRICS)], i // len(METRICS), 0.5, now)
            for i in range(rows)]
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(INSERT_METRIC_SQL, data)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=32)
    parser.add_argument("--rate", type=float, default=1000, help="points/s per writer")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--as-writer", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--as-scheduler", nargs=2, metavar=("DB", "EXPERIMENT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.as_writer:
        return writer_main(args.rate, args.seconds)
    if args.as_scheduler:
        return scheduler_main(args.as_scheduler[0], int(args.as_scheduler[1]))

    with tempfile.TemporaryDirectory(prefix="hpdesk-load-") as tmp:
        folder = Path(tmp)
        db = folder / "load.db"
        exp_id, ids = build(db, args.writers)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]))
        logs = folder / "logs"
        logs.mkdir()
        scheduler = _spawn(["--as-scheduler", str(db), str(exp_id)], env, logs / "scheduler")
        _ready(scheduler, "the stand-in scheduler", logs / "scheduler")
        writers = []
        for tid in ids:
            wenv = dict(env, HPDESK_DB=str(db), HPDESK_TRIAL_ID=str(tid))
            writers.append(_spawn(["--as-writer", "--rate", str(args.rate),
                                   "--seconds", str(args.seconds)], wenv, logs / f"w{tid}"))
        for tid, proc in zip(ids, writers):
            _ready(proc, f"writer {tid}", logs / f"w{tid}")
        print(f"{args.writers} writers ready; opening the window", file=sys.stderr)
        window = Window(db, folder)
        start = time.time() + 0.5
        for proc in writers:
            assert proc.stdin is not None
            proc.stdin.write(f"{start}\n")
            proc.stdin.close()
        print(f"streaming {args.rate:g} points/s x {args.writers} for {args.seconds:g} s",
              file=sys.stderr)
        gui_late = window.run_until(lambda: all(p.poll() is not None for p in writers),
                                    args.seconds + 180)
        window.close()
        results = [_result(p, f"writer {tid}", logs / f"w{tid}") for tid, p in zip(ids, writers)]
        assert scheduler.stdin is not None
        scheduler.stdin.close()
        sched = _result(scheduler, "the stand-in scheduler", logs / "scheduler")
        from hpdesk.store import Store

        with Store(db) as store:
            stored = store.conn.execute(
                f"SELECT COUNT(*) FROM metrics WHERE trial_id IN ({', '.join('?' * len(ids))})",
                ids).fetchone()[0]
        reported = sum(r["reported"] for r in results)
        elapsed = max(r["start"] + r["elapsed"] for r in results) - start
        print(f"stored {stored:,} of {reported:,} points in {elapsed:.1f} s; measuring the "
              "baseline", file=sys.stderr)
        raw_s = baseline(folder, reported)
    writer_locks = sum(r["lock_errors"] + r["sink_locks"] for r in results)
    writer_stall = max(max(r["call_max"], r["flush_max"] or 0.0) for r in results)
    poll_max = max(window.polls) if window.polls else 0.0
    flush_maxes = [r["flush_max"] for r in results if r["flush_max"] is not None]
    result = {
        "points_reported": reported,
        "points_stored": stored,
        "lock_errors": writer_locks + sched["lock_errors"] + window.lock_errors,
        "lock_errors_by": {"writers": writer_locks, "scheduler": sched["lock_errors"],
                           "window": window.lock_errors},
        "max_stall_ms": _ms(max(writer_stall, poll_max)),
        "writer_max_stall_ms": _ms(writer_stall),
        "writer_report_ms_p99": _ms(max(r["call_p99"] or 0.0 for r in results)),
        "writer_flush_ms_max": _ms(max(flush_maxes)) if flush_maxes else None,
        "poll_ms_p50": _ms(statistics.median(window.polls)) if window.polls else None,
        "poll_ms_p99": _ms(_percentile(window.polls, 99)),
        "poll_ms_max": _ms(poll_max),
        "polls": len(window.polls),
        "gui_ms_p50": _ms(statistics.median(window.gui)) if window.gui else None,
        "gui_ms_p99": _ms(_percentile(window.gui, 99)),
        "gui_max_stall_ms": round(gui_late, 1),
        "scheduler_max_stall_ms": _ms(sched["max_stall"]),
        "window_errors": window.errors,
        "elapsed_s": round(elapsed, 2),
        "stored_pps": round(stored / elapsed) if elapsed > 0 else None,
        "baseline_raw_s": round(raw_s, 3),
        "baseline_raw_pps": round(reported / raw_s) if raw_s > 0 else None,
        "writers": args.writers,
        "rate_per_writer": args.rate,
        "seconds": args.seconds,
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
