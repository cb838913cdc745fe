"""The run settings' search methods: every strategy and pruner with its explanation in both
languages, options generated from their specs, problems shown where they are, and plans whose
options (and several objectives) survive the editor unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QPushButton, QSpinBox

from hpdesk.gui.shell import i18n
from hpdesk.gui.workbench.method_options import format_stages, parse_stages
from hpdesk.gui.workbench.run_settings import RunSettings
from hpdesk.gui.workbench.workbench import PlanWorkbench
from hpdesk.plan import dumps_plan, loads_plan, parse_plan, plan_from_preset
from hpdesk.plan.model import PRUNERS, STRATEGIES
from hpdesk.plan.search_options import PRUNER_OPTIONS, STRATEGY_OPTIONS
from tests.gui.accessibility import unnamed_widgets

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def chinese() -> Iterator[None]:
    app = QCoreApplication.instance()
    assert app is not None
    i18n.install(app, "zh_CN")
    yield
    i18n.install(app, "en")


def _settings(qtbot: Any, language: str = "en") -> RunSettings:
    settings = RunSettings(language, [])
    qtbot.addWidget(settings)
    settings.set_plan(plan_from_preset("classification"))
    return settings


def _choose(combo: QComboBox, name: str) -> None:
    index = combo.findData(name)
    assert index >= 0, name
    combo.setCurrentIndex(index)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_every_strategy_and_pruner_is_offered_with_its_help(qtbot: Any, language: str,
                                                            request: Any) -> None:
    if language == "zh_CN":
        request.getfixturevalue("chinese")
    settings = _settings(qtbot, language)
    names = [settings.strategy.itemData(i) for i in range(settings.strategy.count())]
    assert names == list(STRATEGIES)
    assert [settings.pruner.itemData(i) for i in range(settings.pruner.count())] == list(PRUNERS)
    seen_help = set()
    for chooser, specs in ((settings.strategy_chooser, STRATEGY_OPTIONS),
                           (settings.pruner_chooser, PRUNER_OPTIONS)):
        for name in specs:
            _choose(chooser.combo, name)
            text = chooser.help.text()
            assert text and chooser.combo.toolTip() == text, name
            assert chooser.combo.currentText() != name or name == "hyperband"  # a label
            seen_help.add(text)
            for key in specs[name]:
                widget = chooser.field(key)
                assert widget is not None and widget.isVisibleTo(settings), (name, key)
                assert widget.toolTip() and widget.accessibleName(), (name, key)
                assert widget.objectName() == f"{chooser.section}Option.{name}.{key}"
    assert len(seen_help) == len(STRATEGIES) + len(PRUNERS)  # each its own explanation
    chinese_text = any("\u4e00" <= ch <= "\u9fff" for ch in settings.strategy_chooser.help.text())
    assert chinese_text == (language == "zh_CN")
    assert ("剪枝" in settings.pruner.accessibleName()) == (language == "zh_CN")
    assert unnamed_widgets(settings) == []


def test_tpe_and_asha_with_a_reduction_factor_make_the_plan(qtbot: Any) -> None:
    settings = _settings(qtbot)
    plan = plan_from_preset("classification")
    _choose(settings.strategy, "tpe")
    _choose(settings.pruner, "asha")
    rung = settings.findChild(QSpinBox, "prunerOption.asha.reduction_factor")
    assert rung is settings.pruner_chooser.field("reduction_factor") and rung.value() == 4
    with qtbot.waitSignal(settings.settingsChanged):
        rung.setValue(5)  # the preset's default search is tpe + asha with a factor of 4
    settings.findChild(QCheckBox, "strategyOption.tpe.multivariate").setChecked(True)
    settings.budget_epochs.setValue(120)
    edited = settings.apply(plan)
    assert edited is not None and settings.is_valid()
    assert edited.strategy.name == "tpe" and edited.pruner.name == "asha"
    assert edited.pruner.options["reduction_factor"] == 5
    assert dict(edited.strategy.options) == {"multivariate": True}  # defaults stay out
    assert edited.budget.epochs == 120 and edited.budget.steps is None
    assert loads_plan(dumps_plan(edited)) == edited
    # Options hidden with their method: only the chosen one's rows show.
    assert not settings.findChild(QSpinBox, "prunerOption.median.n_warmup_steps").isVisibleTo(
        settings)


def test_an_invalid_option_is_marked_and_explained(qtbot: Any) -> None:
    settings = _settings(qtbot)
    _choose(settings.strategy, "pbt")
    assert any(p.startswith("batch_size: ") for p in settings.problems())  # needs it fixed
    _choose(settings.strategy, "nsga2")
    prob = settings.findChild(QLineEdit, "strategyOption.nsga2.crossover_prob")
    with qtbot.waitSignal(settings.validityChanged) as signal:
        prob.setText("1.5")
    assert signal.args[0] is False
    assert signal.args[1] == ["crossover_prob (Search): expected a number from 0 to 1, "
                              "found 1.5."]
    assert settings.problem_label.isVisibleTo(settings)
    assert "crossover_prob" in settings.problem_label.text()
    assert prob.styleSheet() and "from 0 to 1" in prob.accessibleDescription()
    assert settings.apply(plan_from_preset("classification")) is None
    prob.setText("0.8")
    assert settings.is_valid() and not prob.styleSheet()
    prob.setText("lots")
    assert "found the text 'lots'" in settings.problems()[0]


def _plan_with_options() -> Any:
    data = plan_from_preset("classification").to_dict()
    data["strategy"] = {"name": "staged", "seed": 7, "repeats": 2, "inner": "gp",
                        "n_startup_trials": 5,  # the default, written out: kept
                        "carry": "narrow",
                        "stages": [{"params": ["lr", "batch_size"], "share": 0.4},
                                   {"params": ["weight_decay", "dropout"],
                                    "strategy": "random"},
                                   {"params": ["width"]}]}
    data["budget"] = {"trials": 30, "wall_time": 3600, "epochs": 200, "steps": 50_000}
    return parse_plan(data)


def test_a_plan_with_options_survives_the_editor(qtbot: Any) -> None:
    plan = _plan_with_options()
    bench = PlanWorkbench("en", [])
    qtbot.addWidget(bench)
    bench.set_plan(plan)
    settings = bench.run_settings
    assert settings.apply(plan) == plan
    stages = settings.findChild(QLineEdit, "strategyOption.staged.stages")
    assert stages.text() == "lr, batch_size (0.4) | weight_decay, dropout (random) | width"
    assert settings.budget_epochs.value() == 200 and settings.budget_steps.value() == 50_000
    with qtbot.waitSignal(bench.planChanged) as changed:
        settings.trials.setValue(31)  # an edit elsewhere keeps every option
    edited = changed.args[0]
    assert edited.budget.trials == 31
    assert edited.strategy == plan.strategy and edited.budget.epochs == 200
    assert edited.with_changes(budget=plan.budget) == plan
    # Switching away and back brings the plan's options back, as typed.
    _choose(settings.strategy, "random")
    assert bench.plan().strategy.options == {}
    _choose(settings.strategy, "staged")
    assert bench.plan() == edited
    # Stages typed in the compact form reach the plan.
    stages.setText("lr, batch_size | weight_decay, dropout, width (0.3, tpe)")
    assert bench.plan().strategy.options["stages"] == [
        {"params": ["lr", "batch_size"]},
        {"params": ["weight_decay", "dropout", "width"], "share": 0.3, "strategy": "tpe"}]
    stages.setText("lr | dropout")  # batch_size, weight_decay and width in no stage
    assert bench.plan() is None
    assert any(p.startswith("batch_size: ") for p in bench.problems())


def test_the_stages_text_reads_back_what_it_shows() -> None:
    stages = [{"params": ["lr", "optimizer"], "share": 0.5}, {"params": ["batch_size"]},
              {"params": ["dropout"], "share": 0.25, "strategy": "cmaes"}]
    text = format_stages(stages)
    assert text == "lr, optimizer (0.5) | batch_size | dropout (0.25, cmaes)"
    assert parse_stages(text) == stages
    assert parse_stages("lr，momentum (50%)") == [{"params": ["lr", "momentum"], "share": 0.5}]
    assert parse_stages("  ") is None


def _two_objectives() -> Any:
    data = plan_from_preset("classification").to_dict()
    data.pop("pruner")  # early stopping judges one objective
    data["objective"] = [data["objective"],
                         {"metric": "train_seconds", "direction": "minimize", "reduce": "best"}]
    data["strategy"] = {"name": "nsga2", "population_size": 12}
    return parse_plan(data)


def test_several_objectives_survive_the_editor_and_another_can_be_added(qtbot: Any) -> None:
    plan = _two_objectives()
    bench = PlanWorkbench("en", [])
    qtbot.addWidget(bench)
    bench.set_plan(plan)
    assert bench.plan() == plan
    header = bench.editor.header
    second = bench.findChild(QLineEdit, "objectiveMetric2")
    assert second.text() == "train_seconds"
    assert bench.findChild(QComboBox, "objective2Direction").currentData() == "minimize"
    with qtbot.waitSignal(bench.planChanged) as changed:
        bench.editor.name_edit.setText("tradeoff")
        bench.editor.name_edit.textEdited.emit("tradeoff")
    assert changed.args[0].objectives == plan.objectives
    assert changed.args[0].with_changes(name=plan.name) == plan
    header.add_objective.click()
    assert bench.plan() is None  # the new objective has no metric yet
    third = bench.findChild(QLineEdit, "objectiveMetric3")
    third.setText("params_k")
    third.textEdited.emit("params_k")
    direction = bench.findChild(QComboBox, "objective3Direction")
    direction.setCurrentIndex(direction.findData("minimize"))
    direction.activated.emit(direction.currentIndex())
    assert [o.metric for o in bench.plan().objectives] == ["val_acc", "train_seconds", "params_k"]
    assert bench.plan().objectives[2].direction == "minimize"
    assert unnamed_widgets(bench) == []
    bench.findChild(QPushButton, "removeObjective2").click()  # the others move up, as typed
    assert [(o.metric, o.direction) for o in bench.plan().objectives] == [
        ("val_acc", "maximize"), ("params_k", "minimize")]


def test_a_second_objective_with_a_pruner_says_why_it_cannot_run(qtbot: Any) -> None:
    bench = PlanWorkbench("en", [])
    qtbot.addWidget(bench)
    bench.set_plan(plan_from_preset("classification"))
    _choose(bench.run_settings.pruner, "median")
    bench.editor.header.add_objective.click()
    metric = bench.findChild(QLineEdit, "objectiveMetric2")
    metric.setText("val_loss")
    metric.textEdited.emit("val_loss")
    assert bench.plan() is None
    assert any(p.startswith("Pruner: expected none: early stopping judges one objective")
               for p in bench.problems())
    _choose(bench.run_settings.pruner, "none")
    assert bench.plan() is not None and len(bench.plan().objectives) == 2
