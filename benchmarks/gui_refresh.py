"""Live curves with 64 trials x 100,000 points: opening them, and keeping them fluid while 8
trials stream 1,000 points/s each (offscreen).

Builds a database in a temporary folder: 64 trials of one metric, 56 finished and packed the
way the scheduler packs a trial that ends (`compact_curves(final=True)`), 8 running (packed as
the scheduler does every ~10 s). A writer process then appends 1,000 points/s to each running
trial (a batch per trial every 0.5 s, as hpdesk.sdk commits them; the running trials are
packed again every 10 s) while the curves view and its poller watch the experiment.

Prints progress lines, then one JSON object as its last line:
  open_s             create the view and the poller until all 64 curves are drawn and painted
  tick_ms_median     one tick: the poller's read (its thread) + on_poll's setData + a forced
  tick_ms_p95        repaint of the plot (GUI thread)
  gui_ms_median/p95  the GUI thread's share of a tick alone
  max_stall_ms       the longest lateness of a 10 ms QTimer over the streaming period
  baseline_rows_read_s  raw sqlite3 read of every row of the 64 curves, in the same run
  packed_read_s      the store's packed read of the 64 curves (what open_s pays for the data)
Targets (issue 5): open_s < 1, tick_ms_median < 50, max_stall_ms <= 100.

Usage: python benchmarks/gui_refresh.py [--trials 64] [--points 100000] [--seconds 10]
       [--reuse FILE]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from itertools import repeat
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

from hpdesk.store import Store  # noqa: E402
from hpdesk.store.curves import compact_curves, read_curves  # noqa: E402

METRIC = "loss"
PLAN = {"hpdesk": 1, "objective": {"metric": METRIC, "direction": "minimize"}}
WRITE_INTERVAL_S = 0.5
COMPACT_INTERVAL_S = 10.0


def _curve(seed: int, start: int, n: int) -> tuple[list[int], list[float], list[float]]:
    rng = np.random.default_rng(seed)
    steps = np.arange(start, start + n)
    values = 2.0 / np.sqrt(1 + steps / 500) + 0.05 * rng.standard_normal(n) + seed * 0.01
    walls = 1.7e9 + steps * 0.01
    return steps.tolist(), values.tolist(), walls.tolist()


def build(path: Path, trials: int, points: int, running: int) -> tuple[int, list[int]]:
    """The database: rows inserted raw (index built after), then packed like the scheduler."""
    with Store(path) as store:
        exp = store.create_experiment("bench", "classification", PLAN)
        ids = [store.add_trial(exp.id, {"i": i}).id for i in range(trials)]
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.execute("DROP INDEX metrics_trial_name_step")
    for tid in ids:
        steps, values, walls = _curve(tid, 0, points)
        conn.executemany("INSERT INTO metrics (trial_id, name, step, value, wall_time)"
                         " VALUES (?, ?, ?, ?, ?)",
                         zip(repeat(tid), repeat(METRIC), steps, values, walls))
    conn.execute("CREATE UNIQUE INDEX metrics_trial_name_step ON metrics (trial_id, name, step)")
    conn.execute("COMMIT")
    conn.close()
    now = time.time()
    with Store(path) as store:
        for i, tid in enumerate(ids):
            done = i < trials - running
            store.update_trial(tid, state="completed" if done else "running",
                               started_at=now - 3600, ended_at=now - 60 if done else None,
                               objective=1.0 + tid * 0.001 if done else None)
            compact_curves(store, tid, final=done)
    return exp.id, ids


def _writer(path: str, ids: list[int], start: int, rate: int, stop_at: float) -> None:
    """The running trials: a batch per trial every 0.5 s; packed every 10 s (the scheduler)."""
    store = Store(path)
    step = start
    per_batch = int(rate * WRITE_INTERVAL_S)
    next_write, next_compact = time.time(), time.time() + COMPACT_INTERVAL_S
    while time.time() < stop_at:
        for tid in ids:
            steps, values, walls = _curve(tid * 7919 + step, step, per_batch)
            walls = [time.time()] * per_batch
            store.write_metrics(zip(repeat(tid), repeat(METRIC), steps, values, walls))
        step += per_batch
        if time.time() >= next_compact:
            for tid in ids:
                compact_curves(store, tid)
            next_compact += COMPACT_INTERVAL_S
        next_write += WRITE_INTERVAL_S
        time.sleep(max(0.0, next_write - time.time()))
    store.close()


def baseline_rows_read(path: Path, ids: list[int]) -> float:
    conn = sqlite3.connect(path)
    t0 = time.perf_counter()
    for tid in ids:
        conn.execute("SELECT step, value, wall_time FROM metrics WHERE trial_id = ? AND name = ?"
                     " ORDER BY step", (tid, METRIC)).fetchall()
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def packed_read(path: Path, ids: list[int]) -> float:
    with Store(path) as store:
        t0 = time.perf_counter()
        read_curves(store, METRIC, ids)
        return time.perf_counter() - t0


def watch(path: Path, exp_id: int, ids: list[int], seconds: float) -> dict[str, Any]:
    """Open the view on the database, then measure ticks and stalls while the writer writes."""
    from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEvent, QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from hpdesk.gui.base import poller as poller_module
    from hpdesk.gui.curves.view import CurvesView

    app = QApplication.instance() or QApplication([])
    worker_ms: dict[int, float] = {}
    real_poll = poller_module._PollWorker._poll

    def timed_poll(self: Any, store: Store) -> Any:
        t0 = time.perf_counter()
        result = real_poll(self, store)
        if result is not None:
            worker_ms[result.watermark] = (time.perf_counter() - t0) * 1000
        return result

    poller_module._PollWorker._poll = timed_poll  # type: ignore[method-assign]

    t0 = time.perf_counter()
    view = CurvesView("en")
    view.resize(1400, 800)
    view.show()
    view.set_experiment(PLAN)
    poller = poller_module.ExperimentPoller(path, exp_id)
    poller.curvesLoaded.connect(view.on_curves_loaded)
    view.curvesRequested.connect(poller.request_curves)
    errors: list[str] = []
    poller.failed.connect(errors.append)
    ticks: list[tuple[float, float]] = []

    scene = view.plot_widget.scene()

    def on_poll(result: Any) -> None:
        g0 = time.perf_counter()
        view.on_poll(result)
        # Let the scene take in the changed items (a queued call), then paint at once: one
        # paint per tick, as the event loop would do it a moment later.
        QCoreApplication.sendPostedEvents(scene, QEvent.Type.MetaCall)
        view.plot_widget.viewport().repaint()
        gui = (time.perf_counter() - g0) * 1000
        ticks.append((gui, worker_ms.pop(result.watermark, 0.0)))

    poller.polled.connect(on_poll)
    poller.start()
    # Wait in the event loop (blocked, as the window's loop is: the poller thread needs the
    # GIL), checking after each curves batch whether every curve is drawn.
    waiting = QEventLoop()

    def all_drawn() -> bool:
        return all(len(view.curve_data(t) or ()) for t in ids)

    def check(_: object) -> None:
        if all_drawn():
            waiting.quit()

    poller.curvesLoaded.connect(check)
    QTimer.singleShot(60_000, waiting.quit)
    waiting.exec()
    if not all_drawn():
        raise SystemExit(f"the curves did not appear within 60 s: {errors}")
    view.plot_widget.viewport().repaint()
    open_s = time.perf_counter() - t0
    print(f"open: {open_s:.3f} s", file=sys.stderr)
    ticks.clear()

    stalls: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def beat() -> None:
        now = clock.nsecsElapsed()
        stalls.append((now - last[0]) / 1e6 - 10.0)
        last[0] = now

    heart = QTimer()
    heart.setTimerType(Qt.TimerType.PreciseTimer)
    heart.timeout.connect(beat)
    heart.start(10)
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    heart.stop()
    poller.stop()
    drawn = sum(len((view.curve_data(t) or ((),))[0]) for t in ids)
    view.close()
    totals = [g + w for g, w in ticks]
    gui = [g for g, _ in ticks]
    return {
        "open_s": round(open_s, 3),
        "tick_ms_median": round(statistics.median(totals), 2) if totals else None,
        "tick_ms_p95": round(float(np.percentile(totals, 95)), 2) if totals else None,
        "gui_ms_median": round(statistics.median(gui), 2) if gui else None,
        "gui_ms_p95": round(float(np.percentile(gui, 95)), 2) if gui else None,
        "max_stall_ms": round(max(stalls), 1) if stalls else None,
        "ticks": len(ticks),
        "drawn_points": drawn,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=64)
    parser.add_argument("--points", type=int, default=100_000, help="points per trial")
    parser.add_argument("--running", type=int, default=8, help="trials still writing")
    parser.add_argument("--rate", type=int, default=1000, help="points/s per running trial")
    parser.add_argument("--seconds", type=float, default=10.0, help="streaming period measured")
    parser.add_argument("--reuse", type=Path, help="a database file built by an earlier run "
                        "with the same sizes: copied instead of building (saved there if absent)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hpdesk-bench-") as tmp:
        path = Path(tmp) / "curves.db"
        t0 = time.perf_counter()
        if args.reuse and args.reuse.exists():
            shutil.copy(args.reuse, path)
            with Store(path) as store:
                exp_id = store.experiments()[0].id
                ids = [t.id for t in store.trials(exp_id)]
        else:
            exp_id, ids = build(path, args.trials, args.points, args.running)
            if args.reuse:
                shutil.copy(path, args.reuse)
        print(f"built {args.trials} x {args.points:,} points in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
        raw = baseline_rows_read(path, ids)
        packed = packed_read(path, ids)
        print(f"raw rows read {raw:.2f} s, packed read {packed:.3f} s", file=sys.stderr)
        ctx = mp.get_context("spawn")
        stop_at = time.time() + args.seconds + 90
        writer = ctx.Process(target=_writer, args=(str(path), ids[-args.running:], args.points,
                                                   args.rate, stop_at), daemon=True)
        writer.start()
        time.sleep(1.5)  # the writer imports and starts streaming
        result = watch(path, exp_id, ids, args.seconds)
        writer.terminate()
        writer.join()
    result.update({
        "baseline_rows_read_s": round(raw, 3),
        "packed_read_s": round(packed, 3),
        "curves": args.trials,
        "points": args.trials * args.points,
        "running": args.running,
        "rate_per_trial": args.rate,
        "cpu_count": os.cpu_count(),
    })
    print(json.dumps(result))


if __name__ == "__main__":
    main()
