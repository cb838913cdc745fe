"""The Ray executor for real: a private head on loopback (`address: local`, 2 CPUs), and a
cluster started by the test (token authentication on, as Ray ships it) that outlives the
scheduler, for `hpdesk stop` and for a killed scheduler's resume re-attaching to its job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from hpdesk.runner.ray_head import PrivateHead
from hpdesk.runner.ray_jobs import ray_installed
from hpdesk.store import Store
from tests.waiting import STARTS_ENV, trial_starts, wait_until

pytestmark = pytest.mark.skipif(not ray_installed(), reason="Ray is not installed")
ROOT = Path(__file__).resolve().parents[2]
FAKE = ROOT / "tests" / "fixtures" / "fake_train.py"


def hpdesk(*args: str, env: dict[str, str] | None = None,
           timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hpdesk.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, env=env)


def ray_processes(mark: str = "hpdesk-ray-") -> list[int]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if any(mark in part for part in proc.info["cmdline"] or ()):
                found.append(proc.pid)
        except psutil.Error:
            continue
    return found


def concurrency(trials: list[Any]) -> int:
    """The most trials that ran at once, from their start and end times."""
    edges = sorted([(t.started_at, 1) for t in trials] + [(t.ended_at, -1) for t in trials],
                   key=lambda e: (e[0], e[1]))
    now = most = 0
    for _, delta in edges:
        now += delta
        most = max(most, now)
    return most


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateHead]:
    """A Ray cluster that is not the scheduler's: it outlives a killed scheduler."""
    head = PrivateHead(tmp_path_factory.mktemp("cluster"), num_cpus=2)
    head.start()
    yield head
    head.stop()


def jobs_of(head: PrivateHead, db: Path) -> list[dict[str, Any]]:
    """The cluster's jobs that trials of database `db` submitted (the jobs' metadata says)."""
    return [j for j in jobs_on(head)
            if (j["metadata"] or {}).get("hpdesk_db") == str(db.resolve())]


def jobs_on(head: PrivateHead) -> list[dict[str, Any]]:
    """The cluster's jobs, listed by a separate Python (Ray reads the token at import)."""
    code = ("import json,sys; from ray.job_submission import JobSubmissionClient as C; "
            "jobs = C(sys.argv[1]).list_jobs(); "
            "print(json.dumps([{'id': j.submission_id, 'status': str(j.status.value), "
            "'metadata': j.metadata} for j in jobs]))")
    out = subprocess.run([sys.executable, "-c", code, head.address], capture_output=True,
                         text=True, env={**os.environ, **head.env}, timeout=60)
    assert out.returncode == 0, out.stderr
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def script_plan(tmp_path: Path, executor: dict[str, Any], *, trials: int, steps: int,
                sleep: float) -> Path:
    plan = {"hpdesk": 1, "task": "script", "name": "on-ray",
            "command": ["python", str(FAKE)],
            "objective": {"metric": "val_acc", "direction": "maximize"},
            "strategy": "grid", "budget": {"trials": trials}, "concurrency": 2,
            "executor": executor,
            "space": {"lr": [0.01 * (i + 1) for i in range(trials)], "steps": steps,
                      "sleep": sleep}}
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan))
    return path


