"""Does the replay agree with reality? One small search run for real, then replayed.

A plan whose space is the curves table's grid itself (`type: categorical`, every value taken
from the grid, so each real configuration is a table row and no snapping happens), everything
else as the table was made (make_table.BASE: data {source: digits, train_size: 500,
label_noise: 0.2}, mlp, depth 2, 27 epochs, exponential staircase schedule to 1/100, seed 0),
hpdesk_default's strategy and pruner with a seed, 12 trials, one at a time. It runs for real
(`hpdesk run PLAN --db TMP/live.db`, a subprocess: real training, the real scheduler), then the
same plan and seed is replayed against the table (`replay.engine.replay_hpdesk`), and:

  same_order            the replay suggested the same configurations in the same order
  max_abs_val_loss_diff each real curve against its table row, over the epochs it trained
  pruned_same_epoch     the pruner's decision came at the same epoch (real: the `pruned`
                        event's resource; replay: the epoch the replayed trial stopped at)
  overshoot_epochs      real pruning is asynchronous: the trial is asked to stop once the
                        scheduler has read the report, and it finishes its epoch; how many
                        epochs each pruned trial trained past the decision
  curves_within_1e-4    real curves equal to their table rows to 1e-4 at every epoch;
                        the table was trained with 1 thread, the scheduler gives a lone
                        trial every core (threads_real): float sums then round differently,
                        and a chaotic configuration (adam at lr 0.1) drifts after a few epochs
  forced_*              the same comparison trial by trial with the strategy and the pruner
                        rebuilt from the real trials before it (as the scheduler rebuilds them
                        on resume), so one early difference does not hide every later one

  agree                 same configurations in the same order, same ends, and every pruning
                        decision at the same epoch; `curves_agree`: every curve within 1e-4

Real runs are not deterministic here: how far a pruned trial overshoots depends on timing, the
scheduler hands the strategy and the pruner those extra epochs, and they may then choose
differently from the replay (the forced_* numbers show the search itself replays exactly).

Progress on stderr; the last line of stdout is one JSON object. Under a minute on 2 cores.

    python benchmarks/replay_live_check.py [--trials 12] [--seed 0] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from replay import catalogue, engine
from replay import table as tables
from replay.plans import OPTIMIZERS, plan_yaml
from search_replay import HPDESK_DEFAULT

#: A real curve "drifts" from its table row from the first epoch they differ by more than this.
DRIFT = 1e-4
SEARCHED = ("optimizer", "lr", "batch_size", "momentum", "dropout", "weight_decay", "width")


def grid_space(table: tables.Table) -> str:
    """The plan's space: the table's grid as categorical choices, the rest fixed as BASE."""
    g = table.grid
    base = table.meta["base"]

    def choices(name: str) -> str:
        return ", ".join(repr(float(v)) if isinstance(v, float) else str(v) for v in g[name])

    fixed = {k: v for k, v in base.items() if k != "data"}
    lines = [
        "space:",
        f"  optimizer: {{type: categorical, choices: [{', '.join(OPTIMIZERS)}]}}",
        f"  lr: {{type: categorical, choices: [{choices('lr')}]}}",
        f"  batch_size: {{type: categorical, choices: [{choices('batch_size')}]}}",
        (f"  momentum: {{type: categorical, choices: [{choices('momentum')}], "
         "when: {optimizer: sgd_momentum}}"),
        f"  dropout: {{type: categorical, choices: [{choices('dropout')}]}}",
        f"  weight_decay: {{type: categorical, choices: [{choices('weight_decay')}]}}",
        f"  width: {{type: categorical, choices: [{choices('width')}]}}",
    ]
    lines += [f"  {k}: {json.dumps(v)}" for k, v in fixed.items()]
    return "\n".join(lines) + "\n"


def hpdesk_command() -> list[str]:
    exe = Path(sys.executable).parent / "hpdesk"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "hpdesk.cli"]


def run_real(plan_path: Path, db: Path, home: Path) -> float:
    env = dict(os.environ)
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(home / name.lower())
    started = time.time()
    proc = subprocess.run([*hpdesk_command(), "run", str(plan_path), "--db", str(db)],
                          env=env, capture_output=True, text=True, timeout=900, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"hpdesk run failed with exit code {proc.returncode}")
    return time.time() - started


def read_real(db: Path) -> tuple[Any, list[dict[str, Any]], list[Any]]:
    from hpdesk.runner.search_driver import tried_from
    from hpdesk.store import Store

    store = Store(db, must_exist=True)
    experiment = store.experiments()[-1]
    trials = store.trials(experiment.id)
    reports = store.reports(experiment.id, "val_loss")
    out = []
    for t in trials:
        _, values = store.series(t.id, "val_loss")
        decisions = [e.data for e in store.events(trial_id=t.id)
                     if e.kind == "pruned" and e.data]
        env = (t.provenance or {}).get("env") or {}
        out.append({
            "number": t.number, "state": t.state, "params": dict(t.params),
            "threads": env.get("HPDESK_NUM_THREADS"),
            "curve": [math.nan if v is None else float(v) for v in values],
            "decision": int(decisions[0]["resource"]) if decisions else None,
        })
    history = [tried_from(t, {i + 1: v for i, (_, v) in enumerate(reports.get(t.id, []))})
               for t in trials]
    store.close()
    return experiment, out, history


def forced(table: tables.Table, plan: Any, history: list[Any], real: list[dict[str, Any]]
           ) -> list[dict[str, Any]]:
    """Trial by trial: the strategy and the pruner rebuilt from the real trials before it."""
    from hpdesk.search import TrialPruner, make_strategy

    out = []
    for i, trial in enumerate(real):
        before = history[:i]
        suggestion = make_strategy(plan, before).suggest()
        params = None if suggestion is None or not hasattr(suggestion, "params") else \
            suggestion.params
        pruner = TrialPruner(plan, before)
        pruner.start(trial["number"])
        row = table.row(trial["params"])

        def judge(epoch: int, value: float, n: int = trial["number"],
                  pruner: TrialPruner = pruner) -> bool:
            return pruner.report(n, epoch, value) is not None

        trained = engine.train(table, row, judge if pruner.enabled else None)
        out.append({"same_params": params is not None and _searched(params) == _searched(
            trial["params"]), "replay_state": trained.state, "replay_epochs": trained.epochs})
    return out


def _searched(params: dict[str, Any]) -> dict[str, Any]:
    return {k: params[k] for k in SEARCHED if k in params}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0, help="the plan's strategy.seed")
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it")
    args = parser.parse_args(argv)
    table = tables.load()
    spec = catalogue.register_default(HPDESK_DEFAULT)
    text = plan_yaml(spec.strategy, spec.pruner, trials=args.trials, seed=args.seed,
                     space=grid_space(table), name="replay-live-check")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="hpdesk-live-"))
    folder.mkdir(parents=True, exist_ok=True)
    plan_path = folder / "plan.yaml"
    plan_path.write_text(text)
    db = folder / "live.db"
    if db.exists():
        db.unlink()
    print(f"plan: {plan_path}\n{spec.plan_snippet()}", file=sys.stderr)
    started = time.time()
    try:
        real_s = run_real(plan_path, db, folder / "home")
        print(f"real run: {real_s:.1f}s", file=sys.stderr)
        experiment, real, history = read_real(db)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    from hpdesk.plan import parse_plan

    plan = parse_plan(experiment.plan)
    trace = engine.replay_hpdesk(table, plan, keep_params=True)
    forced_rows = forced(table, plan, history, real)

    rows = []
    first_difference = None
    for i, trial in enumerate(real):
        row = table.row(trial["params"])
        curve = np.asarray(trial["curve"], dtype=float)
        ref = table.val_loss[row, : len(curve)]
        both = np.isfinite(curve) & np.isfinite(ref)
        gaps = np.abs(curve[both] - ref[both])
        diff = float(np.max(gaps)) if both.any() else None
        drift = [i + 1 for i, g in enumerate(gaps) if g > DRIFT]
        same = i < len(trace.params) and _searched(trace.params[i]) == _searched(trial["params"])
        if not same and first_difference is None:
            first_difference = i
        replay_pruned_at = (trace.epochs[i] if i < len(trace.states)
                            and trace.states[i] == "pruned" else None)
        real_at = trial["decision"] if trial["state"] == "pruned" else None
        rows.append({
            "number": trial["number"], "row": row, "same_config": same,
            "real_state": trial["state"], "replay_state": trace.states[i] if i < len(
                trace.states) else None,
            "real_epochs": len(curve), "replay_epochs": trace.epochs[i] if i < len(
                trace.epochs) else None,
            "real_decision": real_at, "replay_decision": replay_pruned_at,
            "overshoot": None if real_at is None else len(curve) - real_at,
            "max_abs_diff": diff, "drifts_from_epoch": drift[0] if drift else None,
            "forced_same_config": forced_rows[i]["same_params"],
            "forced_decision": forced_rows[i]["replay_epochs"]
            if forced_rows[i]["replay_state"] == "pruned" else None,
        })
    for r in rows:
        print(f"  trial {r['number']:>2}  row {r['row']:>4}  config "
              f"{'same' if r['same_config'] else 'DIFFERS'} (forced "
              f"{'same' if r['forced_same_config'] else 'DIFFERS'})  real {r['real_state']:<9} "
              f"{r['real_epochs']:>2} ep (decision {r['real_decision']})  replay "
              f"{r['replay_state']!s:<9} {r['replay_epochs']!s:>2} ep  "
              f"|Δval_loss| <= {r['max_abs_diff']:.2g}"
              + (f" (drifts from epoch {r['drifts_from_epoch']})" if r["drifts_from_epoch"]
                 else ""), file=sys.stderr)
    pruned_real = [r for r in rows if r["real_state"] == "pruned"]
    overshoots = [r["overshoot"] for r in pruned_real if r["overshoot"] is not None]
    diffs = [r["max_abs_diff"] for r in rows if r["max_abs_diff"] is not None]
    same_state = sum(r["real_state"] == r["replay_state"] for r in rows)
    summary = {
        "plan": spec.plan_snippet(), "seed": args.seed,
        "trials_real": len(real), "trials_replay": len(trace.rows),
        "same_order": first_difference is None and len(real) == len(trace.rows),
        "first_difference": first_difference,
        "same_config": sum(r["same_config"] for r in rows),
        "same_state": same_state,
        "max_abs_val_loss_diff": max(diffs) if diffs else None,
        "curves_within_1e-4": sum(r["drifts_from_epoch"] is None for r in rows),
        "threads_real": sorted({str(t["threads"]) for t in real}),
        "threads_table": 1,
        "pruned_real": len(pruned_real),
        "pruned_same_epoch": sum(r["real_decision"] == r["replay_decision"] for r in pruned_real),
        "overshoot_epochs": {"max": max(overshoots, default=None),
                             "mean": round(float(np.mean(overshoots)), 2) if overshoots else None,
                             "per_trial": overshoots},
        "forced_same_config": sum(r["forced_same_config"] for r in rows),
        "forced_same_decision": sum(r["forced_decision"] == r["real_decision"] for r in rows),
        "real_epochs": sum(r["real_epochs"] for r in rows),
        "replay_epochs": int(sum(trace.epochs)),
        "real_run_s": round(real_s, 1), "elapsed_s": round(time.time() - started, 1),
        # the search agrees: same configurations, same ends, same pruning decisions
        "agree": bool(first_difference is None and same_state == len(rows)
                      and all(r["real_decision"] == r["replay_decision"] for r in pruned_real)),
        "curves_agree": bool((max(diffs) if diffs else 0) < DRIFT),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
