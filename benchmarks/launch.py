"""Time from launching a built-in trial to its first metric point in the database.

  cold_first_metric_s  a plain subprocess (`python -m hpdesk.tasks.classification`)
  warm_first_metric_s  the same trial forked by the warm launcher (its template already loaded)
  floor_s              `python -c "import torch"` alone, measured in the same run
Each figure is the median of --repeats launches; the trials run the classification task on
digits, as the scheduler starts them (same environment, same log files). Progress on stderr,
one JSON object as the last line. Target (issue 4): warm_first_metric_s under 0.25.

Usage: python benchmarks/launch.py [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hpdesk.plan import loads_plan
from hpdesk.runner import launch
from hpdesk.runner.devices import SlotPool
from hpdesk.runner.warm import WarmLauncher
from hpdesk.store import Store

PLAN = """
hpdesk: 1
task: classification
space: {epochs: 1, width: 8, depth: 2, lr: 0.003}
"""


def _first_point(store: Store, trial_id: int, t0: float, timeout: float = 120.0) -> float:
    while time.perf_counter() - t0 < timeout:
        if store.conn.execute("SELECT 1 FROM metrics WHERE trial_id = ? LIMIT 1",
                              (trial_id,)).fetchone():
            return time.perf_counter() - t0
        time.sleep(0.002)
    raise SystemExit("no metric arrived")


def measure(repeats: int, folder: Path) -> dict[str, float]:
    plan = loads_plan(PLAN)
    store = Store(folder / "launch.db")
    exp = store.create_experiment("launch", "classification", plan.to_dict())
    slot = SlotPool([], trials_per_gpu=1, concurrency=1).take()
    assert slot is not None
    warm = WarmLauncher()
    warm.warm_up()
    cold, hot, floor = [], [], []
    for i in range(repeats):
        for mode in ("cold", "warm"):
            trial = store.add_trial(exp.id, {"lr": 0.003, "epochs": 1, "width": 8, "depth": 2})
            trial_dir = folder / f"{mode}-{i}"
            env = launch.trial_env(plan, trial.params, db_path=store.path, trial_id=trial.id,
                                   slot_env=slot.env(), trial_dir=trial_dir)
            log_path = folder / f"{mode}-{i}.log"
            if mode == "warm":
                assert warm.ready(), "the warm launcher did not start"
                t0 = time.perf_counter()
                proc = warm.start("hpdesk.tasks.classification", env, None, log_path)
                assert proc is not None, "the warm launcher did not start"
                hot.append(_first_point(store, trial.id, t0))
                proc.wait()
            else:
                argv = launch.trial_argv(plan, trial.params)
                t0 = time.perf_counter()
                p, log = launch.start(launch.LaunchSpec(tuple(argv), env, None, log_path))
                cold.append(_first_point(store, trial.id, t0))
                p.wait()
                log.close()
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch"], check=True)
        floor.append(time.perf_counter() - t0)
        print(f"run {i + 1}/{repeats}: cold {cold[-1]:.3f}s, warm {hot[-1]:.3f}s, "
              f"import torch {floor[-1]:.3f}s", file=sys.stderr)
    warm.close()
    store.close()
    return {"cold_first_metric_s": round(statistics.median(cold), 4),
            "warm_first_metric_s": round(statistics.median(hot), 4),
            "floor_s": round(statistics.median(floor), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hpdesk-launch-") as tmp:
        result = measure(args.repeats, Path(tmp))
    result["speedup_cold_over_warm"] = round(
        result["cold_first_metric_s"] / result["warm_first_metric_s"], 1)
    result["repeats"] = args.repeats
    print(json.dumps(result))


if __name__ == "__main__":
    main()
