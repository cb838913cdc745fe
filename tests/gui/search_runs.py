"""Experiments of the richer searches, written straight into a real SQLite file the way the
scheduler leaves them (trials, search state, events), without running any training: a staged
search in its third stage, a search of two objectives, and a population-based training run.
Tests and screenshot scripts share them."""

from __future__ import annotations

import math
import random
import time
from typing import Any

from hpdesk.plan import parse_plan, plan_from_preset
from hpdesk.store import Store

NOW = time.time()
STAGES = [["lr", "batch_size"], ["dropout", "weight_decay"], ["width"]]


def staged_plan() -> dict[str, Any]:
    data = plan_from_preset("classification").to_dict()
    data["name"] = "digits-staged"
    data["strategy"] = {"name": "staged", "stages": [{"params": p} for p in STAGES]}
    data["budget"]["trials"] = 24
    return parse_plan(data).to_dict()


def _finish(store: Store, trial_id: int, state: str, value: float | None,
            message: str | None = None, objectives: list[float] | None = None) -> None:
    store.update_trial(trial_id, state=state, objective=value, started_at=NOW - 300,
                       ended_at=NOW - 10 if state != "running" else None, message=message,
                       objectives=objectives)


def record_staged(store: Store, *, with_events: bool = True) -> int:
    """Stages 1 and 2 done (importance after 2 disagrees with the tiers), stage 3 running."""
    plan = staged_plan()
    exp = store.create_experiment("digits-staged", "classification", plan)
    rng = random.Random(3)
    layout = [(1, 10, 10, 0), (2, 8, 8, 0), (3, 6, 2, 1)]  # stage, quota, ended, running
    held = {1: {}, 2: {"lr": 0.0042, "batch_size": 64},
            3: {"lr": 0.0042, "batch_size": 64, "dropout": 0.31, "weight_decay": 2.1e-5}}
    plan_list = [{"stage": i + 1, "params": p, "trials": q, "strategy": "tpe"}
                 for i, (p, (_, q, _, _)) in enumerate(zip(STAGES, layout))]
    numbers: dict[int, list[int]] = {}
    for stage, quota, ended, running in layout:
        if with_events:
            store.add_event("stage", f"stage {stage} starts", experiment_id=exp.id, data={
                "stage": stage, "stages": 3, "open": STAGES[stage - 1], "held": held[stage],
                "defaults": {n: v for s in STAGES[stage:] for n, v in
                             zip(s, (0.1, 1e-5, 32)[:len(s)])},
                "trials": quota, "strategy": "tpe", "carry": "fix",
                "best_trial": None if stage == 1 else 4, "plan": plan_list})
        for i in range(ended + running):
            params = {"lr": 10 ** rng.uniform(-3, -2), "batch_size": 64, "dropout": 0.1,
                      "weight_decay": 1e-5, "width": 32, **held[stage]}
            for name in STAGES[stage - 1]:
                params[name] = {"lr": 10 ** rng.uniform(-3, -2),
                                "batch_size": rng.choice([16, 32, 64, 128, 256]),
                                "dropout": round(rng.uniform(0, 0.5), 3),
                                "weight_decay": 10 ** rng.uniform(-6, -4),
                                "width": rng.choice([8, 16, 32, 64])}[name]
            trial = store.add_trial(exp.id, params, search_state={"stage": stage,
                                                                  "ordinal": i})
            numbers.setdefault(stage, []).append(trial.number)
            score = 0.93 - 0.2 * (math.log10(params["lr"]) + 2.4) ** 2 - 0.1 * abs(
                params["dropout"] - 0.3) + 0.01 * rng.random()
            _finish(store, trial.id, "running" if i >= ended else "completed",
                    None if i >= ended else score)
        if with_events and stage < 3:
            store.add_event("stage_end", f"stage {stage} ended", experiment_id=exp.id, data={
                "stage": stage, "trials": numbers[stage], "best_trial": numbers[stage][4],
                "best_value": 0.94 + stage / 100, "open": STAGES[stage - 1]})
            ranking = ([{"name": "dropout", "importance": 0.46, "tier": 3},
                        {"name": "lr", "importance": 0.21, "tier": 1},
                        {"name": "weight_decay", "importance": 0.18, "tier": 3},
                        {"name": "batch_size", "importance": 0.15, "tier": 2}]
                       if stage == 2 else [])
            store.add_event("importance", "importance", experiment_id=exp.id, data={
                "stage": stage, "evaluator": "PED-ANOVA", "trials": len(numbers[stage]) * stage,
                "ranking": ranking,
                "disagreements": [
                    {"name": "dropout", "tier": 3, "importance": 0.46, "above": "lr",
                     "above_tier": 1, "above_importance": 0.21},
                    {"name": "dropout", "tier": 3, "importance": 0.46, "above": "batch_size",
                     "above_tier": 2, "above_importance": 0.15}] if stage == 2 else [],
                "reason": None if stage == 2 else
                "importance needs at least 12 finished trials with different values"})
    return exp.id


