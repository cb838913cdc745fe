"""Training throughput of the built-in tasks, and what hpdesk's metric reporting costs them.

For each task the same training run is timed twice, alternating, several times:
  - with `hpdesk.sdk.report` writing every point into a real SQLite file (as under hpdesk),
  - with a reporter that does nothing (the same loop without hpdesk's reporting).
`report_overhead_pct` is the time spent inside the report calls (flushes included) as a share of
the run, measured directly; `ab_delta_pct` is the difference of the median run times, which says
the same thing but carries the machine's noise. Samples per second count training samples seen.

Prints progress lines on stderr, then one JSON object as its last line:
  {"device": ..., "tasks": {"classification": {"samples_per_s": ..., "report_overhead_pct": ...,
   "ab_delta_pct": ..., ...}, "detection": {...}, "gan": {...}}}
Target (issue 3): report_overhead_pct under 2.

Usage: python benchmarks/train_throughput.py [--repeats N] [--tasks classification,gan]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hpdesk.store import Store

# Runs of a few seconds each on a 2-core CPU; data options go in "data" as under hpdesk.
RUNS: dict[str, dict[str, Any]] = {
    "classification": {"epochs": 8, "batch_size": 32},
    "detection": {"epochs": 4},
    "gan": {"epochs": 6, "data": {"source": "ring"}},
}


def samples_seen(params: dict[str, Any], steps: int) -> int:
    """Training samples consumed: updates x batch x accumulation (one batch per G step: GAN)."""
    return steps * int(params.get("batch_size", 64)) * int(params.get("grad_accum_steps", 1))


class TimedReporter:
    """sdk.report with a stopwatch around every call."""

    def __init__(self, report: Callable[..., None]) -> None:
        self._report = report
        self.seconds = 0.0
        self.calls = 0

    def __call__(self, step: int, **metrics: float) -> None:
        t0 = time.perf_counter()
        self._report(step, **metrics)
        self.seconds += time.perf_counter() - t0
        self.calls += 1


def _sdk_reporter(folder: Path, name: str) -> tuple[TimedReporter, Callable[[], None]]:
    """A fresh SDK reporter bound to a new trial row of a real database."""
    from hpdesk import sdk

    db = folder / f"{name}.db"
    with Store(db) as store:
        exp = store.create_experiment(name, name, {"hpdesk": 1})
        trial = store.add_trial(exp.id, {})
    os.environ["HPDESK_DB"], os.environ["HPDESK_TRIAL_ID"] = str(db), str(trial.id)
    sdk._REPORTER = None  # rebind the process-wide reporter to this trial
    return TimedReporter(sdk.report), sdk.flush


def measure(task: str, repeats: int, folder: Path) -> dict[str, Any]:
    module = importlib.import_module(f"hpdesk.tasks.{task}")
    params = {**module.DEFAULTS, **RUNS[task]}
    never = lambda: False  # noqa: E731
    quiet = lambda *a, **k: None  # noqa: E731
    module.train(dict(params, epochs=1), quiet, should_stop=never, event=quiet)  # warm-up
    with_sdk, without, shares, steps = [], [], [], 0
    for i in range(repeats):
        reporter, flush = _sdk_reporter(folder, f"{task}-{i}")
        t0 = time.perf_counter()
        result = module.train(dict(params), reporter, should_stop=never, event=quiet)
        flush()
        elapsed = time.perf_counter() - t0
        with_sdk.append(elapsed)
        shares.append(100.0 * reporter.seconds / elapsed)
        steps = result.steps
        t0 = time.perf_counter()
        module.train(dict(params), quiet, should_stop=never, event=quiet)
        without.append(time.perf_counter() - t0)
        print(f"{task}: run {i + 1}/{repeats}: {elapsed:.2f}s with sdk "
              f"({reporter.calls} report calls, {shares[-1]:.3f} % inside them), "
              f"{without[-1]:.2f}s without", file=sys.stderr)
    samples = samples_seen(params, steps)
    t_sdk, t_none = statistics.median(with_sdk), statistics.median(without)
    return {
        "samples_per_s": round(samples / t_sdk, 1),
        "samples_per_s_without_reporting": round(samples / t_none, 1),
        "report_overhead_pct": round(statistics.median(shares), 3),
        "ab_delta_pct": round(100.0 * (t_sdk - t_none) / t_none, 2),
        "run_s_median": round(t_sdk, 3),
        "steps": steps,
        "samples": samples,
        "repeats": repeats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tasks", default=",".join(RUNS))
    args = parser.parse_args()
    import torch

    from hpdesk.tasks.common import configure_threads, select_device

    threads = configure_threads()
    device = select_device()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    out: dict[str, Any] = {"device": f"{device.type} ({name})", "threads": threads, "tasks": {}}
    with tempfile.TemporaryDirectory(prefix="hpdesk-throughput-") as tmp:
        for task in args.tasks.split(","):
            out["tasks"][task] = measure(task, args.repeats, Path(tmp))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
