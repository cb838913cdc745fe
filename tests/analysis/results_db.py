"""A small database for the export tests: two experiments whose trials and points cover what an
export must carry (a NaN point, a missing objective, a quoted multi-line message, bool, string
and int parameters, a parameter outside the plan, several objectives, a running trial)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from hpdesk.plan import plan_from_preset
from hpdesk.store import Store

T0 = 1_700_000_000.5
MESSAGE = 'bad value, "quoted"\nsecond line'
SCRIPT_PLAN: dict[str, Any] = {
    "task": "script",
    "objective": [{"metric": "acc", "direction": "maximize"},
                  {"metric": "latency_ms", "direction": "minimize"}],
    "space": {"act": {"type": "categorical", "choices": ["relu", "gelu"]},
              "wd": {"type": "float", "low": 0.0, "high": 0.1, "log": False}},
}


class ResultsDb(NamedTuple):
    path: Path
    classification: int  # experiment ids
    script: int
    plan: dict[str, Any]  # the classification experiment's plan


def make_results_db(folder: Path) -> ResultsDb:
    path = folder / "results.db"
    plan = plan_from_preset("classification").to_dict()
    with Store(path) as store:
        a = store.create_experiment("sweep", "classification", plan)
        for i, (state, objective) in enumerate([("completed", 0.91), ("failed", None),
                                                ("running", None)]):
            t = store.add_trial(a.id, {"lr": 0.01 * (i + 1), "batch_size": 32 * (i + 1),
                                       "optimizer": "adam", "amp": i != 1})
            store.update_trial(
                t.id, state=state, objective=objective, started_at=T0 + i,
                ended_at=None if state == "running" else T0 + 100.25 + i,
                device=f"cuda:{i}", host="node-1", exit_code=None if i == 2 else i,
                message=MESSAGE if state == "failed" else None)
            store.write_metrics([(t.id, "val_acc", s, 0.5 + s / 10 + i / 100, T0 + 10 * s)
                                 for s in range(3)])
            if i == 0:
                store.write_metrics([(t.id, "train_loss", 0, float("nan"), T0 + 1)])
        b = store.create_experiment("script", "script", SCRIPT_PLAN)
        t = store.add_trial(b.id, {"act": "gelu", "wd": 0.01, "extra_seed": 3})
        store.update_trial(t.id, state="completed", objective=0.8, objectives=[0.8, 12.5],
                           started_at=T0, ended_at=T0 + 5.0)
        store.write_metrics([(t.id, "acc", 1, 0.8, T0 + 1), (t.id, "latency_ms", 1, 12.5, T0 + 2)])
    return ResultsDb(path, a.id, b.id, plan)
