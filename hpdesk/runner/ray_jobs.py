"""The Ray executor on the scheduler's side: the cluster of one run and each trial's job.

`RayCluster.open` checks that Ray is installed (the optional extra `hpdesk[ray]`) and, for
`address: local`, starts the private head (ray_head.PrivateHead); `job_spec` turns a claimed
trial into what `python -m hpdesk.runner.ray_trial` submits: the entrypoint, the resources it
asks for (CPUs, GPUs, fractions allowed, memory), its runtime environment and what lets a
resumed run re-attach. Nothing here imports Ray: the window and `import hpdesk` never load it.

On the private head the job runs on this machine, so it runs in the trial's own folder with the
trainer Python, as a local trial would. On another cluster the command runs with the cluster's
`python`, in the working folder Ray uploads (the script's project, or runtime_env.working_dir),
with hpdesk itself shipped as a module for the built-in tasks (`py_modules`).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shlex
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpdesk.plan import Plan
from hpdesk.plan.cluster import RayOptions
from hpdesk.store import Trial

RECORD = "ray-job.json"  # beside the trial's log: the job of its last run (ray_trial.py)
SPEC = "ray-spec.json"


class ClusterError(RuntimeError):
    """The Ray executor cannot run here (said in one sentence)."""


def ray_installed() -> bool:
    return importlib.util.find_spec("ray") is not None


@dataclass
class RayCluster:
    options: RayOptions
    address: str
    #: Environment the job clients need (the private head's token), beside the plan's own.
    env: dict[str, str] = field(default_factory=dict)
    head: Any = None  # ray_head.PrivateHead for `address: local`
    _stoppers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @classmethod
    def open(cls, plan: Plan, folder: Path, *, gpus: int = 0) -> RayCluster:
        options = plan.executor.ray or RayOptions()
        if not ray_installed():
            raise ClusterError("the Ray executor needs Ray on this machine: "
                               "pip install 'hpdesk[ray]' (or 'ray[default]')")
        env: dict[str, str] = {}
        if options.auth_token_file is not None:
            token = Path(options.auth_token_file).expanduser()
            if not token.is_file():
                raise ClusterError(f"executor.auth_token_file: {token} does not exist")
            env = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token)}
        elif "RAY_AUTH_MODE" not in os.environ and _has_token():
            env = {"RAY_AUTH_MODE": "token"}  # Ray's own token (~/.ray/auth_token, ...)
        if options.ca_file is not None and not Path(options.ca_file).expanduser().is_file():
            raise ClusterError(f"executor.ca_file: {options.ca_file} does not exist")
        if not options.local:
            return cls(options, options.job_server(), env)
        from hpdesk.runner.ray_head import HeadError, PrivateHead

        cpus = options.local_cpus or os.cpu_count() or 1
        # What the private head cannot give, no job would ever get: said now, not after
        # Ray's start timeout.
        if options.gpus_per_trial > gpus:
            raise ClusterError(f"executor.gpus_per_trial asks for {options.gpus_per_trial:g} "
                               f"GPU(s) a trial, and the private head has {gpus} (this "
                               "computer's GPUs that executor.devices selects)")
        if options.cpus_per_trial > cpus:
            raise ClusterError(f"executor.cpus_per_trial asks for {options.cpus_per_trial:g} "
                               f"CPUs a trial, and the private head has {cpus} "
                               "(executor.local_cpus)")
        head = PrivateHead(folder, num_cpus=cpus, num_gpus=gpus)
        try:
            address = head.start()
        except (HeadError, OSError) as exc:
            raise ClusterError(str(exc)) from exc
        return cls(options, address, head.env, head)

    def stop_orphan(self, record: Path) -> None:
        """A follower killed by a signal (SIGKILL, the end of a grace period) left its job
        running: stopped from a short process of its own, so the scheduler does not wait."""
        if read_record(record) is None:
            return  # never submitted
        self._stoppers.append(subprocess.Popen(
            [sys.executable, "-m", "hpdesk.runner.ray_trial", "--stop", str(record)],
            env={**os.environ, **self.env}, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        self._stoppers = [p for p in self._stoppers if p.poll() is None]

    def close(self) -> None:
        for stopper in self._stoppers:  # before the head goes: they talk to it
            try:
                stopper.wait(timeout=60)
            except subprocess.TimeoutExpired:
                stopper.kill()
        self._stoppers = []
        if self.head is not None:
            self.head.stop()
            self.head = None

    def job_spec(self, plan: Plan, trial: Trial, *, argv: list[str], cwd: str | None,
                 trial_env: Mapping[str, str], db_path: Path, trial_dir: Path,
                 log_path: Path) -> dict[str, Any]:
        """What ray_trial.py submits for this trial (written to a private file it reads)."""
        options = self.options
        env_vars = job_env(plan, trial_env, local=options.local)
        runtime: dict[str, Any] = {}
        if options.runtime_env.pip:
            runtime["pip"] = list(options.runtime_env.pip)
        if options.runtime_env.conda is not None:
            runtime["conda"] = options.runtime_env.conda
        if options.local:
            entrypoint = shlex.join(argv)
            if cwd is not None:
                entrypoint = f"cd {shlex.quote(cwd)} && exec {entrypoint}"
        else:
            entrypoint = "exec " + shlex.join(argv)
            working_dir = options.runtime_env.working_dir or (
                plan.workdir if plan.command is not None else None)
            if working_dir is not None:
                folder = Path(working_dir).expanduser().resolve()
                runtime["working_dir"] = str(folder)
                runtime["excludes"] = upload_excludes(folder, db_path, log_path.parent)
            # hpdesk goes along: the built-in tasks, and the SDK a script imports (standard
            # library only, so any Python 3.11 of the cluster runs it); caches stay here.
            runtime["py_modules"] = [str(Path(__file__).resolve().parents[1])]
            runtime.setdefault("excludes", list(UPLOAD_EXCLUDES))
        if options.runtime_env.working_dir is not None and options.local:
            runtime["working_dir"] = str(Path(options.runtime_env.working_dir).resolve())
        runtime["env_vars"] = {**env_vars, **options.runtime_env.env_vars}
        record = record_path(log_path, trial.number)
        attach_to = None
        if trial.state == "interrupted":  # a resumed run: the job it left may still be there
            attach_to = read_record(record)
        return {
            "address": self.address, "verify": _verify(options),
            "db": str(db_path.resolve()), "trial_id": trial.id, "record": str(record),
            "submission_id": f"hpdesk-e{trial.experiment_id}-t{trial.number}-"
                             f"{uuid.uuid4().hex[:8]}",
            "attach_to": attach_to, "entrypoint": entrypoint, "runtime_env": runtime,
            "num_cpus": options.cpus_per_trial, "num_gpus": options.gpus_per_trial,
            "memory": None if options.memory_mb is None else int(options.memory_mb * 1e6),
            "metadata": {"hpdesk_experiment": str(trial.experiment_id),
                         "hpdesk_trial": str(trial.number), "hpdesk_db": str(db_path.resolve()),
                         "hpdesk_host": socket.gethostname()},
        }


def job_env(plan: Plan, trial_env: Mapping[str, str], *, local: bool) -> dict[str, str]:
    """The variables a job gets: the plan's own and hpdesk's, never this machine's whole
    environment (the job has the cluster's). What it reports comes back as tagged lines."""
    hpdesk = {k: v for k, v in trial_env.items() if k.startswith("HPDESK_")}
    hpdesk.pop("HPDESK_DB", None)
    if not local:
        for name in ("HPDESK_TRIAL_DIR", "HPDESK_PARAMS_FILE", "HPDESK_PROJECT"):
            hpdesk.pop(name, None)  # paths of this machine
    env = {name: trial_env[name] for name in plan.env if name in trial_env}
    for name in trial_env.get("HPDESK_SECRET_ENV", "").split(","):
        if name and name in trial_env:
            env[name] = trial_env[name]
    threads = str(max(1, math.floor((plan.executor.ray or RayOptions()).cpus_per_trial)))
    env.update(hpdesk)
    env.update({"HPDESK_REPORT": "lines", "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": threads,
                "MKL_NUM_THREADS": threads, "HPDESK_NUM_THREADS": threads})
    if local and "PYTHONPATH" in trial_env and "HPDESK_PROJECT" in trial_env:
        env["PYTHONPATH"] = trial_env["PYTHONPATH"]
    return env


#: Never uploaded with a working folder: version control, environments, caches.
UPLOAD_EXCLUDES = (".git", ".venv", "venv", "__pycache__", "*.pyc", ".mypy_cache",
                   ".pytest_cache")


def upload_excludes(folder: Path, db_path: Path, runs: Path) -> list[str]:
    """What Ray must not upload from a working folder: the database (with its -wal and lock
    files) and the experiments' folders when they sit inside it, and the usual heavy folders."""
    out = list(UPLOAD_EXCLUDES)
    for path, pattern in ((db_path.resolve(), "{}*"), (runs.resolve().parent, "{}/")):
        try:
            relative = path.relative_to(folder)
        except ValueError:
            continue
        out.append("/" + pattern.format(relative.as_posix()))
    return out


def write_spec(trial_dir: Path, spec: Mapping[str, Any]) -> Path:
    """The spec holds the trial's environment (secrets too): the user's alone, and read once."""
    trial_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = trial_dir / SPEC
    path.unlink(missing_ok=True)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as fh:
        json.dump(spec, fh)
    return path


def record_path(log_path: Path, number: int) -> Path:
    """Where a trial's follower keeps its job's id, state and how much log it forwarded."""
    return log_path.parent / f"trial-{number}-{RECORD}"


def running_for(log_path: Path, number: int) -> float | None:
    """Seconds the trial's job has been running on the cluster (None: not yet: it waits for
    resources, or is still being submitted). A time limit counts from there."""
    record = read_record(record_path(log_path, number))
    since = record.get("running_since") if record else None
    return time.time() - since if isinstance(since, (int, float)) else None


def read_record(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("job_id") else None


def _verify(options: RayOptions) -> bool | str:
    return str(Path(options.ca_file).expanduser()) if options.ca_file else True


def _has_token() -> bool:
    return bool(os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH")
                or (Path.home() / ".ray" / "auth_token").is_file())
