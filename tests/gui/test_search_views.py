"""The views of the richer searches, fed from real SQLite files: the stages of a staged search
above the trials, pruned / stopped / paused trials told apart in the table and the curves, the
Pareto front of several objectives and the lineage of a population."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QPointF, Qt
from PySide6.QtTest import QTest

from hpdesk.gui.base.common import STATE_SYMBOLS, state_color
from hpdesk.gui.base.poller import ExperimentPoller
from hpdesk.gui.compare.view import CompareView
from hpdesk.gui.curves.view import CurvesView
from hpdesk.gui.run.stage_summary import CURRENT, DONE, TO_COME
from hpdesk.gui.run.view import RunView
from hpdesk.gui.shell import i18n
from hpdesk.gui.trials.model import SORT_ROLE
from hpdesk.gui.trials.view import TrialsView
from hpdesk.plan import plan_from_preset
from hpdesk.store import Store
from tests.gui.accessibility import unnamed_widgets
from tests.gui.search_runs import (
    OBJECTIVES,
    record_pbt,
    record_staged,
    record_two_objectives,
    staged_plan,
)

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "x.db") as s:
        yield s


@pytest.fixture
def chinese() -> Iterator[None]:
    app = QCoreApplication.instance()
    assert app is not None
    i18n.install(app, "zh_CN")
    yield
    i18n.install(app, "en")


def _poll_into(qtbot: Any, path: Path, experiment_id: int, receiver: Any) -> None:
    """One real poll of the database, handed to `receiver` as the window hands it."""
    poller = ExperimentPoller(path, experiment_id, interval_ms=50)
    results: list[Any] = []
    poller.polled.connect(results.append)
    poller.start()
    try:
        qtbot.waitUntil(lambda: bool(results), timeout=10_000)
    finally:
        poller.stop()
    for result in results:
        receiver(result)


# ---- staged search ---------------------------------------------------------------------------

def test_the_stage_panel_lists_the_stages_the_current_one_and_a_disagreement(
        qtbot: Any, store: Store) -> None:
    exp = record_staged(store)
    view = RunView("en")
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    view.set_experiment(store.experiment(exp).plan)
    _poll_into(qtbot, store.path, exp, view.on_poll)
    panel = view.stages
    assert panel.isVisible()
    rows = panel.rows()
    assert [(r.number, r.params, r.trials, r.status) for r in rows] == [
        (1, ("lr", "batch_size"), 10, DONE), (2, ("dropout", "weight_decay"), 8, DONE),
        (3, ("width",), 6, CURRENT)]
    assert rows[2].held == {"lr": 0.0042, "batch_size": 64, "dropout": 0.31,
                            "weight_decay": 2.1e-5}
    assert (rows[2].finished, rows[2].running) == (2, 1)
    assert panel.summary() == "Staged search · stage 3 of 3: width · 2 of 6 trials ended"
    first, second, third = panel.card_texts()
    assert first.startswith("Stage 1 · done") and "not measured" in first
    assert "Held: lr = 0.0042, batch_size = 64, dropout = 0.31" in third
    assert "Stage 3 · current" in third and "Bayesian optimisation (TPE)" in third
    assert "dropout 46%, lr 21%" in second
    assert "⚠ dropout (tier 3, 46%) mattered more than lr (tier 1, 21%)" in second
    assert "⚠ dropout (tier 3, 46%) mattered more than batch_size (tier 2, 15%)" in second
    assert panel.labels[2].objectName() == "stageCard3"
    # Folding keeps the summary in sight.
    panel.toggle.click()
    assert not panel.cards_area.isVisible() and panel.toggle.isVisible()
    # The table has a Stage column, filterable.
    stage_col = view.trials.model.column_of("stage")
    assert stage_col == 2
    assert view.trials.model.headerData(stage_col, Qt.Orientation.Horizontal) == "Stage"
    view.trials.filter_edit.setText("stage=3")
    assert view.trials.proxy.rowCount() == 3
    assert unnamed_widgets(view) == []


def test_before_any_stage_event_the_stages_come_from_the_plan(qtbot: Any,
                                                               store: Store) -> None:
    exp = store.create_experiment("s", "classification", staged_plan())
    view = RunView("en")
    qtbot.addWidget(view)
    view.set_experiment(store.experiment(exp.id).plan)
    rows = view.stages.rows()
    assert [(r.params, r.status) for r in rows] == [
        (("lr", "batch_size"), TO_COME), (("dropout", "weight_decay"), TO_COME),
        (("width",), TO_COME)]
    assert sum(r.trials for r in rows) == 24  # the budget, shared out
    assert view.stages.summary() == "Staged search · 3 stages, none started yet"
    # Another strategy: no panel, no Stage column.
    view.set_experiment(plan_from_preset("classification").to_dict())
    assert not view.stages.isVisibleTo(view) and view.trials.model.column_of("stage") == -1


def test_the_disagreement_is_said_in_chinese(qtbot: Any, store: Store, chinese: None) -> None:
    exp = record_staged(store)
    view = RunView("zh_CN")
    qtbot.addWidget(view)
    view.set_experiment(store.experiment(exp).plan)
    _poll_into(qtbot, store.path, exp, view.on_poll)
    second = view.stages.card_texts()[1]
    assert second.startswith("阶段 2 · 已完成")
    assert "dropout（第 3 梯队，46%）比 lr（第 1 梯队，21%）更重要" in second
    assert view.stages.summary().startswith("分阶段搜索 · 第 3 / 3 阶段：width")


# ---- pruned, stopped, paused -----------------------------------------------------------------

def _ended_trials(store: Store) -> tuple[int, dict[str, int]]:
    exp = store.create_experiment("e", "classification", plan_from_preset("classification")
                                  .to_dict())
    ids = {}
    reasons = {"pruned": "median rule: val_acc 0.41 at epoch 3 is below the median 0.62",
               "stopped": "stopped on request at step 599", "paused": None,
               "completed": None}
    for state, reason in reasons.items():
        trial = store.add_trial(exp.id, {"lr": 0.01, "batch_size": 32})
        store.update_trial(trial.id, state=state, message=reason,
                           objective=0.9 if state == "completed" else None)
        store.write_metrics([(trial.id, "val_acc", s, 0.5 + s / 2000, 1000.0 + s)
                             for s in range(600 if state != "completed" else 1000)])
        ids[state] = trial.id
    return exp.id, ids


def test_pruned_stopped_and_paused_look_different_in_the_table(qtbot: Any,
                                                                 store: Store) -> None:
    exp, ids = _ended_trials(store)
    view = TrialsView("en")
    qtbot.addWidget(view)
    view.set_plan(store.experiment(exp).plan)
    view.set_trials(store.trials(exp))
    model, col = view.model, view.model.column_of("state")

    def cell(state: str, role: Qt.ItemDataRole) -> Any:
        row = model.row_of(ids[state])
        assert row is not None
        return model.index(row, col).data(role)

    assert cell("pruned", Qt.ItemDataRole.DisplayRole) == "pruned"
    assert cell("stopped", Qt.ItemDataRole.DisplayRole) == "stopped"
    assert cell("paused", Qt.ItemDataRole.DisplayRole) == "paused"
    colors = {s: cell(s, Qt.ItemDataRole.BackgroundRole).name() for s in ids}
    assert len(set(colors.values())) == 4  # four states, four colours
    assert colors["pruned"] == state_color("pruned").name() != colors["stopped"]
    icons = {s: cell(s, Qt.ItemDataRole.DecorationRole) for s in ids}
    assert icons["completed"] is None and None not in (icons["pruned"], icons["stopped"])
    pruned = icons["pruned"].pixmap(12, 12).toImage()
    stopped = icons["stopped"].pixmap(12, 12).toImage()
    assert pruned != stopped  # a triangle and a square, in two colours
    assert cell("pruned", Qt.ItemDataRole.ToolTipRole).startswith(
        "Stopped early by the plan's pruner (early stopping): median rule")
    assert cell("stopped", Qt.ItemDataRole.ToolTipRole) == (
        "Stopped by a person: stopped on request at step 599")
    assert "waiting for the rest of its generation" in cell("paused", Qt.ItemDataRole.ToolTipRole)
    view.filter_edit.setText("state=stopped")
    assert view.proxy.rowCount() == 1
    # A paused population member waits for its generation: it cannot be run again.
    menu = view.menu_for([ids["paused"]])
    assert not menu.findChild(type(menu.actions()[0]), "rerunAction").isEnabled()


def test_the_filter_takes_the_new_state_names_in_chinese(qtbot: Any, store: Store,
                                                        chinese: None) -> None:
    exp, ids = _ended_trials(store)
    view = TrialsView("zh_CN")
    qtbot.addWidget(view)
    view.set_plan(store.experiment(exp).plan)
    view.set_trials(store.trials(exp))
    for label, state in (("已停止", "stopped"), ("已暂停", "paused"), ("已剪枝", "pruned")):
        view.filter_edit.setText(f"state={label}")
        shown = [view.proxy.index(r, 0).data(SORT_ROLE) for r in range(view.proxy.rowCount())]
        assert len(shown) == 1, label
        assert view.model.trial(view.proxy.mapToSource(view.proxy.index(0, 0)).row()).state \
            == state
    labels = [view.state_combo.itemText(i) for i in range(view.state_combo.count())]
    assert "已停止" in labels and "已暂停" in labels


def test_pruned_and_stopped_end_markers_differ_in_the_plot(qtbot: Any, store: Store) -> None:
    exp, ids = _ended_trials(store)
    view = CurvesView("en")
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    view.set_experiment(store.experiment(exp).plan)
    poller = ExperimentPoller(store.path, exp, interval_ms=50)
    poller.polled.connect(view.on_poll)
    poller.curvesLoaded.connect(view.on_curves_loaded)
    view.curvesRequested.connect(poller.request_curves)
    poller.start()
    try:
        qtbot.waitUntil(lambda: len(view.stopped_markers()) == 3, timeout=10_000)
    finally:
        poller.stop()
    markers = view.stopped_markers()
    assert {state for _, _, state in markers.values()} == {"pruned", "stopped", "paused"}
    assert markers[ids["pruned"]][0] == 599 and markers[ids["stopped"]][0] == 599
    spots = {int(p.data()): p for p in view.ends.points()}
    pruned, stopped = spots[ids["pruned"]], spots[ids["stopped"]]
    assert (pruned.symbol(), stopped.symbol()) == (STATE_SYMBOLS["pruned"], "s")
    assert pruned.symbol() != stopped.symbol()
    assert pruned.brush().color().name() == state_color("pruned").name()
    assert stopped.brush().color().name() == state_color("stopped").name()
    assert view.end_markers.legend_entries() == [
        "pruned by the plan's pruner", "stopped by a person", "paused"]
    tip = view.end_markers.reason(ids["pruned"])
    assert tip.startswith("Trial 0 · pruned\nStopped early by the plan's pruner")
    assert "median rule" in tip
    assert view.end_markers.reason(ids["stopped"]).endswith(
        "Stopped by a person: stopped on request at step 599")


# ---- Pareto front ----------------------------------------------------------------------------

def test_the_pareto_tab_draws_the_front_and_a_click_selects_the_trial(qtbot: Any,
                                                                      store: Store) -> None:
    exp, ids = record_two_objectives(store)
    view = CompareView("en")
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    plan = store.experiment(exp).plan
    view.set_experiment(plan)
    view.set_data(plan, store.trials(exp))
    tabs, pareto = view.tabs, view.pareto
    assert tabs.isTabEnabled(tabs.indexOf(pareto))
    assert not tabs.isTabEnabled(tabs.indexOf(view.population))
    tabs.setCurrentWidget(pareto)
    assert pareto.choose.isVisibleTo(pareto)  # three objectives: choose two
    # val_acc (max) across, train_seconds (min) up: 0, 1, 2 and 5 beat the rest.
    assert pareto.front_ids() == [ids[2], ids[1], ids[5], ids[0]]  # left to right
    assert len(pareto.points()) == len(OBJECTIVES)  # completed trials only
    assert "the 4 that no other trial beats" in pareto.info.text()
    assert "On the front of all 3 objectives" in pareto.info.text()
    pareto.y_combo.setCurrentIndex(2)  # params_k (min)
    assert set(pareto.front_ids()) == {ids[0], ids[1], ids[2], ids[4], ids[6], ids[7]}
    pareto.y_combo.setCurrentIndex(1)
    # A click on a front point activates its trial, like the other tabs.
    qtbot.waitUntil(lambda: pareto.plot.vb.width() > 100)
    x, y = pareto.points()[ids[2]]
    scene = pareto.plot.vb.mapViewToScene(QPointF(x, y))
    point = pareto.plot_widget.mapFromScene(scene)
    with qtbot.waitSignal(view.trialActivated, timeout=2000) as hit:
        QTest.mouseClick(pareto.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert hit.args == [ids[2]]
    assert unnamed_widgets(view) == []
    view.set_experiment(plan_from_preset("classification").to_dict())
    assert not tabs.isTabEnabled(tabs.indexOf(pareto)) and tabs.currentIndex() == 0


# ---- population ------------------------------------------------------------------------------

def test_the_population_tab_draws_the_lineage_from_pbt_events(qtbot: Any,
                                                              store: Store) -> None:
    exp, ids = record_pbt(store)
    view = CompareView("en")
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    plan = store.experiment(exp).plan
    view.set_experiment(plan)
    _poll_into(qtbot, store.path, exp,
               lambda r: (view.set_data(plan, r.trials), view.add_events(r.events)))
    panel = view.population
    assert view.tabs.isTabEnabled(view.tabs.indexOf(panel))
    view.tabs.setCurrentWidget(panel)
    run = panel.run
    assert run is not None and run.members == (0, 1, 2, 3) and run.end == 8.0
    # Epoch 2 and 4: member 3 copies member 0; epoch 6: member 1 copies member 0.
    assert [(e.epoch, e.donor, e.member) for e in run.exploits] == [
        (2.0, 0, 3), (4.0, 0, 3), (6.0, 0, 1)]
    assert [(s.start, s.origin) for s in run.member_segments(3)] == [
        (0.0, 3), (2.0, 0), (4.0, 0), (6.0, 0)]
    assert [(s.start, s.origin) for s in run.member_segments(1)][-1] == (6.0, 0)
    assert "4 members, 3 exploits" in panel.info.text()
    assert panel.parameters()[:2] == ["lr", "dropout"]
    lines = [i for i in panel.schedule.items if hasattr(i, "getData")]
    assert len(lines) == 4  # one step line per member
    member3 = run.schedule("lr")[3]
    assert member3 == ([0.0, 2.0, 4.0, 6.0, 8.0], [0.0012, 0.0096, 0.0096, 0.0096])
    assert panel.exploit_marks is not None and len(panel.exploit_marks.points()) == 3
    # Events delivered again by a new poller are not counted twice after set_experiment.
    view.set_experiment(plan)
    assert panel.run is not None and panel.run.exploits == ()
    assert np.isfinite(run.end)
    assert unnamed_widgets(view) == []
