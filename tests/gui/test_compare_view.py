"""The comparison view on a real plan and trials stored in a real SQLite file."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from hpdesk.gui.compare.view import CompareView
from hpdesk.plan import plan_from_preset
from hpdesk.store import Store, Trial
from tests.gui.accessibility import unnamed_widgets

PLAN = plan_from_preset("classification").to_dict()
SEARCHED = ["lr", "batch_size", "weight_decay", "dropout", "width"]
LOG = ["lr", "batch_size", "weight_decay", "width"]


def record_trials(store: Store, experiment_id: int, n: int, rng: random.Random,
                  states: dict[int, str] | None = None) -> list[Trial]:
    """n trials whose accuracy peaks at lr = 10^-2.5; `states` overrides some (no objective)."""
    for i in range(n):
        params: dict[str, Any] = {
            "lr": 10 ** rng.uniform(-3, -2), "batch_size": int(2 ** rng.uniform(4, 8)),
            "weight_decay": 10 ** rng.uniform(-6, -4), "dropout": rng.uniform(0, 0.5),
            "width": int(2 ** rng.uniform(3, 6)), "epochs": 8}
        trial = store.add_trial(experiment_id, params)
        state = (states or {}).get(i, "completed")
        score = 0.95 - 0.3 * (math.log10(params["lr"]) + 2.5) ** 2 + 0.002 * rng.random()
        store.update_trial(trial.id, state=state,
                           objective=score if state == "completed" else None)
    return store.trials(experiment_id)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "hp.db") as s:
        yield s


@pytest.fixture
def view(qtbot: Any) -> Iterator[CompareView]:
    v = CompareView("en")
    qtbot.addWidget(v)
    v.resize(1000, 620)
    v.show()
    yield v
    v.importance.wait()


def test_every_searched_parameter_gets_an_axis_and_a_slice(view: CompareView,
                                                           store: Store) -> None:
    exp = store.create_experiment("e", "classification", PLAN)
    trials = record_trials(store, exp.id, 20, random.Random(0), {3: "failed", 19: "running"})
    view.set_data(store.experiment(exp.id).plan, trials)

    titles = view.parallel.axis_titles()
    assert [t.split(" ")[0] for t in titles] == [*SEARCHED, "val_acc"]
    assert view.parallel.log_axis_names() == LOG
    assert "lr (log)" in titles and "dropout" in titles
    assert view.slices.plot_names() == SEARCHED
    assert view.slices.log_names() == LOG
    assert "18 completed with val_acc" in view.summary.text()
    assert len(view.parallel.shown_trial_ids()) == 20
    view.show_unscored.setChecked(False)  # failed and running trials hidden
    assert len(view.parallel.shown_trial_ids()) == 18
    assert unnamed_widgets(view) == []


def test_importance_waits_for_enough_trials_then_ranks_and_is_not_recomputed(
        view: CompareView, store: Store, qtbot: Any) -> None:
    exp = store.create_experiment("e", "classification", PLAN)
    rng = random.Random(1)
    panel = view.importance
    view.set_data(PLAN, record_trials(store, exp.id, 5, rng))
    assert panel.shown is not None and panel.shown.reason == "too_few_trials"
    assert "Not enough trials yet: 5" in panel.status.text()
    assert panel.pages.currentWidget() is panel.guide
    assert "tier 1</b>: lr" in panel.guide.text()
    assert panel.computations == 0

    with qtbot.waitSignal(panel.resultShown, timeout=30_000,
                          check_params_cb=lambda r: r is not None and r.ready):
        view.set_data(PLAN, record_trials(store, exp.id, 30, rng))
    ranked = [p.name for p in panel.shown.params]
    assert ranked[0] == "lr" and sorted(ranked) == sorted(SEARCHED)
    assert panel.pages.currentWidget() is panel.graphics
    assert panel.bar_names == ranked  # the most important at the top
    assert panel.computations == 1

    store.add_trial(exp.id, {"lr": 0.003})  # a queued trial: the scored set is unchanged
    view.set_data(PLAN, store.trials(exp.id))
    assert panel.computations == 1 and panel.shown.ready

    with qtbot.waitSignal(panel.resultShown, timeout=30_000,
                          check_params_cb=lambda r: r is not None and r.evaluator == "fanova"):
        panel.evaluator.setCurrentIndex(panel.evaluator.findData("fanova"))
    assert panel.shown.params[0].name == "lr" and panel.computations == 2
    panel.evaluator.setCurrentIndex(panel.evaluator.findData("ped_anova"))
    assert panel.shown.evaluator == "ped_anova" and panel.computations == 2  # cached


def _viewport_point(graphics: Any, plot: Any, x: float, y: float) -> QPoint:
    scene = plot.vb.mapViewToScene(QPointF(x, y))
    return graphics.mapFromScene(scene)


def test_clicking_a_line_or_a_point_names_its_trial(view: CompareView, store: Store,
                                                    qtbot: Any) -> None:
    exp = store.create_experiment("e", "classification", PLAN)
    trials = record_trials(store, exp.id, 12, random.Random(2))
    view.set_data(PLAN, trials)
    table, parallel = view.table, view.parallel
    assert table is not None
    best = table.best_row()
    assert best is not None
    # A point on the best trial's line where no other line passes close.
    lines = parallel._positions
    i = int(np.flatnonzero(parallel._rows == best)[0])
    for x in np.linspace(0.1, lines.shape[1] - 1.1, 60):
        seg, t = int(x), x - int(x)
        ys = lines[:, seg] * (1 - t) + lines[:, seg + 1] * t
        if np.sort(np.abs(ys - ys[i]))[1] > 0.06:
            break
    else:
        pytest.fail("no isolated stretch of the best line")
    y = float(ys[i])
    assert parallel.trial_at(float(x), y) == table.trial_ids[best]
    point = _viewport_point(parallel.graphics, parallel.plot, float(x), y)
    QTest.mouseMove(parallel.graphics.viewport(), point)
    qtbot.waitUntil(lambda: parallel.info.text() == parallel.describe(best))
    with qtbot.waitSignal(view.trialActivated, timeout=2000) as sig:
        QTest.mouseClick(parallel.graphics.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert sig.args == [table.trial_ids[best]]
    assert parallel.describe(best).startswith(f"Trial {table.numbers[best]} (completed)")

    view.tabs.setCurrentWidget(view.slices)
    lr_plot = view.slices.plots["lr"]
    qtbot.waitUntil(lambda: lr_plot.vb.width() > 50)
    x_lr = math.log10(table.param_value(best, 0))
    point = _viewport_point(view.slices.graphics, lr_plot, x_lr, float(table.objective[best]))
    with qtbot.waitSignal(view.trialActivated, timeout=2000) as sig:
        QTest.mouseClick(view.slices.graphics.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert sig.args == [table.trial_ids[best]]


def test_each_tab_exports_as_png_and_svg(view: CompareView, store: Store, tmp_path: Path,
                                         qtbot: Any) -> None:
    exp = store.create_experiment("e", "classification", PLAN)
    view.set_data(PLAN, record_trials(store, exp.id, 9, random.Random(3)))
    for index in range(view.tabs.count()):
        view.tabs.setCurrentIndex(index)
        png = view.export_image(tmp_path / f"tab{index}.png")
        svg = view.export_image(tmp_path / f"tab{index}.svg")
        assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 2000
        text = svg.read_text()
        assert "<svg" in text and len(text) > 2000
    with pytest.raises(ValueError, match="written as"):
        view.export_image(tmp_path / "plot.txt")


def test_an_exported_image_leaves_out_the_on_screen_hint(view: CompareView, store: Store,
                                                          tmp_path: Path, qtbot: Any) -> None:
    exp = store.create_experiment("e", "classification", PLAN)
    view.set_data(PLAN, record_trials(store, exp.id, 9, random.Random(3)))
    view.show()
    view.tabs.setCurrentWidget(view.parallel)
    qtbot.waitUntil(view.parallel.info.isVisible)
    assert "Point at a line" in view.parallel.info.text()
    page = view.tabs.currentWidget()
    grab, seen = page.grab, []

    def grab_and_look() -> Any:
        seen.append(view.parallel.info.isVisible())
        return grab()

    page.grab = grab_and_look  # what export_image draws the page with
    view.export_image(tmp_path / "parallel.png")
    assert seen == [False], "the hint was drawn into the image"
    assert view.parallel.info.isVisible(), "and it is back on screen"


def test_empty_and_cleared_states(view: CompareView) -> None:
    view.set_data(PLAN, [])
    assert "No trials" in view.summary.text()
    assert view.parallel.shown_trial_ids() == [] and view.slices.plot_names() == SEARCHED
    view.set_data(None, [])
    assert view.table is None and view.slices.plot_names() == []
    assert view.importance.shown is None
