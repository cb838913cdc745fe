"""The experiment overview above the trials, fed by a real poller on a real SQLite file: the
best trial and its value, trials done of the budget and by state, the time an experiment that
was stopped and resumed a day later actually ran, the time it needs still, the best trial's
curve, all updated as trials finish."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hpdesk.gui.base.poller import ExperimentPoller
from hpdesk.gui.run.overview import ExperimentOverview
from hpdesk.gui.run.view import RunView
from hpdesk.store import Store
from tests.gui.accessibility import unnamed_widgets
from tests.gui.live_curves import start_poller

pytestmark = [pytest.mark.usefixtures("qapp"), pytest.mark.timeout(60)]
TIMEOUT_MS = 10_000
PLAN = {"hpdesk": 1, "objective": {"metric": "val_loss", "direction": "minimize"},
        "budget": {"trials": 6}, "space": {"epochs": {"type": "fixed", "value": 4}}}
T0 = 1_700_000_000.0
DAY = 86_400.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(tmp_path: Path) -> tuple[Path, int, dict[int, int]]:
    """Trials 0 and 1 ran side by side for 320 s; stopped; resumed a day later: trial 2 ran
    200 s, trial 3 runs since (2 of its 4 epochs done), trial 4 waits (keys: trial numbers)."""
    path = tmp_path / "hp.db"
    with Store(path) as store:
        exp = store.create_experiment("resumed", "classification", PLAN)
        store.update_experiment(exp.id, state="running")
        ids = {}
        for number, state, start, end, objective in (
                (0, "completed", 0.0, 300.0, 0.40), (1, "completed", 10.0, 320.0, 0.30),
                (2, "completed", DAY, DAY + 200.0, 0.25), (3, "running", DAY + 200.0, None, None),
                (4, "queued", None, None, None)):
            trial = store.add_trial(exp.id, {"lr": 0.01 * (number + 1)})
            assert trial.number == number
            ids[number] = trial.id
            store.update_trial(trial.id, state=state, objective=objective,
                               started_at=None if start is None else T0 + start,
                               ended_at=None if end is None else T0 + end)
        rows = [(ids[n], "val_loss", s, 1.0 / (s + n + 1), T0 + s) for n in (2, 3) for s in (1, 2)]
        rows += [(ids[3], "epoch", s, float(s), T0 + s) for s in (1, 2)]
        store.write_metrics(rows)
    return path, exp.id, ids


@pytest.fixture
def live(qtbot: Any, db: tuple[Path, int, dict[int, int]]):
    path, exp_id, ids = db
    clock = Clock(T0 + DAY + 400.0)
    view = ExperimentOverview(clock=clock)
    qtbot.addWidget(view)
    view.resize(1000, 40)
    view.show()
    view.set_experiment(PLAN)
    poller = start_poller(view, path, exp_id)
    qtbot.waitUntil(lambda: view.current.done == 3 and view.best_curve()[0].size == 2,
                    timeout=TIMEOUT_MS)
    yield view, clock, path, ids
    poller.stop()


def test_a_resumed_experiment_counts_only_the_time_it_ran(live: Any) -> None:
    view, _, _, ids = live
    assert view.best.text().startswith("Best: <a href=\"best\">#2</a> · val_loss ↓ 0.25")
    assert view.counts.full_text() == "3 of 6 trials done: 1 running, 1 queued, 3 completed"
    # 320 s before the stop and 400 s since the resume, not a day: 12:00. Trial 3 is half
    # done, so 3.5 trials took 720 s and 2.5 are left: 514 s.
    assert view.times.text() == "Elapsed 12:00 · about 8:34 left"
    steps, values = view.best_curve()
    assert steps.tolist() == [1, 2] and np.allclose(values, [1 / 4, 1 / 5])  # trial 2's curve
    assert unnamed_widgets(view) == []


def test_the_overview_follows_trials_as_they_finish(qtbot: Any, live: Any) -> None:
    view, clock, path, ids = live
    clock.now = T0 + DAY + 500.0
    with Store(path) as store:
        store.update_trial(ids[3], state="completed", objective=0.2, ended_at=T0 + DAY + 500.0)
        store.update_trial(ids[4], state="running", started_at=T0 + DAY + 500.0)
    qtbot.waitUntil(lambda: view.current.done == 4, timeout=TIMEOUT_MS)
    assert view.best.text().startswith("Best: <a href=\"best\">#3</a> · val_loss ↓ 0.2")
    assert view.counts.full_text() == "4 of 6 trials done: 1 running, 4 completed"
    assert view.times.text() == "Elapsed 13:40 · about 6:50 left"  # 820 s for 4, 2 left
    qtbot.waitUntil(lambda: view.best_curve()[1].tolist() == [1 / 5, 1 / 6],
                    timeout=TIMEOUT_MS)  # the new best's curve replaced the old one
    with Store(path) as store:
        store.update_trial(ids[4], state="failed", ended_at=T0 + DAY + 510.0)
        store.update_experiment(store.trial(ids[4]).experiment_id, state="stopped")
    qtbot.waitUntil(lambda: view.current.done == 5, timeout=TIMEOUT_MS)
    assert view.times.text() == "Elapsed 13:50"  # stopped: no time left to estimate
    assert view.counts.full_text() == "5 of 6 trials done: 4 completed, 1 failed"


def test_nan_objectives_are_never_the_best(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "nan.db"
    with Store(path) as store:
        exp = store.create_experiment("nan", "classification", PLAN)
        tid = store.add_trial(exp.id, {}).id
        store.update_trial(tid, state="completed", objective=float("nan"),
                           started_at=T0, ended_at=T0 + 5)
    view = ExperimentOverview(clock=Clock(T0 + 10))
    qtbot.addWidget(view)
    view.set_experiment(PLAN)
    poller = ExperimentPoller(path, exp.id, interval_ms=30)
    poller.polled.connect(view.on_poll)
    poller.start()
    try:
        qtbot.waitUntil(lambda: view.current.done == 1, timeout=TIMEOUT_MS)
    finally:
        poller.stop()
    assert view.best.text() == "Best: none yet"
    assert not view.sparkline.isVisibleTo(view)
    assert view.times.text() == "Elapsed 5s"


def test_run_view_shows_the_overview_and_the_best_trials_curve_on_click(
        qtbot: Any, db: tuple[Path, int, dict[int, int]]) -> None:
    path, exp_id, ids = db
    view = RunView("en")
    qtbot.addWidget(view)
    view.resize(1024, 700)
    view.show()
    view.set_experiment(PLAN)
    poller = ExperimentPoller(path, exp_id, interval_ms=30)
    poller.polled.connect(view.on_poll)
    poller.curvesLoaded.connect(view.on_curves_loaded)  # as the main window wires it
    view.curves.curvesRequested.connect(poller.request_curves)
    poller.start()
    try:
        qtbot.waitUntil(lambda: view.overview.best_curve()[0].size == 2
                        and view.curves.curve_data(ids[2]) is not None, timeout=TIMEOUT_MS)
        view.overview.best.linkActivated.emit("best")
        assert view.curves._curves[ids[2]].style == "strong"  # shown and emphasised
    finally:
        poller.stop()
    overview = view.overview
    assert overview.geometry().right() <= view.width()
    assert overview.times.geometry().right() <= overview.width()
    assert overview.height() < 60  # one line: the table keeps its rows at 1024x700
