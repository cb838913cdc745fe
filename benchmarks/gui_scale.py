"""Scale: the real main window (offscreen) on 2,000 finished trials x 10,000 points while 16
trials grow at 1,000 points/s each: opening, sorting, filtering, selecting, the refresh tick.

Builds a database in a temporary folder the store's fast way: trial rows and metric rows written
with executemany in big transactions (the index built after), every finished trial's curve
packed as the scheduler packs a trial that ends (`compact_curves(final=True)`). A writer process
then stands in for the scheduler and its running trials: it holds the experiment (pid, start
time, heartbeat every 2 s), appends 1,000 points/s to each running trial (a batch per trial every
0.5 s, as hpdesk.sdk commits them) and, every 10 s, notes each running trial's progress
(`last_report_at`, as the scheduler does) and packs its curve.

Prints progress on stderr, then one JSON object as its last line:
  open_s          MainWindow() until the trials table holds every trial and has painted
  sort_ms         sorting the table by the objective (ascending, descending, ...) + its repaint
  filter_ms       typing the filter `lr>0.01` (and clearing it): the table, the curves it
                  leaves drawn (RunView.sync_filter) and the repaint of both
  select_200_ms   selecting 200 trials in the table (their curves emphasised) + the repaint
  tick_ms_median  one refresh tick while the 16 trials stream, once every curve is drawn: the
                  poller's read (its thread) + the window's handling of the result (GUI thread)
  max_stall_ms    the longest lateness of a 10 ms timer on the GUI thread from the moment the
                  table is full: while every curve loads, then while streaming `--seconds`
  peak_rss_mb     the process's peak resident memory
  baseline        same run, raw sqlite3: the experiment's trial rows, and 200 curves' rows
                  (plus the store's packed read of those 200 curves)
  targets / pass  issue 12's targets and whether each was met
  details         sizes, every repetition, the time until every curve was drawn
Sort, filter and select are each repeated (REPEATS) and reported as their median.

Usage: python benchmarks/gui_scale.py [--quick] [--trials 2000] [--points 10000] [--running 16]
       [--rate 1000] [--seconds 10] [--reuse FILE] [--profile FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import select
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import repeat
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

METRIC = "loss"
FILTER = "lr>0.01"
SELECTED = 200
REPEATS = 3
WRITE_INTERVAL_S = 0.5
BEAT_S = 2.0
COMPACT_S = 10.0
LOAD_LIMIT_S = 120.0  # the longest the curves may take to load (measured: all_curves_drawn_s)
TARGETS = {"open_s": 1.0, "sort_ms": 100.0, "filter_ms": 100.0, "select_200_ms": 300.0,
           "tick_ms_median": 33.0, "max_stall_ms": 100.0}


def _curve(seed: int, start: int, n: int) -> tuple[list[int], list[float], list[float]]:
    rng = np.random.default_rng(seed)
    steps = np.arange(start, start + n)
    values = 2.0 / np.sqrt(1 + steps / 500) + 0.05 * rng.standard_normal(n) + (seed % 97) * 0.01
    walls = 1.7e9 + steps * 0.01
    return steps.tolist(), values.tolist(), walls.tolist()


def _plan(trials: int) -> dict[str, Any]:
    from hpdesk.plan import parse_plan

    return parse_plan({
        "hpdesk": 1, "task": "script", "name": "scale", "command": "python train.py",
        "objective": {"metric": METRIC, "direction": "minimize"},
        "space": {"lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
                  "batch_size": {"type": "categorical", "choices": [32, 64, 128, 256]},
                  "dropout": {"type": "float", "low": 0.0, "high": 0.5}},
        "budget": {"trials": trials}}, source="gui_scale benchmark").to_dict()


def build(path: Path, trials: int, points: int, running: int) -> tuple[int, list[int]]:
    """Trial and metric rows with executemany in big transactions, then the finished curves
    packed for good and the running ones packed as the scheduler does every 10 s."""
    from hpdesk.store import Store
    from hpdesk.store.curves import compact_curves

    total = trials + running
    with Store(path) as store:
        exp_id = store.create_experiment("scale", "script", _plan(total)).id
    rng = np.random.default_rng(0)
    now = time.time()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    rows = []
    for i in range(total):
        done = i < trials
        params = {"lr": float(10 ** rng.uniform(-4, -1)),
                  "batch_size": int(rng.choice([32, 64, 128, 256])),
                  "dropout": float(rng.uniform(0, 0.5))}
        rows.append((exp_id, i, json.dumps(params), "completed" if done else "running",
                     now - 7200, now - 3600, now - 60 if done else None,
                     float(0.5 + rng.uniform(0, 1)) if done else None))
    conn.executemany("INSERT INTO trials (experiment_id, number, params, state, created_at,"
                     " started_at, ended_at, objective) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    ids = [r[0] for r in conn.execute(
        "SELECT id FROM trials WHERE experiment_id = ? ORDER BY number", (exp_id,))]
    conn.execute("DROP INDEX metrics_trial_name_step")
    for n, tid in enumerate(ids):
        steps, values, walls = _curve(tid, 0, points)
        conn.executemany("INSERT INTO metrics (trial_id, name, step, value, wall_time)"
                         " VALUES (?, ?, ?, ?, ?)",
                         zip(repeat(tid), repeat(METRIC), steps, values, walls))
        if n % 200 == 199:
            conn.execute("COMMIT")
            conn.execute("BEGIN")
    conn.execute("CREATE UNIQUE INDEX metrics_trial_name_step ON metrics (trial_id, name, step)")
    conn.execute("COMMIT")
    conn.close()
    with Store(path) as store:
        for i, tid in enumerate(ids):
            compact_curves(store, tid, final=i < trials)
    return exp_id, ids


# --- the writer: the scheduler and its running trials, in another process ---------------------
def writer_main(db: str, experiment_id: int, ids: list[int], start: int, rate: int) -> None:
    """Hold the experiment, stream `rate` points/s to each of `ids` from step `start`, beat and
    pack, until stdin closes."""
    import psutil

    from hpdesk.store import Store
    from hpdesk.store.curves import compact_curves

    store = Store(db)
    store.update_experiment(experiment_id, state="running", scheduler_pid=os.getpid(),
                            scheduler_host=socket.gethostname(),
                            scheduler_started_at=psutil.Process().create_time(),
                            heartbeat_at=time.time())
    print("ready", flush=True)
    step, per_batch = start, int(rate * WRITE_INTERVAL_S)
    now = time.monotonic()
    next_write, next_beat, next_pack = now, now + BEAT_S, now + COMPACT_S
    while True:
        readable, _, _ = select.select([sys.stdin], [], [], max(0.0, next_write - time.monotonic()))
        if readable and not sys.stdin.readline():
            break
        if time.monotonic() < next_write:
            continue
        wall = time.time()
        for tid in ids:
            steps, values, _ = _curve(tid * 7919 + step, step, per_batch)
            store.write_metrics(zip(repeat(tid), repeat(METRIC), steps, values, repeat(wall)))
        step += per_batch
        next_write += WRITE_INTERVAL_S
        now = time.monotonic()
        if now >= next_beat:
            next_beat = now + BEAT_S
            store.update_experiment(experiment_id, heartbeat_at=time.time())
        if now >= next_pack:
            next_pack = now + COMPACT_S
            for tid in ids:  # the scheduler notes progress (stall detection) and packs
                store.update_trial(tid, last_report_at=time.time())
                compact_curves(store, tid)
    store.update_experiment(experiment_id, state="completed")
    store.close()


# --- the baseline ------------------------------------------------------------------------------
def baseline(path: Path, exp_id: int, ids: list[int]) -> dict[str, float]:
    """Raw sqlite3 reads of what the window shows: the trial rows, 200 curves' metric rows; and
    the store's packed read of the same 200 curves."""
    from hpdesk.store import Store
    from hpdesk.store.curves import read_curves

    some = ids[:SELECTED]
    conn = sqlite3.connect(path)
    t0 = time.perf_counter()
    conn.execute("SELECT * FROM trials WHERE experiment_id = ? ORDER BY number",
                 (exp_id,)).fetchall()
    t1 = time.perf_counter()
    for tid in some:
        conn.execute("SELECT step, value, wall_time FROM metrics WHERE trial_id = ? AND name = ?"
                     " ORDER BY step", (tid, METRIC)).fetchall()
    t2 = time.perf_counter()
    conn.close()
    with Store(path) as store:
        t3 = time.perf_counter()
        read_curves(store, METRIC, some)
        t4 = time.perf_counter()
    return {"trial_rows_ms": round((t1 - t0) * 1000, 2),
            "curves_200_rows_ms": round((t2 - t1) * 1000, 2),
            "curves_200_packed_ms": round((t4 - t3) * 1000, 2)}


