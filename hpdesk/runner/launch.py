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
from typing import Any

from hpdesk.knowledge import preset
from hpdesk.plan import Plan
from hpdesk.plan.secrets import secret_env
from hpdesk.plan.space import example_params
from hpdesk.runner.capped_log import DEFAULT_LIMIT_MB, MB, CappedLog
from hpdesk.runner.log_pipe import LogPipe, open_pipe
from hpdesk.runner.paths import user_umask
from hpdesk.runner.stdout_metrics import StdoutParser

#: A command that starts with one of these runs with the trainer Python (the one hpdesk runs
#: with, or the one chosen in Settings), whatever `python` means on the PATH of the scheduler.
BARE_PYTHONS = ("python", "python3")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")
#: The names of the plan's secret env variables, comma-separated (hpdesk.plan.secrets).
ENV_SECRET = "HPDESK_SECRET_ENV"


@dataclass(frozen=True)
class LaunchSpec:
    """What `start` needs: the command, its environment and folder, its log (capped at
    `log_limit` bytes: capped_log.CappedLog), and the parser its output goes through (None:
    the output is only logged)."""

    argv: tuple[str, ...]
    env: Mapping[str, str]
    cwd: str | None
    log_path: Path
    log_limit: int = int(DEFAULT_LIMIT_MB * MB)
    parser: StdoutParser | None = None


def trial_argv(plan: Plan, params: Mapping[str, Any], python: str | None = None,
               params_file: Path | None = None,
               context: Mapping[str, str] | None = None) -> list[str]:
    """Built-in tasks run as `python -m hpdesk.tasks.NAME`. A script's `{name}` placeholders take
    the trial's values (each filling exactly one argument, whatever it contains) or hpdesk's own
    (`context`: trial_dir, params_file, trial_id, trial_number, project); then the plan's
    params_style appends every passed parameter not already placed: `--name value` (flags),
    `--name=value` (equals), `name=value` (hydra), `--params FILE` (json), or nothing
    (template, env). Flag names and true/false values follow the plan's `flag_names`,
    `booleans` and per-parameter `arguments`."""
    if plan.command is None:
        module = preset(plan.task).module
        if module is None:
            raise ValueError(f"task {plan.task} needs a command")
        return [python or sys.executable, "-m", module]
    given = dict(context or {})
    if params_file is not None:
        given.setdefault("params_file", str(params_file))

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in params:
            return _format_value(params[name], plan.argument(name).boolean or plan.booleans)
        return given.get(name, match.group(0))

    argv = [_PLACEHOLDER.sub(fill, arg) for arg in plan.command]
    if argv[0] in BARE_PYTHONS and python is not None:
        argv[0] = python  # the trainer Python (hpdesk's own unless Settings name another)
    placed = set(placeholders(plan.command))
    style = plan.params_style
    for name, value in params.items():
        argument = plan.argument(name)
        if not argument.passed or name in placed:
            continue
        if style in ("flags", "equals"):
            argv += _flag_arguments(plan, name, value, equals=style == "equals")
        elif style == "hydra":
            shown = _format_value(value, argument.boolean or plan.booleans)
            argv.append(f"{argument.flag or name}={shown}")
    if style == "json" and params_file is not None and "params_file" not in placed:
        argv += ["--params", str(params_file)]
    return argv


def placeholders(command: tuple[str, ...] | list[str]) -> list[str]:
    """The `{name}` placeholders a command uses, in order."""
    return [m.group(1) for arg in command for m in _PLACEHOLDER.finditer(arg)]


def flag_name(plan: Plan, name: str) -> str:
    """The flag a parameter is passed under: its own `flag`, else `--name` (or `--name-x` for
    `name_x` when the plan asks for dashes)."""
    own = plan.argument(name).flag
    if own is not None:
        return own
    return "--" + (name.replace("_", "-") if plan.flag_names == "dashes" else name)


def _flag_arguments(plan: Plan, name: str, value: Any, *, equals: bool) -> list[str]:
    flag = flag_name(plan, name)
    boolean = plan.argument(name).boolean or plan.booleans
    if isinstance(value, bool) and boolean == "switch":
        return [flag] if value else []
    if isinstance(value, bool) and boolean == "negatable":
        return [flag if value else _negated(flag)]
    shown = _format_value(value, boolean)
    return [f"{flag}={shown}"] if equals else [flag, shown]


