"""Output of any size (issue 11, item 3), through the real CLI: a trial that floods its output
has every metric line stored and its objective from the complete curve, its log stays under
the plan's limit with a visible marker and its final traceback; the last line without a newline
is read, even while a process the trial left holds its output open; a scheduler killed -9 takes
the pipe with it (the trial ends at its next write), and a resume continues the steps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from hpdesk.plan import PlanError, loads_plan
from hpdesk.store import Store
from tests.faults.helpers import ROOT, hpdesk
from tests.waiting import wait_until


def script_plan(tmp_path: Path, code: str, **top: Any) -> Path:
    script = tmp_path / "trial.py"
    script.write_text(code)
    plan = {"hpdesk": 1, "task": "script", "name": "out", "command": ["python", str(script)],
            "params_style": "env", "space": {"x": {"type": "fixed", "value": 1}},
            "objective": {"metric": "loss", "direction": "minimize"},
            "strategy": "grid", "budget": {"trials": 1}, "concurrency": 1, **top}
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan))
    return path


PLAN = "hpdesk: 1\ntask: script\ncommand: python x.py\nspace: {x: 1}\n"


@pytest.mark.parametrize("given, problem", [("0.5", "between 1 and 1000000 MB"),
                                            ("2000000", "between 1 and 1000000 MB"),
                                            (".nan", "a finite number"), ("lots", "a number")])
def test_the_log_limit_is_bounded_and_a_bad_one_is_named(given: str, problem: str) -> None:
    assert loads_plan(PLAN).executor.log_limit_mb == 100  # the default
    plan = loads_plan(PLAN + "executor: {log_limit_mb: 2.5}")
    assert plan.executor.log_limit_mb == 2.5
    assert loads_plan(yaml.safe_dump(plan.to_dict())).executor.log_limit_mb == 2.5
    with pytest.raises(PlanError) as caught:
        loads_plan(PLAN + f"executor: {{log_limit_mb: {given}}}")
    (found,) = caught.value.problems
    assert "executor.log_limit_mb" in str(found) and problem in str(found)


@pytest.mark.timeout(120)
def test_a_flood_has_every_metric_line_stored_and_its_log_keeps_both_ends() -> None:
    """benchmarks/output_flood.py's quick mode: 2 s asked at 80 MB/s, a 5 MB log."""
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "output_flood.py"),
                          "--seconds", "2", "--log-limit-mb", "5", "--end", "traceback",
                          "--no-baseline"], capture_output=True, text=True, timeout=110,
                         cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["metric_lines_printed"] > 100 and got["every_metric_line_stored"], got
    assert got["metric_points_stored"] == got["metric_lines_printed"]
    assert got["objective_from_last_point"] and got["objective"] == got["last_printed_loss"]
    assert got["bytes_printed"] > 2 * got["log_limit_bytes"]  # the log was cut, often
    assert got["log_bytes"] <= got["log_limit_bytes"]
    assert got["log_marker"].startswith("----- hpdesk: log limit of 5 MB reached; ")
    assert got["log_ends_with_trial_end"]  # its traceback, kept at the end...
    assert got["trial_message"] == "exited with code 1: RuntimeError: the flood is over"


@pytest.mark.timeout(60)
def test_the_last_line_without_a_newline_is_read_while_a_left_child_holds_the_output(
        tmp_path: Path) -> None:
    """3 MB of noise, then metric lines, the last one without a newline, then exit; a child
    the trial started keeps the output open for 120 s: the verdict does not wait for it."""
    code = ("import subprocess, sys\n"
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
            "out = sys.stdout.buffer\n"
            "out.write(b'tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])\\n' * 60000)\n"
            "out.write(b'loss: 0.9\\nloss: 0.5\\nloss: 0.25')\n"
            "out.flush()\n")
    plan = script_plan(tmp_path, code)
    db = tmp_path / "x.db"
    out = hpdesk("run", str(plan), "--db", str(db), timeout=50)
    assert out.returncode == 0, out.stdout + out.stderr
    with Store(db) as store:
        (t,) = store.trials()
        assert store.series(t.id, "loss") == ([1, 2, 3], [0.9, 0.5, 0.25])
        assert t.state == "completed" and t.objective == 0.25
    assert Path(t.log_path or "").read_bytes().endswith(b"loss: 0.5\nloss: 0.25")


RESUMABLE = """
import os, sys, time
from pathlib import Path
marker = Path(os.environ["HPDESK_TRIAL_DIR"]) / "ran-before"
if marker.exists():  # the resumed run: five more lines, no step of their own
    for value in (0.5, 0.4, 0.3, 0.2, 0.1):
        print(f"loss: {value}", flush=True)
    sys.exit(0)
marker.write_text("1")
for i in range(1, 100000):  # until the scheduler is gone: then a write fails
    print(f"loss: {1 + 1 / i:.6f}", flush=True)
    time.sleep(0.01)
"""


@pytest.mark.timeout(90)
def test_a_killed_scheduler_ends_its_trial_at_its_next_write_and_a_resume_continues_steps(
        tmp_path: Path) -> None:
    plan = script_plan(tmp_path, RESUMABLE)
    db = tmp_path / "x.db"
    scheduler = subprocess.Popen([sys.executable, "-m", "hpdesk.cli", "run", str(plan), "--db",
                                  str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 cwd=ROOT)
    try:
        def stored() -> int:
            if not db.exists():
                return 0
            with Store(db) as store:
                trials = store.trials()
                return len(store.series(trials[0].id, "loss")[0]) if trials else 0

        wait_until(lambda: stored() >= 20, 40, what="20 printed points stored")
    finally:
        scheduler.send_signal(signal.SIGKILL)
        scheduler.wait()
    with Store(db) as store:
        (t,) = store.trials()
        before = store.series(t.id, "loss")
    assert t.pid is not None

    def trial_gone() -> bool:
        try:
            return psutil.Process(t.pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    # Nothing reads its output any more: its next print fails and it ends, before any
    # recovery would stop it.
    wait_until(trial_gone, 20, what="the trial to end once its output pipe was gone")
    out = hpdesk("resume", "1", "--db", str(db), "--foreground", timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    with Store(db) as store:
        (t,) = store.trials()
        steps, values = store.series(t.id, "loss")
        assert t.state == "completed" and t.objective == 0.1
    old = len(before[0])
    assert (steps[:old], values[:old]) == before  # the first run's points, each once
    assert values[-5:] == [0.5, 0.4, 0.3, 0.2, 0.1]
    assert steps[-5:] == list(range(steps[-6] + 1, steps[-6] + 6))  # after the stored ones
    assert b"runs again from here" in Path(t.log_path or "").read_bytes()
    assert os.path.getsize(t.log_path or "") > 0
