"""The trials table: colours, numeric sorting, filters, in-place updates that keep the
selection, best so far, progress and ETA, and the context menu's signals and clipboard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from hpdesk.gui.base.common import state_color
from hpdesk.gui.trials.model import PROGRESS_ROLE, SORT_ROLE, TRIAL_ID_ROLE
from hpdesk.gui.trials.view import TrialsView
from hpdesk.plan import plan_from_preset
from hpdesk.store import Store
from hpdesk.store.records import TRIAL_STATES
from tests.gui.accessibility import unnamed_widgets

pytestmark = pytest.mark.usefixtures("qapp")
NOW = 1_000_000.0
PLAN = plan_from_preset("classification").to_dict()   # searches lr, batch_size, ...; epochs 8


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "hp.db") as s:
        yield s


@pytest.fixture
def experiment(store: Store) -> int:
    return store.create_experiment("e", "classification", PLAN).id


@pytest.fixture
def view(qtbot) -> TrialsView:
    v = TrialsView("en", clock=lambda: NOW)
    qtbot.addWidget(v)
    v.set_plan(PLAN)
    return v


def add(store: Store, exp: int, state: str, objective: float | None = None, *,
        lr: float = 0.003, started: float | None = NOW - 60, ended: float | None = None,
        **params) -> int:
    trial = store.add_trial(exp, {"lr": lr, "batch_size": 32, **params})
    store.update_trial(trial.id, state=state, objective=objective, started_at=started,
                       ended_at=ended, log_path=f"/tmp/trial-{trial.number}.log")
    return trial.id


def column(view: TrialsView, key: str) -> list:
    """The SORT_ROLE values of a column, in the order the table shows them."""
    col = view.model.column_of(key)
    return [view.proxy.index(r, col).data(SORT_ROLE) for r in range(view.proxy.rowCount())]


def shown_ids(view: TrialsView) -> list[int]:
    return [view.proxy.index(r, 0).data(TRIAL_ID_ROLE) for r in range(view.proxy.rowCount())]


def test_columns_follow_the_plan(view: TrialsView) -> None:
    headers = [view.model.headerData(c, Qt.Orientation.Horizontal)
               for c in range(view.model.columnCount())]
    assert headers == ["#", "State", "Fit", "lr", "batch_size", "weight_decay", "dropout",
                       "width", "val_acc", "Best so far", "Progress", "Elapsed", "ETA"]
    tip = view.model.headerData(3, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "learning rate" in tip.lower()


def test_states_are_coloured(view: TrialsView, store: Store, experiment: int) -> None:
    ids = {state: add(store, experiment, state) for state in TRIAL_STATES}
    view.set_trials(store.trials(experiment))
    col = view.model.column_of("state")
    for state, trial_id in ids.items():
        index = view.model.index(view.model.row_of(trial_id), col)
        assert index.data() == state.replace("_", " ")  # the English label
        assert index.data(Qt.ItemDataRole.BackgroundRole) == state_color(state)
        fg = index.data(Qt.ItemDataRole.ForegroundRole)
        assert fg.name() in ("#ffffff", "#000000")


def test_sorting_by_objective_is_numeric_with_missing_values_last(
        view: TrialsView, store: Store, experiment: int) -> None:
    for value in (10.0, 9.0, 100.0, None):
        add(store, experiment, "completed" if value is not None else "failed", value)
    view.set_trials(store.trials(experiment))
    col = view.model.column_of("objective")
    view.table.sortByColumn(col, Qt.SortOrder.AscendingOrder)
    assert column(view, "objective") == [9.0, 10.0, 100.0, None]
    view.table.sortByColumn(col, Qt.SortOrder.DescendingOrder)
    assert column(view, "objective") == [100.0, 10.0, 9.0, None]


def test_filter_by_state_and_by_text(view: TrialsView, store: Store, experiment: int) -> None:
    running = add(store, experiment, "running", lr=0.02)
    done = add(store, experiment, "completed", 0.9, lr=0.001)
    add(store, experiment, "failed", lr=0.05)
    view.set_trials(store.trials(experiment))
    view.state_combo.setCurrentIndex(view.state_combo.findData("running"))
    assert shown_ids(view) == [running]
    assert view.count.text() == "1 of 3 trials"
    view.state_combo.setCurrentIndex(0)
    view.filter_edit.setText("lr<0.01")
    assert shown_ids(view) == [done]
    view.filter_edit.setText("lr>0.01 fail")
    assert len(shown_ids(view)) == 1 and shown_ids(view) != [running]
    view.filter_edit.setText("")
    assert len(shown_ids(view)) == 3
    assert view.count.text() == "3 trials"


def test_updates_in_place_keep_the_selection(qtbot, view: TrialsView, store: Store,
                                             experiment: int) -> None:
    first = add(store, experiment, "running")
    second = add(store, experiment, "queued", started=None)
    view.set_trials(store.trials(experiment))
    view.table.sortByColumn(view.model.column_of("objective"), Qt.SortOrder.DescendingOrder)
    view.select_trials([second])
    resets, inserted, changed = [], [], []
    view.model.modelReset.connect(lambda: resets.append(1))
    view.model.rowsInserted.connect(lambda *a: inserted.append(a[1:]))
    view.model.dataChanged.connect(lambda a, b, *r: changed.append((a.row(), b.row())))
    # Qt's selection model signals synchronously, inside set_trials: a list sees every emission
    # at once, where waiting a fixed second for a signal that should not come only slows.
    emitted: list[list[int]] = []
    view.selectionChanged.connect(emitted.append)
    store.update_trial(first, state="completed", objective=0.9, ended_at=NOW)
    store.update_trial(second, state="running", started_at=NOW - 5)
    third = add(store, experiment, "queued", started=None)
    view.set_trials(store.trials(experiment))
    view.set_latest({second: {"epoch": 1.0, "val_acc": 0.5}})
    qtbot.wait(0)  # and anything posted to the event loop meanwhile
    assert emitted == []
    assert resets == []
    assert inserted == [(2, 2)]
    assert {r for r, _ in changed} == {0, 1}        # the new row is inserted, not "changed"
    assert view.selected_ids() == [second]
    assert view.model.trial_by_id(third) is not None
    changed.clear()
    view.set_trials(store.trials(experiment))            # nothing new: no signal at all
    assert changed == []


def test_best_so_far_runs_in_trial_order_and_direction(qtbot, store: Store,
                                                       experiment: int) -> None:
    view = TrialsView("en", clock=lambda: NOW)
    qtbot.addWidget(view)
    plan = {**PLAN, "objective": {"metric": "val_loss", "direction": "minimize"}}
    view.set_plan(plan)
    for state, value in (("completed", 0.5), ("failed", None), ("completed", 0.7),
                         ("completed", 0.3), ("pruned", 0.1), ("completed", 0.4)):
        add(store, experiment, state, value)
    view.set_trials(store.trials(experiment))
    assert column(view, "best") == [0.5, 0.5, 0.5, 0.3, 0.3, 0.3]
    assert view.model.headerData(view.model.column_of("objective"),
                                 Qt.Orientation.Horizontal) == "val_loss"


def test_progress_elapsed_and_eta_from_the_epoch_metric(view: TrialsView, store: Store,
                                                        experiment: int) -> None:
    running = add(store, experiment, "running", started=NOW - 30)
    own = add(store, experiment, "running", started=NOW - 30, epochs=4)
    unknown = add(store, experiment, "running", started=NOW - 30)
    done = add(store, experiment, "completed", 0.9, started=NOW - 100, ended=NOW - 40)
    store.write_metrics([(running, "epoch", 10, 3.0, NOW), (own, "epoch", 10, 3.0, NOW),
                         (running, "val_acc", 10, 0.8, NOW)])
    view.set_trials(store.trials(experiment))
    view.set_latest({t: {k: v for k, v in store.last_values(t).items() if v is not None}
                     for t in (running, own, unknown, done)})
    model = view.model
    progress, eta = model.column_of("progress"), model.column_of("eta")
    elapsed, objective = model.column_of("elapsed"), model.column_of("objective")

    def cell(trial_id: int, col: int):
        return model.index(model.row_of(trial_id), col)

    assert cell(running, progress).data() == "3/8"               # the plan's fixed epochs
    assert cell(running, progress).data(PROGRESS_ROLE) == 3 / 8
    assert cell(own, progress).data() == "3/4"                   # the trial's own epochs
    assert cell(unknown, progress).data() == ""
    assert cell(unknown, progress).data(PROGRESS_ROLE) is None
    assert cell(done, progress).data() == "8/8"
    assert cell(running, elapsed).data() == "30s"
    assert cell(running, eta).data() == "50s"                     # 30 s for 3 of 8 epochs
    assert cell(done, elapsed).data() == "1:00"
    assert cell(done, eta).data() == ""
    assert cell(running, objective).data() == "0.8"               # latest, while running
    assert cell(running, objective).data(Qt.ItemDataRole.FontRole).italic()
    view.resize(900, 300)
    view.show()
    assert not view.grab().isNull()                                # the delegate paints


def test_context_menu_actions_carry_the_right_ids(qtbot, view: TrialsView, store: Store,
                                                  experiment: int) -> None:
    running = add(store, experiment, "running", lr=0.004)
    queued = add(store, experiment, "queued", started=None)
    done = add(store, experiment, "completed", 0.9, lr=0.002)
    view.set_trials(store.trials(experiment))

    def actions(ids: list[int]) -> dict:
        menu = view.menu_for(ids)
        return {a.objectName(): a for a in menu.actions() if a.objectName()}

    only_done = actions([done])
    assert not only_done["stopAction"].isEnabled()
    assert only_done["rerunAction"].isEnabled()
    assert not actions([running])["rerunAction"].isEnabled()
    mixed = actions([running, queued, done])
    with qtbot.waitSignal(view.stopRequested) as stop:
        mixed["stopAction"].trigger()
    assert stop.args == [[running, queued]]
    with qtbot.waitSignal(view.rerunRequested) as rerun:
        mixed["rerunAction"].trigger()
    assert rerun.args == [[done]]
    with qtbot.waitSignal(view.showInPlotRequested) as plot:
        mixed["plotAction"].trigger()
    assert plot.args == [[running, queued, done]]
    with qtbot.waitSignal(view.openLogRequested) as log:
        actions([done])["openLogAction"].trigger()
    assert log.args == [[done]]
    with qtbot.waitSignal(view.parametersCopied) as copied:
        actions([done])["copyAction"].trigger()
    assert copied.args == [[done]]
    assert json.loads(QGuiApplication.clipboard().text()) == {"lr": 0.002, "batch_size": 32}
    actions([running, done])["copyAction"].trigger()
    assert json.loads(QGuiApplication.clipboard().text()) == [
        {"trial": 0, "params": {"lr": 0.004, "batch_size": 32}},
        {"trial": 2, "params": {"lr": 0.002, "batch_size": 32}}]


def test_selection_emits_trial_ids(qtbot, view: TrialsView, store: Store,
                                   experiment: int) -> None:
    ids = [add(store, experiment, "completed", v) for v in (0.1, 0.2, 0.3)]
    view.set_trials(store.trials(experiment))
    with qtbot.waitSignal(view.selectionChanged) as selected:
        view.select_trials([ids[0], ids[2]])
    assert selected.args[0] == [ids[0], ids[2]]
    assert unnamed_widgets(view) == []


def test_state_filter_takes_the_shown_chinese_state_names(qtbot, store: Store,
                                                          experiment: int) -> None:
    from PySide6.QtWidgets import QApplication

    from hpdesk.gui.shell import i18n

    i18n.install(QApplication.instance(), "zh_CN")
    try:
        chinese = TrialsView("zh_CN")
        qtbot.addWidget(chinese)
        add(store, experiment, "running", lr=0.02)
        done = add(store, experiment, "completed", 0.9, lr=0.001)
        chinese.set_trials(store.trials(experiment))
        chinese.filter_edit.setText("state=已完成")
        assert shown_ids(chinese) == [done]
        chinese.filter_edit.setText("state=completed")
        assert shown_ids(chinese) == [done]
    finally:
        i18n.install(QApplication.instance(), "en")


def test_a_stalled_trial_says_so_in_its_state_cell(view: TrialsView, store: Store,
                                                  experiment: int) -> None:
    quiet = add(store, experiment, "running")
    busy = add(store, experiment, "running")
    store.update_trial(quiet, stalled_since=NOW - 600)
    view.set_trials(store.trials(experiment))
    col = view.model.column_of("state")
    cell = view.model.index(view.model.row_of(quiet), col)
    assert cell.data() == "running (stalled)"
    assert "10 min" in cell.data(Qt.ItemDataRole.ToolTipRole)
    assert "hung" in cell.data(Qt.ItemDataRole.ToolTipRole)
    assert view.model.index(view.model.row_of(busy), col).data() == "running"
    store.update_trial(quiet, stalled_since=None)  # it reports again
    view.set_trials(store.trials(experiment))
    assert view.model.index(view.model.row_of(quiet), col).data() == "running"


def _widths(view: TrialsView) -> list[int]:
    header = view.table.horizontalHeader()
    return [header.sectionSize(c) for c in range(view.model.columnCount())]


def test_parameter_columns_show_whole_numbers_and_keep_their_widths(
        qtbot, store: Store, experiment: int) -> None:
    """`lr` was cut to "0.00…", at a width that depended on the first poll (issue 12)."""
    lrs = [0.1, 3.1622776601e-05, 0.000316227766, 1.23456789e-4, 0.0123456]
    for i, lr in enumerate(lrs):
        add(store, experiment, "completed", -0.000123456 * (i + 1), lr=lr, ended=NOW,
            batch_size=256, weight_decay=1.5e-06, dropout=0.123456, width=512)
    trials = store.trials(experiment)
    views = []
    for polls in ([trials[:1], trials], [trials], [trials[::-1]], []):  # as polls may come
        v = TrialsView("en", clock=lambda: NOW)
        qtbot.addWidget(v)
        v.set_plan(PLAN)
        for poll in polls:
            v.set_trials(poll)
        views.append(v)
    assert all(_widths(v) == _widths(views[0]) for v in views[1:])  # the same at every launch
    view = views[0]
    metrics = view.table.fontMetrics()
    header = view.table.horizontalHeader()
    for key in ("param:lr", "param:batch_size", "param:weight_decay", "param:dropout",
                "param:width", "objective", "best"):
        col = view.model.column_of(key)
        assert col >= 0, key
        texts = [view.proxy.index(r, col).data() for r in range(view.proxy.rowCount())]
        assert texts and all(texts), key
        widest = max(metrics.horizontalAdvance(t) for t in texts)
        assert header.sectionSize(col) >= widest + 8, (key, texts)  # whole, with a margin
    lr_texts = column(view, "param:lr")
    assert lr_texts == lrs
    assert [view.proxy.index(r, view.model.column_of("param:lr")).data()
            for r in range(len(lrs))] == ["0.1", "3.162e-05", "0.0003162", "0.0001235",
                                          "0.01235"]
    assert min(_widths(view)) >= 48


def test_a_poll_that_reorders_rows_moves_them_once_and_keeps_the_selection(
        view: TrialsView, store: Store, experiment: int) -> None:
    """The table's own proxy sorts in one pass: a burst of new values (one poll) is one layout
    change, after which the rows are in order and the selected trial is still selected."""
    running = [add(store, experiment, "running") for _ in range(3)]
    done = add(store, experiment, "completed", 0.5, ended=NOW)
    view.set_trials(store.trials(experiment))
    view.set_latest({tid: {"val_acc": 0.1 * (i + 1)} for i, tid in enumerate(running)})
    view.table.sortByColumn(view.model.column_of("objective"), Qt.SortOrder.DescendingOrder)
    assert shown_ids(view) == [done, running[2], running[1], running[0]]
    view.select_trials([running[0]])
    layouts: list[int] = []
    view.proxy.layoutChanged.connect(lambda *a: layouts.append(1))
    view.set_latest({running[0]: {"val_acc": 0.9}, running[1]: {"val_acc": 0.8},
                     running[2]: {"val_acc": 0.05}})
    assert layouts == [1]
    assert shown_ids(view) == [running[0], running[1], done, running[2]]
    assert view.proxy.shown_trial_ids() == shown_ids(view)
    assert view.selected_ids() == [running[0]]
    view.filter_edit.setText("val_acc>0.7")
    assert shown_ids(view) == [running[0], running[1]]
    assert view.selected_ids() == [running[0]]
    view.table.sortByColumn(view.model.column_of("objective"), Qt.SortOrder.AscendingOrder)
    assert shown_ids(view) == [running[1], running[0]]
