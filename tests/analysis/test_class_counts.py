"""Class counts of the classification task's data, and a finished trial's evidence."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hpdesk.analysis.class_counts import (
    IMAGE_SUFFIXES,
    class_counts,
    count_digits,
    count_folder,
    data_of,
)
from hpdesk.analysis.evidence import evidence_of, trial_evidence
from hpdesk.knowledge import advise
from hpdesk.store import Store


def image_folder(root: Path, counts: dict[str, int]) -> Path:
    """Class folders of empty 'images': counting lists files, it never decodes one."""
    for name, n in counts.items():
        (root / name).mkdir(parents=True)
        for i in range(n):
            (root / name / f"{i}.{'png' if i % 2 else 'JPG'}").write_bytes(b"")
    return root


def test_folder_with_a_class_twenty_times_rarer(tmp_path: Path) -> None:
    root = image_folder(tmp_path / "data", {"cat": 100, "dog": 100, "newt": 5})
    (root / "cat" / "README.txt").write_text("not an image")
    (root / "cat" / ".hidden.png").write_bytes(b"")
    (root / ".cache").mkdir()
    (root / "dog" / "sub.png").mkdir()          # a folder named like an image is no image
    counts = class_counts({"source": "folder", "path": str(root)})
    assert counts == {"cat": 100, "dog": 100, "newt": 5}
    plan = {"task": "classification", "space": {}}
    assert "class_imbalance" in {f.rule for f in advise(plan, {"class_counts": counts})}


def test_npz_counts_y_and_y_val_with_class_names(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    y = np.array([0] * 50 + [1] * 30 + [2] * 2)
    np.savez(path, x=np.zeros((len(y), 4, 4), np.uint8), y=y, y_val=np.array([0, 1, 2, 2]),
             classes=np.array(["a", "b", "c"]))
    assert class_counts({"source": "npz", "path": str(path)}) == {"a": 51, "b": 31, "c": 4}
    plain = tmp_path / "p.npz"
    np.savez(plain, x=np.zeros((3, 2)), y=np.array([1.0, 1.0, 0.0]))
    assert class_counts({"source": "npz", "path": str(plain)}) == {"0": 1, "1": 2}


def test_what_cannot_be_read_gives_none(tmp_path: Path) -> None:
    assert class_counts({"source": "folder", "path": str(tmp_path / "missing")}) is None
    assert count_folder(tmp_path / "missing") is None
    assert class_counts({"source": "npz", "path": str(tmp_path / "missing.npz")}) is None
    (tmp_path / "bad.npz").write_text("not an archive")
    assert class_counts({"source": "npz", "path": str(tmp_path / "bad.npz")}) is None
    np.savez(tmp_path / "neg.npz", x=np.zeros((2, 2)), y=np.array([-1, 0]))
    assert class_counts({"source": "npz", "path": str(tmp_path / "neg.npz")}) is None
    for data in ({"source": "folder"}, {"source": "yolo", "path": "x"}, 42, {"source": []}):
        assert class_counts(data) is None  # type: ignore[arg-type]


def test_digits_are_balanced() -> None:
    counts = count_digits()
    assert counts is not None and sum(counts.values()) == 1797 and len(counts) == 10
    assert min(counts.values()) >= 170 and max(counts.values()) <= 185
    assert class_counts("digits") == class_counts(None) == counts


def test_data_of_a_plan() -> None:
    assert data_of({"task": "classification"}) == {"source": "digits"}
    assert data_of({"task": "classification", "data": {"source": "folder", "path": "/x"}}) == {
        "source": "folder", "path": "/x"}
    assert data_of({"task": "detection", "data": {"source": "yolo"}}) is None
    assert data_of({"task": "classification", "command": ["python", "x.py"]}) is None


def test_suffixes_are_the_tasks() -> None:
    from hpdesk.tasks.image_data import IMAGE_SUFFIXES as TASK_SUFFIXES

    assert IMAGE_SUFFIXES == TASK_SUFFIXES


def test_evidence_of_reported_values() -> None:
    values = {"train_loss": 0.9, "val_loss": 1.0, "box_loss": 0.8, "cls_loss": 0.004,
              "val_acc_class_cat": 0.5, "train_acc_class_cat": 1.0, "val_acc_class_dog": 0.9,
              "g_loss": 3.0, "map50": float("nan"), "lr": None}
    ev = evidence_of(values, {"box_loss_weight": 2.0, "cls_loss_weight": 1, "lr": 0.1})
    assert ev == {"loss_values": {"box_loss": 0.8, "cls_loss": 0.004},
                  "loss_weights": {"box_loss_weight": 2.0, "cls_loss_weight": 1.0},
                  "per_class": {"cat": {"val_acc": 0.5, "train_acc": 1.0},
                                "dog": {"val_acc": 0.9}}}
    assert evidence_of({"train_loss": 1.0}) == {}


def test_trial_evidence_reads_the_best_completed_trial(tmp_path: Path) -> None:
    plan = {"task": "detection", "objective": {"metric": "map50", "direction": "maximize"}}
    with Store(tmp_path / "a.db") as store:
        exp = store.create_experiment("e", "detection", plan)
        assert trial_evidence(store, exp.id) == {}
        rows = []
        for objective, cls_loss in [(0.2, 0.5), (0.6, 0.004), (0.4, 0.3)]:
            t = store.add_trial(exp.id, {"box_loss_weight": 1.0, "cls_loss_weight": 1.0})
            store.update_trial(t.id, state="completed", objective=objective)
            rows += [(t.id, "box_loss", 5, 0.9, 0.0), (t.id, "box_loss", 10, 0.8, 1.0),
                     (t.id, "cls_loss", 10, cls_loss, 1.0)]
        store.write_metrics(rows)
        ev = trial_evidence(store, exp.id)
        assert ev["trial"] == 1 and ev["task"] == "detection"
        assert ev["loss_values"] == {"box_loss": 0.8, "cls_loss": 0.004}
        assert "loss_value_scales" in {f.rule for f in advise(plan, ev)}
        assert trial_evidence(store, 999) == {}
