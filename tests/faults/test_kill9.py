"""`kill -9` of a trial, of the scheduler and of the window during a live run: every point
committed before the fault is still there, once, and a resume finishes the work without
replaying what had finished (issue 11, item 10)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hpdesk.runner.recovery import pid_alive
from hpdesk.store import Store
from tests.faults.helpers import (
    ROOT,
    assert_points_once,
    committed_step,
    fake_plan,
    hpdesk,
    started_experiment,
)
from tests.waiting import trial_starts, wait_until

pytestmark = pytest.mark.timeout(150)
STEPS = 60


def _running_with_progress(store: Store, exp_id: int, min_step: int) -> bool:
    trials = [t for t in store.trials(exp_id) if t.state == "running"]
    return bool(trials) and all((store.last_step(t.id) or 0) >= min_step for t in trials)


def _finish_and_check(db: Path, exp_id: int, before: dict[int, int], starts: Path,
                      replayed: set[int]) -> None:
    """After the fault: what was committed is there once; a resume completes every trial; a
    trial that had completed never ran again."""
    with Store(db) as store:
        for number, step in before.items():
            trial = store.trial_by_number(exp_id, number)
            assert trial is not None
            assert_points_once(store, trial.id, step)
        if store.experiment(exp_id).state != "running":
            out = hpdesk("resume", str(exp_id), "--db", str(db))
            assert out.returncode == 0, out.stderr
        wait_until(lambda: store.experiment(exp_id).state != "running", 90, what="the end")
        trials = store.trials(exp_id)
        assert store.experiment(exp_id).state == "completed"
        assert [t.state for t in trials] == ["completed"] * len(trials)
        for trial in trials:
            assert_points_once(store, trial.id, STEPS)
        counts = trial_starts(starts)
        for trial in trials:
            expected = 2 if trial.number in replayed else 1
            assert counts[trial.id] == expected, (trial.number, counts)


def test_kill_9_of_the_scheduler(tmp_path: Path, starts_file: Path) -> None:
    db = tmp_path / "x.db"
    exp_id = started_experiment(hpdesk("start", str(fake_plan(tmp_path, [0.1, 0.2], STEPS, 0.03)),
                                       "--db", str(db)))
    with Store(db) as store:
        wait_until(lambda: _running_with_progress(store, exp_id, 5), 60, what="progress")
        scheduler = store.experiment(exp_id).scheduler_pid
        assert scheduler is not None
        os.kill(scheduler, signal.SIGKILL)
        wait_until(lambda: not pid_alive(scheduler), 10, what="the scheduler to die")
        out = hpdesk("status", str(exp_id), "--db", str(db))  # recovers: trials stopped
        assert out.returncode == 0 and "interrupted" in out.stdout, out.stdout + out.stderr
        before = {t.number: committed_step(db, exp_id, t.number) for t in store.trials(exp_id)}
        assert all(step >= 5 for step in before.values()), before
    _finish_and_check(db, exp_id, before, starts_file, replayed={0, 1})


def test_kill_9_of_a_trial(tmp_path: Path, starts_file: Path) -> None:
    """The killed trial fails with its points; the other completes; resume runs the failed one
    again only when asked (here: a re-run of the experiment is not expected)."""
    db = tmp_path / "x.db"
    exp_id = started_experiment(hpdesk("start", str(fake_plan(tmp_path, [0.1, 0.2], STEPS, 0.03)),
                                       "--db", str(db)))
    with Store(db) as store:
        wait_until(lambda: _running_with_progress(store, exp_id, 5), 60, what="progress")
        victim = store.trial_by_number(exp_id, 0)
        assert victim is not None and victim.pid is not None
        os.killpg(victim.pid, signal.SIGKILL)
        wait_until(lambda: store.experiment(exp_id).state != "running", 90, what="the end")
        killed = store.trial(victim.id)
        assert killed.state == "failed" and killed.exit_code == -9
        assert_points_once(store, killed.id, committed_step(db, exp_id, 0))
        other = store.trial_by_number(exp_id, 1)
        assert other is not None and other.state == "completed"
        assert_points_once(store, other.id, STEPS)
        assert trial_starts(starts_file) == {victim.id: 1, other.id: 1}


WINDOW = textwrap.dedent("""
    import sys
    from pathlib import Path
    from PySide6.QtWidgets import QApplication
    from hpdesk.gui.shell.main_window import MainWindow
    from hpdesk.gui.base.settings import Settings
    from hpdesk.plan import load_plan
    from hpdesk.runner import control
    from hpdesk.store import Store

    app = QApplication([])
    db = Path(sys.argv[1])
    window = MainWindow(Settings(db.with_suffix(".ini")), db, "en")
    window.show()
    # What the Launch button does once the person confirmed the command (trial_actions).
    with Store(db) as store:
        experiment = control.launch(store, load_plan(sys.argv[2]))
    print("launched", flush=True)
    app.exec()
""")

def test_kill_9_of_the_window(tmp_path: Path, starts_file: Path) -> None:
    """The window launches a detached scheduler: killing the window loses nothing and stops
    nothing; the experiment runs to its end."""
    db = tmp_path / "x.db"
    plan = fake_plan(tmp_path, [0.1, 0.2], STEPS, 0.03)
    window = subprocess.Popen([sys.executable, "-c", WINDOW, str(db), str(plan)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    try:
        assert window.stdout is not None
        assert window.stdout.readline().strip() == "launched", window.stderr
        with Store(db) as store:
            (exp,) = store.experiments()
            wait_until(lambda: _running_with_progress(store, exp.id, 5), 60, what="progress")
            window.kill()
            window.wait(10)
            before = {t.number: committed_step(db, exp.id, t.number)
                      for t in store.trials(exp.id)}
            assert store.experiment(exp.id).state == "running"
    finally:
        if window.poll() is None:
            window.kill()
    _finish_and_check(db, exp.id, before, starts_file, replayed=set())
