"""`hpdesk plan validate` advises on evidence too: the class counts of the plan's data, and with
--experiment what that experiment's best completed trial measured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hpdesk.plan import plan_from_preset
from hpdesk.store import Store

ROOT = Path(__file__).resolve().parents[1]


def hpdesk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hpdesk.cli", *args], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)


def test_validate_reads_the_class_counts_of_a_folder(tmp_path: Path) -> None:
    data = tmp_path / "images"
    for name, n in {"cat": 40, "dog": 40, "newt": 2}.items():
        (data / name).mkdir(parents=True)
        for i in range(n):
            (data / name / f"{i}.png").write_bytes(b"")
    path = tmp_path / "p.yaml"
    path.write_text("hpdesk: 1\ntask: classification\ndata: {source: folder, path: images}\n"
                    "space:\n  epochs: 2\n")
    out = hpdesk("plan", "validate", str(path))
    assert out.returncode == 0, out.stderr
    assert "warning: The classes are imbalanced: the rarest, newt, has 2 samples" in out.stdout
    zh = hpdesk("plan", "validate", "--lang", "zh", str(path))
    assert "少样本类别 newt" in zh.stdout


def test_validate_with_an_experiment_reads_its_trial(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    plan = plan_from_preset("detection").to_dict()
    with Store(db) as store:
        exp = store.create_experiment("e", "detection", plan)
        t = store.add_trial(exp.id, {"box_loss_weight": 1.0, "cls_loss_weight": 1.0})
        store.update_trial(t.id, state="completed", objective=0.5)
        store.write_metrics([(t.id, "box_loss", 9, 0.8, 0.0), (t.id, "cls_loss", 9, 0.004, 0.0)])
    path = tmp_path / "p.yaml"
    path.write_text("hpdesk: 1\ntask: detection\nspace:\n  epochs: 2\n")
    plain = hpdesk("plan", "validate", str(path))
    assert plain.returncode == 0 and "orders of magnitude" not in plain.stdout
    out = hpdesk("plan", "validate", "--db", str(db), "--experiment", str(exp.id), str(path))
    assert out.returncode == 0, out.stderr
    assert "box_loss (0.8) is 200 times cls_loss (0.004)" in out.stdout
    missing = hpdesk("plan", "validate", "--db", str(tmp_path / "none.db"), "--experiment", "1",
                     str(path))
    assert missing.returncode == 1 and "does not exist" in missing.stderr