# --- the window --------------------------------------------------------------------------------
class Window:
    """The real MainWindow on the database; its ticks timed on both threads."""

    def __init__(self, db: Path, folder: Path, total: int) -> None:
        from PySide6.QtWidgets import QApplication

        from hpdesk.gui.base import poller as poller_module
        from hpdesk.gui.base.settings import Settings
        from hpdesk.gui.shell.main_window import MainWindow

        self.app = QApplication.instance() or QApplication([])
        self.worker_ms: dict[int, float] = {}
        self.ticks: list[float] = []
        self.gui_ms: list[float] = []  # the GUI thread's share of each tick
        self.timing = False
        real_poll = poller_module._PollWorker._poll
        real_on_poll = MainWindow._on_poll
        bench = self

        def timed_poll(worker: Any, store: Any) -> Any:
            t0 = time.perf_counter()
            result = real_poll(worker, store)
            if result is not None:
                bench.worker_ms[id(result)] = (time.perf_counter() - t0) * 1000
            return result

        def timed_on_poll(window: Any, result: Any) -> None:
            t0 = time.perf_counter()
            real_on_poll(window, result)
            gui = (time.perf_counter() - t0) * 1000
            worker = bench.worker_ms.pop(id(result), 0.0)
            if bench.timing:
                bench.ticks.append(gui + worker)
                bench.gui_ms.append(gui)

        poller_module._PollWorker._poll = timed_poll  # type: ignore[method-assign]
        MainWindow._on_poll = timed_on_poll  # type: ignore[method-assign]
        t0 = time.perf_counter()
        self.window = MainWindow(Settings(folder / "settings.ini"), db, "en")
        self.window.resize(1400, 900)
        self.window.show()
        self.wait_until(lambda: getattr(self.window, "run_splitter", None) is not None
                        and self.window.trials.model.rowCount() == total
                        and self.window.trials.proxy.rowCount() == total, 120)
        self.window.trials.table.viewport().repaint()
        self.open_s = time.perf_counter() - t0

    def wait_until(self, done: Any, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not done():
            if time.monotonic() > deadline:
                raise SystemExit("the window did not show the experiment's trials in time")
            self.app.processEvents()
            time.sleep(0.002)

    def stream(self, seconds: float, ids: list[int], *, until_drawn: bool = False
               ) -> tuple[float, float | None]:
        """Run the event loop for `seconds` (`until_drawn`: or until every trial's curve is
        drawn); returns the longest lateness of a 10 ms timer and the time (from now) until
        every curve was drawn (None: not within `seconds`)."""
        from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer

        curves = self.window.curves
        loop = QEventLoop()  # not app.exec(): its aboutToQuit would stop the window's poller
        clock = QElapsedTimer()
        clock.start()
        last, late, drawn_at = [clock.nsecsElapsed()], [0.0], [None]
        self.ticks.clear()
        self.gui_ms.clear()
        self.timing = True

        def beat() -> None:
            now = clock.nsecsElapsed()
            late[0] = max(late[0], (now - last[0]) / 1e6 - 10.0)
            last[0] = now
            if drawn_at[0] is None and all(len(curves.curve_data(t) or ()) for t in ids):
                drawn_at[0] = now / 1e9
                if until_drawn:
                    loop.quit()

        heart = QTimer()
        heart.setTimerType(Qt.TimerType.PreciseTimer)
        heart.timeout.connect(beat)
        heart.start(10)
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()
        heart.stop()
        self.timing = False
        return late[0], drawn_at[0]

    def settle(self) -> None:
        """Deliver what is queued (a poll result, a posted relayout) outside the timings."""
        for _ in range(3):
            self.app.processEvents()

    def paint(self, *, plot: bool = True) -> None:
        """Repaint the table now, and the plot (`plot`: what changed there)."""
        from PySide6.QtCore import QCoreApplication, QEvent

        w = self.window
        w.trials.table.viewport().repaint()
        if plot:
            QCoreApplication.sendPostedEvents(w.curves.plot_widget.scene(), QEvent.Type.MetaCall)
            w.curves.plot_widget.viewport().repaint()

    def sort_ms(self) -> list[float]:
        from PySide6.QtCore import Qt

        trials = self.window.trials
        column = trials.model.column_of("objective")
        times = []
        for order in (Qt.SortOrder.DescendingOrder, Qt.SortOrder.AscendingOrder) * REPEATS:
            self.settle()
            t0 = time.perf_counter()
            trials.table.sortByColumn(column, order)
            self.paint(plot=False)  # the order of rows changes nothing in the plot
            times.append((time.perf_counter() - t0) * 1000)
        return times

    def filter_ms(self) -> list[float]:
        w = self.window
        times = []
        for text in (FILTER, "") * REPEATS:
            self.settle()
            t0 = time.perf_counter()
            w.trials.filter_edit.setText(text)
            w.run_view.sync_filter()  # what the 0 ms timer does next in the event loop
            self.paint()
            times.append((time.perf_counter() - t0) * 1000)
            if text and not 0 < w.trials.proxy.rowCount() < w.trials.model.rowCount():
                raise SystemExit(f"the filter {text!r} did not filter the table")
        return times

    def select_ms(self) -> list[float]:
        w = self.window
        proxy = w.trials.proxy
        from hpdesk.gui.trials.model import TRIAL_ID_ROLE

        top = [int(proxy.index(r, 0).data(TRIAL_ID_ROLE)) for r in range(SELECTED)]
        times = []
        for ids in (top, []) * REPEATS:
            self.settle()
            t0 = time.perf_counter()
            w.trials.select_trials(ids)
            self.paint()
            times.append((time.perf_counter() - t0) * 1000)
            if len(w.trials.selected_ids()) != len(ids):
                raise SystemExit("selecting trials did not select them")
        return times[::2]  # the selections (clearing is timed only to start each afresh)

    def close(self) -> None:
        self.window.close()
        self.app.processEvents()


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def measure(db: Path, folder: Path, exp_id: int, ids: list[int], running: list[int],
            points: int, rate: int, seconds: float) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]))
    log = folder / "writer.log"
    writer = subprocess.Popen(
        [sys.executable, __file__, "--as-writer", str(db), str(exp_id), str(points), str(rate),
         *map(str, running)], env=env, text=True, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=log.open("w"))
    assert writer.stdout is not None and writer.stdin is not None
    if writer.stdout.readline().strip() != "ready":
        raise SystemExit(f"the writer did not start: {log.read_text()[-2000:]}")
    try:
        window = Window(db, folder, len(ids))
        print(f"open: {window.open_s:.3f} s", file=sys.stderr)
        load_stall, drawn = window.stream(LOAD_LIMIT_S, ids, until_drawn=True)
        print(f"every curve drawn after {drawn} s, max stall meanwhile {load_stall:.0f} ms",
              file=sys.stderr)
        stall, _ = window.stream(seconds, ids)
        print(f"streamed {seconds:g} s: {len(window.ticks)} ticks, max stall {stall:.0f} ms",
              file=sys.stderr)
        sort = window.sort_ms()
        filt = window.filter_ms()
        sel = window.select_ms()
        ticks, gui = list(window.ticks), list(window.gui_ms)
        window.close()
    finally:
        writer.stdin.close()
        try:
            writer.wait(timeout=30)
        except subprocess.TimeoutExpired:
            writer.kill()
    return {
        "open_s": round(window.open_s, 3),
        "sort_ms": _median(sort),
        "filter_ms": _median(filt),
        "select_200_ms": _median(sel),
        "tick_ms_median": _median(ticks) if ticks else None,
        "max_stall_ms": round(max(stall, load_stall), 1),
        "details": {"sort_ms": [round(t, 1) for t in sort],
                    "filter_ms": [round(t, 1) for t in filt],
                    "select_200_ms": [round(t, 1) for t in sel],
                    "ticks": len(ticks),
                    "tick_ms_p95": round(float(np.percentile(ticks, 95)), 2) if ticks else None,
                    "tick_ms_max": round(max(ticks), 2) if ticks else None,
                    "tick_gui_ms_median": _median(gui) if gui else None,
                    "all_curves_drawn_s": None if drawn is None else round(drawn, 2),
                    "max_stall_ms_loading": round(load_stall, 1),
                    "max_stall_ms_streaming": round(stall, 1)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="200 trials x 1,000 points, 4 streaming, 3 s (a smoke run)")
    parser.add_argument("--trials", type=int, default=2000, help="finished trials")
    parser.add_argument("--points", type=int, default=10_000, help="points per finished trial")
    parser.add_argument("--running", type=int, default=16, help="trials still writing")
    parser.add_argument("--rate", type=int, default=1000, help="points/s per running trial")
    parser.add_argument("--seconds", type=float, default=10.0, help="streaming period measured")
    parser.add_argument("--reuse", type=Path, help="a database file built by an earlier run "
                        "with the same sizes: copied instead of building (saved there if absent)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the window's part here")
    parser.add_argument("--as-writer", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.as_writer:
        db, exp, start, rate, *tids = args.as_writer
        return writer_main(db, int(exp), [int(t) for t in tids], int(start), int(rate))
    if args.quick:
        args.trials, args.points, args.running, args.seconds = 200, 1000, 4, 3.0

    with tempfile.TemporaryDirectory(prefix="hpdesk-scale-") as tmp:
        folder = Path(tmp)
        db = folder / "scale.db"
        t0 = time.perf_counter()
        if args.reuse and args.reuse.exists():
            shutil.copy(args.reuse, db)
            conn = sqlite3.connect(db)
            exp_id = conn.execute("SELECT MIN(id) FROM experiments").fetchone()[0]
            ids = [r[0] for r in conn.execute(
                "SELECT id FROM trials WHERE experiment_id = ? ORDER BY number", (exp_id,))]
            conn.close()
        else:
            exp_id, ids = build(db, args.trials, args.points, args.running)
            if args.reuse:
                shutil.copy(db, args.reuse)
        print(f"built {args.trials:,} x {args.points:,} points + {args.running} running in "
              f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
        base = baseline(db, exp_id, ids)
        running = ids[-args.running:] if args.running else []
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        result = measure(db, folder, exp_id, ids, running, args.points, args.rate, args.seconds)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
    details = result.pop("details")
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result["baseline"] = base
    result["targets"] = {k: f"< {v:g}" for k, v in TARGETS.items()}
    result["pass"] = {k: result[k] is not None and result[k] < v for k, v in TARGETS.items()}
    details.update({"trials": args.trials + args.running, "points_per_trial": args.points,
                    "running": args.running, "rate_per_trial": args.rate,
                    "seconds": args.seconds, "cpu_count": os.cpu_count()})
    result["details"] = details
    print(json.dumps(result))


if __name__ == "__main__":
    main()
