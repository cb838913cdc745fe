"""`hpdesk lr-find`: the learning-rate range test on a plan, end to end and its refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hpdesk.cli.lr_find_plan import edited_text
from hpdesk.plan import FloatRange, dump_plan, dumps_plan, load_plan, plan_from_preset
from hpdesk.store import Store

ROOT = Path(__file__).resolve().parents[2]


def hpdesk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hpdesk.cli", *args], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def one_sentence(out: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]


@pytest.fixture(scope="module")
def digits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("lr-find")
    plan = folder / "digits.yaml"
    dump_plan(plan_from_preset("classification"), plan)
    text = plan.read_text() + "# a comment of my own\n"
    plan.write_text(text)
    db = folder / "t.db"
    out = hpdesk("lr-find", str(plan), "--db", str(db), "--steps", "40", "--json", "--write")
    return {"out": out, "plan": plan, "before": text, "db": db}


def test_digits_suggests_a_range_that_overlaps_the_guide(digits: dict[str, Any]) -> None:
    out = digits["out"]
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    for key in ("optimizer", "suggested_low", "suggested_high", "guide_low", "guide_high",
                "points"):
        assert key in result
    assert result["optimizer"] == "adam"
    assert (result["guide_low"], result["guide_high"]) == (1e-3, 1e-2)
    assert 2 <= len(result["points"]) <= 40
    assert result["overlaps"] is True, result["comparison"]
    assert result["suggested_low"] < result["suggested_high"]
    assert result["suggested_low"] <= result["guide_high"]
    assert result["guide_low"] <= result["suggested_high"]
    assert "与指南给 adam 的范围（0.001 到 0.01）重叠" in result["comparison_zh"]


def test_the_curve_is_a_trial_in_the_store(digits: dict[str, Any]) -> None:
    result = json.loads(digits["out"].stdout)
    with Store(digits["db"], must_exist=True) as store:
        experiment = store.experiment(result["experiment_id"])
        assert experiment.name.startswith("lr-find: ") and experiment.state == "completed"
        trial = store.trial(result["trial_id"])
        assert trial.state == "completed" and "overlaps" in (trial.message or "")
        assert "lr" not in trial.params
        curve = store.read_curves("lr_find_loss", [trial.id]).curves[trial.id]
        rates = store.read_curves("lr", [trial.id]).curves[trial.id]
    assert list(curve.steps) == list(range(1, len(result["points"]) + 1))
    assert list(rates.values) == pytest.approx([p[0] for p in result["points"]])
    assert list(rates.values) == sorted(rates.values)


def test_write_changes_only_the_lr_range(digits: dict[str, Any]) -> None:
    result = json.loads(digits["out"].stdout)
    plan = load_plan(digits["plan"])
    lr = plan.space["lr"]
    assert isinstance(lr, FloatRange) and lr.log
    assert (lr.low, lr.high) == (result["suggested_low"], result["suggested_high"])
    after = digits["plan"].read_text()
    assert after.endswith("# a comment of my own\n")
    changed = [(a, b) for a, b in zip(digits["before"].splitlines(), after.splitlines()) if a != b]
    assert len(changed) == 1 and changed[0][1].strip().startswith("lr:")


def test_text_output_shows_the_curve_and_both_ranges(tmp_path: Path) -> None:
    plan = tmp_path / "p.yaml"
    dump_plan(plan_from_preset("classification", optimizer="sgd"), plan)
    out = hpdesk("lr-find", str(plan), "--db", str(tmp_path / "t.db"), "--steps", "12")
    assert "Traceback" not in out.stderr
    assert "with sgd" in out.stdout and "the guide's range for sgd: 0.01 to 0.1" in out.stdout
    assert out.returncode in (0, 1)
    assert ("suggested range:" in out.stdout) == (out.returncode == 0)


def test_nan_soon_gives_exit_1_and_the_reason(tmp_path: Path) -> None:
    plan = tmp_path / "p.yaml"
    dump_plan(plan_from_preset("classification"), plan)
    out = hpdesk("lr-find", str(plan), "--db", str(tmp_path / "t.db"), "--steps", "10",
                 "--start-lr", "1e6", "--end-lr", "1e8", "--json")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    result = json.loads(out.stdout)
    assert result["suggested_low"] is None and result["reason"]


@pytest.mark.parametrize(("make", "expected"), [
    ("missing", "no such file"),
    ("malformed", "expected"),
    ("script", "runs its own script"),
    ("gan", "cannot sweep the gan task"),
    ("fixed", "fixes lr at"),
    ("steps", "--steps must be"),
])
def test_bad_input_exits_2_in_one_sentence(tmp_path: Path, make: str, expected: str) -> None:
    plan = tmp_path / "p.yaml"
    extra: list[str] = []
    if make == "malformed":
        plan.write_text("hpdesk: 1\ntask: classification\nspace: [1, 2\n")
    elif make == "script":
        plan.write_text(dumps_plan(plan_from_preset("script", command=["python", "t.py"])))
    elif make == "gan":
        dump_plan(plan_from_preset("gan"), plan)
    elif make == "fixed":
        text = dumps_plan(plan_from_preset("classification"))
        plan.write_text(text.replace("lr: {type: float, low: 0.001, high: 0.01, log: true}",
                                     "lr: {type: fixed, value: 0.003}"))
        extra = ["--write"]
    elif make == "steps":
        dump_plan(plan_from_preset("classification"), plan)
        extra = ["--steps", "1"]
    out = hpdesk("lr-find", str(plan), "--db", str(tmp_path / "t.db"), *extra)
    assert out.returncode == 2
    assert expected in one_sentence(out)
    assert not (tmp_path / "t.db").exists() or make == "never"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_read_only_database_is_refused(tmp_path: Path) -> None:
    plan = tmp_path / "p.yaml"
    dump_plan(plan_from_preset("classification"), plan)
    db = tmp_path / "t.db"
    Store(db).close()
    db.chmod(0o444)
    out = hpdesk("lr-find", str(plan), "--db", str(db), "--steps", "5")
    assert out.returncode == 1
    assert one_sentence(out).startswith("hpdesk: ")


@pytest.mark.parametrize("text", [
    "space:\n  lr: {type: float, low: 0.001, high: 0.01, log: true}\n",
    "space:\n  # the rate\n  lr:\n    type: float\n    low: 1.0e-3   # mine\n    high: 1e-2\n"
    "    log: true\n  batch_size: {type: int, low: 16, high: 256}\n",
    '[space]\nlr = { type = "float", low = 0.001, high = 0.01, log = true }\n',
    '[space.lr]\ntype = "float"\nlow = 0.001\nhigh = 0.01\n\n[space.other]\nlow = 1\n',
    '{\n "space": {\n  "lr": {"type": "float", "low": 0.001,\n    "high": 0.01}\n }\n}\n',
])
def test_edited_text_changes_lr_bounds_only(text: str) -> None:
    new = edited_text(text, 2e-4, 5e-3)
    assert new is not None
    assert "0.0002" in new and "0.005" in new
    assert new.count("\n") == text.count("\n")
    assert ("# mine" in new) == ("# mine" in text)
    assert "low = 1\n" in new or "[space.other]" not in text


def test_edited_text_without_lr() -> None:
    assert edited_text("space:\n  batch_size: {type: int, low: 1, high: 2}\n", 1e-3, 1e-2) is None
