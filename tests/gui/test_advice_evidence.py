"""The advice panel reads evidence: the class counts of the plan's data (counted in the
background) and what a finished trial of the experiment shown measured."""

from __future__ import annotations

from pathlib import Path

from hpdesk.gui.workbench.advice import AdvicePanel
from hpdesk.plan import parse_plan, plan_from_preset
from hpdesk.store import Store


def folder_plan(root: Path) -> dict:
    for name, n in {"cat": 60, "dog": 60, "newt": 3}.items():
        (root / name).mkdir(parents=True)
        for i in range(n):
            (root / name / f"{i}.png").write_bytes(b"")
    plan = plan_from_preset("classification").to_dict()
    plan["data"] = {"source": "folder", "path": str(root)}
    return plan


def rules(panel: AdvicePanel) -> set[str]:
    return {f.rule for f in panel.findings()}


def test_an_imbalanced_folder_reaches_the_panel(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    panel = AdvicePanel("en")
    qtbot.addWidget(panel)
    plan = folder_plan(tmp_path / "data")
    panel.set_plan(parse_plan(plan))
    qtbot.waitUntil(lambda: "class_imbalance" in rules(panel))
    assert panel.evidence()["class_counts"] == {"cat": 60, "dog": 60, "newt": 3}
    assert "the rarest, newt, has 3 samples" in panel.text()
    assert "warning" in panel.summary.text()
    # Another source: the old counts no longer apply.
    panel.set_plan(plan_from_preset("classification"))
    assert "class_imbalance" not in rules(panel)
    qtbot.waitUntil(lambda: "class_counts" in panel.evidence())
    assert rules(panel) == set()  # digits are balanced


def test_chinese_panel_and_a_missing_folder(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    panel = AdvicePanel("zh_CN")
    qtbot.addWidget(panel)
    plan = folder_plan(tmp_path / "data")
    panel.set_plan(plan)
    qtbot.waitUntil(lambda: "class_imbalance" in rules(panel))
    assert "少样本类别 newt" in panel.text()
    plan["data"]["path"] = str(tmp_path / "nowhere")
    panel.set_plan(plan)
    panel.background.wait()
    qtbot.wait(50)  # let the (empty) count's result arrive on the GUI thread
    assert rules(panel) == set() and "class_counts" not in panel.evidence()


def test_a_finished_trial_s_losses_reach_the_panel(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    db = tmp_path / "a.db"
    plan = plan_from_preset("detection").to_dict()
    with Store(db) as store:
        exp = store.create_experiment("e", "detection", plan)
        t = store.add_trial(exp.id, {"box_loss_weight": 1.0, "cls_loss_weight": 1.0})
        store.update_trial(t.id, state="completed", objective=0.5)
        store.write_metrics([(t.id, "box_loss", 9, 0.8, 0.0), (t.id, "cls_loss", 9, 0.004, 0.0)])
    panel = AdvicePanel("en")
    qtbot.addWidget(panel)
    panel.set_plan(plan)
    assert "loss_value_scales" not in rules(panel)
    panel.show_experiment_evidence(db, exp.id)
    qtbot.waitUntil(lambda: "loss_value_scales" in rules(panel))
    assert "not necessarily right" in panel.text()
    # A draft for another task does not read the detection trial's figures.
    panel.set_plan(plan_from_preset("gan"))
    assert "loss_value_scales" not in rules(panel)
    panel.show_experiment_evidence(None, None)
    panel.set_plan(plan)
    assert "loss_value_scales" not in rules(panel)
