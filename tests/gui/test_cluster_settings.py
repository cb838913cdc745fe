"""The run settings' "Where trials run" group: this computer or a Ray cluster (issue 14)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QScrollArea

from hpdesk.gui.base.inputs import INVALID_STYLE
from hpdesk.gui.shell.main_window import MainWindow
from hpdesk.gui.workbench.cluster_settings import split_requirements
from hpdesk.gui.workbench.run_settings import RunSettings, available_devices
from hpdesk.plan import Plan, dumps_plan, loads_plan, parse_plan, plan_from_preset
from tests.gui.accessibility import unnamed_widgets
from tests.gui.test_layout_1024 import _cut, window  # noqa: F401 (the 1024x700 window)


@pytest.fixture
def settings(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> RunSettings:
    monkeypatch.setenv("HPDESK_FAKE_GPUS", "A100:40960,RTX 4090:24564")
    widget = RunSettings("en", available_devices())
    qtbot.addWidget(widget)
    widget.set_plan(plan_from_preset("classification"))
    return widget


def _every_ray_field() -> Plan:
    data = plan_from_preset("classification").to_dict()
    data["executor"].update(
        kind="ray", address="https://head.example:8265", cpus_per_trial=2.5, gpus_per_trial=0.5,
        memory_mb=8000, local_cpus=6, ca_file="/etc/ray/ca.pem", auth_token_file="~/.ray/tok",
        runtime_env={"working_dir": "/work/proj", "pip": ["torch>=2.2,<3", "timm[hub,x]"],
                     "env_vars": {"OMP_NUM_THREADS": "4"}},
        stall_timeout=None, on_stall="mark", log_limit_mb=20, trial_timeout=600)
    return parse_plan(data)


def _choose_ray(settings: RunSettings) -> None:
    kind = settings.cluster.kind
    kind.setCurrentIndex(kind.findData("ray"))


def test_choosing_ray_and_an_address_makes_a_ray_plan(settings: RunSettings, qtbot: Any) -> None:
    plan = plan_from_preset("classification")
    assert plan.executor.kind == "local" and not settings.cluster.ray_box.isVisibleTo(settings)
    with qtbot.waitSignal(settings.settingsChanged):
        _choose_ray(settings)
    assert settings.cluster.ray_box.isVisibleTo(settings)
    settings.cluster.address.setText("http://head:8265")
    settings.cluster.cpus.setValue(4)
    settings.cluster.gpus.setValue(0.25)
    settings.cluster.more.setChecked(True)
    settings.cluster.pip.setText("torch>=2.2,<3, timm")
    edited = settings.apply(plan)
    assert edited is not None and settings.is_valid()
    executor = edited.to_dict()["executor"]
    assert executor["kind"] == "ray" and executor["address"] == "http://head:8265"
    assert executor["cpus_per_trial"] == 4 and executor["gpus_per_trial"] == 0.25
    assert executor["runtime_env"] == {"pip": ["torch>=2.2,<3", "timm"]}
    assert loads_plan(dumps_plan(edited)) == edited
    assert "asking the Ray cluster for 4 CPU(s) and 0.25 GPU(s)" in settings.capacity.text()
    assert unnamed_widgets(settings) == []


def test_a_plan_with_every_ray_field_round_trips(settings: RunSettings) -> None:
    plan = _every_ray_field()
    settings.set_plan(plan)
    cluster = settings.cluster
    assert cluster.is_ray() and cluster.address.text() == "https://head.example:8265"
    assert cluster.cpus.value() == 2.5 and cluster.gpus.value() == 0.5
    assert cluster.pip.text() == "torch>=2.2,<3, timm[hub,x]"
    assert cluster.ca.text() == "/etc/ray/ca.pem" and cluster.token.text() == "~/.ray/tok"
    assert cluster.more.isChecked() and cluster.more_box.isVisibleTo(settings)
    assert settings.apply(plan) == plan  # memory_mb, working_dir, env_vars... kept
    # An edit of a shown field keeps the hidden ones.
    cluster.conda.setText("")
    cluster.gpus.setValue(1)
    edited = settings.apply(plan)
    assert edited is not None and edited.executor.ray is not None
    assert edited.executor.ray.gpus_per_trial == 1
    assert edited.executor.ray.memory_mb == 8000 and edited.executor.ray.local_cpus == 6
    assert edited.executor.ray.runtime_env.env_vars == {"OMP_NUM_THREADS": "4"}
    assert edited.executor.stall_timeout is None and edited.executor.on_stall == "mark"
    # A rebuilt window (another language) shows the same fields.
    again = RunSettings("en", [])
    again.restore_state(settings.state())
    assert again.apply(plan) == edited
    again.deleteLater()


def test_local_only_controls_are_off_under_ray(settings: RunSettings) -> None:
    local_only = (settings.device_mode, settings.per_gpu, settings.warm, settings.gpu_box)
    own_tip = settings.per_gpu.toolTip()
    assert all(w.isEnabled() for w in local_only)
    _choose_ray(settings)
    for widget in local_only:
        assert not widget.isEnabled()
        assert "Not used on a Ray cluster" in widget.toolTip()
    assert not settings.gpu_checks[0].isEnabled()
    settings.cluster.kind.setCurrentIndex(settings.cluster.kind.findData("local"))
    assert all(w.isEnabled() for w in local_only)
    assert settings.per_gpu.toolTip() == own_tip
    assert "Not used" not in settings.warm.toolTip()


def test_a_bad_address_is_marked_on_the_address(settings: RunSettings, qtbot: Any) -> None:
    plan = plan_from_preset("classification")
    _choose_ray(settings)
    with qtbot.waitSignal(settings.validityChanged) as signal:
        settings.cluster.address.setText("head 8265!")
    assert signal.args[0] is False
    assert signal.args[1] == ["Address (Where trials run): expected local, or a Ray job server "
                              "such as http://head:8265, found the text 'head 8265!'."]
    assert settings.apply(plan) is None
    assert settings.cluster.address.styleSheet() == INVALID_STYLE
    assert "head 8265!" in settings.cluster.address.accessibleDescription()
    assert settings.cluster.cpus.styleSheet() == ""
    settings.cluster.address.setText("ray://head:10001")
    assert settings.is_valid() and settings.cluster.address.styleSheet() == ""


def test_pip_and_conda_together_mark_both_and_unfold_them(settings: RunSettings) -> None:
    _choose_ray(settings)
    assert not settings.cluster.more_box.isVisibleTo(settings)
    settings.cluster.pip.setText("timm")
    settings.cluster.conda.setText("py311")
    assert not settings.is_valid()
    assert "pip or conda, not both" in settings.problems()[0]
    assert settings.cluster.pip.styleSheet() == INVALID_STYLE
    assert settings.cluster.conda.styleSheet() == INVALID_STYLE
    assert settings.cluster.more.isChecked() and settings.cluster.more_box.isVisibleTo(settings)


def test_back_to_this_computer_drops_the_ray_fields(settings: RunSettings) -> None:
    plan = _every_ray_field()
    settings.set_plan(plan)
    settings.cluster.kind.setCurrentIndex(settings.cluster.kind.findData("local"))
    assert not settings.cluster.ray_box.isVisibleTo(settings)
    edited = settings.apply(plan)
    assert edited is not None and edited.executor.kind == "local" and edited.executor.ray is None
    executor = edited.to_dict()["executor"]
    assert not {"address", "cpus_per_trial", "runtime_env", "memory_mb"} & set(executor)
    assert executor["trial_timeout"] == 600 and executor["on_stall"] == "mark"
    _choose_ray(settings)  # and back: the plan's Ray fields come again
    assert settings.apply(plan) == plan


def test_requirements_split_at_commas_that_start_a_name() -> None:
    assert split_requirements("torch>=2.2,<3, numpy,pkg[a,b]>=1 ，timm") == [
        "torch>=2.2,<3", "numpy", "pkg[a,b]>=1", "timm"]
    assert split_requirements(" , ") == [] and split_requirements("timm,") == ["timm"]


def test_ray_settings_fit_the_1024_window(window: MainWindow) -> None:  # noqa: F811
    settings = window.workbench.run_settings
    scroll = window.workbench.findChild(QScrollArea, "runSettingsScroll")
    assert scroll is not None
    _choose_ray(settings)
    settings.cluster.more.setChecked(True)
    settings.cluster.pip.setText("torch>=2.2, timm")
    for _ in range(3):  # the layout requests the change posted
        QApplication.processEvents()
    assert settings.cluster.ca.isVisibleTo(settings)
    assert scroll.horizontalScrollBar().maximum() == 0
    assert _cut(settings, scroll.viewport()) == []
    combined = window.workbench.plan()
    assert combined is not None and combined.executor.kind == "ray"
