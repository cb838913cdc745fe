"""Per-class results of a classification trial in the window (issue 15, item 4): training against
validation accuracy per class, rare classes first and marked by colour and word; a trial that
reported none gets one sentence; reachable from the trials table's context menu."""

from __future__ import annotations

from pathlib import Path

from hpdesk.gui.base.bar_chart import MARKER
from hpdesk.gui.trials.per_class import PerClassDialog, PerClassView, read_per_class
from hpdesk.gui.trials.view import TrialsView
from hpdesk.store import Store

VALUES = {"train_acc_class_cat": 0.99, "val_acc_class_cat": 0.95,
          "train_acc_class_fox": 1.0, "val_acc_class_fox": 0.4,
          "train_acc_class_dog": 0.9, "val_acc_class_dog": 0.8,
          "train_acc_class_ant": 0.9, "val_acc_class_ant": 0.7,
          "val_acc": 0.9, "train_loss": 0.1}


def database(tmp_path: Path) -> tuple[Path, int, int]:
    """A folder of cat 40, dog 40, fox 2 (counted by name), a trial with per-class values and
    one without."""
    data = tmp_path / "photos"
    for cls, n in (("ant", 30), ("cat", 40), ("dog", 40), ("fox", 2)):
        (data / cls).mkdir(parents=True)
        for i in range(n):
            (data / cls / f"{i}.png").write_bytes(b"")
    db = tmp_path / "x.db"
    with Store(db) as store:
        exp = store.create_experiment("e", "classification", {
            "task": "classification", "data": {"source": "folder", "path": str(data)}})
        trial = store.add_trial(exp.id, {"lr": 0.01})
        other = store.add_trial(exp.id, {"lr": 0.1})
        store.write_metrics([(trial.id, name, 5, value, 1.0) for name, value in VALUES.items()])
        store.write_metrics([(other.id, "val_acc", 5, 0.5, 1.0)])
    return db, trial.id, other.id


def table_rows(view: PerClassView) -> list[list[str]]:
    t = view.table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def test_rare_class_first_and_marked(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    db, trial, _ = database(tmp_path)
    view = PerClassView("en")
    qtbot.addWidget(view)
    view.show_trial(db, trial)
    qtbot.waitUntil(lambda: view.result is not None)
    rows = table_rows(view)
    assert [r[0] for r in rows] == ["fox", "ant", "dog", "cat"]  # rare, then the widest gap
    assert rows[0] == ["fox", "2", "100.0%", "40.0%", "+60.0", f"{MARKER} rare"]
    assert rows[3][1:5] == ["40", "99.0%", "95.0%", "+4.0"] and rows[3][5] == ""
    fox = view.table.item(0, 0)
    assert fox.font().bold() and fox.background().color().name() == "#fde0c5"
    assert view.table.item(1, 0).font().bold() is False
    assert view.chart.labels == [f"{MARKER} fox", "ant", "dog", "cat"]
    assert "rare: at most half the median class's samples" in view.text()
    # Sorting by a column keeps numbers as numbers.
    view.table.sortItems(1)
    assert [r[0] for r in table_rows(view)][0] == "fox"


def test_a_trial_without_per_class_metrics_says_so(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    db, _, other = database(tmp_path)
    view = PerClassView("en")
    qtbot.addWidget(view)
    view.show_trial(db, other)
    qtbot.waitUntil(lambda: view.result is not None)
    assert "reported no per-class accuracy" in view.text()
    assert view.table.isHidden() and view.table.rowCount() == 0
    view.show_trial(None, None)
    assert "Select a trial" in view.text()


def test_counts_that_cannot_be_read_leave_samples_out(tmp_path: Path) -> None:
    db, trial, _ = database(tmp_path)
    with Store(db) as store:
        exp = store.experiments()[0]
        store.create_experiment("moved", "classification", {
            "task": "classification",
            "data": {"source": "folder", "path": str(tmp_path / "gone")}})
        moved = store.experiments()[-1]
        t = store.add_trial(moved.id, {"lr": 0.01})
        store.write_metrics([(t.id, name, 1, value, 1.0) for name, value in VALUES.items()])
    assert exp.id != moved.id
    result = read_per_class(db, t.id)
    assert not result.counted and "samples" not in result.rows["fox"]
    assert read_per_class(db, trial).rows["fox"]["rare"] is True


def test_the_context_menu_asks_for_one_trial(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    db, trial, other = database(tmp_path)
    with Store(db) as store:
        trials = store.trials()
    view = TrialsView("en")
    qtbot.addWidget(view)
    view.set_plan({"task": "classification", "objective": {"metric": "val_acc"}})
    view.set_trials(trials)
    menu = view.menu_for([trial])
    action = next(a for a in menu.actions() if a.objectName() == "perClassAction")
    assert action.isEnabled() and action.text() == "Per-class results…"
    with qtbot.waitSignal(view.perClassRequested) as got:
        action.trigger()
    assert got.args == [trial]
    several = view.menu_for([trial, other])
    assert not next(a for a in several.actions()
                    if a.objectName() == "perClassAction").isEnabled()


def test_the_dialog_is_reused(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QWidget

    from hpdesk.gui.trials.per_class import show_per_class

    db, trial, other = database(tmp_path)
    parent = QWidget()
    qtbot.addWidget(parent)
    first = show_per_class(parent, db, trial, "en")
    second = show_per_class(parent, db, other, "en")
    assert first is second and len(parent.findChildren(PerClassDialog)) == 1
    qtbot.waitUntil(lambda: "reported no per-class accuracy" in second.view.text())
