"""The Ray executor's parts that need no cluster: the plan fields, the SDK's tagged lines, what
a job is given (never this machine's whole environment, never the database path), what cannot
reach another machine, and that nothing but the job follower ever imports Ray."""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hpdesk.plan import PlanError, parse_plan
from hpdesk.plan.cluster import RayOptions
from hpdesk.runner.ray_jobs import RayCluster, job_env, ray_installed, upload_excludes
from hpdesk.runner.trial_start import _check_remote
from hpdesk.store import Store
from hpdesk.store.trial_sink import LineSink, read_sdk_line

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "digits-random.yaml"


def plan_with(executor: dict[str, object], **top: object):  # type: ignore[no-untyped-def]
    data = yaml.safe_load(EXAMPLE.read_text())
    data["executor"] = executor
    data.update(top)
    return parse_plan(data, source="plan.yaml")


def script_plan(executor: dict[str, object], **top: object):  # type: ignore[no-untyped-def]
    data = {"hpdesk": 1, "task": "script", "command": ["python", "train.py"],
            "objective": {"metric": "acc"}, "executor": executor, "space": {"lr": [0.01]},
            **top}
    return parse_plan(data, source="plan.yaml")


def test_ray_fields_round_trip_and_default() -> None:
    executor = {"kind": "ray", "address": "https://head.example:8265", "cpus_per_trial": 2,
                "gpus_per_trial": 0.5, "memory_mb": 4000, "ca_file": "ca.pem",
                "auth_token_file": "~/.ray/auth_token",
                "runtime_env": {"pip": ["torch>=2.2", "timm"], "env_vars": {"A": "1"},
                                "working_dir": "src"}}
    plan = plan_with(executor)
    ray = plan.executor.ray
    assert ray is not None and ray.gpus_per_trial == 0.5 and not ray.local
    assert ray.job_server() == "https://head.example:8265"
    assert parse_plan(plan.to_dict(), source="again") == plan
    local = plan_with({"kind": "ray"})
    assert local.executor.ray == RayOptions() and local.executor.ray.local
    assert RayOptions(address="head:8265").job_server() == "http://head:8265"


@pytest.mark.parametrize("executor, field", [
    ({"kind": "ray", "address": "not an address"}, "executor.address"),
    ({"kind": "ray", "gpus_per_trial": -0.5}, "executor.gpus_per_trial"),
    ({"kind": "ray", "cpus_per_trial": 0}, "executor.cpus_per_trial"),
    ({"kind": "ray", "runtime_env": {"pip": ["a"], "conda": "env"}}, "executor.runtime_env"),
    ({"kind": "ray", "runtime_env": {"env_vars": {"1BAD": "x"}}},
     "executor.runtime_env.env_vars"),
    ({"kind": "ray", "runtime_env": {"image": "x"}}, "executor.runtime_env.image"),
    ({"kind": "local", "address": "http://head:8265"}, "executor.address"),
    ({"kind": "slurm"}, "executor.kind"),
])
def test_bad_ray_fields_are_named(executor: dict[str, object], field: str) -> None:
    with pytest.raises(PlanError) as caught:
        plan_with(executor)
    assert any(p.path == field for p in caught.value.problems), caught.value


def test_tagged_lines_carry_points_events_and_infinities_exactly() -> None:
    stream = io.StringIO()
    sink = LineSink(stream)
    sink.announce(["loss"])
    sink.write([("loss", 3, 0.25, 100.5), ("loss", 4, math.inf, 101.0), ("acc", 4, None, 101)])
    sink.event("diverged", "loss is inf", 4, "warning")
    records = [read_sdk_line(line) for line in stream.getvalue().splitlines()]
    assert records[0] == {"announce": ["loss"]}
    assert records[1] == {"points": [["loss", 3, 0.25, 100.5], ["loss", 4, math.inf, 101.0],
                                     ["acc", 4, None, 101]]}
    assert records[2] == {"event": "diverged", "message": "loss is inf", "step": 4,
                          "level": "warning"}
    assert read_sdk_line('{"step": 1, "loss": 0.5}') is None  # a script's own JSON stays its
    assert read_sdk_line("@hpdesk-sdk not json") is None


