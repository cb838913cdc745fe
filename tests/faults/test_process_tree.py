"""A trial's whole process tree ends with it (issue 11, item 6): after it completes, fails,
times out or is stopped, and when its scheduler was killed, no process it started is left, not
even one that ignores SIGTERM or one in a session of its own (tests/fixtures/leaves_children.py).
Real processes, real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from hpdesk.plan import parse_plan
from hpdesk.runner import control
from hpdesk.runner.process_table import disable_subreaper, enable_subreaper, is_subreaper
from hpdesk.runner.process_tree import ProcessTree, TreeKeeper
from hpdesk.runner.recovery import stop_trial_process
from hpdesk.store import Store, Trial
from tests.faults.helpers import ROOT, hpdesk
from tests.waiting import wait_until

LEAVES = ROOT / "tests" / "fixtures" / "leaves_children.py"
NAMES = "abcd"
LINUX = sys.platform.startswith("linux")
pytestmark = pytest.mark.skipif(not LINUX, reason="setsid children are found through the Linux "
                                "child subreaper and /proc")


def plan_dict(modes: list[str], *, n: int = 1, **executor: Any) -> dict[str, Any]:
    return {"hpdesk": 1, "task": "script", "name": "tree",
            "command": [sys.executable, str(LEAVES)], "params_style": "flags",
            "objective": {"metric": "loss", "direction": "minimize"},
            "strategy": "grid", "budget": {"trials": len(modes) * n},
            "concurrency": len(modes) * n,
            "executor": {"warm_start": False, **executor},
            "space": {"mode": modes, "n": list(range(n))}}


def started(store: Store, experiment_id: int, n: int) -> list[Trial]:
    """The experiment's `n` trials once each has started (its row names its log)."""
    wait_until(lambda: sum(t.log_path is not None for t in store.trials(experiment_id)) == n,
               30, what=f"{n} trial(s) to start")
    return sorted(store.trials(experiment_id), key=lambda t: t.number)


def pids_of(trial: Trial, *, wait: float = 0.0) -> dict[str, int]:
    """The pids trial's processes wrote (leaves_children.py), once all four have."""
    assert trial.log_path is not None
    folder = Path(trial.log_path).with_suffix("") / "pids"
    if wait:
        wait_until(lambda: all((folder / name).exists() for name in NAMES), wait,
                   what=f"the processes of trial {trial.number} to start")
    return {name: int((folder / name).read_text()) for name in NAMES}


