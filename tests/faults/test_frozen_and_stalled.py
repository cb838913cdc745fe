"""No process can stall the others: a trial frozen while it holds the write lock is found and
ended, the others and the scheduler go on, `hpdesk status` answers at once; a trial that shows no
progress is marked stalled and, when the plan says so, stopped (issue 11, item 2)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from hpdesk.store import Store
from tests.faults.helpers import ROOT, hpdesk, started_experiment
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(120)
FREEZER = ROOT / "tests" / "fixtures" / "freeze_holding_lock.py"


def _plan(tmp_path: Path, command: list[str], space: dict[str, object], trials: int,
          **executor: object) -> Path:
    plan = {"hpdesk": 1, "task": "script", "name": "frozen", "command": command,
            "objective": {"metric": "val_acc", "direction": "maximize"}, "strategy": "grid",
            "budget": {"trials": trials}, "concurrency": trials, "space": space,
            "executor": {"kind": "local", **executor}}
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan))
    return path


def test_a_trial_frozen_with_the_write_lock_is_ended_and_the_others_finish(
        tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    plan = _plan(tmp_path, [sys.executable, str(FREEZER)], {"freeze": [1, 0, 2]}, 3)
    exp_id = started_experiment(hpdesk("start", str(plan), "--db", str(db)))
    with Store(db) as store:
        def frozen_holds_lock() -> bool:
            trial = store.trial_by_number(exp_id, 0)
            log = Path(trial.log_path) if trial and trial.log_path else None
            return log is not None and log.exists() and "holding" in log.read_text()

        wait_until(frozen_holds_lock, 30, what="the trial to take the lock and freeze")
        began = time.monotonic()
        status = hpdesk("status", str(exp_id), "--db", str(db), timeout=60)
        status_s = time.monotonic() - began
        assert status.returncode == 0, status.stderr
        assert status_s < 15, f"hpdesk status took {status_s:.1f}s with the lock held"
        wait_until(lambda: store.experiment(exp_id).state != "running", 90, what="the end")
        exp = store.experiment(exp_id)
        trials = store.trials(exp_id)
        assert exp.state == "completed"
        assert [t.state for t in trials] == ["failed", "completed", "completed"]
        assert "frozen" in (trials[0].message or "") and "write lock" in trials[0].message
        for t in trials[1:]:
            assert store.series(t.id, "loss")[0] == list(range(1, 41))
        # Its uncommitted write died with it.
        assert store.series(trials[0].id, "held") == ([], [])


def test_a_silent_trial_is_stalled_and_stopped(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    command = [sys.executable, "-c", "import time; time.sleep(600)"]
    plan = _plan(tmp_path, command, {"x": [1]}, 1, stall_timeout=1)
    began = time.monotonic()
    out = hpdesk("run", str(plan), "--db", str(db), timeout=90)
    assert out.returncode == 1, out.stdout + out.stderr  # no trial completed
    assert time.monotonic() - began < 60
    assert "stalled" in out.stdout
    with Store(db) as store:
        (trial,) = store.trials()
        assert trial.state == "failed"
        assert "stalled" in (trial.message or "") and "stall_timeout" in trial.message
        assert [e.kind for e in store.events(trial_id=trial.id)].count("stalled") == 1


def test_a_busy_trial_is_not_stalled_and_on_stall_mark_only_marks(tmp_path: Path) -> None:
    """CPU time is progress (a long epoch without a report); a trial that sleeps silently
    with `on_stall: mark` is marked in its row and keeps running."""
    db = tmp_path / "x.db"
    code = ("import json, os, time\n"
            "if json.load(open(os.environ['HPDESK_PARAMS_FILE']))['x'] == 1:\n"
            "    t = time.time()\n"
            "    while time.time() - t < 5: pass\n"
            "    print('val_acc=0.5', flush=True)\n"
            "else:\n"
            "    time.sleep(600)\n")
    plan = _plan(tmp_path, [sys.executable, "-c", code], {"x": [1, 2]}, 2, stall_timeout=1,
                 on_stall="mark")
    proc = subprocess.Popen([sys.executable, "-m", "hpdesk.cli", "run", str(plan), "--db",
                             str(db)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        with Store(db) as store:
            def both_seen() -> bool:
                trials = store.trials()
                return len(trials) == 2 and trials[1].stalled_since is not None

            wait_until(both_seen, 60, what="the sleeping trial to be marked stalled")
            busy, sleeping = store.trials()
            assert sleeping.state == "running"
            wait_until(lambda: store.trials()[0].state != "running", 60, what="the busy one")
            busy = store.trials()[0]
            assert busy.state == "completed" and busy.stalled_since is None
            assert "stalled" not in [e.kind for e in store.events(trial_id=busy.id)]
    finally:
        proc.terminate()
        proc.wait(60)


HOLD = """
import os, signal, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE trials SET message = 'held'")
print("held", flush=True)
os.kill(os.getpid(), signal.SIGSTOP)
"""


def test_reading_commands_answer_while_a_frozen_process_holds_the_lock(tmp_path: Path) -> None:
    """Not a trial (nothing ends it): recovery and closing wait a moment each, not for the
    busy timeout, and say what they see."""
    db = tmp_path / "x.db"
    with Store(db) as store:
        exp = store.create_experiment("e", "script", {})
        store.update_experiment(exp.id, state="running", scheduler_pid=2**22 + 7,
                                scheduler_host=os.uname().nodename)
        store.add_trial(exp.id, {"lr": 0.1})
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        for command in (["status"], ["trials"], ["experiments", "--json"]):
            began = time.monotonic()
            out = hpdesk(*command, "--db", str(db), timeout=60)
            took = time.monotonic() - began
            assert out.returncode == 0, out.stderr
            assert took < 15, f"hpdesk {command[0]} took {took:.1f}s with the lock held"
        assert "no longer running" in hpdesk("status", "--db", str(db)).stdout
    finally:
        holder.kill()
        holder.wait()
    out = hpdesk("status", "--db", str(db))  # the lock is free: now it is recovered
    assert "interrupted" in out.stdout, out.stdout
