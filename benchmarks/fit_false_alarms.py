"""How often the fit-state rules raise a finding on healthy runs, by how noisy the batches are.

A healthy run as the built-in classification task reports it (the curves of
tests/analysis/test_fit_state.py): a per-step training loss falling as a power law, times
log-normal per-batch noise of spread SIGMA; a validation loss, epoch and a decaying learning rate
every epoch. For each spread, SEEDS runs are judged by hpdesk.analysis.fit_state.diagnose_curves;
no finding is the right answer for every one of them.

Prints one JSON object: per spread, the runs with any finding and the findings by kind/pattern.
Healthy digits trials move 15 % to 50 % between reports (a spread of about 0.2 to 0.5).

Usage: python benchmarks/fit_false_alarms.py [--seeds 300] [--sigmas 0.3 0.5 0.7 0.9]
"""

from __future__ import annotations

import argparse
import collections
import json

import numpy as np

from hpdesk.analysis.fit_state import Curve, diagnose_curves

STEPS = np.arange(1, 2001)


def healthy_run(seed: int, sigma: float, epochs: int = 10) -> dict[str, Curve]:
    rng = np.random.default_rng(seed)
    train = (2.3 / np.sqrt(1 + STEPS / 20) + 0.02) * rng.lognormal(0.0, sigma, STEPS.size)
    ends = STEPS[STEPS.size // epochs - 1::STEPS.size // epochs]
    val = 2.3 / np.sqrt(1 + ends / 20) + 0.08 + np.random.default_rng(seed + 1).normal(
        0, 0.005, ends.size)
    return {"train_loss": Curve.of(STEPS, train), "val_loss": Curve.of(ends, val),
            "epoch": Curve.of(ends, np.arange(1, epochs + 1)),
            "lr": Curve.of(ends, 0.01 * 0.7 ** np.arange(epochs))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=300)
    ap.add_argument("--sigmas", type=float, nargs="+", default=[0.3, 0.5, 0.7, 0.9])
    args = ap.parse_args()
    out = {}
    for sigma in args.sigmas:
        kinds: collections.Counter[str] = collections.Counter()
        alarmed = 0
        for seed in range(args.seeds):
            found = diagnose_curves(healthy_run(seed, sigma))
            alarmed += bool(found)
            for f in found:
                kinds[f"{f.kind}/{f.facts.get('pattern') or f.facts.get('cause') or ''}"] += 1
        out[str(sigma)] = {"runs_with_a_finding": alarmed, "of": args.seeds,
                           "findings": dict(kinds)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
