"""`hpdesk diagnose`: findings of stored trials on the command line, in both languages and as
JSON; a digits plan with a learning rate far above the guide's range gets a divergence or
too-high finding, a sane plan none (real training, a few seconds)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from hpdesk.plan import PlanError, parse_plan
from hpdesk.store import Store

ROOT = Path(__file__).resolve().parents[2]


def hpdesk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hpdesk.cli", *args], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def stored(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """Three finished trials: one whose loss became NaN at step 30, one over-fitting from
    epoch 7, one healthy; and a fourth, still queued."""
    db = tmp_path / "x.db"
    steps = np.arange(1, 1201)
    ends = steps[99::100]
    e = np.arange(1, 13)
    with Store(db) as store:
        exp = store.create_experiment("x", "script", {"task": "script"})
        ids = {}
        for name in ("nan", "over", "fine", "queued"):
            t = store.add_trial(exp.id, {"name": name})
            ids[name] = t.id
            if name != "queued":
                store.update_trial(t.id, state="completed")
        rows: list[tuple[int, str, int, Any, float]] = []
        rows += [(ids["nan"], "loss", s, None if s >= 30 else 2.3 / s, 0.0) for s in range(1, 60)]
        train = 1.5 / np.sqrt(steps / 10)
        over = np.where(e <= 6, 1.0 / e, 1.0 / 6 + 0.08 * (e - 6))
        fine = 1.0 / e + 0.2
        for tid, val in ((ids["over"], over), (ids["fine"], fine)):
            rows += [(tid, "loss", int(s), float(v), 0.0) for s, v in zip(steps, train)]
            rows += [(tid, "val_loss", int(s), float(v), 0.0) for s, v in zip(ends, val)]
            rows += [(tid, "epoch", int(s), float(v), 0.0) for s, v in zip(ends, e)]
        store.write_metrics(rows)
    return db, ids


def test_json_lists_each_finding_with_the_trial_the_step_the_evidence_and_the_action(
        tmp_path: Path) -> None:
    db, ids = stored(tmp_path)
    out = hpdesk("diagnose", "--db", str(db), "--json")
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert [(f["trial_id"], f["kind"], f["step"]) for f in found] == [
        (ids["nan"], "diverged", 30), (ids["over"], "overfitting", 700)]
    for f in found:
        assert {"trial_id", "kind", "step", "evidence", "action"} <= f.keys()
        assert f["evidence"] and f["action"] and f["sources"]
    assert "epoch 7" in found[1]["evidence"] and "before epoch 7" in found[1]["action"]
    assert "loss became nan at step 30" in found[0]["evidence"]


def test_chinese_text_and_one_experiment_or_one_trial(tmp_path: Path) -> None:
    db, ids = stored(tmp_path)
    out = hpdesk("diagnose", "--db", str(db), "--lang", "zh")
    assert out.returncode == 0, out.stderr
    assert "过拟合" in out.stdout and "发散" in out.stdout and "第 7 个 epoch" in out.stdout
    assert "警告：实验 1 试验 1（id 2）：过拟合，第 700 步" in out.stdout
    assert "3 个试验，2 条发现" in out.stdout
    one = json.loads(hpdesk("diagnose", "--db", str(db), "--trial", str(ids["fine"]),
                            "--json").stdout)
    assert one == []
    text = hpdesk("diagnose", "--db", str(db), "--experiment", "1").stdout
    assert "Over-fitting" in text and "2 findings" in text


def test_an_unknown_experiment_or_a_missing_database_is_one_sentence(tmp_path: Path) -> None:
    db, _ = stored(tmp_path)
    out = hpdesk("diagnose", "--db", str(db), "--experiment", "99")
    assert out.returncode != 0 and "99" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    missing = hpdesk("diagnose", "--db", str(tmp_path / "none.db"))
    assert missing.returncode != 0 and "Traceback" not in missing.stderr


def test_stop_on_divergence_is_a_checked_option_of_every_pruner() -> None:
    base = {"hpdesk": 1, "task": "classification",
            "space": {"lr": {"type": "float", "low": 0.001, "high": 0.01, "log": True}}}
    plan = parse_plan({**base, "pruner": {"name": "none", "stop_on_divergence": True}})
    assert plan.pruner.option("stop_on_divergence") is True
    assert parse_plan(plan.to_dict()).pruner.option("stop_on_divergence") is True
    assert parse_plan({**base, "pruner": "median"}).pruner.option("stop_on_divergence") is False
    with pytest.raises(PlanError, match="pruner.stop_on_divergence"):
        parse_plan({**base, "pruner": {"name": "asha", "stop_on_divergence": "maybe"}})


@pytest.mark.slow
def test_digits_far_above_the_guides_rate_is_found_and_a_sane_rate_is_not(
        tmp_path: Path) -> None:
    """One experiment, two trials: Adam at 3.0 (the guide says 1e-3 to 1e-2) and at 0.003."""
    path = tmp_path / "digits.yaml"
    assert hpdesk("plan", "new", "--task", "classification", "-o", str(path)).returncode == 0
    plan = yaml.safe_load(path.read_text())
    plan.update(budget={"trials": 2}, pruner={"name": "none"}, strategy={"name": "grid"},
                concurrency=2)
    plan["space"].update({"lr": {"type": "categorical", "choices": [3.0, 0.003]}, "epochs": 2,
                          "batch_size": 32, "width": 16, "weight_decay": 0.0, "dropout": 0.0})
    path.write_text(yaml.safe_dump(plan, sort_keys=False))
    db = tmp_path / "d.db"
    out = hpdesk("run", str(path), "--db", str(db))
    assert out.returncode == 0, out.stdout + out.stderr
    found = json.loads(hpdesk("diagnose", "--db", str(db), "--json").stdout)
    with Store(db) as store:
        by_lr = {t.params["lr"]: t.id for t in store.trials()}
    high = [f for f in found if f["trial_id"] == by_lr[3.0]]
    assert high and {f["kind"] for f in high} <= {"diverged", "lr_too_high"}
    assert all("the guide's range for adam is 0.001 to 0.01" in f["evidence"] for f in high)
    assert not [f for f in found if f["trial_id"] == by_lr[0.003]
                and f["kind"] in ("diverged", "lr_too_high")]
