"""One live scheduler per experiment, state changes as compare-and-set, and liveness that a
reused pid or a hung scheduler cannot fool (issue 11, item 1)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hpdesk.plan import load_plan
from hpdesk.runner import control, create_experiment
from hpdesk.runner.recovery import process_started_at, recover_lost, scheduler_liveness
from hpdesk.store import Store
from tests.faults.helpers import ROOT, fake_plan, hpdesk, started_experiment
from tests.waiting import trial_starts, wait_until

pytestmark = pytest.mark.timeout(120)


def test_a_second_scheduler_exits_with_one_line_and_no_trial_runs_twice(
        tmp_path: Path, starts_file: Path) -> None:
    db = tmp_path / "x.db"
    exp_id = started_experiment(hpdesk("start", str(fake_plan(tmp_path, [0.1, 0.2], 30, 0.05)),
                                       "--db", str(db)))
    with Store(db) as store:
        wait_until(lambda: len(trial_starts(starts_file)) == 2, 30, what="both trials started")
        first_pid = store.experiment(exp_id).scheduler_pid
    second = hpdesk("scheduler", "--experiment", str(exp_id), "--db", str(db), timeout=60)
    assert second.returncode == 1
    assert second.stderr.strip().count("\n") == 0, second.stderr
    assert f"experiment {exp_id} already has a scheduler" in second.stderr
    with Store(db) as store:
        wait_until(lambda: store.experiment(exp_id).state != "running", 60, what="the end")
        exp = store.experiment(exp_id)
        assert exp.state == "completed" and exp.scheduler_pid == first_pid
        assert [t.state for t in store.trials(exp_id)] == ["completed", "completed"]
        assert sorted(trial_starts(starts_file).values()) == [1, 1]


def test_two_schedulers_started_together_run_each_trial_once(
        tmp_path: Path, starts_file: Path) -> None:
    db = tmp_path / "x.db"
    plan = load_plan(fake_plan(tmp_path, [0.1, 0.2, 0.3], 5, 0.02))
    with Store(db) as store:
        exp_id = create_experiment(store, plan).id
    cmd = [sys.executable, "-m", "hpdesk.cli", "scheduler", "--experiment", str(exp_id),
           "--db", str(db)]
    procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [(p.wait(90), p.communicate()[1]) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    refused = next(err for code, err in results if code == 1)
    assert "already has a scheduler" in refused
    counts = trial_starts(starts_file)
    assert sorted(counts.values()) == [1, 1, 1], counts
    with Store(db) as store:
        assert [t.number for t in store.trials(exp_id)] == [0, 1, 2]


def test_a_trial_cancelled_before_it_starts_is_never_started(tmp_path: Path) -> None:
    with Store(tmp_path / "x.db") as store:
        exp = store.create_experiment("e", "script", {})
        trial = store.add_trial(exp.id, {"lr": 0.1})
        assert control.stop_trial(store, trial.id).state == "stopped"
        # What a scheduler does to start it: a compare-and-set from queued.
        assert not store.update_trial(trial.id, expect=("queued", "interrupted"),
                                      state="running")
        assert store.trial(trial.id).state == "stopped"
        # And the other way: once running, a cancel becomes a stop request.
        other = store.add_trial(exp.id, {"lr": 0.2})
        assert store.update_trial(other.id, expect="queued", state="running")
        stopped = control.stop_trial(store, other.id)
        assert (stopped.state, stopped.requested_state) == ("running", "stopped")
        # A finished trial never becomes running again.
        assert store.update_trial(other.id, expect="running", state="completed")
        assert not store.update_trial(other.id, expect="running", state="failed")
        assert store.trial(other.id).state == "completed"


def _claimed(store: Store, pid: int, started_at: float | None, beat_age: float) -> int:
    exp = store.create_experiment("e", "script", {})
    store.update_experiment(exp.id, state="running", scheduler_pid=pid,
                            scheduler_host=os.uname().nodename,
                            scheduler_started_at=started_at,
                            heartbeat_at=time.time() - beat_age)
    return exp.id


def test_liveness_needs_the_pid_its_start_time_and_a_fresh_heartbeat(tmp_path: Path) -> None:
    me = os.getpid()
    with Store(tmp_path / "x.db") as store:
        alive = _claimed(store, me, process_started_at(me), 1)
        reused = _claimed(store, me, (process_started_at(me) or 0) - 3600, 1)
        hung = _claimed(store, me, process_started_at(me), 600)
        gone = _claimed(store, 2**22 + 12345, None, 1)
        said = {i: scheduler_liveness(store.experiment(i)) for i in (alive, reused, hung, gone)}
        assert said[alive].alive
        assert not said[reused].alive and "another process" in said[reused].reason
        assert not said[hung].alive and "hung" in said[hung].reason
        assert not said[gone].alive and "no longer running" in said[gone].reason
        assert sorted(recover_lost(store)) == sorted([reused, hung, gone])
        assert store.experiment(alive).state == "running"
        assert recover_lost(store) == []  # once only


def test_a_hung_scheduler_is_replaced_and_ends_without_overwriting(
        tmp_path: Path, starts_file: Path) -> None:
    """A scheduler frozen (SIGSTOP) long enough to count as gone: the experiment is recovered,
    resumed by a new scheduler, and the old one, woken, notices and ends without writing."""
    db = tmp_path / "x.db"
    exp_id = started_experiment(hpdesk("start", str(fake_plan(tmp_path, [0.1], 40, 0.05)),
                                       "--db", str(db)))
    with Store(db) as store:
        wait_until(lambda: len(trial_starts(starts_file)) == 1, 30, what="the trial started")
        old = store.experiment(exp_id).scheduler_pid
        assert old is not None
        os.kill(old, signal.SIGSTOP)
        try:
            store.update_experiment(exp_id, heartbeat_at=time.time() - 3600)  # as if long ago
            status = hpdesk("status", str(exp_id), "--db", str(db))
            assert status.returncode == 0, status.stderr
            assert store.experiment(exp_id).state == "interrupted"
            resumed = hpdesk("resume", str(exp_id), "--db", str(db))
            assert resumed.returncode == 0, resumed.stderr
            new = store.experiment(exp_id).scheduler_pid
            assert new not in (None, old)
        finally:
            os.kill(old, signal.SIGCONT)
        wait_until(lambda: not _alive(old), 30, what="the old scheduler to end")
        wait_until(lambda: store.experiment(exp_id).state != "running", 60, what="the end")
        assert store.experiment(exp_id).state == "completed"
        assert store.trials(exp_id)[0].state == "completed"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie of a process we did not start is reaped by init; it counts as gone
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
