"""Experiments that outlive their terminal: start, status, stop, kill -9, recovery, resume, logs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from hpdesk.runner.recovery import pid_alive, recover_lost
from hpdesk.store import Store
from tests.waiting import trial_starts
from tests.waiting import wait_until as wait_for

ROOT = Path(__file__).resolve().parents[2]
FAKE = ROOT / "tests" / "fixtures" / "fake_train.py"


def hpdesk(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hpdesk.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)


def plan_file(tmp_path: Path, lrs: list[float], steps: int, sleep: float, **top: Any) -> Path:
    plan = {"hpdesk": 1, "task": "script", "name": "slow",
            "command": [sys.executable, str(FAKE)],
            "objective": {"metric": "val_acc", "direction": "maximize"},
            "strategy": "grid", "budget": {"trials": len(lrs)}, "concurrency": 2,
            "space": {"lr": lrs, "steps": steps, "sleep": sleep}, **top}
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan))
    return path


def status(db: Path, exp_id: int) -> dict[str, Any]:
    out = hpdesk("status", str(exp_id), "--db", str(db), "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def progressed(db: Path, n_trials: int, min_step: int) -> bool:
    with Store(db) as store:
        trials = [t for t in store.trials() if t.state == "running"]
        return len(trials) == n_trials and all(
            (store.last_step(t.id) or 0) >= min_step for t in trials)


def test_start_status_stop(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    out = hpdesk("start", str(plan_file(tmp_path, [0.1, 0.2], 10_000, 0.02)), "--db", str(db))
    assert out.returncode == 0, out.stderr
    exp_id = int(out.stdout.strip().splitlines()[-1])
    wait_for(lambda: progressed(db, 2, 5))
    s = status(db, exp_id)
    assert s["state"] == "running" and "is running" in s["scheduler"]
    assert s["trials"] == {"running": 2}
    out = hpdesk("stop", str(exp_id), "--db", str(db))
    assert out.returncode == 0 and "stopped" in out.stdout, out.stderr
    s = status(db, exp_id)
    assert s["state"] == "stopped" and s["trials"] == {"interrupted": 2}
    assert not pid_alive(s["scheduler_pid"])
    with Store(db) as store:
        for t in store.trials():
            steps, _ = store.series(t.id, "loss")
            assert len(steps) >= 5 and steps == list(range(1, len(steps) + 1))
            assert not pid_alive(t.pid)
    again = hpdesk("stop", str(exp_id), "--db", str(db))
    assert again.returncode == 0 and "not running" in again.stdout


def test_kill_9_of_the_scheduler_then_resume_loses_and_repeats_nothing(
        tmp_path: Path, starts_file: Path) -> None:
    db = tmp_path / "x.db"
    lrs = [0.1, 0.2, 0.3]
    out = hpdesk("start", str(plan_file(tmp_path, lrs, 60, 0.05)), "--db", str(db))
    assert out.returncode == 0, out.stderr
    exp_id = int(out.stdout.strip().splitlines()[-1])
    wait_for(lambda: progressed(db, 2, 10))
    scheduler_pid = status(db, exp_id)["scheduler_pid"]
    with Store(db) as store:
        orphans = [t.pid for t in store.trials()]
    os.kill(scheduler_pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(scheduler_pid), 10)
    killed_at = time.time()

    s = status(db, exp_id)  # opening the database finds the lost scheduler
    assert s["state"] == "interrupted" and s["trials"] == {"interrupted": 2}
    assert not any(pid_alive(pid) for pid in orphans)  # orphaned trials were stopped

    out = hpdesk("resume", str(exp_id), "--db", str(db), "--foreground", timeout=180)
    assert out.returncode == 0, out.stderr
    assert "resuming: 2 interrupted trial(s)" in out.stdout
    with Store(db) as store:
        trials = store.trials(exp_id)
        assert [t.state for t in trials] == ["completed"] * 3
        assert sorted(t.params["lr"] for t in trials) == lrs  # no configuration twice
        # The two cut off ran again (as the same trials), the third ran once, nothing else ran.
        assert trial_starts(starts_file) == {trials[0].id: 2, trials[1].id: 2, trials[2].id: 1}
        for t in trials[:2]:
            rows = store.conn.execute(
                "SELECT step, wall_time FROM metrics WHERE trial_id = ? AND name = 'loss'"
                " ORDER BY step", (t.id,)).fetchall()
            assert [r[0] for r in rows] == list(range(1, 61))  # nothing lost
            before = [r for r in rows if r[1] < killed_at]
            after = [r for r in rows if r[1] >= killed_at]
            # continued after its checkpoint: the early points were not written again
            assert before and after and max(r[0] for r in before) < min(r[0] for r in after)
        log = Path(trials[0].log_path or "").read_text()
        assert "resumed at step" in log


def test_kill_9_of_one_trial_fails_it_and_the_others_finish(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    out = hpdesk("start", str(plan_file(tmp_path, [0.1, 0.2, 0.3], 40, 0.05)), "--db", str(db))
    exp_id = int(out.stdout.strip().splitlines()[-1])
    wait_for(lambda: progressed(db, 2, 3))
    with Store(db) as store:
        victim = store.trials()[0]
    os.kill(victim.pid or 0, signal.SIGKILL)
    wait_for(lambda: status(db, exp_id)["state"] == "completed", 120)
    with Store(db) as store:
        trials = store.trials(exp_id)
        assert trials[0].state == "failed" and trials[0].exit_code == -signal.SIGKILL
        assert "SIGKILL" in (trials[0].message or "")
        assert [t.state for t in trials[1:]] == ["completed", "completed"]


def test_recovery_marks_a_dead_schedulers_trials_interrupted(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with Store(tmp_path / "x.db") as store:
        exp = store.create_experiment("e", "script", {"hpdesk": 1})
        trial = store.add_trial(exp.id, {"lr": 0.1})
        import socket
        store.update_experiment(exp.id, state="running", scheduler_pid=dead.pid,
                                scheduler_host=socket.gethostname(), heartbeat_at=time.time())
        store.update_trial(trial.id, state="running", pid=dead.pid, host=socket.gethostname())
        assert recover_lost(store) == [exp.id]
        assert store.trial(trial.id).state == "interrupted"
        assert "no longer running" in (store.trial(trial.id).message or "")
        assert store.experiment(exp.id).state == "interrupted"
        assert recover_lost(store) == []
        # another host: judged by its heartbeat
        other = store.create_experiment("f", "script", {"hpdesk": 1})
        store.update_experiment(other.id, state="running", scheduler_pid=1,
                                scheduler_host="elsewhere", heartbeat_at=time.time())
        assert recover_lost(store) == []
        store.update_experiment(other.id, heartbeat_at=time.time() - 3600)
        assert recover_lost(store) == [other.id]


def test_logs_prints_and_follows(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    out = hpdesk("run", str(plan_file(tmp_path, [0.1], 3, 0.0)), "--db", str(db))
    assert out.returncode == 0, out.stderr
    with Store(db) as store:
        (trial,) = store.trials()
    shown = hpdesk("logs", str(trial.id), "--db", str(db))
    assert shown.returncode == 0 and "argv" in shown.stdout
    followed = hpdesk("logs", str(trial.id), "--db", str(db), "--follow", timeout=30)
    assert followed.returncode == 0 and followed.stdout == shown.stdout
    missing = hpdesk("logs", "999", "--db", str(db))
    assert missing.returncode == 1 and "no trial 999" in missing.stderr


def test_logs_follow_a_running_trial_to_its_end(tmp_path: Path) -> None:
    """--follow on a trial that is still printing goes on until the trial ends (following a
    finished one, above, would pass if --follow only printed what is there)."""
    printer = "import time\nfor i in range(30):\n    print('loss:', i, flush=True)\n" \
              "    time.sleep(0.05)\n"
    plan = plan_file(tmp_path, [0.1], 1, 0.0, command=[sys.executable, "-c", printer],
                     objective={"metric": "loss", "direction": "minimize"})
    db = tmp_path / "x.db"
    out = hpdesk("start", str(plan), "--db", str(db))
    assert out.returncode == 0, out.stderr

    def printing() -> bool:
        with Store(db) as store:
            trials = store.trials()
            return bool(trials) and trials[0].state == "running" and "loss: 0" in Path(
                trials[0].log_path or "/nonexistent").read_text()

    wait_for(printing, 60, what="the trial's first line")
    with Store(db) as store:
        (trial,) = store.trials()
    followed = hpdesk("logs", str(trial.id), "--db", str(db), "--follow", timeout=60)
    assert followed.returncode == 0, followed.stderr
    assert "loss: 29\n" in followed.stdout  # printed after the follow began
    assert Path(trial.log_path or "").read_text().startswith(followed.stdout)
