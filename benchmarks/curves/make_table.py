"""Train the built-in classification task over a grid of configurations and keep every epoch.

The table this writes (`digits_mlp.npz`, beside this file) is what `benchmarks/search_replay.py`
replays: a strategy "trains" a configuration by reading its curve epoch by epoch and paying the
epochs' recorded time. Real training, not a model of it: each configuration runs
`hpdesk.tasks.classification.train` in-process on one CPU thread, seeded, so the same grid gives
the same numbers again (up to floating-point differences between machines).

The task is made harder than plain digits on purpose (`data: {train_size: 500, label_noise:
0.2}`): on the full, clean set most sane configurations land within noise of each other, so a
search strategy cannot be told apart from luck. With 500 noisy training images the optimiser, the
learning rate and the batch size interact, dropout and weight decay matter, and runs over-fit.

    python benchmarks/curves/make_table.py --workers 2          # about 15 minutes on 2 cores
    python benchmarks/curves/make_table.py --limit 40 --out /tmp/small.npz   # a quick look

Interrupted, it continues where it stopped (finished configurations are kept in OUT.partial).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import multiprocessing
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "digits_mlp.npz"
EPOCHS = 27  # 3 ** 3: successive halving with a factor of 3 has its rungs at 1, 3, 9 and 27
SEED = 0

#: What every configuration shares (the classification preset's schedule, decayed as §7 sets it).
BASE: dict[str, Any] = {
    "model": "mlp", "depth": 2, "activation": "relu", "epochs": EPOCHS, "seed": SEED,
    "lr_schedule": "exponential", "lr_final_ratio": 0.01, "lr_staircase": True,
    "data": {"source": "digits", "train_size": 500, "label_noise": 0.2},
}

#: The grid: the guide's eight optimisers, learning rates across and beyond their §5 ranges,
#: and the tier-2 and tier-3 hyperparameters. momentum exists only for SGD with momentum.
OPTIMIZERS = ("sgd", "sgd_momentum", "adagrad", "adadelta", "rmsprop", "adam", "adamax", "nadam")
GRID: dict[str, tuple[Any, ...]] = {
    "lr": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0),
    "batch_size": (16, 64, 256),
    "momentum": (0.5, 0.9, 0.99),
    "dropout": (0.0, 0.25, 0.5),
    "weight_decay": (1e-6, 1e-4, 1e-2),
    "width": (32, 128),
}
SERIES = ("val_loss", "val_acc", "train_loss", "epoch_time")


def configurations() -> list[dict[str, Any]]:
    out = []
    for optimizer in OPTIMIZERS:
        momenta = GRID["momentum"] if optimizer == "sgd_momentum" else (None,)
        for lr, bs, mom, dr, wd, width in itertools.product(
                GRID["lr"], GRID["batch_size"], momenta, GRID["dropout"],
                GRID["weight_decay"], GRID["width"]):
            config: dict[str, Any] = {"optimizer": optimizer, "lr": lr, "batch_size": bs}
            if mom is not None:
                config["momentum"] = mom
            config.update(dropout=dr, weight_decay=wd, width=width)
            out.append(config)
    return out


def train_one(config: dict[str, Any]) -> dict[str, list[float]]:
    """One configuration's curves: per epoch, validation loss and accuracy, the epoch's mean
    training loss, and its wall time (NaN from the epoch it diverged on)."""
    import torch

    from hpdesk.tasks import classification

    torch.set_num_threads(1)
    curves: dict[str, list[float]] = {k: [] for k in SERIES}
    losses: list[float] = []
    clock = [time.perf_counter()]

    def report(step: int, **metrics: float) -> None:
        if "train_loss" in metrics and "val_loss" not in metrics:
            losses.append(metrics["train_loss"])
        if "val_loss" in metrics:
            now = time.perf_counter()
            curves["val_loss"].append(metrics["val_loss"])
            curves["val_acc"].append(metrics["val_acc"])
            curves["train_loss"].append(float(np.mean(losses)) if losses else math.nan)
            curves["epoch_time"].append(now - clock[0])
            clock[0] = now
            losses.clear()

    classification.train({**BASE, **config}, report, should_stop=lambda: False,
                         event=lambda *a, **k: None, device=torch.device("cpu"))
    return curves


def _work(item: tuple[int, dict[str, Any]]) -> tuple[int, dict[str, list[float]]]:
    index, config = item
    return index, train_one(config)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--limit", type=int, default=0, help="only the first N configurations")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    configs = configurations()
    if args.limit:
        configs = configs[:: max(1, len(configs) // args.limit)][: args.limit]
    partial = args.out.with_suffix(".partial.jsonl")
    done: dict[int, dict[str, list[float]]] = {}
    if partial.exists():
        for line in partial.read_text().splitlines():
            row = json.loads(line)
            done[row["i"]] = row["curves"]
    todo = [(i, c) for i, c in enumerate(configs) if i not in done]
    print(f"{len(configs)} configurations, {len(done)} already trained, {EPOCHS} epochs each",
          file=sys.stderr)
    started = time.time()
    with partial.open("a") as sink, multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        for n, (i, curves) in enumerate(pool.imap_unordered(_work, todo, chunksize=4), 1):
            done[i] = curves
            sink.write(json.dumps({"i": i, "curves": curves}) + "\n")
            if n % 100 == 0:
                sink.flush()
                rate = n / (time.time() - started)
                print(f"{len(done)}/{len(configs)}  {rate:.1f} configs/s", file=sys.stderr)
    elapsed = time.time() - started
    write_table(args.out, configs, done, elapsed, args.workers)
    partial.unlink()
    print(f"wrote {args.out} in {elapsed:.0f}s", file=sys.stderr)
    return 0


def write_table(out: Path, configs: list[dict[str, Any]], done: dict[int, dict[str, list[float]]],
                elapsed: float, workers: int) -> None:
    arrays = {}
    for name in SERIES:
        table = np.full((len(configs), EPOCHS), np.nan, dtype=np.float32)
        for i, curves in done.items():
            values = curves[name]
            table[i, : len(values)] = values
        arrays[name] = table
    import torch

    meta = {
        "base": BASE, "grid": GRID, "optimizers": OPTIMIZERS, "epochs": EPOCHS, "seed": SEED,
        "configs": configs, "made_in_s": round(elapsed, 1), "workers": workers,
        "torch": torch.__version__, "python": platform.python_version(),
        "machine": platform.processor() or platform.machine(), "made_on": time.strftime("%Y-%m-%d"),
    }
    np.savez_compressed(out, meta=np.array(json.dumps(meta)), **arrays)


if __name__ == "__main__":
    sys.exit(main())
