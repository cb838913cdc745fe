"""Starting one trial as its own process: the command, its environment, its log file.

Every trial is an argument list (never a shell string, so a parameter value cannot inject a
command) in a new session, so a stop signal reaches the whole process group.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, IO

from hpdesk.knowledge import preset
from hpdesk.plan import Plan

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")


@dataclass(frozen=True)
class LaunchSpec:
    argv: tuple[str, ...]
    env: Mapping[str, str]
    cwd: str | None
    log_path: Path


def trial_argv(plan: Plan, params: Mapping[str, Any], python: str | None = None) -> list[str]:
    """Built-in tasks run as `python -m hpdesk.tasks.NAME`; a script's `{name}` placeholders take
    the trial's values, each placeholder filling exactly one argument."""
    if plan.command is None:
        module = preset(plan.task).module
        if module is None:
            raise ValueError(f"task {plan.task} needs a command")
        return [python or sys.executable, "-m", module]

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return _format_value(params[name]) if name in params else match.group(0)

    return [_PLACEHOLDER.sub(fill, arg) for arg in plan.command]


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def thread_share(concurrency: int) -> int:
    """CPU threads per trial, so N concurrent trials do not oversubscribe the cores."""
    return max(1, (os.cpu_count() or 1) // max(1, concurrency))


def trial_env(
    plan: Plan, params: Mapping[str, Any], *, db_path: Path, trial_id: int, threads: int,
    trial_dir: Path,
) -> dict[str, str]:
    """The trial's environment: the SDK's database and id, its parameters (plus the plan's data
    options under "data" for built-in tasks), its folder for checkpoints, its share of cores."""
    env = dict(os.environ)
    env.update(plan.env)
    given = dict(params)
    if plan.data is not None and plan.command is None:
        given["data"] = dict(plan.data)
    env.update({
        "HPDESK_DB": str(db_path.resolve()),
        "HPDESK_TRIAL_ID": str(trial_id),
        "HPDESK_PARAMS": json.dumps(given),
        "HPDESK_TRIAL_DIR": str(trial_dir.resolve()),
        "HPDESK_NUM_THREADS": str(threads),
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "PYTHONUNBUFFERED": "1",
    })
    return env


def start(spec: LaunchSpec) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    """Start the trial with stdout and stderr into its log file; the caller closes the log."""
    spec.log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(spec.log_path, "ab")  # noqa: SIM115  (kept open for the process's lifetime)
    try:
        proc = subprocess.Popen(
            list(spec.argv), env=dict(spec.env), cwd=spec.cwd, stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    except OSError:
        log.close()
        raise
    return proc, log
