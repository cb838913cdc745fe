"""Search strategies replayed against real training curves: how many epochs until a good model?

The table `benchmarks/curves/digits_mlp.npz` (made by `benchmarks/curves/make_table.py`) holds
27 epochs of real training of hpdesk's classification task (an MLP on 500 noisy digits) for
4,860 configurations. Each strategy searches the plan a person would write for that task
(`replay.plans`: optimizer, lr, batch_size, momentum for SGD with momentum, dropout,
weight_decay, width; val_loss minimised, the last epoch's value), one trial at a time; a
suggestion is looked up by snapping each numeric value to the nearest grid value, in log space
for the log-scaled ones (`replay.table`). A trial "trains" by reading its curve epoch by epoch
and pays each epoch it reads (the recorded seconds are summed too); the pruner sees val_loss
after every epoch, a pruned trial pays only the epochs it ran, a curve turning NaN ends the
trial as diverged.

Measured per seed (the plan's `strategy.seed`, the sampler's seed for plain Optuna):
  epochs_to_target  epochs paid until the first trial trained to all 27 epochs (not pruned)
                    whose configuration is in the table's best 1 % by final val_loss (49 rows);
                    a seed that never gets there within the plan's --trials is censored
                    (counted as worse than any that did; `reached` says how many did)
  best_at_budget    the best final val_loss among fully trained trials that ended within
                    --budget-epochs epochs
Why T = 150 trials: random search hits the target with probability 1.34 % a trial (the grid
values' shares of the space), so it gets there in 87 % of seeds within 150 trials (median 51
trials, about 1,400 epochs). Why B = 1,500 epochs: about what random search needs at the
median (~55 full trainings); the strategies with a pruner spend 1,500-2,700 epochs on their 150
trials, so nearly all are still searching when the budget is read (random search with ASHA,
an exploration candidate, spends ~500: it is read at its end). The 'spent' column shows it.

Strategies (`replay.catalogue`): random, sobol, tpe, cmaes, staged (hpdesk, with or without a
pruner), optuna_tpe and optuna_tpe_hyperband (plain Optuna as people use it:
`optuna.create_study(sampler=TPESampler(seed=seed))`, `study.optimize`; HyperbandPruner(1, 27,
3) reporting every epoch and raising TrialPruned on should_prune()), staged_width_first_asha
(the exploration's fastest, not a default: it names the task's parameters), and hpdesk_default
(HPDESK_DEFAULT below: hpdesk's recommended strategy + pruner). Any spec string works as a name:
`--strategies "staged:shares=0.4/0.3/0.3,n=3,carry=narrow+asha:rf=4,min=1"` (see
replay/catalogue.py; separate names with ';' when in doubt).

    python benchmarks/search_replay.py            # 13 strategies x 30 seeds, ~5 min on 2 cores
    python benchmarks/search_replay.py --quick    # smoke run: 3 seeds, 40 trials, a few seconds
    python benchmarks/search_replay.py --explore screen     # exploration round 1 (seeds 0-29)
        ... --explore staged | tpe | univariate | stages     # rounds 2a-2d
    python benchmarks/search_replay.py --explore confirm --seed-start 100   # round 3

A readable table goes to stderr; the last line of stdout is one JSON object:
{"seeds": N, "budget_epochs": B, "strategies": {NAME: {"median_epochs_to_target",
"iqr_epochs_to_target": [lo, hi], "median_best_at_budget", "reached", ...}}, "ratios": {...}}
(null where a median or quartile falls on a censored seed; "ratios" holds hpdesk_default's
median epochs to target over random's and over optuna_tpe_hyperband's, with the goals).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from replay import catalogue, engine
from replay import table as tables
from replay.plans import build_plan

from hpdesk.knowledge.search_methods import default_search

#: hpdesk's default strategy and pruner, read from where the presets read it (the knowledge's
#: search.yaml), so what is measured here is what a new plan searches with: univariate TPE
#: (the multivariate model got stuck on a good but not top configuration in a third of the
#: seeds: `tpe_multivariate_asha`) with successive halving from the first epoch, keeping a
#: quarter at each rung (1, 4, 16 epochs). Chosen on seeds 0-29 and confirmed on seeds 100-129
#: (benchmarks/curves/README.md has the exploration).
_DEFAULT = default_search()
HPDESK_DEFAULT = (f"strategy: {json.dumps(dict(_DEFAULT.strategy))}\n"
                  f"pruner: {json.dumps(dict(_DEFAULT.pruner))}\n")
catalogue.register_default(HPDESK_DEFAULT)

#: The goal for hpdesk_default at the median of epochs to target.
GOAL_OVER_RANDOM = 0.6
GOAL_OVER_OPTUNA_HYPERBAND = 0.9

_TABLE: tables.Table | None = None


def _table() -> tables.Table:
    global _TABLE
    if _TABLE is None:
        _TABLE = tables.load()
    return _TABLE


def run_one(name: str, seed: int, trials: int) -> engine.Trace:
    table = _table()
    spec = catalogue.parse(name)
    if spec.kind == "optuna":
        return engine.replay_optuna(table, seed=seed, trials=trials,
                                    sampler=spec.strategy["name"], pruner=spec.pruner,
                                    sampler_options={k: v for k, v in spec.strategy.items()
                                                     if k != "name"})
    plan = build_plan(spec.strategy, spec.pruner, trials=trials, seed=seed)
    return engine.replay_hpdesk(table, plan)


def _work(job: tuple[str, int, int, int]) -> tuple[str, int, dict[str, Any]]:
    name, seed, trials, budget = job
    trace = run_one(name, seed, trials)
    return name, seed, engine.measure(_table(), trace, budget)


# --- statistics ----------------------------------------------------------------------------------
def quantile(values: list[float], q: float) -> float:
    """Linear-interpolated quantile where censored runs are +inf (inf when it touches one)."""
    v = sorted(values)
    if not v:
        return math.nan
    pos = (len(v) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    frac = pos - lo
    if frac == 0 or v[lo] == v[hi]:
        return v[lo]
    if math.isinf(v[hi]):
        return math.inf
    return v[lo] + (v[hi] - v[lo]) * frac


def median_ci(values: list[float], level: float = 0.9, draws: int = 2000) -> list[float]:
    """A bootstrap interval (over seeds) for the median; censored runs are +inf."""
    import numpy as np

    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(0)
    medians = np.median(data[rng.integers(0, len(data), (draws, len(data)))], axis=1)
    tail = (1 - level) / 2 * 100
    return [float(np.percentile(medians, tail, method="lower")),
            float(np.percentile(medians, 100 - tail, method="higher"))]


def _finite(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 4)


def summarise(results: dict[str, dict[int, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    out = {}
    for name, by_seed in results.items():
        runs = [by_seed[s] for s in sorted(by_seed)]
        to_target = [math.inf if r["epochs_to_target"] is None else r["epochs_to_target"]
                     for r in runs]
        secs = [math.inf if r["seconds_to_target"] is None else r["seconds_to_target"]
                for r in runs]
        trials_to = [math.inf if r["trials_to_target"] is None else r["trials_to_target"]
                     for r in runs]
        best = [math.inf if r["best_at_budget"] is None else r["best_at_budget"] for r in runs]
        out[name] = {
            "median_epochs_to_target": _finite(quantile(to_target, 0.5)),
            "iqr_epochs_to_target": [_finite(quantile(to_target, 0.25)),
                                     _finite(quantile(to_target, 0.75))],
            "median_epochs_ci90": [_finite(x) for x in median_ci(to_target)],
            "median_best_at_budget": _finite(quantile(best, 0.5)),
            "reached": sum(math.isfinite(x) for x in to_target),
            "median_seconds_to_target": _finite(quantile(secs, 0.5)),
            "median_trials_to_target": _finite(quantile(trials_to, 0.5)),
            "median_best_overall": _finite(quantile(
                [math.inf if r["best_overall"] is None else r["best_overall"] for r in runs],
                0.5)),
            "median_epochs_spent": _finite(quantile([r["epochs_total"] for r in runs], 0.5)),
            "median_completed": _finite(quantile([r["completed"] for r in runs], 0.5)),
            "search_cpu_s": round(sum(r["search_cpu_s"] for r in runs), 1),
            "seeds": len(runs),
        }
    return out


def ratios(summary: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """hpdesk_default's median epochs to target over random's and over optuna_tpe_hyperband's
    (a censored median counts as infinite: a finite one over it is 0)."""
    def median(name: str) -> float | None:
        if name not in summary:
            return None
        m = summary[name]["median_epochs_to_target"]
        return math.inf if m is None else m

    mine = median("hpdesk_default")
    out: dict[str, Any] = {}
    for other, goal in (("random", GOAL_OVER_RANDOM),
                        ("optuna_tpe_hyperband", GOAL_OVER_OPTUNA_HYPERBAND)):
        theirs = median(other)
        if mine is None or theirs is None:
            continue
        ratio = math.inf if math.isinf(mine) else 0.0 if math.isinf(theirs) else mine / theirs
        out[f"hpdesk_default_over_{other}"] = (
            _finite(ratio) if math.isfinite(mine) and math.isfinite(theirs) else None)
        out[f"goal_over_{other}"] = goal
        out[f"met_over_{other}"] = bool(ratio <= goal)
        if math.isinf(mine) or math.isinf(theirs):
            out[f"note_over_{other}"] = "a median is censored (fewer than half the seeds " \
                "reached the target): no ratio, only which side is finite"
    return out


def print_table(summary: dict[str, dict[str, Any]], budget: int, file: Any = sys.stderr) -> None:
    def f(x: Any, digits: int = 0) -> str:
        if x is None:
            return "-"
        return f"{x:.{digits}f}"

    header = (f"{'strategy':<76} {'reached':>7} {'epochs→target':>13} {'IQR':>13} "
              f"{'90% CI':>11} "
              f"{'sec→tgt':>7} {'trials→':>7} {f'best@{budget}':>9} {'spent':>6}")
    print(header, file=file)
    print("-" * len(header), file=file)
    for name, s in summary.items():
        lo, hi = s["iqr_epochs_to_target"]
        print(f"{name:<76} {s['reached']:>3}/{s['seeds']:<3} "
              f"{f(s['median_epochs_to_target']):>13} "
              f"{f(lo) + '-' + f(hi):>13} "
              f"{f(s['median_epochs_ci90'][0]) + '-' + f(s['median_epochs_ci90'][1]):>11} "
              f"{f(s['median_seconds_to_target'], 1):>7} "
              f"{f(s['median_trials_to_target']):>7} "
              f"{f(s['median_best_at_budget'], 4):>9} {f(s['median_epochs_spent']):>6}",
              file=file)


def split_names(text: str) -> list[str]:
    """Names separated by ';', or by ',' where a piece is not a spec's `key=value`."""
    if ";" in text:
        return [n.strip() for n in text.split(";") if n.strip()]
    out: list[str] = []
    for piece in (p.strip() for p in text.split(",")):
        head = piece.split("+")[0]
        if out and "=" in head and ":" not in head:
            out[-1] += "," + piece
        elif piece:
            out.append(piece)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30, help="seeds per strategy (30)")
    parser.add_argument("--seed-start", type=int, default=0,
                        help="first seed (0; the default was confirmed on 100-129)")
    parser.add_argument("--strategies", default=",".join(catalogue.DEFAULT_RUN),
                        help="comma-separated names or spec strings (separate spec strings "
                             "with ';' when they contain commas)")
    parser.add_argument("--trials", type=int, default=150, help="the plan's budget.trials")
    parser.add_argument("--budget-epochs", type=int, default=1500,
                        help="the epoch budget best_at_budget is read at")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 seeds, 40 trials")
    parser.add_argument("--explore", choices=("screen", "staged", "tpe", "univariate", "stages",
                                              "confirm"),
                        help="run an exploration round's candidates instead")
    parser.add_argument("--out", type=Path, help="also write every run's numbers (JSON) here")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.trials = 3, 40
        args.budget_epochs = min(args.budget_epochs, 400)
    if args.explore == "screen":
        names = catalogue.explore_screen()
    elif args.explore == "staged":
        names = catalogue.explore_staged()
    elif args.explore == "tpe":
        names = catalogue.explore_tpe()
    elif args.explore == "univariate":
        names = catalogue.explore_univariate()
    elif args.explore == "stages":
        names = catalogue.explore_stages()
    elif args.explore == "confirm":
        names = list(catalogue.CONFIRM)
    else:
        names = split_names(args.strategies)
    for name in names:  # a typo fails now, not in a worker
        spec = catalogue.parse(name)
        if spec.kind == "hpdesk":
            build_plan(spec.strategy, spec.pruner, trials=args.trials, seed=0)
    seeds = list(range(args.seed_start, args.seed_start + args.seeds))
    table = _table()
    print(f"{len(names)} strategies x {len(seeds)} seeds (from {seeds[0]}), {args.trials} "
          f"trials each; target: the best {len(table.target_rows)} of {table.rows} "
          f"configurations (final val_loss <= {table.target_loss:.4f}, best "
          f"{table.best_loss:.4f}); best_at_budget at {args.budget_epochs} epochs",
          file=sys.stderr)
    print(f"hpdesk_default = {catalogue.REGISTERED['hpdesk_default'].plan_snippet()!r}",
          file=sys.stderr)
    # Slow strategies first so the pool ends together.
    jobs = [(n, s, args.trials, args.budget_epochs) for n in names for s in seeds]
    results: dict[str, dict[int, dict[str, Any]]] = {n: {} for n in names}
    started = time.time()
    done = 0
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(args.workers) as pool:
        for name, seed, measured in pool.imap_unordered(_work, jobs, chunksize=1):
            results[name][seed] = measured
            done += 1
            if done % max(1, len(jobs) // 20) == 0 or done == len(jobs):
                print(f"  {done}/{len(jobs)} runs, {time.time() - started:.0f}s",
                      file=sys.stderr)
    summary = summarise(results)
    print(file=sys.stderr)
    print_table(summary, args.budget_epochs)
    report: dict[str, Any] = {
        "seeds": len(seeds), "seed_start": seeds[0], "budget_epochs": args.budget_epochs,
        "trials": args.trials, "target_rows": len(table.target_rows),
        "target_loss": round(table.target_loss, 4), "best_loss": round(table.best_loss, 4),
        "hpdesk_default": catalogue.REGISTERED["hpdesk_default"].plan_snippet(),
        "strategies": summary, "ratios": ratios(summary),
        "elapsed_s": round(time.time() - started, 1),
    }
    r = report["ratios"]
    if r:
        said = []
        for other in ("random", "optuna_tpe_hyperband"):
            if f"goal_over_{other}" in r:
                value = r[f"hpdesk_default_over_{other}"]
                said.append(f"{'censored' if value is None else value} x {other}'s (goal <= "
                            f"{r[f'goal_over_{other}']}: "
                            f"{'met' if r[f'met_over_{other}'] else 'NOT met'})")
        print("\nhpdesk_default median epochs to target: " + "; ".join(said), file=sys.stderr)
    print(f"done in {report['elapsed_s']}s", file=sys.stderr)
    if args.out:
        args.out.write_text(json.dumps({"report": report, "runs": results}, indent=1))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
