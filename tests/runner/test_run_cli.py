"""`hpdesk run` and friends, end to end: real subprocesses, real SQLite, the fake trainer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from hpdesk.store import Store
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
FAKE = ROOT / "tests" / "fixtures" / "fake_train.py"
HPDESK = [sys.executable, "-m", "hpdesk.cli"]


def hpdesk(*args: str, timeout: float = 120, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HPDESK, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, **kw)


def script_plan(tmp_path: Path, space: dict[str, Any], **top: Any) -> Path:
    plan = {
        "hpdesk": 1, "task": "script", "name": "fake",
        "command": [sys.executable, str(FAKE), "--lr", "{lr}"],
        "objective": {"metric": "val_acc", "direction": "maximize"},
        "strategy": {"name": "grid"},
        "budget": {"trials": 4}, "concurrency": 2, "space": space, **top,
    }
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan))
    return path


def trials_json(db: Path) -> list[dict[str, Any]]:
    out = hpdesk("trials", "--db", str(db), "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_script_trials_complete_with_objective_and_arguments(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    plan = script_plan(tmp_path, {"lr": [0.05, 0.1, 0.2, 0.3], "steps": 3})
    out = hpdesk("run", str(plan), "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert out.stdout.count(" completed in ") == 4
    assert "best: trial 3 with val_acc = 0.9\n" in out.stdout
    rows = trials_json(db)
    assert [r["state"] for r in rows] == ["completed"] * 4
    assert {r["params"]["lr"] for r in rows} == {0.05, 0.1, 0.2, 0.3}
    for r in rows:
        assert r["objective"] == pytest.approx(r["params"]["lr"] * 3)
        assert r["exit_code"] == 0 and r["metrics"]["loss"] == pytest.approx(r["params"]["lr"] / 3)
        log = Path(r["log_path"]).read_text()
        assert f'argv ["--lr", "{r["params"]["lr"]}"]' in log
    with Store(db) as store:
        (exp,) = store.experiments()
        assert exp.state == "completed" and exp.plan["budget"]["trials"] == 4


def test_a_parameter_value_cannot_inject_a_command(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    marker = tmp_path / "pwned"
    evil = f"; touch {marker}"
    plan = script_plan(tmp_path, {"lr": 0.1, "tag": evil}, budget={"trials": 1},
                       command=[sys.executable, str(FAKE), "--tag", "{tag}", "$(touch x)"])
    out = hpdesk("run", str(plan), "--db", str(db))
    assert out.returncode == 0, out.stderr
    log = Path(trials_json(db)[0]["log_path"]).read_text()
    assert json.dumps(["--tag", evil, "$(touch x)"]) in log
    assert not marker.exists()


def test_failed_and_diverged_trials_do_not_stop_the_others(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    plan = script_plan(tmp_path, {"lr": [0.1, 0.2, 0.3], "fail_at": {"type": "fixed", "value": 2,
                                  "when": {"lr": 0.1}},
                                  "diverge_at": {"type": "fixed", "value": 2, "when": {"lr": 0.2}},
                                  "steps": 3}, budget={"trials": 3})
    out = hpdesk("run", str(plan), "--db", str(db))
    assert out.returncode == 0, out.stderr
    by_lr = {r["params"]["lr"]: r for r in trials_json(db)}
    assert by_lr[0.1]["state"] == "failed" and by_lr[0.1]["exit_code"] == 5
    assert by_lr[0.1]["message"] == "exited with code 5"
    assert by_lr[0.1]["metrics"]["loss"] == pytest.approx(0.1)  # step 1 kept
    assert by_lr[0.2]["state"] == "diverged" and by_lr[0.2]["objective"] is None
    assert by_lr[0.3]["state"] == "completed"
    assert "best: trial" in out.stdout and "val_acc = 0.9\n" in out.stdout
    with Store(db) as store:
        failed = [e for e in store.events() if e.kind == "failed"]
        assert len(failed) == 1 and "something broke at step 2" in failed[0].message


def test_missing_objective_and_unstartable_command_are_reported(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    plan = script_plan(tmp_path, {"lr": 0.1, "report_objective": False}, budget={"trials": 1})
    out = hpdesk("run", str(plan), "--db", str(db))
    assert out.returncode == 1
    (row,) = trials_json(db)
    assert row["state"] == "no_objective" and row["objective"] is None
    assert row["message"].startswith("objective `val_acc` was never reported; metrics seen: ")
    assert "no trial completed with the objective `val_acc` (1 no objective)" in out.stdout

    db2 = tmp_path / "y.db"
    plan = script_plan(tmp_path, {"lr": [0.1, 0.2]}, budget={"trials": 2},
                       command=[str(tmp_path / "no-such-program")])
    out = hpdesk("run", str(plan), "--db", str(db2))
    assert out.returncode == 1
    rows = trials_json(db2)
    assert [r["state"] for r in rows] == ["failed", "failed"]
    assert "could not start" in rows[0]["message"]


def test_concurrency_runs_trials_side_by_side_and_shares_cores(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    plan = script_plan(tmp_path, {"lr": [0.1, 0.2], "steps": 4, "sleep": 0.25,
                                  "echo_env": "HPDESK_NUM_THREADS,OMP_NUM_THREADS,"
                                              "HPDESK_TRIAL_DIR"},
                       budget={"trials": 2})
    out = hpdesk("run", str(plan), "--db", str(db))
    assert out.returncode == 0, out.stderr
    a, b = trials_json(db)
    assert a["started_at"] < b["ended_at"] and b["started_at"] < a["ended_at"]
    share = str(max(1, (os.cpu_count() or 1) // 2))
    log = Path(a["log_path"]).read_text()
    assert f"env HPDESK_NUM_THREADS {share}" in log and f"env OMP_NUM_THREADS {share}" in log
    trial_dir = Path(a["log_path"]).with_suffix("")
    assert f"env HPDESK_TRIAL_DIR {trial_dir}" in log and trial_dir.is_dir()


def test_wall_time_budget_stops_the_experiment(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    plan = script_plan(tmp_path, {"lr": {"type": "float", "low": 0.01, "high": 0.1},
                                  "steps": 1000, "sleep": 0.05},
                       strategy="random", budget={"trials": 10, "wall_time": 1.5})
    t0 = time.monotonic()
    out = hpdesk("run", str(plan), "--db", str(db))
    assert time.monotonic() - t0 < 30
    assert "wall-time budget" in out.stdout
    states = {r["state"] for r in trials_json(db)}
    assert states == {"interrupted"}


def test_ctrl_c_stops_trials_and_keeps_their_points(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    plan = script_plan(tmp_path, {"lr": [0.1, 0.2], "steps": 100_000, "sleep": 0.02},
                       budget={"trials": 2})
    proc = subprocess.Popen([*HPDESK, "run", str(plan), "--db", str(db)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def both_past_step_5() -> bool:
        if not db.exists():
            return False
        with Store(db) as store:
            trials = store.trials()
            return len(trials) == 2 and all((store.last_step(t.id) or 0) > 5 for t in trials)

    try:
        wait_until(both_past_step_5, 60)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "stopping" in out
    with Store(db) as store:
        (exp,) = store.experiments()
        assert exp.state == "stopped"
        for trial in store.trials():
            assert trial.state == "interrupted"
            steps, _ = store.series(trial.id, "loss")
            assert len(steps) > 5 and steps == list(range(1, len(steps) + 1))


@pytest.mark.slow
def test_digits_random_example_reaches_the_target(tmp_path: Path) -> None:
    """The issue's own check: 3 real torch trials, best val_acc at least 0.85."""
    db = tmp_path / "x.db"
    out = hpdesk("run", "resources/examples/digits-random.yaml", "--db", str(db),
                 "--max-trials", "3", timeout=300)
    assert out.returncode == 0, out.stderr
    rows = trials_json(db)
    assert len(rows) == 3 and all(r["state"] == "completed" for r in rows)
    assert all({"train_loss", "val_loss", "val_acc", "lr"} <= set(r["metrics"]) for r in rows)
    assert max(r["objective"] for r in rows) >= 0.85
    with Store(db) as store:
        steps, _ = store.series(rows[0]["trial_id"], "train_loss")
        per_epoch = -(-1438 // rows[0]["params"]["batch_size"])  # 1438 training digits
        assert len(steps) == 8 * per_epoch  # a point per optimiser step, 8 epochs


@pytest.mark.slow
def test_demo_runs_the_classification_preset(tmp_path: Path) -> None:
    out = hpdesk("demo", "--db", str(tmp_path / "d.db"), "--max-trials", "1", timeout=300)
    assert out.returncode == 0, out.stderr
    assert "digits-demo" in out.stdout and "best: trial 0 with val_acc" in out.stdout


def test_default_database_is_in_the_user_data_folder(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    plan = script_plan(tmp_path, {"lr": 0.1, "steps": 1}, budget={"trials": 1})
    out = hpdesk("run", str(plan), env=env)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "data" / "hpdesk" / "hpdesk.db").exists()


def test_max_trials_keeps_the_plans_other_budgets() -> None:
    from hpdesk.cli.runs import _override
    from hpdesk.plan import Budget, plan_from_preset

    plan = plan_from_preset("classification").with_changes(
        budget=Budget(trials=10, wall_time=600.0, epochs=40, steps=None))
    changed = _override(plan, 3, None)
    assert (changed.budget.trials, changed.budget.wall_time, changed.budget.epochs) == (
        3, 600.0, 40)
