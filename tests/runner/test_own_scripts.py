"""Own scripts as people write them (issue 10), end to end with real subprocesses: a folder per
trial, points that match each trial's log line for line, SDK points kept, failures that say
why, a polite stop, and a preview that shows what will run."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from hpdesk.plan import load_plan
from hpdesk.runner.preview import preview_trials
from hpdesk.store import Store
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
BATCH = re.compile(r"^\| epoch\s+(\d+) \|.*\| loss\s+(\S+) \|")
VALID = re.compile(r"\| end of epoch\s+(\d+) \|.*\| valid loss\s+(\S+) \|")
TEST = re.compile(r"\| End of training \| test loss\s+(\S+) \|")


def hpdesk(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hpdesk.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)


def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copy(FIXTURES / "lm_like.py", folder / "main.py")
    (folder / "model.pt").write_text('{"valid": -1, "lr": -1}')  # left by a run by hand
    return folder


def write_plan(folder: Path, **fields: Any) -> Path:
    plan = {"hpdesk": 1, "task": "script", "name": "lm", "command": "python main.py",
            "params_style": "flags", "arguments": {"tied": {"boolean": "switch"}},
            "objective": {"metric": "valid loss", "direction": "minimize"},
            "strategy": {"name": "grid"}, "budget": {"trials": 4}, "concurrency": 2,
            "space": {"lr": {"type": "categorical", "choices": [5.0, 15.0]},
                      "tied": {"type": "categorical", "choices": [True, False]}}}
    plan.update(fields)
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False))
    return path


def test_two_at_once_each_trial_keeps_its_files_and_its_own_log_line_for_line(
        tmp_path: Path) -> None:
    folder = project(tmp_path)
    plan = write_plan(folder)
    db = tmp_path / "x.db"
    out = hpdesk("run", str(plan), "--db", str(db))
    assert out.returncode == 0, out.stdout + out.stderr
    assert (folder / "model.pt").read_text() == '{"valid": -1, "lr": -1}'  # never touched
    with Store(db) as store:
        trials = store.trials()
        assert [t.state for t in trials] == ["completed"] * 4
        starts = sorted(t.started_at or 0 for t in trials)
        assert starts[1] < min(t.ended_at or 0 for t in trials)  # two ran at once
        for t in trials:
            log = Path(t.log_path or "").read_text().splitlines()
            batches = [m for line in log if (m := BATCH.match(line))]
            valids = [m for line in log if (m := VALID.search(line))]
            (test,) = [m for line in log if (m := TEST.search(line))]
            steps, losses = store.series(t.id, "loss")
            assert losses == [float(m.group(2)) for m in batches]  # 6 lines, 6 points
            assert len(set(steps)) == 6 and steps == sorted(steps)
            assert store.series(t.id, "valid loss")[1] == [float(m.group(2)) for m in valids]
            assert store.series(t.id, "test loss")[1] == [float(test.group(1))]
            epoch_at = dict(zip(*store.series(t.id, "epoch")))
            assert [epoch_at[s] for s in steps] == [float(m.group(1)) for m in batches]
            assert t.objective == float(valids[-1].group(2))
            # Its own model.pt, saved and loaded back in its own folder.
            trial_dir = Path(t.log_path or "").with_suffix("")
            saved = (trial_dir / "model.pt").read_text()
            assert f'"lr": {t.params["lr"]}' in saved
            assert f"lr {t.params['lr']}" in log[-2]
            argv = (t.provenance or {}).get("command", [])
            assert ("--tied" in argv) is t.params["tied"] and "true" not in argv


def test_the_preview_shows_the_trials_the_run_starts(tmp_path: Path) -> None:
    folder = project(tmp_path)
    plan = write_plan(folder, strategy={"name": "random", "seed": 11},
                      space={"lr": {"type": "float", "low": 1.0, "high": 20.0},
                             "tied": {"type": "categorical", "choices": [True, False]}},
                      budget={"trials": 2}, concurrency=1)
    out = hpdesk("plan", "preview", str(plan), "--trials", "2")
    assert out.returncode == 0, out.stderr
    previews, _ = preview_trials(load_plan(plan).resolved(folder), 2)
    for p in previews:
        assert f"trial {p.number} (in <experiment folder>/trial-{p.number}):" in out.stdout
    db = tmp_path / "x.db"
    assert hpdesk("run", str(plan), "--db", str(db)).returncode == 0
    with Store(db) as store:
        assert [t.params for t in store.trials()] == [p.params for p in previews]


def test_sdk_points_are_kept_when_the_script_also_prints_them(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    plan = write_plan(folder, command=[sys.executable, str(FIXTURES / "sdk_and_print.py")],
                      arguments={}, objective={"metric": "val_loss", "direction": "minimize"},
                      space={"steps": {"type": "fixed", "value": 5}}, params_style="env",
                      budget={"trials": 1}, concurrency=1)
    db = tmp_path / "x.db"
    out = hpdesk("run", str(plan), "--db", str(db))
    assert out.returncode == 0, out.stdout + out.stderr
    with Store(db) as store:
        (t,) = store.trials()
        assert store.series(t.id, "loss") == ([0, 1, 2, 3, 4], [1.0, 0.5, 1 / 3, 0.25, 0.2])
        assert store.series(t.id, "acc")[1] == [0.0, 0.1, 0.2, 0.3, 0.4]  # printed only: read
        assert t.state == "completed" and t.objective == 0.5


def test_a_wrong_objective_name_is_no_success_and_run_exits_1(tmp_path: Path) -> None:
    folder = project(tmp_path)
    plan = write_plan(folder, objective={"metric": "val_loss", "direction": "minimize"},
                      budget={"trials": 2}, arguments={}, space={"lr": {"type": "categorical",
                                                          "choices": [5.0, 15.0]}})
    db = tmp_path / "x.db"
    out = hpdesk("run", str(plan), "--db", str(db))
    assert out.returncode == 1, out.stdout + out.stderr
    assert "no trial completed with the objective `val_loss`" in out.stdout
    with Store(db) as store:
        assert store.experiment(1).state == "failed"
        for t in store.trials():
            assert t.state == "no_objective" and t.objective is None
            assert (t.message or "").startswith("objective `val_loss` was never reported; "
                                                "metrics seen: ")
            seen = (t.message or "").split("metrics seen: ")[1].split(", ")
            assert {"loss", "valid loss", "test loss", "ppl"} <= set(seen)
            assert "lr" in seen and "epoch" in seen


def test_a_failure_says_its_last_error_line_and_a_never_started_trial_says_why(
        tmp_path: Path) -> None:
    folder = project(tmp_path)
    plan = write_plan(folder, arguments={}, budget={"trials": 1},
                      space={"tied": {"type": "fixed", "value": True}})
    db = tmp_path / "x.db"
    out = hpdesk("run", str(plan), "--db", str(db))
    assert out.returncode == 1
    with Store(db) as store:
        (t,) = store.trials()
        assert t.state == "failed"
        assert t.message == ("exited with code 2: main.py: error: unrecognized arguments: true")
    plan = write_plan(folder, command=[str(tmp_path / "no-such-python"), "main.py"],
                      budget={"trials": 1}, arguments={},
                      space={"lr": {"type": "fixed", "value": 1.0}})
    out = hpdesk("run", str(plan), "--db", str(db))
    assert out.returncode == 1
    with Store(db) as store:
        t = store.trials(2)[0]
        assert t.state == "failed" and "could not start" in (t.message or "")
    logs = hpdesk("logs", str(t.id), "--db", str(db))
    assert logs.returncode == 0 and "could not start" in logs.stdout
    assert "no-such-python" in logs.stdout


def test_a_stop_sends_ctrl_c_first_and_a_resumed_log_marks_the_new_run(tmp_path: Path) -> None:
    folder = project(tmp_path)
    plan = write_plan(folder, arguments={}, budget={"trials": 1}, concurrency=1,
                      space={"epochs": {"type": "fixed", "value": 1000},
                             "sleep": {"type": "fixed", "value": 0.05}})
    db = tmp_path / "x.db"
    proc = subprocess.Popen([sys.executable, "-m", "hpdesk.cli", "run", str(plan), "--db",
                             str(db)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    log = tmp_path / "x-runs" / "experiment-1" / "trial-0.log"
    wait_until(lambda: log.exists() and "| epoch" in log.read_text(), 60,
               what="the trial's first batch line")
    proc.send_signal(signal.SIGINT)  # hpdesk run stops its trials politely
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, output
    text = log.read_text()
    assert "Exiting from training early" in text and "| End of training |" in text
    assert (log.with_suffix("") / "interrupted.txt").exists()  # its own Ctrl-C handling ran
    # Resume in the background and stop again at once: the log marks where the new run began.
    assert hpdesk("resume", "1", "--db", str(db)).returncode == 0
    wait_until(lambda: "| epoch" in log.read_text().partition("runs again from here")[2], 60,
               what="a batch line of the second run")
    assert hpdesk("stop", "1", "--db", str(db)).returncode == 0
    lines = log.read_text().splitlines()
    marks = [i for i, line in enumerate(lines) if "hpdesk: trial 0 runs again from here" in line]
    assert len(marks) == 1 and lines[marks[0] - 1].startswith("=")
    # Both runs' batch lines are stored once each, the second run's after the first's.
    printed = [float(m.group(2)) for line in lines if (m := BATCH.match(line))]
    with Store(db) as store:
        steps, losses = store.series(1, "loss")
    assert losses == printed and len(set(steps)) == len(steps)
    assert any(BATCH.match(line) for line in lines[marks[0]:])


def test_the_shipped_own_script_example_runs_and_reads_its_own_lines(tmp_path: Path) -> None:
    plan = ROOT / "resources" / "examples" / "own-script.yaml"
    db = tmp_path / "x.db"
    started = time.monotonic()
    out = hpdesk("run", str(plan), "--db", str(db), timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert time.monotonic() - started < 60
    with Store(db) as store:
        trials = store.trials()
        assert [t.state for t in trials] == ["completed"] * 4
        for t in trials:
            log = Path(t.log_path or "").read_text()
            valids = [float(m.group(2)) for line in log.splitlines()
                      if (m := VALID.search(line))]
            assert store.series(t.id, "valid loss")[1] == valids
            assert t.objective == min(valids)  # reduce: best
            assert (Path(t.log_path or "").with_suffix("") / "model.pt").is_file()
    example = ROOT / "resources" / "examples" / "own-script"
    assert not (example / "model.pt").exists()  # nothing written into the project
