"""The warm launcher: built-in tasks forked from a template that has torch imported."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from hpdesk.runner.warm import WarmLauncher
from hpdesk.store import Store
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, warm: bool, trials: int = 2, epochs: int = 1, extra: dict | None = None,
        env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], Path]:
    plan = {"hpdesk": 1, "task": "classification", "strategy": "grid", "concurrency": 2,
            "budget": {"trials": trials},
            "executor": {"warm_start": warm, **(extra or {})},
            "space": {"lr": [0.002, 0.004, 0.006, 0.008][:trials], "epochs": epochs,
                      "width": 8, "depth": 2}}
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan))
    db = tmp_path / "x.db"
    out = subprocess.run([sys.executable, "-m", "hpdesk.cli", "run", str(path), "--db", str(db)],
                         capture_output=True, text=True, timeout=240, cwd=ROOT,
                         env={**os.environ, **(env or {})})
    return out, db


def test_warm_trials_are_separate_processes_with_their_own_gpu(tmp_path: Path) -> None:
    out, db = run(tmp_path, warm=True, extra={"devices": "auto", "trials_per_gpu": 1},
                  env={"HPDESK_FAKE_GPUS": "2"})
    assert out.returncode == 0, out.stderr
    with Store(db) as store:
        trials = store.trials()
        assert [t.state for t in trials] == ["completed", "completed"]
        assert {t.provenance["launcher"] for t in trials} == {"warm"}  # type: ignore[index]
        assert {t.provenance["env"]["CUDA_VISIBLE_DEVICES"] for t in trials} == {"0", "1"}  # type: ignore[index]
        assert len({t.pid for t in trials}) == 2 and all(t.objective for t in trials)
    for t in trials:
        log = Path(t.log_path or "").read_text()
        assert "RuntimeWarning" not in log and "completed after" in log


def test_warm_and_cold_trials_train_identically(tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    (tmp_path / "c").mkdir()
    warm_out, warm_db = run(tmp_path / "w", warm=True, trials=1)
    cold_out, cold_db = run(tmp_path / "c", warm=False, trials=1)
    assert warm_out.returncode == 0 and cold_out.returncode == 0, warm_out.stderr + cold_out.stderr
    with Store(warm_db) as w, Store(cold_db) as c:
        (tw,), (tc,) = w.trials(), c.trials()
        assert tw.provenance["launcher"] == "warm"  # type: ignore[index]
        assert tc.provenance["launcher"] == "subprocess"  # type: ignore[index]
        warm_curve = w.series(tw.id, "train_loss")
        assert warm_curve[0], "no training curve: nothing was compared"
        assert warm_curve == c.series(tc.id, "train_loss")


def test_kill_9_of_a_warm_trial_is_recorded(tmp_path: Path) -> None:
    plan_db = tmp_path / "x.db"
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump({
        "hpdesk": 1, "task": "classification", "strategy": "grid", "concurrency": 2,
        "budget": {"trials": 2}, "space": {"lr": [0.002, 0.004], "epochs": 300, "width": 8,
                                           "depth": 1}}))
    run_proc = subprocess.Popen([sys.executable, "-m", "hpdesk.cli", "run", str(path),
                                 "--db", str(plan_db)], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        victim = None
        while time.time() < deadline and victim is None:
            time.sleep(0.2)
            if plan_db.exists():
                with Store(plan_db) as store:
                    running = [t for t in store.trials() if t.state == "running"
                               and (store.last_step(t.id) or 0) > 0]
                    if len(running) == 2:
                        victim = running[0]
        assert victim is not None and victim.pid
        os.kill(victim.pid, signal.SIGKILL)
        with Store(plan_db) as store:  # the scheduler has seen the kill: Ctrl-C comes after it
            wait_until(lambda: store.trial(victim.id).state != "running", 60,
                       what="the killed trial to be recorded")
        run_proc.send_signal(signal.SIGINT)
        run_proc.communicate(timeout=60)
    finally:
        if run_proc.poll() is None:
            run_proc.kill()
    with Store(plan_db) as store:
        killed = store.trial(victim.id)
        assert killed.state == "failed" and killed.exit_code == -signal.SIGKILL
        other = [t for t in store.trials() if t.id != victim.id][0]
        assert other.state == "interrupted"  # it went on until Ctrl-C


def test_a_template_that_cannot_start_means_no_warm_start(tmp_path: Path) -> None:
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    launcher = WarmLauncher(python=str(broken))
    assert launcher.start("hpdesk.tasks.classification", dict(os.environ), None,
                          tmp_path / "log") is None
    launcher.close()


def test_a_recreated_database_never_resumes_an_old_checkpoint(tmp_path: Path) -> None:
    out, db = run(tmp_path, warm=True, trials=1)
    assert out.returncode == 0, out.stderr
    with Store(db) as store:
        (first,) = store.trials()
        first_curve = store.series(first.id, "train_loss")
    assert first_curve[0]
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    out, db = run(tmp_path, warm=True, trials=1)
    assert out.returncode == 0, out.stderr
    with Store(db) as store:
        (trial,) = store.trials()
        assert trial.id == first.id  # the same id again: only its folder tells the two apart
        # Trained from its first step (the same seed, the same curve), not resumed from the old
        # trial's finished checkpoint, which would leave it nothing to train.
        assert trial.objective is not None
        assert store.series(trial.id, "train_loss") == first_curve
        assert store.experiment(trial.experiment_id).workdir.endswith("experiment-1.2")  # type: ignore[union-attr]