def test_the_sdk_prints_tagged_lines_when_told_to(tmp_path: Path) -> None:
    code = "from hpdesk import sdk\nsdk.report(1, loss=0.5)\nsdk.flush()\n"
    env = {**os.environ, "HPDESK_REPORT": "lines", "HPDESK_DB": str(tmp_path / "none.db"),
           "HPDESK_TRIAL_ID": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    records = [read_sdk_line(line) for line in out.stdout.splitlines()]
    assert {"announce": ["loss"]} in records
    assert any(r and r.get("points", [[None]])[0][:3] == ["loss", 1, 0.5] for r in records)
    assert not (tmp_path / "none.db").exists()  # the database was never touched


def test_a_job_gets_the_plans_variables_not_this_machines(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    monkeypatch.setenv("MY_LOCAL_ONLY", "x")
    plan = plan_with({"kind": "ray", "address": "http://h:8265", "cpus_per_trial": 2},
                     env={"WANDB_MODE": "offline"})
    trial_env = {**os.environ, "WANDB_MODE": "offline", "HPDESK_DB": "/db", "HPDESK_TRIAL_ID": "7",
                 "HPDESK_PARAMS": "{}", "HPDESK_TRIAL_DIR": "/local/trial",
                 "HPDESK_FLUSH_ON": "val_acc"}
    env = job_env(plan, trial_env, local=False)
    assert env["WANDB_MODE"] == "offline" and env["HPDESK_TRIAL_ID"] == "7"
    assert env["HPDESK_REPORT"] == "lines" and env["OMP_NUM_THREADS"] == "2"
    assert "HPDESK_DB" not in env and "MY_LOCAL_ONLY" not in env and "PATH" not in env
    assert "HPDESK_TRIAL_DIR" not in env  # a path of this machine
    assert job_env(plan, trial_env, local=True)["HPDESK_TRIAL_DIR"] == "/local/trial"


def test_a_remote_jobs_spec_ships_hpdesk_and_leaves_the_database_behind(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    plan = script_plan({"kind": "ray", "address": "http://h:8265", "gpus_per_trial": 0.25},
                       command=["python", "train.py", "--lr", "{lr}"], workdir=str(project))
    db = project / "runs.db"
    with Store(db) as store:
        exp = store.create_experiment("e", "script", plan.to_dict())
        trial = store.add_trial(exp.id, {"lr": 0.01})
        cluster = RayCluster(plan.executor.ray or RayOptions(), "http://h:8265")
        spec = cluster.job_spec(plan, trial, argv=["python", "train.py", "--lr", "0.01"],
                                cwd=None, trial_env={"HPDESK_TRIAL_ID": str(trial.id)},
                                db_path=db, trial_dir=project / "runs" / "trial-0",
                                log_path=project / "runs" / "experiment-1" / "trial-0.log")
    runtime = spec["runtime_env"]
    assert runtime["working_dir"] == str(project.resolve())
    assert "/runs.db*" in runtime["excludes"] and "/runs/" in runtime["excludes"]
    assert Path(runtime["py_modules"][0], "sdk.py").is_file()
    assert spec["num_gpus"] == 0.25 and spec["entrypoint"] == "exec python train.py --lr 0.01"
    assert spec["attach_to"] is None and spec["submission_id"].startswith("hpdesk-e")
    json.dumps(spec)  # it goes to the follower as JSON


def test_upload_excludes_only_name_what_is_inside(tmp_path: Path) -> None:
    out = upload_excludes(tmp_path / "p", tmp_path / "elsewhere.db", tmp_path / "runs" / "e1")
    assert not any("elsewhere" in p or "runs" in p for p in out) and ".git" in out


@pytest.mark.parametrize("command, style, word", [
    (["python", "t.py", "--out", "{trial_dir}"], "flags", "trial_dir"),
    (["python", "t.py"], "json", "params_style json"),
])
def test_what_cannot_reach_a_remote_job_is_refused(command: list[str], style: str,
                                                   word: str) -> None:
    plan = script_plan({"kind": "ray", "address": "http://h:8265"}, command=command,
                       params_style=style)
    with pytest.raises(ValueError, match=word):
        _check_remote(plan)


def test_the_ray_extra_is_missing_said_in_one_line(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    import hpdesk.runner.ray_jobs as ray_jobs

    monkeypatch.setattr(ray_jobs, "ray_installed", lambda: False)
    from hpdesk.runner.ray_jobs import ClusterError

    with pytest.raises(ClusterError, match=r"pip install 'hpdesk\[ray\]'"):
        RayCluster.open(plan_with({"kind": "ray"}), tmp_path)


@pytest.mark.parametrize("module", ["hpdesk", "hpdesk.cli", "hpdesk.runner.scheduler",
                                    "hpdesk.runner.recovery", "hpdesk.gui.shell.main_window"])
def test_nothing_but_the_job_follower_imports_ray(module: str) -> None:
    code = (f"import sys, {module}\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'ray'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"



@pytest.mark.skipif(not ray_installed(), reason="Ray is not installed")
@pytest.mark.parametrize("executor, said", [
    ({"kind": "ray", "gpus_per_trial": 1, "devices": "cpu"}, "executor.gpus_per_trial asks"),
    ({"kind": "ray", "cpus_per_trial": 4, "local_cpus": 2}, "executor.cpus_per_trial asks"),
])
def test_what_the_private_head_cannot_give_is_said_before_it_starts(
        executor: dict[str, object], said: str, tmp_path: Path) -> None:
    from hpdesk.runner.ray_jobs import ClusterError

    with pytest.raises(ClusterError, match=said):
        RayCluster.open(plan_with(executor), tmp_path, gpus=0)
    assert not list(tmp_path.iterdir())  # no head was started


def test_a_jobs_entrypoint_quotes_every_argument(tmp_path: Path) -> None:
    """Ray runs the entrypoint through a shell: a hostile value stays one argument."""
    import shlex

    argv = ["python", "train.py", "--name", "1; touch /tmp/pwned", "--x", "$(id)", "a'b"]
    plan = plan_with({"kind": "ray", "address": "local"})
    with Store(tmp_path / "q.db") as store:
        exp = store.create_experiment("e", "classification", plan.to_dict())
        trial = store.add_trial(exp.id, {})
        for options, cwd in ((RayOptions(), str(tmp_path / "my folder; x")),
                             (RayOptions(address="http://h:8265"), None)):
            spec = RayCluster(options, "http://h:8265").job_spec(
                plan, trial, argv=argv, cwd=cwd, trial_env={}, db_path=tmp_path / "q.db",
                trial_dir=tmp_path / "t", log_path=tmp_path / "runs" / "trial-0.log")
            words = shlex.split(spec["entrypoint"])
            assert words[-len(argv):] == argv and words[-len(argv) - 1] == "exec"
            if cwd is not None:
                assert words[:2] == ["cd", cwd]
