"""Values (issue 11, item 7): a non-finite objective (NaN, +inf, -inf) is never the best; the
trial is marked diverged with a message; every JSON hpdesk prints is strict (`null`, never the
`NaN`/`Infinity` tokens strict parsers refuse). End to end with a real run of a tiny script."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from hpdesk.analysis.export import best_trial
from hpdesk.jsonsafe import dumps, finite_json
from hpdesk.plan import Objective, loads_plan
from hpdesk.runner.experiment import experiment_rows, summarize, summary_table
from hpdesk.runner.outcome import decide_outcome
from hpdesk.search import SampledSearch, Tried
from hpdesk.store import Store

ROOT = Path(__file__).resolve().parents[2]
#: What each trial prints as its last `val_loss` (the `case` parameter picks one).
CASES = ["-inf", "nan", "0.25", "0.5"]
SCRIPT = f"""
import json, os
case = json.loads(os.environ["HPDESK_PARAMS"])["case"]
print("val_loss: 0.9")
print("val_loss: " + {CASES!r}[case])
"""


def _refuse(token: str) -> Any:
    raise ValueError(f"not strict JSON: {token}")


def strict(text: str) -> Any:
    """json.loads that refuses NaN, Infinity and -Infinity (as JSON.parse and jq do)."""
    return json.loads(text, parse_constant=_refuse)


def hpdesk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hpdesk.cli", *args], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)


@pytest.mark.timeout(120)
def test_a_real_run_never_picks_a_non_finite_objective_and_prints_strict_json(
        tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    plan = {"hpdesk": 1, "task": "script", "name": "values",
            "command": [sys.executable, str(script)], "params_style": "env",
            "objective": {"metric": "val_loss", "direction": "minimize"},
            "strategy": {"name": "grid"}, "budget": {"trials": len(CASES)}, "concurrency": 2,
            "space": {"case": {"type": "categorical", "choices": list(range(len(CASES)))}}}
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(plan, sort_keys=False))
    db = tmp_path / "x.db"

    run = hpdesk("run", str(plan_file), "--db", str(db))
    assert run.returncode == 0, run.stdout + run.stderr
    by_case = {}
    with Store(db) as store:
        for t in store.trials():
            by_case[CASES[t.params["case"]]] = t
    assert {c: t.state for c, t in by_case.items()} == {
        "-inf": "diverged", "nan": "diverged", "0.25": "completed", "0.5": "completed"}
    assert by_case["-inf"].objective is None and by_case["nan"].objective is None
    assert "not finite (-inf at step 2)" in (by_case["-inf"].message or "")
    assert "not finite (nan at step 2)" in (by_case["nan"].message or "")
    best = by_case["0.25"]
    assert f"best: trial {best.number} with val_loss = 0.25" in run.stdout

    trials = hpdesk("trials", "--json", "--db", str(db))
    assert trials.returncode == 0, trials.stderr
    rows = {CASES[r["params"]["case"]]: r for r in strict(trials.stdout)}
    assert rows["-inf"]["objective"] is None and rows["-inf"]["state"] == "diverged"
    assert rows["-inf"]["metrics"]["val_loss"] is None  # the -inf point itself: null
    assert rows["0.25"]["objective"] == 0.25

    status = hpdesk("status", "1", "--json", "--db", str(db))
    assert status.returncode == 0, status.stderr
    shown = strict(status.stdout)
    assert shown["best"]["number"] == best.number and shown["best"]["objective"] == 0.25
    assert shown["trials"] == {"completed": 2, "diverged": 2}
    assert strict(hpdesk("experiments", "--json", "--db", str(db)).stdout)[0]["trials"] == 4


def _trial_with(store: Store, exp_id: int, values: list[float]) -> Any:
    trial = store.add_trial(exp_id, {"lr": 0.1}, state="running")
    store.write_metrics([(trial.id, "acc", s, v, time.time()) for s, v in enumerate(values)])
    return store.trial(trial.id)


@pytest.mark.timeout(30)
def test_reduce_best_ignores_nan_and_losing_infinities_and_refuses_a_winning_one(
        tmp_path: Path) -> None:
    best = Objective("acc", "maximize", "best")
    with Store(tmp_path / "x.db") as store:
        exp = store.create_experiment("e", "script", {"hpdesk": 1})
        wins = decide_outcome(store, _trial_with(store, exp.id, [0.5, math.inf, 0.7]), best, 0)
        assert (wins.state, wins.objective) == ("diverged", None)
        assert "not finite (inf at step 1)" in (wins.message or "")
        losing = decide_outcome(store, _trial_with(store, exp.id, [0.5, -math.inf, 0.7]), best, 0)
        assert (losing.state, losing.objective) == ("completed", 0.7)
        nan = decide_outcome(store, _trial_with(store, exp.id, [0.5, math.nan, 0.6]), best, 0)
        assert (nan.state, nan.objective) == ("completed", 0.6)
        only_nan = decide_outcome(store, _trial_with(store, exp.id, [math.nan]), best, 0)
        assert only_nan.state == "diverged" and only_nan.objective is None
        # Several objectives: one infinite value is enough, and none is stored as a number.
        two = [Objective("acc", "maximize"), Objective("loss", "minimize")]
        trial = _trial_with(store, exp.id, [0.8])
        store.write_metrics([(trial.id, "loss", 0, -math.inf, time.time())])
        several = decide_outcome(store, trial, two, 0)
        assert several.state == "diverged" and several.objectives == [0.8, None]
        assert "`loss` was not finite (-inf at step 0)" in (several.message or "")


@pytest.mark.timeout(60)
def test_a_database_that_already_holds_infinite_objectives_never_shows_them_as_best(
        tmp_path: Path) -> None:
    """Written before this fix: completed trials with -inf (minimised) and +inf objectives."""
    db = tmp_path / "old.db"
    plan = {"hpdesk": 1, "objective": {"metric": "loss", "direction": "minimize"}}
    with Store(db) as store:
        exp = store.create_experiment("old", "script", plan)
        for value in (-math.inf, 0.3, math.inf, 0.2):
            t = store.add_trial(exp.id, {"lr": value if math.isfinite(value) else 1.0})
            store.update_trial(t.id, state="completed", objective=value)
        store.add_event("pruned", "x", experiment_id=exp.id, data={"value": math.inf})
        summary = summarize(store, exp.id)
        assert summary.best is not None and summary.best.objective == 0.2
        assert best_trial(plan, store.trials(exp.id)) == summary.best
        (row,) = experiment_rows(store)
        assert row.best == 0.2  # the window's experiment list
        table = summary_table(summary).splitlines()
        assert "0.2" in table[2] and "best: trial 3 with loss = 0.2" in table
        (event,) = store.events(experiment_id=exp.id, kinds=["pruned"])
        assert event.data == {"value": None}  # events' data: null, never a crash
    status = hpdesk("status", "--json", "--db", str(db))
    assert status.returncode == 0, status.stderr
    assert strict(status.stdout)[0]["best"]["objective"] == 0.2
    rows = strict(hpdesk("trials", "--json", "--db", str(db)).stdout)
    assert [r["objective"] for r in rows] == [None, 0.3, None, 0.2]


def test_the_search_is_never_told_an_infinity_as_a_result() -> None:
    plan = loads_plan("hpdesk: 1\ntask: classification\nstrategy: {name: tpe, seed: 3}\n"
                      "objective: {metric: loss, direction: minimize}\n"
                      "space: {lr: {type: float, low: 0.001, high: 0.1, log: true}}\n")
    history = [Tried({"lr": 0.01}, "completed", -math.inf, number=0),
               Tried({"lr": 0.02}, "completed", 0.5, number=1)]
    search = SampledSearch(plan, history)
    told = [(t.state.name, t.values) for t in search._study.get_trials(deepcopy=False)]
    assert told == [("FAIL", None), ("COMPLETE", [0.5])]


def test_the_json_helper_turns_every_non_finite_float_into_null() -> None:
    value = {"a": [math.nan, (math.inf, -math.inf)], "b": {"c": 1.5, "d": True}}
    assert finite_json(value) == {"a": [None, [None, None]], "b": {"c": 1.5, "d": True}}
    assert strict(dumps(value)) == finite_json(value)
    with pytest.raises(TypeError):
        dumps({"x": object()})  # what json cannot write still fails loudly
