"""Metric ingest: points per second through `hpdesk.sdk.report` into SQLite, against raw sqlite3.

Prints progress lines, then one JSON object as its last line:
  raw_executemany_pps   raw `executemany` of the same rows into the same table, one transaction
  sdk_1_writer_pps      one process calling sdk.report, everything committed at the end
  sdk_8_writers_pps     eight processes at once, all points together / wall time of the slowest
  report_call_us_median median time of one sdk.report(step, loss=x) call (buffering included)
  lock_errors           `database is locked` errors seen by any writer (must be 0)
Targets (issue 2): 1 writer >= 40 % of raw; 8 writers >= 1 writer; no lock errors; median < 5 us.

Usage: python benchmarks/ingest.py [--points N] [--writers W]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from hpdesk.store import Store
from hpdesk.store.metric_rows import INSERT_METRIC_SQL

METRICS_PER_STEP = 4  # train_loss, val_loss, val_acc, lr: points are counted one per metric


def _fresh_db(folder: Path, name: str, trials: int) -> tuple[Path, list[int]]:
    path = folder / name
    with Store(path) as store:
        exp = store.create_experiment("bench", "classification", {"hpdesk": 1})
        ids = [store.add_trial(exp.id, {"i": i}).id for i in range(trials)]
    return path, ids


def raw_executemany(folder: Path, points: int) -> float:
    path, (trial_id,) = _fresh_db(folder, "raw.db", 1)
    now = time.time()
    names = ("train_loss", "val_loss", "val_acc", "lr")
    t0 = time.perf_counter()
    rows = [
        (trial_id, names[i % METRICS_PER_STEP], i // METRICS_PER_STEP, 0.5, now)
        for i in range(points)
    ]
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("BEGIN")
    conn.executemany(INSERT_METRIC_SQL.replace("OR REPLACE ", ""), rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return points / elapsed


def _writer(db: str, trial_id: int, points: int, start: float, out: mp.Queue) -> None:
    """One trial process: reports `points` points as a training loop would, then flushes."""
    os.environ["HPDESK_DB"], os.environ["HPDESK_TRIAL_ID"] = db, str(trial_id)
    from hpdesk import sdk

    sdk.params({})  # opens the connection, as a real trial does before training
    while time.time() < start:
        time.sleep(0.001)
    t0 = time.perf_counter()
    lock_errors = 0
    for step in range(points // METRICS_PER_STEP):
        while True:
            try:
                sdk.report(step, train_loss=0.5, val_loss=0.4, val_acc=0.9, lr=0.001)
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                lock_errors += 1
    sdk.flush()
    out.put((time.perf_counter() - t0, lock_errors))


def sdk_writers(folder: Path, writers: int, points_each: int) -> tuple[float, int]:
    path, ids = _fresh_db(folder, f"sdk{writers}.db", writers)
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    start = time.time() + 1.5  # let every process import and connect first
    procs = [
        ctx.Process(target=_writer, args=(str(path), tid, points_each, start, out)) for tid in ids
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    if any(p.exitcode for p in procs):
        raise SystemExit("a writer process failed")
    # All writers start together; the experiment is done when the slowest has committed.
    wall = max(r[0] for r in results)
    with Store(path) as store:
        stored = store.conn.execute("SELECT COUNT(*) FROM metrics").fetchone()[0]
    expected = writers * (points_each // METRICS_PER_STEP) * METRICS_PER_STEP
    if stored != expected:
        raise SystemExit(f"lost points: stored {stored}, expected {expected}")
    return stored / wall, sum(r[1] for r in results)


def report_call_us(folder: Path, calls: int) -> float:
    """Median of single report() calls, each timed alone, flushes included where they fall."""
    code = (
        "import os, sys, time, statistics, json\n"
        "from hpdesk import sdk\n"
        "sdk.params({})\n"
        "samples = []\n"
        "pc = time.perf_counter_ns\n"
        f"for i in range({calls}):\n"
        "    t0 = pc(); sdk.report(i, train_loss=0.5); samples.append(pc() - t0)\n"
        "sdk.flush()\n"
        "print(statistics.median(samples) / 1000)\n"
    )
    path, (trial_id,) = _fresh_db(folder, "calls.db", 1)
    env = dict(os.environ, HPDESK_DB=str(path), HPDESK_TRIAL_ID=str(trial_id))
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=400_000, help="points per measurement")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3, help="best of N for each figure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hpdesk-bench-") as tmp:
        folder = Path(tmp)
        raw = 0.0
        for i in range(args.repeats):
            (folder / f"r{i}").mkdir()
            raw = max(raw, raw_executemany(folder / f"r{i}", args.points))
        print(f"raw executemany: {raw:,.0f} points/s", file=sys.stderr)
        one, errors1 = 0.0, 0
        for i in range(args.repeats):
            (folder / f"a{i}").mkdir()
            pps, err = sdk_writers(folder / f"a{i}", 1, args.points)
            one, errors1 = max(one, pps), errors1 + err
        print(f"sdk, 1 writer: {one:,.0f} points/s", file=sys.stderr)
        many, errors8 = 0.0, 0
        for i in range(args.repeats):
            (folder / f"b{i}").mkdir()
            pps, err = sdk_writers(folder / f"b{i}", args.writers, args.points // args.writers)
            many, errors8 = max(many, pps), errors8 + err
        print(f"sdk, {args.writers} writers: {many:,.0f} points/s", file=sys.stderr)
        (folder / "c").mkdir()
        call_us = report_call_us(folder / "c", 200_000)
        print(f"report() median: {call_us:.2f} us", file=sys.stderr)
    result = {
        "raw_executemany_pps": round(raw),
        "sdk_1_writer_pps": round(one),
        "sdk_8_writers_pps": round(many),
        "sdk_1_writer_ratio": round(one / raw, 3),
        "sdk_8_vs_1_ratio": round(many / one, 3),
        "report_call_us_median": round(call_us, 3),
        "lock_errors": errors1 + errors8,
        "points": args.points,
        "writers": args.writers,
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
