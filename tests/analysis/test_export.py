"""CSV exports and the best trial's plan, read back and compared."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hpdesk.analysis.export import (
    best_trial,
    iso_time,
    plan_of_trial,
    write_metrics_csv,
    write_trials_csv,
)
from hpdesk.plan import Fixed, dump_plan, load_plan, plan_from_preset
from hpdesk.store import Store


def _experiment(tmp_path: Path):
    plan = plan_from_preset("classification").to_dict()
    store = Store(tmp_path / "x.db")
    exp = store.create_experiment("e", "classification", plan)
    lrs = [0.01, 0.003, 0.05]
    for i, (lr, obj) in enumerate(zip(lrs, [0.91, 0.97, None])):
        t = store.add_trial(exp.id, {"lr": lr, "batch_size": 32})
        state = "completed" if obj is not None else "failed"
        store.update_trial(t.id, state=state, objective=obj, started_at=1_700_000_000.5 + i,
                           ended_at=1_700_000_100.25 + i)
        store.write_metrics([(t.id, "val_acc", s, 0.5 + s / 10, 100.0 + s) for s in range(3)])
        if i == 2:
            store.write_metrics([(t.id, "train_loss", 0, float("nan"), 1.0)])
    return store, plan, store.trials(exp.id)


def test_trials_csv_has_one_row_per_trial_with_params(tmp_path: Path) -> None:
    store, plan, trials = _experiment(tmp_path)
    assert write_trials_csv(tmp_path / "t.csv", plan, trials) == 3
    rows = list(csv.DictReader(open(tmp_path / "t.csv", encoding="utf-8")))
    assert [r["state"] for r in rows] == ["completed", "completed", "failed"]
    assert rows[1]["objective"] == rows[1]["objective.val_acc"] == "0.97"
    assert float(rows[1]["param.lr"]) == 0.003
    assert rows[2]["objective.val_acc"] == ""
    store.close()


def test_metrics_csv_streams_every_point(tmp_path: Path) -> None:
    store, _, trials = _experiment(tmp_path)
    assert write_metrics_csv(tmp_path / "m.csv", store, trials) == 10
    rows = list(csv.DictReader(open(tmp_path / "m.csv", encoding="utf-8")))
    assert {r["trial_number"] for r in rows} == {"0", "1", "2"}
    assert float(rows[0]["value"]) == 0.5 and rows[0]["name"] == "val_acc"
    store.close()


def test_best_trial_becomes_a_plan_that_runs_it_again(tmp_path: Path) -> None:
    store, plan, trials = _experiment(tmp_path)
    best = best_trial(plan, trials)
    assert best is not None and best.number == 1
    again = plan_of_trial(plan, best)
    assert again.budget.trials == 1 and not again.searched()
    assert again.space["lr"] == Fixed(0.003)
    dump_plan(again, tmp_path / "best.yaml")
    assert load_plan(tmp_path / "best.yaml") == again
    minimize = {**plan, "objective": {**plan["objective"], "direction": "minimize"}}
    assert best_trial(minimize, trials).number == 0
    store.close()


def test_csv_times_are_iso_8601_with_the_time_zone(tmp_path: Path) -> None:
    store, plan, trials = _experiment(tmp_path)
    plus_one = timezone(timedelta(hours=1))
    write_trials_csv(tmp_path / "t.csv", plan, trials, tz=plus_one)
    write_metrics_csv(tmp_path / "m.csv", store, trials, tz=plus_one)
    trial = next(csv.DictReader(open(tmp_path / "t.csv", encoding="utf-8")))
    assert trial["started_at"] == "2023-11-14T23:13:20.500000+01:00"
    assert datetime.fromisoformat(trial["ended_at"]).timestamp() == 1_700_000_100.25
    point = next(csv.DictReader(open(tmp_path / "m.csv", encoding="utf-8")))
    assert point["wall_time"] == "1970-01-01T01:01:40.000000+01:00"  # 100.0 s
    # without a zone: this machine's, still with its offset, and the same instant
    write_metrics_csv(tmp_path / "local.csv", store, trials)
    local = next(csv.DictReader(open(tmp_path / "local.csv", encoding="utf-8")))["wall_time"]
    assert datetime.fromisoformat(local).utcoffset() is not None
    assert datetime.fromisoformat(local).timestamp() == 100.0
    assert iso_time(None) == "" and iso_time(float("nan")) == ""
    store.close()