def gone(pid: int) -> bool:
    """Not running (a zombie whose parent is not ours to make reap it counts as gone)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def cleanup_counts(store: Store, trial_id: int) -> list[int]:
    return [(e.data or {})["count"] for e in store.events(trial_id=trial_id)
            if e.kind == "cleanup"]


@pytest.mark.timeout(60)
def test_completed_failed_and_timed_out_trials_leave_no_process(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(plan_dict(["complete", "fail", "hang"], trial_timeout=6)))
    db = tmp_path / "x.db"
    out = hpdesk("run", str(plan), "--db", str(db), timeout=50)
    assert out.returncode == 0, out.stdout + out.stderr
    with Store(db) as store:
        trials = {t.params["mode"]: t for t in store.trials()}
        assert trials["complete"].state == "completed"
        assert trials["fail"].state == "failed"
        assert "timed out" in (trials["hang"].message or "")
        for mode, trial in trials.items():
            pids = pids_of(trial)
            # The scheduler reaped what it adopted: not even a zombie is left.
            alive = {name: pid for name, pid in pids.items() if psutil.pid_exists(pid)}
            assert not alive, f"{mode}: left running {alive}"
            (count,) = cleanup_counts(store, trial.id)
            # Complete and fail left all four; a timed-out trial got SIGINT in its group first,
            # which ends `a`, but not `b` (ignores it), `c` or `d` (other sessions).
            assert count == 4 if mode != "hang" else count >= 3, (mode, count)


@pytest.mark.timeout(60)
def test_stopping_one_trial_and_then_the_experiment_ends_their_trees(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    with Store(db) as store:
        exp = control.launch(store, parse_plan(plan_dict(["hang"], n=2)))
        first, second = started(store, exp.id, 2)
        one, two = pids_of(first, wait=30), pids_of(second, wait=30)

        control.stop_trial(store, first.id)  # as the window's stop does
        wait_until(lambda: all(not psutil.pid_exists(p) for p in one.values()), 20,
                   what="the stopped trial's processes to end")
        assert store.trial(first.id).state == "stopped"
        assert all(psutil.pid_exists(p) for p in two.values()), "the other trial runs on"

        out = hpdesk("stop", str(exp.id), "--db", str(db), timeout=50)
        assert out.returncode == 0, out.stdout + out.stderr
        assert store.experiment(exp.id).state == "stopped"
        scheduler = store.experiment(exp.id).scheduler_pid or 0
        wait_until(lambda: gone(scheduler), 20, what="the scheduler to exit")
        left = {name: pid for name, pid in two.items() if psutil.pid_exists(pid)}
        assert not left, f"left running after hpdesk stop: {left}"
        assert cleanup_counts(store, first.id) and cleanup_counts(store, second.id)


@pytest.mark.timeout(60)
def test_recovery_ends_the_tree_of_a_trial_whose_scheduler_was_killed(tmp_path: Path) -> None:
    with Store(tmp_path / "x.db") as store:
        exp = control.launch(store, parse_plan(plan_dict(["hang"])))
        (trial,) = started(store, exp.id, 1)
        pids = pids_of(trial, wait=30)
        os.kill(store.experiment(exp.id).scheduler_pid or 0, signal.SIGKILL)
        wait_until(lambda: gone(store.experiment(exp.id).scheduler_pid or 0), 10)
        assert not any(gone(p) for p in pids.values())  # the scheduler's death ended none

        found = stop_trial_process(trial, grace_s=1.0)
        assert found == 5  # the trial and its four
        left = {name: pid for name, pid in pids.items() if not gone(pid)}
        assert not left and gone(trial.pid or 0), f"left running: {left}"


@pytest.mark.timeout(30)
def test_the_keeper_reaps_adopted_orphans_but_never_a_popen_childs_exit_status(
        tmp_path: Path) -> None:
    """The root exits with 7 while its daemonised grandchild (which ignores SIGTERM) runs on:
    the keeper ends and reaps the grandchild, and Popen still gets its child's 7 (a
    waitpid(-1) would have taken it)."""
    code = ("import os, signal, sys, time\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    if os.fork() == 0:\n"
            "        signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            f"        open({str(tmp_path / 'pid')!r}, 'w').write(str(os.getpid()))\n"
            "        time.sleep(60)\n"
            "    os._exit(0)\n"
            "os.wait()\n"
            f"while not os.path.exists({str(tmp_path / 'pid')!r}): time.sleep(0.01)\n"
            "sys.exit(7)\n")
    keeper = TreeKeeper(grace_s=0.3)
    try:
        root = subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                                env={**os.environ, "HPDESK_TRIAL_ID": "41"})
        tree = ProcessTree(41, root.pid)
        wait_until(lambda: psutil.Process(root.pid).status() == psutil.STATUS_ZOMBIE, 20,
                   what="the root to exit")
        orphan = int((tmp_path / "pid").read_text())
        assert psutil.Process(orphan).ppid() == os.getpid()  # adopted by the subreaper
        assert keeper.ended(tree) == 1

        def reaped() -> bool:
            keeper.poll([])  # the scheduler's loop: SIGKILL after the grace, then waitpid
            return not psutil.pid_exists(orphan)

        wait_until(reaped, 10, what="the orphan to be ended and reaped")
        assert root.wait(timeout=5) == 7
    finally:
        keeper.close()
    assert not is_subreaper()


@pytest.mark.timeout(30)
def test_a_reused_pid_is_never_signalled() -> None:
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        tree = ProcessTree(7, None)
        real = psutil.Process(other.pid).create_time()
        tree.members[other.pid] = real - 5.0  # a process of the trial that had this pid once
        assert tree.signal(signal.SIGKILL) == 0  # nothing was sent
        assert other.poll() is None
        tree.members[other.pid] = real
        assert tree.signal(signal.SIGKILL) == 1
        assert other.wait(timeout=5) == -signal.SIGKILL
    finally:
        other.kill()
        other.wait()


def test_the_subreaper_is_restored_after_the_last_user() -> None:
    assert not is_subreaper()
    assert enable_subreaper() and enable_subreaper()
    disable_subreaper()
    assert is_subreaper()  # one user left
    disable_subreaper()
    assert not is_subreaper()