def test_digits_on_a_private_head_four_trials_two_at_a_time(tmp_path: Path) -> None:
    """The issue's check: a digits plan with `address: local` runs 4 trials, 2 at a time, the
    curves arrive in the database while the trials run, and the head is gone afterwards."""
    plan = {"hpdesk": 1, "task": "classification", "data": {"source": "digits"},
            "objective": {"metric": "val_acc", "direction": "maximize"},
            "strategy": {"name": "random", "seed": 3}, "budget": {"trials": 4},
            "concurrency": 2,
            "executor": {"kind": "ray", "address": "local", "local_cpus": 2,
                         "cpus_per_trial": 1},
            "space": {"lr": {"type": "float", "low": 0.001, "high": 0.01, "log": True},
                      "epochs": 3, "model": "mlp", "width": 16}}
    path = tmp_path / "digits.yaml"
    path.write_text(yaml.safe_dump(plan))
    db = tmp_path / "ray.db"
    out = hpdesk("start", str(path), "--db", str(db))
    assert out.returncode == 0, out.stderr
    exp_id = int(out.stdout.strip().splitlines()[-1])
    live: list[int] = []

    def a_curve_while_running() -> bool:
        with Store(db) as store:
            for trial in store.trials(exp_id):
                if trial.state == "running" and store.last_step(trial.id):
                    live.append(trial.id)
                    return True
        return False

    wait_until(a_curve_while_running, 180, what="a running Ray trial's first points")
    wait_until(lambda: Store(db).experiment(exp_id).state not in ("running", "created"), 300,
               what="the experiment to end")
    with Store(db) as store:
        exp = store.experiment(exp_id)
        trials = store.trials(exp_id)
        assert exp.state == "completed", [(t.state, t.message) for t in trials]
        assert [t.state for t in trials] == ["completed"] * 4
        assert all(t.device == "ray" for t in trials)
        assert all(t.objective is not None and 0 < t.objective <= 1 for t in trials)
        steps = store.conn.execute(
            "SELECT COUNT(DISTINCT step) FROM metrics WHERE trial_id = ? AND name = 'val_acc'",
            (trials[0].id,)).fetchone()[0]
        assert steps == 3  # one point an epoch, stored exactly as the job reported them
        assert concurrency(trials) == 2
        log = Path(trials[0].log_path or "").read_text()
    assert "submitted Ray job" in log
    assert not ray_processes(), "the private head was left running"
    assert not list((tmp_path / "ray.db.hpdesk").glob("**/ray-head.json"))


