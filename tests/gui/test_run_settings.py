"""Run settings (strategy, budget, devices) and the workbench that joins them to the editor."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QCheckBox, QLineEdit

from hpdesk.gui.workbench.run_settings import RunSettings, available_devices, format_duration
from hpdesk.gui.workbench.workbench import PlanWorkbench
from hpdesk.plan import dumps_plan, loads_plan, parse_plan, plan_from_preset
from tests.gui.accessibility import unnamed_widgets


@pytest.fixture
def gpus(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    monkeypatch.setenv("HPDESK_FAKE_GPUS", "A100:40960,RTX 4090:24564")
    return available_devices()


def test_devices_come_from_the_runner_as_plain_data(gpus: list[dict]) -> None:
    assert gpus == [{"index": 0, "name": "A100", "memory_mb": 40960},
                    {"index": 1, "name": "RTX 4090", "memory_mb": 24564}]


def test_budget_and_devices_reach_the_plan(qtbot, gpus: list[dict]) -> None:  # noqa: ANN001
    settings = RunSettings("en", gpus)
    qtbot.addWidget(settings)
    plan = plan_from_preset("classification")
    settings.set_plan(plan)
    assert settings.apply(plan) == plan
    labels = [c.text() for c in settings.findChildren(QCheckBox)
              if c.objectName().startswith("gpu")]
    assert labels == ["cuda:0 · A100 · 40 GiB", "cuda:1 · RTX 4090 · 24 GiB"]
    with qtbot.waitSignal(settings.settingsChanged):
        settings.trials.setValue(40)
    settings.wall_time.setText("2h")
    settings.concurrency.setValue(4)
    settings.device_mode.setCurrentIndex(settings.device_mode.findData("gpus"))
    assert not settings.is_valid()  # chosen GPUs, none ticked
    assert "at least one GPU" in settings.problems()[0]
    settings.gpu_checks[1].setChecked(True)
    settings.per_gpu.setValue(2)
    settings.timeout.setText("10m")
    settings.retries.setValue(2)
    edited = settings.apply(plan)
    assert edited is not None and settings.is_valid()
    assert edited.budget.trials == 40 and edited.budget.wall_time == 7200
    assert edited.concurrency == 4
    assert edited.executor.devices == (1,) and edited.executor.trials_per_gpu == 2
    assert edited.executor.trial_timeout == 600 and edited.executor.retries == 2
    assert "2 trial(s) at a time" in settings.capacity.text()
    assert loads_plan(dumps_plan(edited)) == edited
    assert unnamed_widgets(settings) == []


def test_a_bad_duration_is_marked(qtbot) -> None:  # noqa: ANN001
    settings = RunSettings("en", [])
    qtbot.addWidget(settings)
    plan = plan_from_preset("classification")
    settings.set_plan(plan)
    with qtbot.waitSignal(settings.validityChanged) as signal:
        settings.wall_time.setText("soon")
    assert signal.args[0] is False  # said in the form's words, not the plan file's path
    assert signal.args[1] == ["Time limit (Budget): expected seconds, or a duration such as "
                              "90s, 30m or 2h, found the text 'soon'."]
    assert settings.apply(plan) is None
    assert "No GPU found" in settings.no_gpu.text() and not settings.per_gpu.isEnabled()


def test_grid_strategy_and_a_missing_gpu(qtbot, gpus: list[dict]) -> None:  # noqa: ANN001
    settings = RunSettings("en", gpus)
    qtbot.addWidget(settings)
    data = plan_from_preset("classification").to_dict()
    data["executor"]["devices"] = [3]
    plan = parse_plan(data)
    settings.set_plan(plan)
    assert "not on this machine" in settings.gpu_checks[3].text()
    assert settings.apply(plan) == plan
    assert not settings.grid_points.isEnabled()
    settings.strategy.setCurrentIndex(settings.strategy.findData("grid"))
    settings.grid_points.setValue(4)
    settings.seed.setValue(-1)
    edited = settings.apply(plan)
    assert edited.strategy.name == "grid" and edited.strategy.grid_points == 4
    assert edited.strategy.seed is None
    assert format_duration(90) == "90s" and format_duration(1800) == "30m"


def test_workbench_joins_editor_settings_and_advice(qtbot, gpus: list[dict]) -> None:  # noqa: ANN001
    bench = PlanWorkbench("en", gpus)
    qtbot.addWidget(bench)
    bench.set_plan(plan_from_preset("classification"))
    assert bench.splitter.objectName() == "planWorkbenchSplitter"
    with qtbot.waitSignal(bench.planChanged) as changed:
        bench.run_settings.trials.setValue(25)
    assert changed.args[0].budget.trials == 25
    low = bench.findChild(QLineEdit, "param.batch_size.low")
    low.setText("1")
    low.textEdited.emit("1")
    assert bench.plan().space["batch_size"].low == 1 and bench.plan().budget.trials == 25
    assert "batch_size_extreme" in [f.rule for f in bench.advice.findings()]
    with qtbot.waitSignal(bench.validityChanged) as invalid:
        low.setText("x")
        low.textEdited.emit("x")
    assert invalid.args[0] is False and bench.plan() is None
    assert "Cannot run" in bench.advice.text()
    assert unnamed_widgets(bench) == []
    with qtbot.waitSignal(bench.validityChanged) as reset:
        bench.set_plan(plan_from_preset("detection"))
    assert reset.args == [True, []] and bench.plan() == plan_from_preset("detection")
    assert "Cannot run" not in bench.advice.text()
