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
from typing import IO, Any

from hpdesk.knowledge import preset
from hpdesk.plan import Plan
from hpdesk.plan.space import example_params

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")


@dataclass(frozen=True)
class LaunchSpec:
    argv: tuple[str, ...]
    env: Mapping[str, str]
    cwd: str | None
    log_path: Path


def trial_argv(plan: Plan, params: Mapping[str, Any], python: str | None = None,
               params_file: Path | None = None) -> list[str]:
    """Built-in tasks run as `python -m hpdesk.tasks.NAME`. A script's `{name}` placeholders take
    the trial's values (each filling exactly one argument, whatever it contains), then the
    plan's params_style appends the parameters: `--name value` (flags), `--name=value` (equals),
    `name=value` (hydra), `--params FILE` (json), or nothing (template, env)."""
    if plan.command is None:
        module = preset(plan.task).module
        if module is None:
            raise ValueError(f"task {plan.task} needs a command")
        return [python or sys.executable, "-m", module]

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "params_file" and params_file is not None:
            return str(params_file)
        return _format_value(params[name]) if name in params else match.group(0)

    argv = [_PLACEHOLDER.sub(fill, arg) for arg in plan.command]
    style = plan.params_style
    for name, value in params.items():
        shown = _format_value(value)
        if style == "flags":
            argv += [f"--{name}", shown]
        elif style == "equals":
            argv.append(f"--{name}={shown}")
        elif style == "hydra":
            argv.append(f"{name}={shown}")
    if style == "json" and params_file is not None and "{params_file}" not in plan.command:
        argv += ["--params", str(params_file)]
    return argv


PARAMS_FILE_EXAMPLE = Path("<trial folder>") / "params.json"


def preview_argv(plan: Plan, params: Mapping[str, Any] | None = None,
                 python: str = "python") -> list[str]:
    """The argument list a trial of `plan` starts with (example parameters unless given); a
    json-style params file shows as `<trial folder>/params.json`."""
    given = example_params(plan.space) if params is None else params
    return trial_argv(plan, given, python=python, params_file=PARAMS_FILE_EXAMPLE)


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def trial_env(
    plan: Plan, params: Mapping[str, Any], *, db_path: Path, trial_id: int,
    slot_env: Mapping[str, str], trial_dir: Path,
) -> dict[str, str]:
    """The trial's environment: the SDK's database and id, its parameters (plus the plan's data
    options under "data" for built-in tasks), its folder for checkpoints, and its slot's device
    and share of cores (CUDA_VISIBLE_DEVICES, thread counts)."""
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
        "HPDESK_PARAMS_FILE": str((trial_dir / "params.json").resolve()),
        # Each report of an objective is written at once: a pruner judges it.
        "HPDESK_FLUSH_ON": ",".join(o.metric for o in plan.objectives),
        "PYTHONUNBUFFERED": "1",
        **slot_env,
    })
    return env


def write_params_file(trial_dir: Path, params: Mapping[str, Any]) -> Path:
    """The trial's parameters as JSON in its folder: for `params_style: json` and for re-runs."""
    trial_dir.mkdir(parents=True, exist_ok=True)
    path = trial_dir / "params.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dict(params), indent=2))
    os.replace(tmp, path)
    return path


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