def two_objective_plan() -> dict[str, Any]:
    data = plan_from_preset("classification").to_dict()
    data["name"] = "digits-pareto"
    data.pop("pruner")  # early stopping judges one objective
    data["objective"] = [{"metric": "val_acc", "direction": "maximize"},
                         {"metric": "train_seconds", "direction": "minimize"},
                         {"metric": "params_k", "direction": "minimize"}]
    data["strategy"] = {"name": "nsga2", "population_size": 8}
    return parse_plan(data).to_dict()


#: (val_acc, train_seconds, params_k) of each trial; front of the first two: 0, 1, 2, 5.
OBJECTIVES = [(0.97, 40.0, 90.0), (0.95, 22.0, 60.0), (0.90, 9.0, 20.0), (0.93, 30.0, 70.0),
              (0.89, 25.0, 15.0), (0.96, 31.0, 120.0), (0.80, 12.0, 10.0), (0.91, 35.0, 40.0)]


def record_two_objectives(store: Store) -> tuple[int, list[int]]:
    exp = store.create_experiment("digits-pareto", "classification", two_objective_plan())
    ids = []
    for i, values in enumerate(OBJECTIVES):
        trial = store.add_trial(exp.id, {"lr": 0.001 * (i + 1), "batch_size": 32 * (1 + i % 3)})
        _finish(store, trial.id, "completed", values[0], objectives=list(values))
        ids.append(trial.id)
    failed = store.add_trial(exp.id, {"lr": 0.5})
    _finish(store, failed.id, "failed", None, "out of memory", objectives=[None, 3.0, 1.0])
    return exp.id, ids


def pbt_plan() -> dict[str, Any]:
    data = plan_from_preset("classification").to_dict()
    data["name"] = "digits-pbt"
    data.pop("pruner")  # population-based training stops and copies members itself
    data["strategy"] = {"name": "pbt", "population": 4, "interval": 2}
    data["space"]["batch_size"] = {"type": "fixed", "value": 64}
    data["space"]["epochs"] = {"type": "fixed", "value": 8}
    return parse_plan(data).to_dict()


def record_pbt(store: Store) -> tuple[int, list[int]]:
    """Four members, decisions at epochs 2, 4 and 6: the worst copies the best each time."""
    exp = store.create_experiment("digits-pbt", "classification", pbt_plan())
    params = [{"lr": lr, "dropout": d, "weight_decay": 1e-5, "width": 32}
              for lr, d in ((0.008, 0.1), (0.002, 0.3), (0.005, 0.45), (0.0012, 0.2))]
    trials = [store.add_trial(exp.id, dict(p), search_state={"member": m, "segment": 3,
                                                             "until": None})
              for m, p in enumerate(params)]
    values = [[0.80, 0.70, 0.60, 0.50], [0.86, 0.80, 0.84, 0.62], [0.90, 0.83, 0.89, 0.88]]
    for generation, epoch in enumerate((2, 4, 6)):
        scores = values[generation]
        best = max(range(4), key=lambda m: scores[m])
        worst = min(range(4), key=lambda m: scores[m])
        for member, trial in enumerate(trials):
            before = dict(params[member])
            donor = best if member == worst else None
            if donor is not None:
                params[member] = {**params[donor], "lr": round(params[donor]["lr"] * 1.2, 6),
                                  "dropout": round(params[donor]["dropout"] * 0.8, 4)}
            store.add_event("pbt", f"member {member} at epoch {epoch}", trial_id=trial.id,
                            data={"member": member, "trial": trial.number,
                                  "generation": generation, "epoch": epoch,
                                  "donor": None if donor is None else trials[donor].number,
                                  "value": scores[member],
                                  "donor_value": None if donor is None else scores[donor],
                                  "previous": before, "params": dict(params[member])})
    for member, trial in enumerate(trials):
        store.update_trial(trial.id, params=params[member])
        _finish(store, trial.id, "paused" if member else "running", None)
    return exp.id, [t.id for t in trials]


__all__ = ["OBJECTIVES", "pbt_plan", "record_pbt", "record_staged", "record_two_objectives",
           "staged_plan", "two_objective_plan"]
