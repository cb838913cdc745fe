"""File → Import search space… and Export search space…, driven with a path (no dialog)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from hpdesk.gui.actions import plan_formats
from hpdesk.gui.base.settings import Settings
from hpdesk.gui.shell.main_window import MainWindow
from hpdesk.plan import Categorical, FloatRange, parse_plan

SWEEP = """\
program: train.py
method: random
metric: {name: val_acc, goal: maximize}
parameters:
  lr: {distribution: log_uniform_values, min: 1e-4, max: 1e-1}
  noise: {distribution: normal, mu: 0.01, sigma: 0.002}
  optimizer: {values: [adam, sgd]}
run_cap: 8
"""


@pytest.fixture
def window(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    shown: list[tuple[str, str]] = []
    for kind in ("information", "warning"):
        monkeypatch.setattr(f"hpdesk.gui.actions.plan_formats.QMessageBox.{kind}",
                            lambda parent, title, text, k=kind: shown.append((k, text)))
    win = MainWindow(Settings(tmp_path / "settings.ini"), tmp_path / "x.db", "en")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.store is not None, timeout=10_000)
    win.shown_boxes = shown
    yield win
    win.close()


def test_the_menu_has_both_actions(window) -> None:
    assert window.actions_["import_space"].objectName() == "importSearchSpaceAction"
    assert window.actions_["export_space"].objectName() == "exportSearchSpaceAction"


def test_importing_a_sweep_shows_the_losses_and_opens_it_unsaved(
        window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr("hpdesk.gui.base.command_confirm.confirm_opened_plan",
                        lambda parent, plan, path: asked.append(str(path)) or True)
    path = tmp_path / "sweep.yaml"
    path.write_text(SWEEP)
    assert plan_formats.import_space(window, path)
    plan = window.workbench.plan()
    assert plan.command == ("python", "train.py") and plan.objective.metric == "val_acc"
    assert plan.space["lr"] == FloatRange(1e-4, 0.1, log=True)
    assert plan.space["optimizer"] == Categorical(("adam", "sgd"))
    assert plan.workdir == str(tmp_path.resolve())
    assert asked == [str(path)], "a command from a file is shown before it is opened"
    kinds = [k for k, _ in window.shown_boxes]
    assert kinds == ["information"] and "noise: W&B's normal(0.01, 0.002)" in \
        window.shown_boxes[0][1]
    assert window.plan_path is None and window.workbench.is_modified()


def test_a_malformed_file_is_reported_and_nothing_changes(window, tmp_path: Path) -> None:
    before = window.workbench.plan()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"lr": {"_type": "gauss", "_value": [1, 2]}}))
    assert not plan_formats.import_space(window, bad)
    assert window.shown_boxes[0][0] == "warning" and "bad.json: lr._type" in \
        window.shown_boxes[0][1]
    assert window.workbench.plan() == before


@pytest.mark.parametrize(("name", "fmt", "check"), [
    ("s.yaml", "wandb", lambda t: yaml.safe_load(t)["method"] in ("bayes", "random")),
    ("d.json", "optuna", lambda t: "FloatDistribution" in t),
    ("study.py", "optuna", lambda t: "def suggest(trial):" in t),
    ("n.json", "nni", lambda t: json.loads(t)["lr"]["_type"] == "loguniform"),
    ("r.py", "raytune", lambda t: "param_space = {" in t),
])
def test_exporting_writes_each_format_and_shows_losses(window, tmp_path: Path, name, fmt,
                                                       check) -> None:
    window.workbench.set_plan(parse_plan({
        "hpdesk": 1, "task": "script", "name": "mine", "command": ["python", "t.py"],
        "params_style": "flags", "objective": {"metric": "acc"}, "strategy": "tpe",
        "space": {"lr": {"type": "float", "low": 0.001, "high": 0.1, "log": True},
                  "opt": ["sgd", "adam"],
                  "mom": {"type": "float", "low": 0.5, "high": 0.9,
                          "when": {"opt": ["sgd"]}}}}))
    written = plan_formats.export_space(window, tmp_path / name, fmt)
    assert written == tmp_path / name and check(written.read_text())
    assert [k for k, _ in window.shown_boxes] == ["information"]
    assert "Wrote" in window.shown_boxes[0][1]
