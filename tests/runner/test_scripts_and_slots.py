"""Issue 4's checks: GPU slots (declared fake GPUs), unmodified scripts, parameter passing,
timeouts, retries, out-of-memory recognition and provenance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from hpdesk.store import Store

ROOT = Path(__file__).resolve().parents[2]
FAKE = ROOT / "tests" / "fixtures" / "fake_train.py"
PLAIN = ROOT / "tests" / "fixtures" / "plain_train.py"


def run_plan(tmp_path: Path, plan: dict[str, Any], env: dict[str, str] | None = None,
             name: str = "plan.yaml") -> tuple[subprocess.CompletedProcess[str], Path]:
    db = tmp_path / "x.db"
    path = tmp_path / name
    base = {"hpdesk": 1, "task": "script", "name": "t",
            "objective": {"metric": "val_acc", "direction": "maximize"}, "strategy": "grid"}
    path.write_text(yaml.safe_dump({**base, **plan}))
    out = subprocess.run([sys.executable, "-m", "hpdesk.cli", "run", str(path), "--db", str(db)],
                         capture_output=True, text=True, timeout=180, cwd=ROOT,
                         env={**os.environ, **(env or {})})
    return out, db


def logs(db: Path) -> list[str]:
    with Store(db) as store:
        return [Path(t.log_path or "").read_text() for t in store.trials()]


def test_four_trials_share_two_fake_gpus_two_each(tmp_path: Path) -> None:
    plan = {"command": [sys.executable, str(FAKE)], "concurrency": 4,
            "executor": {"devices": "auto", "trials_per_gpu": 2},
            "budget": {"trials": 4},
            "space": {"lr": [0.1, 0.2, 0.3, 0.4], "steps": 8, "sleep": 0.25,
                      "echo_env": "CUDA_VISIBLE_DEVICES"}}
    out, db = run_plan(tmp_path, plan, env={"HPDESK_FAKE_GPUS": "2"})
    assert out.returncode == 0, out.stderr
    with Store(db) as store:
        trials = store.trials()
        latest_start = max(t.started_at or 0 for t in trials)
        assert all((t.ended_at or 0) > latest_start for t in trials)  # all four at once
        assert sorted(t.device or "" for t in trials) == [
            "cuda:0 (Fake GPU, 16 GiB)"] * 2 + ["cuda:1 (Fake GPU, 16 GiB)"] * 2
    seen = sorted(line.split()[-1] for text in logs(db) for line in text.splitlines()
                  if line.startswith("env CUDA_VISIBLE_DEVICES"))
    assert seen == ["0", "0", "1", "1"]  # asserted from inside the trials


def test_cpu_trials_see_no_gpu_and_a_missing_gpu_is_a_clear_error(tmp_path: Path) -> None:
    plan = {"command": [sys.executable, str(FAKE)], "executor": {"devices": "cpu"},
            "budget": {"trials": 1},
            "space": {"lr": 0.1, "steps": 1, "echo_env": "CUDA_VISIBLE_DEVICES"}}
    out, db = run_plan(tmp_path, plan, env={"HPDESK_FAKE_GPUS": "2"})
    assert out.returncode == 0
    assert "env CUDA_VISIBLE_DEVICES " in logs(db)[0].splitlines()  # set, and empty: no GPU
    plan["executor"] = {"devices": [3]}
    out, _ = run_plan(tmp_path, plan, env={"HPDESK_FAKE_GPUS": "2"}, name="p2.yaml")
    assert out.returncode == 2 and "asks for GPU 3" in out.stderr


def test_unmodified_script_with_loss_lines_gets_its_curve(tmp_path: Path) -> None:
    plan = {"command": [sys.executable, str(PLAIN)], "params_style": "flags",
            "budget": {"trials": 2}, "space": {"lr": [0.1, 0.5], "epochs": 4}}
    out, db = run_plan(tmp_path, plan)
    assert out.returncode == 0, out.stderr
    with Store(db) as store:
        for trial in store.trials():
            steps, losses = store.series(trial.id, "loss")
            assert steps == [1, 2, 3, 4]
            lr = trial.params["lr"]
            assert losses == [round((1 - lr) ** e, 4) for e in range(1, 5)]
            assert trial.objective == round(1 - (1 - lr) ** 4, 4)
            assert trial.state == "completed"


def test_parameter_styles_reach_the_script_as_arguments(tmp_path: Path) -> None:
    expected = {
        "flags": ["--lr", "0.1", "--tag", "; rm -rf ~"],
        "equals": ["--lr=0.1", "--tag=; rm -rf ~"],
        "hydra": ["lr=0.1", "tag=; rm -rf ~"],
        "template": ["--tag", "; rm -rf ~"],
    }
    for style, argv in expected.items():
        command = [sys.executable, str(PLAIN)]
        if style == "template":
            command += ["--tag", "{tag}"]
        plan = {"command": command, "params_style": style, "budget": {"trials": 1},
                "space": {"lr": 0.1, "tag": "; rm -rf ~"}}
        (tmp_path / style).mkdir()
        out, db = run_plan(tmp_path / style, plan)
        assert out.returncode == 0, out.stderr
        assert f"argv {json.dumps(argv)}" in logs(db)[0], style
    plan = {"command": [sys.executable, str(FAKE)], "params_style": "json",
            "budget": {"trials": 1}, "space": {"lr": 0.3, "steps": 1}}
    (tmp_path / "json").mkdir()
    out, db = run_plan(tmp_path / "json", plan)
    log = logs(db)[0]
    params_file = json.loads(log.split("argv ", 1)[1].splitlines()[0])[1]
    assert json.loads(Path(params_file).read_text()) == {"lr": 0.3, "steps": 1}


def test_timeout_retries_and_out_of_memory(tmp_path: Path) -> None:
    plan = {"command": [sys.executable, str(FAKE)], "budget": {"trials": 1},
            "executor": {"trial_timeout": 1.0, "retries": 1},
            "space": {"lr": 0.1, "steps": 1000, "sleep": 0.05}}
    out, db = run_plan(tmp_path, plan)
    assert out.returncode == 1  # no trial completed
    with Store(db) as store:
        assert store.experiment(1).state == "failed"
        first, retry = store.trials()
        assert first.state == retry.state == "failed"
        assert "timed out after 1s" in (first.message or "")
        assert retry.retry_of == first.id and retry.params == first.params
    (tmp_path / "oom").mkdir()
    plan = {"command": [sys.executable, str(PLAIN), "--oom"], "budget": {"trials": 1},
            "space": {"lr": 0.1}}
    out, db = run_plan(tmp_path / "oom", plan)
    with Store(db) as store:
        (trial,) = store.trials()
        assert trial.state == "failed" and "out of GPU memory" in (trial.message or "")


def test_provenance_records_git_versions_and_no_secrets(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.email=a@b", "-c", "user.name=a"]
    subprocess.run([*git, "init", "-q"], check=True)
    (repo / "train.txt").write_text("x")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "first"], check=True)
    (repo / "train.txt").write_text("changed")
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    plan = {"command": [sys.executable, str(FAKE)], "workdir": str(repo),
            "env": {"MY_API_TOKEN": "hunter2", "HPDESK_NOTE": "kept"},
            "budget": {"trials": 1}, "space": {"lr": 0.1, "steps": 1, "seed": 7}}
    out, db = run_plan(tmp_path, plan, env={"AWS_SECRET_ACCESS_KEY": "nope"})
    assert out.returncode == 0, out.stderr
    with Store(db) as store:
        (trial,) = store.trials()
    prov = trial.provenance or {}
    assert prov["git"]["commit"] == commit.strip() and prov["git"]["dirty"] is True
    assert prov["command"][1] == str(FAKE) and prov["project"] == str(repo.resolve())
    assert prov["cwd"] == str(Path(trial.log_path or "").with_suffix("").resolve())
    assert prov["seed"] == 7 and prov["versions"]["python"] and prov["device"] == "cpu"
    assert prov["env"]["HPDESK_NOTE"] == "kept"
    text = json.dumps(prov)
    assert "hunter2" not in text and "MY_API_TOKEN" not in text and "nope" not in text
