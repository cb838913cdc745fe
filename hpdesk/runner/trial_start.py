"""Turning a claimed trial into a process: its folder, command line, environment and log.

The scheduler claims the trial (a compare-and-set in the database) and records what started;
this module does everything in between that touches files and processes, so a failure here is
one `OSError` or `ValueError` the scheduler turns into "could not start: ...".
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from hpdesk.plan import Plan
from hpdesk.runner import launch
from hpdesk.runner.capped_log import MB
from hpdesk.runner.devices import Slot
from hpdesk.runner.log_pipe import LogPipe
from hpdesk.runner.ray_jobs import RayCluster, write_spec
from hpdesk.runner.running import mark_new_run
from hpdesk.runner.trial_folder import fill_trial_folder
from hpdesk.runner.trial_output import stdout_parser
from hpdesk.runner.warm import WarmLauncher, WarmProcess
from hpdesk.store import Store, Trial

#: Built-in tasks pause cleanly after this epoch's checkpoint (population-based training).
ENV_PAUSE = "HPDESK_PAUSE_AT_EPOCH"


@dataclass(frozen=True)
class Started:
    proc: subprocess.Popen[bytes] | WarmProcess
    log_file: LogPipe | None  # None: the warm launcher's child writes its log itself
    argv: list[str]
    cwd: str | None
    env: dict[str, str]
    pause_at: int | None


class TrialStarter:
    """Starts the trials of one experiment (`folder` holds their folders and logs)."""

    def __init__(self, store: Store, plan: Plan, folder: Path, python: str | None,
                 warm: WarmLauncher | None) -> None:
        self.store, self.plan, self.folder, self.python = store, plan, folder, python
        self.warm = warm
        self.cluster: RayCluster | None = None  # a Ray executor's cluster (ray_jobs.py)

    def start(self, trial: Trial, slot: Slot, log_path: Path) -> Started:
        plan = self.plan
        script = plan.command is not None
        trial_dir = self.folder / f"trial-{trial.number}"
        params_file = launch.write_params_file(trial_dir, trial.params)
        remote = self.cluster is not None and not self.cluster.options.local
        cwd = None if remote else self.working_folder(trial_dir)  # Ray uploads a remote's
        project = self.project() if script else None
        context = launch.placeholder_values(str(trial_dir.resolve()), str(trial.id),
                                            str(trial.number), str(project))
        if remote:
            _check_remote(plan)
            context = {k: v for k, v in context.items() if k in ("trial_id", "trial_number")}
        python = "python" if remote else self.python or sys.executable
        argv = launch.trial_argv(plan, trial.params, python, params_file, context)
        env = launch.trial_env(plan, trial.params, db_path=self.store.path, trial_id=trial.id,
                               slot_env=slot.env(), trial_dir=trial_dir, project=project)
        pause_at = (trial.search_state or {}).get("until")
        if isinstance(pause_at, int):
            env[ENV_PAUSE] = str(pause_at)
        if log_path.exists() and log_path.stat().st_size:
            mark_new_run(log_path, trial.number)
        # A script's output goes through a pipe into its capped log and, when it is read for
        # metrics, its parser (continuing after the trial's stored steps on a resume).
        parser = (stdout_parser(plan, self.store, trial.id)
                  if script and plan.stdout_metrics.enabled else None)
        if self.cluster is not None:
            # The trial is a Ray job; this process follows it (ray_trial.py).
            job = self.cluster.job_spec(plan, trial, argv=argv, cwd=cwd, trial_env=env,
                                        db_path=self.store.path, trial_dir=trial_dir,
                                        log_path=log_path)
            spec_path = write_spec(trial_dir, job)
            follower = [sys.executable, "-m", "hpdesk.runner.ray_trial", str(spec_path)]
            follower_env = {**os.environ, **self.cluster.env}
            follower_proc, follower_log = launch.start(launch.LaunchSpec(
                tuple(follower), follower_env, str(trial_dir.resolve()), log_path,
                int(plan.executor.log_limit_mb * MB), parser))
            return Started(follower_proc, follower_log, argv, cwd, env,
                           pause_at if isinstance(pause_at, int) else None)
        spec = launch.LaunchSpec(tuple(argv), env, cwd, log_path,
                                 int(plan.executor.log_limit_mb * MB), parser)
        proc, log_file = self._spawn(spec)
        return Started(proc, log_file, argv, cwd, env,
                       pause_at if isinstance(pause_at, int) else None)

    def project(self) -> Path:
        """The folder a script's relative paths mean (the plan's workdir)."""
        return Path(self.plan.workdir or os.getcwd()).resolve()

    def working_folder(self, trial_dir: Path) -> str | None:
        """Where the trial runs: its own folder, filled from the project (trial_folder.py),
        unless the plan asks for one shared folder or it is a built-in task."""
        if self.plan.command is None or self.plan.trial_folder == "shared":
            return self.plan.workdir
        db = self.store.path.resolve()  # with its -wal, -shm, -journal and lock files
        hpdesk_files = [*db.parent.glob(glob.escape(db.name) + "*"), self.folder.parent]
        fill_trial_folder(trial_dir, self.project(), skip=hpdesk_files)
        return str(trial_dir.resolve())

    def copy_checkpoint(self, donor: int, number: int) -> None:
        """A population member exploits another: the donor's checkpoint files become its own."""
        source = self.folder / f"trial-{donor}"
        target = self.folder / f"trial-{number}"
        target.mkdir(parents=True, exist_ok=True)
        for item in source.iterdir() if source.is_dir() else ():
            if item.is_file() and not item.is_symlink() and item.name != "params.json":
                shutil.copy2(item, target / item.name)

    def _spawn(self, spec: launch.LaunchSpec
               ) -> tuple[subprocess.Popen[bytes] | WarmProcess, LogPipe | None]:
        """A built-in task forks from the warm template when it can; anything else (or a
        template that failed) starts as a plain subprocess."""
        if self.warm is not None and spec.argv[1:2] == ("-m",):
            spec.log_path.parent.mkdir(parents=True, exist_ok=True)
            proc = self.warm.start(spec.argv[2], spec.env, spec.cwd, spec.log_path)
            if proc is not None:
                return proc, None
        return launch.start(spec)


def _check_remote(plan: Plan) -> None:
    """What cannot reach a job on another machine: files of this one named on its command."""
    if plan.command is None:
        return
    if plan.params_style == "json":
        raise ValueError("params_style json passes a file of this computer, which a job on "
                         "another Ray cluster cannot read; use flags, equals, hydra or env")
    used = set(launch.placeholders(plan.command))
    for name in ("trial_dir", "params_file", "project"):
        if name in used:
            raise ValueError(f"the command's {{{name}}} is a folder of this computer, which a "
                             "job on another Ray cluster cannot reach")
