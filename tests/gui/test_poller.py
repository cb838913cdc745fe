"""The poller: reads one experiment off the GUI thread and hands back plain data, coalesced per
tick; whole curves on request; errors as one sentence; a clean stop."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest

from hpdesk.gui.base import poller as poller_module
from hpdesk.gui.base.poller import CurvesResult, ExperimentPoller, PollResult
from hpdesk.store import Store, compact_curves

pytestmark = pytest.mark.usefixtures("qapp")
TIMEOUT_MS = 10_000


@pytest.fixture
def db(tmp_path: Path) -> tuple[Path, int, list[int]]:
    """An experiment with a completed trial (packed), a running one and a queued one."""
    path = tmp_path / "hp.db"
    with Store(path) as store:
        exp = store.create_experiment("e", "classification", {"hpdesk": 1})
        done, running, queued = (store.add_trial(exp.id, {"lr": lr}).id for lr in (1, 2, 3))
        store.update_trial(done, state="completed", started_at=1.0, ended_at=2.0, objective=0.9)
        store.update_trial(running, state="running", started_at=time.time())
        store.write_metrics([(done, "loss", s, 1.0 / (s + 1), 100.0 + s) for s in range(300)])
        store.write_metrics([(done, "epoch", s, s / 100, 100.0 + s) for s in (100, 200, 300)])
        store.write_metrics([(running, "loss", s, 2.0, 200.0 + s) for s in range(50)])
        compact_curves(store, done, final=True)
    return path, exp.id, [done, running, queued]


@pytest.fixture
def poller(qtbot, db):
    path, exp_id, _ = db
    p = ExperimentPoller(path, exp_id, interval_ms=30)
    yield p
    p.stop()


def _first(qtbot, poller: ExperimentPoller) -> PollResult:
    with qtbot.waitSignal(poller.polled, timeout=TIMEOUT_MS) as blocker:
        poller.start()
    return blocker.args[0]


def test_the_first_result_has_the_trials_and_each_metric_s_latest_value(qtbot, db, poller):
    _, exp_id, (done, running, queued) = db
    with qtbot.waitSignal(poller.trialsChanged, timeout=TIMEOUT_MS) as changed:
        first = _first(qtbot, poller)
    assert first.trials_changed and [t.id for t in first.trials] == [done, running, queued]
    assert [t.id for t in changed.args[0]] == [done, running, queued]
    assert first.experiment is not None and first.experiment.id == exp_id
    assert first.latest[done] == {"epoch": 3.0, "loss": 1.0 / 300}
    assert first.latest[running] == {"loss": 2.0} and first.latest[queued] == {}
    assert first.metrics == ("epoch", "loss") and first.new_points == {}


def test_new_points_arrive_coalesced_per_curve_as_arrays(qtbot, db, poller):
    path, _, (done, running, _) = db
    first = _first(qtbot, poller)
    results: list[PollResult] = []
    poller.polled.connect(results.append)
    with Store(path) as store:  # five batches, written faster than a tick
        for start in range(50, 550, 100):
            store.write_metrics([(running, "loss", s, float(s), 300.0 + s)
                                 for s in range(start, start + 100)]
                                + [(running, "acc", start, 0.5, 300.0 + start)])
    qtbot.waitUntil(lambda: sum(len(r.new_points.get((running, "loss"), ())) for r in results)
                    == 500, timeout=TIMEOUT_MS)
    assert len(results) <= 5  # one signal per tick, never one per point
    loss = [r.new_points[(running, "loss")] for r in results if (running, "loss") in r.new_points]
    steps = np.concatenate([p.steps for p in loss])
    assert steps.tolist() == list(range(50, 550)) and loss[0].steps.dtype == np.int64
    assert np.concatenate([p.values for p in loss]).tolist() == [float(s) for s in range(50, 550)]
    assert results[-1].latest[running]["loss"] == 549.0
    assert "acc" in results[-1].metrics and not results[-1].trials_changed
    assert results[-1].watermark > first.watermark
    assert all((done, "loss") not in r.new_points for r in results)


def test_whole_curves_come_on_request_in_the_snapshot_of_the_last_poll(qtbot, db, poller):
    path, _, (done, running, queued) = db
    _first(qtbot, poller)
    loaded: list[CurvesResult] = []
    poller.curvesLoaded.connect(loaded.append)
    poller.request_curves("loss", [done, running, queued])
    qtbot.waitUntil(lambda: {t for r in loaded for t in r.curves} == {done, running},
                    timeout=TIMEOUT_MS)
    curves = {t: c for r in loaded for t, c in r.curves.items()}
    with Store(path) as store:
        for tid in (done, running):
            steps, values = store.series(tid, "loss")
            assert curves[tid].steps.tolist() == steps
            assert curves[tid].values.tolist() == values
        assert loaded[0].watermark == store.conn.execute(
            "SELECT MAX(rowid) FROM metrics").fetchone()[0]
    assert all(r.metric == "loss" for r in loaded)


def test_a_removed_file_is_reported_once_and_polling_stops(qtbot, db, poller):
    path, _, _ = db
    _first(qtbot, poller)
    messages: list[str] = []
    poller.failed.connect(messages.append)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    qtbot.waitUntil(lambda: bool(messages), timeout=TIMEOUT_MS)
    # Polling stops: the worker drops its timer and its connection (read across threads: two
    # attributes, no Qt call). A poller that went on would only repeat the same sentence, which
    # it says once anyway, so counting messages alone could not tell.
    worker = poller._worker
    qtbot.waitUntil(lambda: worker._timer is None and worker._store is None, timeout=TIMEOUT_MS)
    assert len(messages) == 1 and "removed" in messages[0] and str(path) in messages[0]


def test_a_locked_file_is_reported_once_and_polling_resumes(qtbot, db, poller, monkeypatch):
    """SQLite says "database is locked" (a program holding an exclusive lock): one sentence,
    and the next ticks try again. The lock is simulated: in WAL mode a real one needs every
    other connection closed."""
    path, _, (_, running, _) = db
    _first(qtbot, poller)
    messages: list[str] = []
    poller.failed.connect(messages.append)
    real = poller_module._PollWorker._poll
    locked = {"ticks": 5}

    def busy(self, store):
        if locked["ticks"] > 0:
            locked["ticks"] -= 1
            raise sqlite3.OperationalError("database is locked")
        return real(self, store)

    monkeypatch.setattr(poller_module._PollWorker, "_poll", busy)
    with Store(path) as store:
        store.write_metrics([(running, "loss", 999, 1.0, 0.0)])
    with qtbot.waitSignal(poller.polled, timeout=TIMEOUT_MS,
                          check_params_cb=lambda r: (running, "loss") in r.new_points):
        pass
    assert messages == ["Cannot read the database (database is locked); trying again."]


def test_a_missing_file_is_a_sentence_not_an_exception(qtbot, tmp_path):
    p = ExperimentPoller(tmp_path / "nowhere.db", 1, interval_ms=30)
    with qtbot.waitSignal(p.failed, timeout=TIMEOUT_MS) as blocker:
        p.start()
    assert "does not exist" in blocker.args[0]
    p.stop()


def test_a_file_that_would_not_open_is_tried_again_and_polled_once_it_does(
        qtbot, db, tmp_path, monkeypatch):
    """A database caught mid-write by another process (or moved away and put back) must not
    leave the curves frozen for the rest of the session."""
    import hpdesk.gui.base.poller as poller_module

    monkeypatch.setattr(poller_module, "OPEN_RETRY_MS", 50)
    path, exp_id, _ = db
    away = tmp_path / "away.db"
    path.rename(away)
    p = ExperimentPoller(path, exp_id, interval_ms=30)
    try:
        with qtbot.waitSignal(p.failed, timeout=TIMEOUT_MS):
            p.start()
        away.rename(path)
        with qtbot.waitSignal(p.polled, timeout=TIMEOUT_MS) as blocker:
            pass
        assert len(blocker.args[0].trials) == 3
    finally:
        p.stop()


def test_stop_ends_the_thread_cleanly_and_can_be_called_twice(qtbot, db, qtlog):
    path, exp_id, _ = db
    for _ in range(3):  # start and stop quickly, as switching experiments does
        p = ExperimentPoller(path, exp_id, interval_ms=10)
        p.start()
        qtbot.wait(30)
        p.stop()
        p.stop()
        assert not p.is_running() and p._thread.isFinished()
    assert not [r for r in qtlog.records if "QThread" in r.message]
    with pytest.raises(ValueError, match="at least 1 ms"):
        ExperimentPoller(path, exp_id, interval_ms=0)


def test_trial_rows_are_read_again_when_any_shown_column_changes(qtbot, db, monkeypatch):
    """The poller reads the trial rows whole only when a one-row summary changes (or every
    FULL_READ_S): a changed state, message or number column still arrives at the next tick,
    and a change the summary cannot see arrives at the next full read."""
    path, exp_id, (done, running, queued) = db
    monkeypatch.setattr(poller_module, "FULL_READ_S", 3600.0)  # only the summary tells
    p = ExperimentPoller(path, exp_id, interval_ms=30)
    seen: list[tuple] = []
    p.trialsChanged.connect(lambda trials: seen.append(
        tuple((t.state, t.message, t.last_report_at) for t in trials)))
    try:
        _first(qtbot, p)
        with Store(path) as store:
            store.update_trial(queued, state="running")
            qtbot.waitUntil(lambda: seen[-1][2][0] == "running", timeout=TIMEOUT_MS)
            store.update_trial(running, message="warming up")
            qtbot.waitUntil(lambda: seen[-1][1][1] == "warming up", timeout=TIMEOUT_MS)
            store.update_trial(running, last_report_at=1234.5)
            qtbot.waitUntil(lambda: seen[-1][1][2] == 1234.5, timeout=TIMEOUT_MS)
            store.update_trial(running, message="warming upp")  # same first letter, longer
            qtbot.waitUntil(lambda: seen[-1][1][1] == "warming upp", timeout=TIMEOUT_MS)
            # Same length, same first letter: invisible to the summary, seen at a full read.
            store.update_trial(running, message="wXrming upp")
            count = len(seen)
            qtbot.wait(200)
            assert len(seen) == count  # the summary did not change: no read, no signal
            monkeypatch.setattr(poller_module, "FULL_READ_S", 0.0)
            qtbot.waitUntil(lambda: seen[-1][1][1] == "wXrming upp", timeout=TIMEOUT_MS)
    finally:
        p.stop()