def test_stop_stops_the_ray_jobs_and_a_killed_follower_leaves_none(
        tmp_path: Path, cluster: PrivateHead) -> None:
    """Two trials run as jobs; the follower of one is killed outright (its job is stopped by
    the scheduler, the trial fails), then `hpdesk stop` stops the other's job."""
    starts = tmp_path / "starts.txt"
    executor = {"kind": "ray", "address": cluster.address, "cpus_per_trial": 1,
                "auth_token_file": cluster.env["RAY_AUTH_TOKEN_PATH"]}
    path = script_plan(tmp_path, executor, trials=2, steps=100_000, sleep=0.05)
    db = tmp_path / "stop.db"
    # The fake trainer's starts file reaches the job through the plan's own environment.
    plan = yaml.safe_load(path.read_text())
    plan["env"] = {STARTS_ENV: str(starts)}
    path.write_text(yaml.safe_dump(plan))
    out = hpdesk("start", str(path), "--db", str(db))
    assert out.returncode == 0, out.stderr
    exp_id = int(out.stdout.strip().splitlines()[-1])

    def both_report() -> bool:
        with Store(db) as store:
            running = [t for t in store.trials(exp_id) if t.state == "running"]
            return len(running) == 2 and all((store.last_step(t.id) or 0) >= 3
                                             for t in running)

    wait_until(both_report, 180, what="two Ray trials reporting")
    with Store(db) as store:
        first, second = store.trials(exp_id)
    os.kill(first.pid or 0, signal.SIGKILL)  # the follower of trial 0, not its job

    def first_job_stopped() -> bool:
        statuses = {j["id"].split("-")[2]: j["status"] for j in jobs_of(cluster, db)}
        return statuses.get("t0") == "STOPPED" and statuses.get("t1") == "RUNNING"

    wait_until(first_job_stopped, 60, what="trial 0's job stopped, trial 1's running")
    out = hpdesk("stop", str(exp_id), "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert {j["status"] for j in jobs_of(cluster, db)} == {"STOPPED"}
    pids = [int(line.split()[1]) for line in starts.read_text().splitlines() if line]
    assert len(pids) == 2
    for pid in pids:  # the scripts themselves ended, on the cluster
        wait_until(lambda p=pid: not psutil.pid_exists(p), 30, what=f"job process {pid} ends")
    with Store(db) as store:
        assert store.experiment(exp_id).state == "stopped"
        first, second = store.trials(exp_id)
    assert first.state == "failed" and "SIGKILL" in (first.message or "")
    assert second.state == "interrupted"


def test_a_resumed_scheduler_reattaches_to_its_running_job(
        tmp_path: Path, cluster: PrivateHead) -> None:
    starts = tmp_path / "starts.txt"
    executor = {"kind": "ray", "address": cluster.address,
                "auth_token_file": cluster.env["RAY_AUTH_TOKEN_PATH"]}
    path = script_plan(tmp_path, executor, trials=1, steps=40, sleep=0.1)
    plan = yaml.safe_load(path.read_text())
    plan["env"] = {STARTS_ENV: str(starts)}
    path.write_text(yaml.safe_dump(plan))
    db = tmp_path / "attach.db"
    out = hpdesk("start", str(path), "--db", str(db))
    assert out.returncode == 0, out.stderr
    exp_id = int(out.stdout.strip().splitlines()[-1])

    def reported(step: int) -> bool:
        with Store(db) as store:
            return any((store.last_step(t.id) or 0) >= step for t in store.trials(exp_id))

    wait_until(lambda: reported(5), 180, what="the Ray trial's first points")
    pid = Store(db).experiment(exp_id).scheduler_pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # the scheduler dies; the job on the cluster does not
    out = hpdesk("resume", str(exp_id), "--db", str(db), "--foreground")
    assert out.returncode == 0, out.stderr + out.stdout
    with Store(db) as store:
        (trial,) = store.trials(exp_id)
        assert trial.state == "completed", trial.message
        rows = store.conn.execute(
            "SELECT step FROM metrics WHERE trial_id = ? AND name = 'loss' ORDER BY step",
            (trial.id,)).fetchall()
        log = Path(trial.log_path or "").read_text()
    assert [r[0] for r in rows] == list(range(1, 41))  # every step once: none lost, none twice
    assert "re-attached to Ray job" in log
    assert sum(trial_starts(starts).values()) == 1  # never submitted again
    mine = jobs_of(cluster, db)
    assert len(mine) == 1 and mine[0]["status"] == "SUCCEEDED"


def test_a_failing_job_and_one_over_its_time_limit(tmp_path: Path,
                                                  cluster: PrivateHead) -> None:
    """One job breaks (its exit code and its points up to there are the trial's); the other
    runs past executor.trial_timeout, and its job is stopped."""
    executor = {"kind": "ray", "address": cluster.address, "trial_timeout": "4s",
                "auth_token_file": cluster.env["RAY_AUTH_TOKEN_PATH"]}
    path = script_plan(tmp_path, executor, trials=2, steps=100_000, sleep=0.05)
    plan = yaml.safe_load(path.read_text())
    plan["space"] = {"fail_at": [4, -1], "steps": 100_000, "sleep": 0.05}
    path.write_text(yaml.safe_dump(plan))
    db = tmp_path / "fail.db"
    out = hpdesk("run", str(path), "--db", str(db))
    assert out.returncode == 1, out.stderr + out.stdout
    with Store(db) as store:
        broken, slow = store.trials()
        steps = [r[0] for r in store.conn.execute(
            "SELECT step FROM metrics WHERE trial_id = ? AND name = 'loss' ORDER BY step",
            (broken.id,))]
        slow_steps = store.last_step(slow.id) or 0
    assert broken.state == "failed" and broken.exit_code == 5, broken.message
    assert steps == [1, 2, 3]  # what it reported before it broke is kept
    assert slow.state == "failed" and "timed out after 4s" in (slow.message or "")
    assert slow_steps > 0  # its points up to the stop are kept
    statuses = {j["id"].split("-")[2]: j["status"] for j in jobs_of(cluster, db)}
    assert statuses == {"t0": "FAILED", "t1": "STOPPED"}


def test_an_unreachable_cluster_is_said_in_one_line(tmp_path: Path) -> None:
    from hpdesk.runner.ray_head import free_ports

    executor = {"kind": "ray", "address": f"http://127.0.0.1:{free_ports(1)[0]}"}
    db = tmp_path / "none.db"
    out = hpdesk("run", str(script_plan(tmp_path, executor, trials=1, steps=3, sleep=0)),
                 "--db", str(db))
    assert out.returncode == 1
    with Store(db) as store:
        (trial,) = store.trials()
    assert trial.state == "failed"
    assert "cannot reach the Ray cluster at http://127.0.0.1:" in (trial.message or "")

