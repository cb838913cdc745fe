"""Fit-state findings of a large experiment: what `hpdesk diagnose` and the window's badges pay.

Builds a database in a temporary folder: TRIALS finished trials of POINTS per-step training
losses (a power law times log-normal noise, as small batches give) and a validation loss every
1,000 steps, packed as the scheduler packs a trial that ends. Then times, in the same run:
  diagnose_s      hpdesk.analysis.diagnose.diagnose_trials over every trial (reads and judges)
  judge_s         the judging alone (hpdesk.analysis.fit_state.diagnose_curves on curves in
                  memory)
  baseline_read_s a raw sqlite3 SELECT of the same training-loss rows, the floor any reader pays
  ratio           diagnose_s / baseline_read_s
and the findings raised (healthy curves: none expected). One JSON object as the last line.

Target (issue 15, none stated; hpdesk's own): a window refreshing live badges must judge 200
trials of 20,000 points well under a second, no slower than reading their rows raw.

Usage: python benchmarks/diagnose.py [--trials 200] [--points 20000]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from hpdesk.analysis.diagnose import diagnose_trials, metrics_to_read, trial_curves
from hpdesk.analysis.fit_state import diagnose_curves
from hpdesk.store import Store
from hpdesk.store.curves import compact_curves


def build(db: Path, trials: int, points: int) -> None:
    rng = np.random.default_rng(0)
    steps = np.arange(1, points + 1)
    with Store(db) as store:
        exp = store.create_experiment("bench", "script", {"task": "script"})
        for i in range(trials):
            t = store.add_trial(exp.id, {"i": i})
            store.update_trial(t.id, state="completed")
            loss = 2.3 / np.sqrt(1 + steps / 20) * rng.lognormal(0.0, 0.4, points)
            rows = [(t.id, "train_loss", int(s), float(v), 0.0) for s, v in zip(steps, loss)]
            rows += [(t.id, "val_loss", int(s), float(1 / (1 + s / 1000)), 0.0)
                     for s in steps[999::1000]]
            store.write_metrics(rows)
            compact_curves(store, t.id, final=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--points", type=int, default=20_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        t0 = time.perf_counter()
        build(db, args.trials, args.points)
        print(f"built {args.trials} trials x {args.points} points in "
              f"{time.perf_counter() - t0:.1f}s", flush=True)
        raw = sqlite3.connect(db)
        t0 = time.perf_counter()
        rows = raw.execute("SELECT trial_id, step, value FROM metrics WHERE name = "
                           "'train_loss'").fetchall()
        baseline = time.perf_counter() - t0
        raw.close()
        with Store(db) as store:
            trials = store.trials()
            t0 = time.perf_counter()
            found = diagnose_trials(store, trials)
            diagnose_s = time.perf_counter() - t0
            curves = trial_curves(store, [t.id for t in trials],
                                  metrics_to_read(store.experiment_metric_names(1)))
        t0 = time.perf_counter()
        for per_trial in curves.values():
            diagnose_curves(per_trial)
        judge_s = time.perf_counter() - t0
    print(json.dumps({"trials": args.trials, "points": args.points, "rows": len(rows),
                      "diagnose_s": round(diagnose_s, 3), "judge_s": round(judge_s, 3),
                      "baseline_read_s": round(baseline, 3),
                      "ratio": round(diagnose_s / baseline, 3),
                      "findings": [f.kind for f in found]}))


if __name__ == "__main__":
    main()