def _negated(flag: str) -> str:
    """`--tied` becomes `--no-tied` (argparse's BooleanOptionalAction)."""
    bare = flag.lstrip("-")
    return "--no-" + bare


def placeholder_values(trial_dir: str, trial_id: str, trial_number: str,
                       project: str) -> dict[str, str]:
    """hpdesk's own placeholders of a command (hpdesk.plan.script.PLACEHOLDERS), as the
    scheduler fills them, or as a preview shows them."""
    return {"trial_dir": trial_dir, "params_file": f"{trial_dir}{os.sep}params.json",
            "trial_id": trial_id, "trial_number": trial_number, "project": project}


PARAMS_FILE_EXAMPLE = Path("<trial folder>") / "params.json"
PREVIEW_CONTEXT = placeholder_values("<trial folder>", "<trial id>", "<trial number>",
                                     "<project folder>")


def preview_argv(plan: Plan, params: Mapping[str, Any] | None = None,
                 python: str = "python", context: Mapping[str, str] | None = None) -> list[str]:
    """The argument list a trial of `plan` starts with (example parameters unless given);
    hpdesk's own placeholders show as `<trial folder>` and the like unless `context` names
    them."""
    given = example_params(plan.space) if params is None else params
    return trial_argv(plan, given, python=python, params_file=PARAMS_FILE_EXAMPLE,
                      context={**PREVIEW_CONTEXT, **(context or {})})


def _format_value(value: Any, boolean: str = "value") -> str:
    if isinstance(value, bool):
        if boolean == "capitalized":
            return "True" if value else "False"
        if boolean == "number":
            return "1" if value else "0"
        return "true" if value else "false"
    return str(value)


def trial_env(
    plan: Plan, params: Mapping[str, Any], *, db_path: Path, trial_id: int,
    slot_env: Mapping[str, str], trial_dir: Path, project: Path | None = None,
) -> dict[str, str]:
    """The trial's environment: the SDK's database and id, its parameters (plus the plan's data
    options under "data" for built-in tasks), its folder for checkpoints, its slot's device
    and share of cores (CUDA_VISIBLE_DEVICES, thread counts); for a script, its project folder
    (HPDESK_PROJECT, and first on PYTHONPATH: the trial runs in a folder of its own)."""
    env = dict(os.environ)
    env.update(plan.env)
    secret = sorted(secret_env(plan.env, plan.env_secret))  # values from os.environ when stored
    missing = [name for name in secret if name not in env]
    if missing:
        raise ValueError(f"env.{missing[0]} is secret, so never stored, and {missing[0]} is not "
                         "set in the environment that started the scheduler")
    if secret:
        env[ENV_SECRET] = ",".join(secret)  # provenance leaves these out
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
    if project is not None:
        env["HPDESK_PROJECT"] = str(project)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(project), env.get("PYTHONPATH")) if p)
    return env



def write_params_file(trial_dir: Path, params: Mapping[str, Any]) -> Path:
    """The trial's parameters as JSON in its folder: for `params_style: json` and for re-runs."""
    trial_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = trial_dir / "params.json"
    tmp = path.with_suffix(".tmp")
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
        fh.write(json.dumps(dict(params), indent=2))
    os.replace(tmp, path)
    return path


def start(spec: LaunchSpec) -> tuple[subprocess.Popen[bytes], LogPipe]:
    """Start the trial with stdout and stderr into a pipe that a thread of this process reads
    into its capped log and its parser (log_pipe.LogPipe); the caller closes the LogPipe once
    the process has exited (it drains first). The log is the user's alone (0600); the trial
    runs with the user's own umask (paths.py)."""
    spec.log_path.parent.mkdir(parents=True, exist_ok=True)
    capped = CappedLog(spec.log_path, spec.log_limit)
    read_end, write_end = open_pipe()
    try:
        proc = subprocess.Popen(
            list(spec.argv), env=dict(spec.env), cwd=spec.cwd, stdout=write_end,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            umask=user_umask(),
        )
    except BaseException:
        os.close(read_end)
        capped.close()
        raise
    finally:
        os.close(write_end)  # the trial holds the only writing end: EOF when it is gone
    return proc, LogPipe(read_end, capped, spec.parser)
