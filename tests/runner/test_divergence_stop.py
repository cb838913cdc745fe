"""`pruner.stop_on_divergence`: the scheduler stops a trial whose loss became NaN or grew by
orders of magnitude, ends it as diverged with the evidence, and lets the others run; without
the option the same trial runs to its end (real subprocesses, a script without torch)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from hpdesk.store import Store
from tests.runner.test_own_scripts import hpdesk

SCRIPT = Path(__file__).resolve().parents[1] / "fixtures" / "growing_loss.py"


def plan(tmp_path: Path, pruner: dict[str, Any], grow: list[float],
         nan_at: int = -1, sleep: float = 0.03, steps: int = 300) -> Path:
    data = {"hpdesk": 1, "task": "script", "name": "grow",
            "command": [sys.executable, str(SCRIPT)], "params_style": "flags",
            "objective": {"metric": "final", "direction": "maximize"},
            "strategy": {"name": "grid"}, "budget": {"trials": len(grow)}, "concurrency": 2,
            "pruner": pruner,
            "space": {"grow": {"type": "categorical", "choices": grow}, "steps": steps,
                      "sleep": sleep, "nan_at": nan_at}}
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_growing_loss_is_stopped_as_diverged_and_the_healthy_trial_completes(
        tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    out = hpdesk("run", str(plan(tmp_path, {"name": "none", "stop_on_divergence": True},
                                 [0.0, 0.05], steps=200)), "--db", str(db))
    assert out.returncode == 0, out.stdout + out.stderr
    with Store(db) as store:
        by_grow = {t.params["grow"]: t for t in store.trials()}
        healthy, growing = by_grow[0.0], by_grow[0.05]
        assert healthy.state == "completed"
        assert store.last_step(healthy.id) == 200
        assert growing.state == "diverged"
        last = store.last_step(growing.id)
        assert last is not None and last < 200  # 2.3 e^(0.05 t) passes 10x its start at t=46
        assert "grew to" in (growing.message or "")
        (event,) = store.events(trial_id=growing.id, kinds=["diverged"])
        assert event.data is not None and event.data["stopped_by"] == "stop_on_divergence"
        assert event.step is not None and 40 <= event.step <= last
    assert "diverged at step" in out.stdout


def test_a_script_that_keeps_reporting_nan_is_stopped_at_once(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    out = hpdesk("run", str(plan(tmp_path, {"name": "median", "stop_on_divergence": True},
                                 [0.0], nan_at=20)), "--db", str(db))
    assert out.returncode == 1, out.stdout + out.stderr  # no trial completed
    assert "trial 0 diverged at step 20" in out.stdout
    with Store(db) as store:
        (trial,) = store.trials()
        assert trial.state == "diverged"
        assert "loss became nan at step 20" in (trial.message or "")
        assert (store.last_step(trial.id) or 0) < 200


def test_without_the_option_a_diverging_trial_runs_to_its_end(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    out = hpdesk("run", str(plan(tmp_path, {"name": "none"}, [0.05], sleep=0.0, steps=150)),
                 "--db", str(db))
    assert out.returncode == 0, out.stdout + out.stderr
    with Store(db) as store:
        (trial,) = store.trials()
        assert trial.state == "completed" and store.last_step(trial.id) == 150
    found = hpdesk("diagnose", "--db", str(db), "--json")
    (finding,) = json.loads(found.stdout)
    assert finding["kind"] == "diverged" and finding["trial_id"] == trial.id
    assert 40 <= finding["step"] <= 80
