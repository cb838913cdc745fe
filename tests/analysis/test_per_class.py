"""Per-class results of a classification trial (issue 15, item 4, command line): training
against validation accuracy per class, each class's samples, the rare ones marked, in
`hpdesk trials --json`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hpdesk.analysis.evidence import per_class_results
from hpdesk.store import Store

ROOT = Path(__file__).resolve().parents[2]
VALUES = {"train_acc_class_cat": 0.99, "val_acc_class_cat": 0.95,
          "train_acc_class_fox": 1.0, "val_acc_class_fox": 0.4,
          "train_acc_class_dog": 0.9, "val_acc": 0.9, "train_loss": 0.1}


def test_each_class_with_its_gap_samples_and_rarity() -> None:
    rows = per_class_results(VALUES, {"cat": 40, "dog": 40, "fox": 2})
    assert rows["fox"] == pytest.approx({"train_acc": 1.0, "val_acc": 0.4, "gap": 0.6,
                                         "samples": 2, "rare": True})
    assert rows["cat"]["rare"] is False and rows["cat"]["gap"] == pytest.approx(0.04)
    assert rows["dog"] == {"train_acc": 0.9, "val_acc": None, "samples": 40, "rare": False}
    assert "samples" not in per_class_results(VALUES)["fox"]  # counts unknown: not guessed
    assert per_class_results({"val_acc": 0.9}) == {}


def test_trials_json_carries_the_per_class_results(tmp_path: Path) -> None:
    data = tmp_path / "photos"
    for cls, n in (("cat", 40), ("dog", 40), ("fox", 2)):
        (data / cls).mkdir(parents=True)
        for i in range(n):
            (data / cls / f"{i}.png").write_bytes(b"")  # counted by name, never opened
    db = tmp_path / "x.db"
    with Store(db) as store:
        exp = store.create_experiment("e", "classification", {
            "task": "classification", "data": {"source": "folder", "path": str(data)}})
        trial = store.add_trial(exp.id, {"lr": 0.01})
        other = store.add_trial(exp.id, {"lr": 0.1})
        store.write_metrics([(trial.id, name, 5, value, 1.0) for name, value in VALUES.items()])
        store.write_metrics([(other.id, "val_acc", 5, 0.5, 1.0)])
    out = subprocess.run([sys.executable, "-m", "hpdesk.cli", "trials", "--db", str(db),
                          "--json"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    first, second = json.loads(out.stdout)
    assert first["per_class"]["fox"]["rare"] is True
    assert first["per_class"]["fox"]["samples"] == 2
    assert first["per_class"]["cat"]["val_acc"] == 0.95
    assert "per_class" not in second  # it reported no per-class accuracy
