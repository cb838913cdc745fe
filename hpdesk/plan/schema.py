"""Turning a parsed plan file (any format) into a `Plan`, or into a list of precise problems.

Types are coerced here, after parsing, because the formats disagree: YAML 1.1 reads `1e-3` as a
string and `no` as False, TOML has no null. Every problem names the field path, what was
expected and what was found; all problems are collected, not just the first.

Every number has bounds: the ones below for counts and times, `hpdesk.plan.reader` for all
(64-bit integers, finite numbers), checked before any field is read.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any

from hpdesk.knowledge import preset, tasks
from hpdesk.plan.cluster import RAY_FIELDS, read_ray_options
from hpdesk.plan.model import (
    DIRECTIONS,
    EXECUTORS,
    FORMAT_VERSION,
    REDUCTIONS,
    Budget,
    Executor,
    Objective,
    Plan,
    Pruner,
    Strategy,
)
from hpdesk.plan.reader import PlanError, Problem, Reader, plain_problems
from hpdesk.plan.script_schema import SCRIPT_FIELDS, parse_script_options
from hpdesk.plan.search_options import check_search, parse_pruner, parse_strategy
from hpdesk.plan.space_schema import parse_space

TOP_LEVEL = ("hpdesk", "name", "task", "fine_tune", "command", "workdir", "env", "data",
             *SCRIPT_FIELDS, "objective", "strategy", "pruner", "budget", "concurrency",
             "executor", "space")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}

#: Trials at a time. Each is a process with its own log file and output reader in the one
#: scheduler, and the CPU slot pool holds one slot per trial (devices.SlotPool), so the ceiling
#: is what one machine runs: 8 GPUs of 32 trials each, or a 256-thread server (and well inside
#: the usual 1,024 open files).
MAX_CONCURRENCY = 256
MAX_TRIALS = 1_000_000
MAX_EPOCHS = 10**10  # budget.epochs, over all trials
MAX_STEPS = 10**12  # budget.steps, over all trials
MAX_DURATION = 365 * 86400  # seconds: budget.wall_time, executor.trial_timeout
MAX_GPU_INDEX = 1023


def parse_plan(data: Any, source: str = "<plan>") -> Plan:
    """Validate and coerce the exported form of a plan; raise `PlanError` listing every problem."""
    bounded = plain_problems(data, source)
    if bounded:  # nothing more is read of a structure too deep or too large to walk
        raise PlanError(bounded)
    r = Reader(source)
    top = r.mapping("", data, TOP_LEVEL)
    if top is None:
        raise PlanError(r.problems)
    version = top.get("hpdesk")
    if r.number("hpdesk", version, integer=True) not in (None, FORMAT_VERSION):
        r.fail("hpdesk", f"format version {FORMAT_VERSION}", version)
    task = r.text("task", top.get("task"), choices=tasks())
    name = top.get("name", "")
    if not isinstance(name, str):
        r.fail("name", "a text", name)
        name = ""
    fine_tune = r.boolean("fine_tune", top.get("fine_tune", False))
    if fine_tune and task is not None and not preset(task).can_fine_tune:
        able = ", ".join(t for t in tasks() if preset(t).can_fine_tune)
        r.fail("fine_tune", f"false: the {task} task cannot start from pre-trained weights "
                            f"(fine-tuning is offered for {able})", fine_tune)
    command = _command(r, top.get("command"), task)
    workdir = top.get("workdir")
    if workdir is not None and not isinstance(workdir, str):
        r.fail("workdir", "a folder path", workdir)
    env, env_secret = _env(r, top.get("env", {})) or ({}, {})
    data = _data(r, top.get("data"), task)
    objectives = _objectives(r, top.get("objective"), task)
    objective = objectives[0] if objectives else None
    strategy = parse_strategy(r, top.get("strategy", "random"))
    pruner = parse_pruner(r, top.get("pruner"))
    budget = _budget(r, top.get("budget", {}))
    concurrency = r.number("concurrency", top.get("concurrency", 1), integer=True)
    if concurrency is not None and not 1 <= concurrency <= MAX_CONCURRENCY:
        r.fail("concurrency", f"from 1 to {MAX_CONCURRENCY} trials at a time", concurrency)
        concurrency = None
    executor = _executor(r, top.get("executor", "local"))
    space = parse_space(r, top.get("space"), task)
    script = parse_script_options(r, top, command, space)
    if strategy is not None and pruner is not None and objectives and space is not None:
        check_search(r, strategy=strategy, pruner=pruner, objectives=objectives, space=space,
                     task=task or "", command=command)
    if r.problems or task is None or objective is None or space is None:
        if not r.problems:
            r.fail("", "a complete plan", "missing fields")
        raise PlanError(r.problems)
    return Plan(
        task=task, space=space, objective=objective, name=name, fine_tune=bool(fine_tune),
        strategy=strategy or Strategy(), budget=budget or Budget(),
        concurrency=int(concurrency or 1), executor=executor or Executor(), command=command,
        workdir=workdir, env=env, env_secret=env_secret, data=data,
        params_style=script.params_style,
        stdout_metrics=script.stdout_metrics, pruner=pruner or Pruner(),
        extra_objectives=tuple(objectives[1:]), arguments=script.arguments,
        flag_names=script.flag_names, booleans=script.booleans,
        trial_folder=script.trial_folder,
    )


def _command(r: Reader, value: Any, task: str | None) -> tuple[str, ...] | None:
    if value is None:
        if task == "script":
            r.fail("command", "the command that runs your script (a list or a text)", None)
        return None
    if isinstance(value, str):
        try:
            parts = shlex.split(value)
        except ValueError as exc:
            r.fail("command", f"a command line ({exc})", value)
            return None
    elif isinstance(value, list) and all(isinstance(p, (str, int, float)) for p in value):
        parts = [str(p) for p in value]
    else:
        r.fail("command", "a list of arguments or a text", value)
        return None
    if not parts:
        r.fail("command", "at least the program to run", "an empty command")
        return None
    return tuple(parts)


def _env(r: Reader, value: Any) -> tuple[dict[str, str], dict[str, bool]] | None:
    """`env:` as (values, secret marks). An entry is `NAME: text`, or `NAME: {value: text,
    secret: true|false}`, or `NAME: {secret: true}` (the value comes from the environment that
    launches the experiment); see hpdesk.plan.secrets. A found value is never quoted back in
    a problem: it may be a secret."""
    if not isinstance(value, Mapping):
        r.fail("env", "a mapping of variable names to texts", value)
        return None
    out: dict[str, str] = {}
    marks: dict[str, bool] = {}
    for key, val in value.items():
        if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            r.fail(f"env.{key}", "a variable name (letters, digits, _)", key)
            continue
        if isinstance(val, Mapping):
            entry = _env_entry(r, key, val)
            if entry is not None:
                text, secret = entry
                if text is not None:
                    out[key] = text
                if secret is not None:
                    marks[key] = secret
        elif isinstance(val, list) or val is None:
            r.problems.append(Problem(f"env.{key}", "a text, or {value: text, secret: true}",
                                      "a list" if isinstance(val, list) else "nothing", r.source))
        else:
            out[key] = _env_text(val)
    return out, marks


def _env_text(val: Any) -> str:
    return val if isinstance(val, str) else str(val).lower() if isinstance(val, bool) else str(val)


def _env_entry(r: Reader, key: str, val: Mapping[Any, Any]) -> tuple[str | None,
                                                                     bool | None] | None:
    """`{value: text, secret: true|false}`; `{secret: true}` alone: from the environment."""
    before = len(r.problems)
    if r.mapping(f"env.{key}", val, ("value", "secret")) is None or len(r.problems) > before:
        return None
    secret = r.boolean(f"env.{key}.secret", val["secret"]) if "secret" in val else None
    if "secret" in val and secret is None:
        return None
    if "value" not in val:
        if secret is not True:
            r.problems.append(Problem(f"env.{key}", "a value, or secret: true to take it from "
                                      "the environment", "no value", r.source))
            return None
        return None, True
    text = val["value"]
    if isinstance(text, (Mapping, list)) or text is None:
        r.problems.append(Problem(f"env.{key}.value", "a text", "not a text", r.source))
        return None
    return _env_text(text), secret


def _data(r: Reader, value: Any, task: str | None) -> dict[str, Any] | None:
    """`data: {source: NAME, ...options}`; the options are the task's to check when it starts."""
    if value is None or task is None or task not in tasks():
        return None
    sources = preset(task).data_sources
    if isinstance(value, str):
        value = {"source": value}
    if not isinstance(value, Mapping):
        r.fail("data", "a mapping with a source", value)
        return None
    if not sources:
        r.fail("data", "no data section (your command reads its own data)", "a data section")
        return None
    source = r.text("data.source", value.get("source"), choices=sources)
    out: dict[str, Any] = {}
    for key, option in value.items():
        if not isinstance(key, str):
            r.fail(f"data.{key}", "an option name", key)
        elif not _plain(option):
            r.fail(f"data.{key}", "a number, text, true/false or a list of them", option)
        else:
            out[key] = option
    return out if source is not None else None


def _plain(value: Any) -> bool:
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return isinstance(value, (str, int, float, bool)) and not (
        isinstance(value, float) and value != value)


def _objectives(r: Reader, value: Any, task: str | None) -> list[Objective]:
    """`objective: {metric, direction, reduce}`, or a list of them: several objectives."""
    if not isinstance(value, list):
        one = _objective(r, value, task)
        return [] if one is None else [one]
    if not value:
        r.fail("objective", "at least one objective", value)
        return []
    out: list[Objective] = []
    for i, item in enumerate(value):
        one = _objective(r, item, task, path=f"objective[{i}]")
        if one is not None:
            if any(o.metric == one.metric for o in out):
                r.fail(f"objective[{i}].metric", "each metric once", one.metric)
            out.append(one)
    return out if len(out) == len(value) else []


def _objective(r: Reader, value: Any, task: str | None,
               path: str = "objective") -> Objective | None:
    default = preset(task) if task in tasks() else None
    if value is None:
        if default is None:
            if task is not None:
                r.fail("objective", "the metric to optimise", None)
            return None
        return Objective(default.objective_metric, default.direction)
    if isinstance(value, str):
        value = {"metric": value}
    m = r.mapping(path, value, ("metric", "direction", "reduce"))
    if m is None:
        return None
    metric = r.text(f"{path}.metric", m.get("metric", default and default.objective_metric))
    direction = r.text(f"{path}.direction",
                       m.get("direction", default.direction if default else "maximize"),
                       choices=DIRECTIONS)
    reduce = r.text(f"{path}.reduce", m.get("reduce", "last"), choices=REDUCTIONS)
    if metric is None or direction is None or reduce is None:
        return None
    return Objective(metric, direction, reduce)


def _budget(r: Reader, value: Any) -> Budget | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = {"trials": value}
    m = r.mapping("budget", value, ("trials", "wall_time", "epochs", "steps"))
    if m is None:
        return None
    trials = r.number("budget.trials", m.get("trials", 10), integer=True)
    if trials is not None and not 1 <= trials <= MAX_TRIALS:
        r.fail("budget.trials", f"from 1 to {MAX_TRIALS:,} trials", trials)
        trials = None
    wall = m.get("wall_time")
    if wall is not None:
        wall = _duration(r, "budget.wall_time", wall)
    totals = {}
    for key, unit, most in (("epochs", "epoch", MAX_EPOCHS), ("steps", "step", MAX_STEPS)):
        raw = m.get(key)
        if raw is None:
            continue
        number = r.number(f"budget.{key}", raw, integer=True)
        if number is not None and not 1 <= number <= most:
            r.fail(f"budget.{key}", f"from 1 to {most:,} {unit}s of training over all trials",
                   number)
            return None
        totals[key] = None if number is None else int(number)
    if trials is None or None in totals.values():
        return None
    return Budget(int(trials), wall, totals.get("epochs"), totals.get("steps"))


def _duration(r: Reader, path: str, value: Any) -> float | None:
    """Seconds, from a number or a text such as 90s, 30m, 2h or 1d; above 0, at most a year."""
    if isinstance(value, str) and (match := _DURATION.match(value)):
        seconds: float | None = float(match.group(1)) * _UNITS[match.group(2)]
    else:
        seconds = r.number(path, value) if not isinstance(value, str) else None
        if isinstance(value, str):
            r.fail(path, "seconds, or a duration such as 90s, 30m or 2h", value)
    if seconds is not None and not 0 < seconds <= MAX_DURATION:  # NaN and inf fail too
        r.fail(path, "a positive duration of at most 365 days", value)
        return None
    return seconds


#: What happens to a stalled trial: stopped (and failed, saying why), or only marked.
ON_STALL = ("stop", "mark")


def _executor(r: Reader, value: Any) -> Executor | None:
    if isinstance(value, str):
        value = {"kind": value}
    m = r.mapping("executor", value, ("kind", "devices", "trials_per_gpu", "trial_timeout",
                                      "retries", "warm_start", "stall_timeout", "on_stall",
                                      "log_limit_mb", *RAY_FIELDS))
    if m is None:
        return None
    kind = r.text("executor.kind", m.get("kind", "local"), choices=EXECUTORS)
    devices = _devices(r, m.get("devices", "auto"))
    per_gpu = r.number("executor.trials_per_gpu", m.get("trials_per_gpu", 1), integer=True)
    if per_gpu is not None and not 1 <= per_gpu <= 64:
        r.fail("executor.trials_per_gpu", "between 1 and 64 trials per GPU", per_gpu)
        per_gpu = None
    timeout = m.get("trial_timeout")
    if timeout is not None:
        timeout = _duration(r, "executor.trial_timeout", timeout)
    retries = r.number("executor.retries", m.get("retries", 0), integer=True)
    if retries is not None and not 0 <= retries <= 10:
        r.fail("executor.retries", "between 0 and 10 retries", retries)
        retries = None
    warm = r.boolean("executor.warm_start", m.get("warm_start", True))
    stall = m.get("stall_timeout", Executor.stall_timeout)
    if stall is not None:  # null: never call a trial stalled
        stall = _duration(r, "executor.stall_timeout", stall)
    on_stall = r.text("executor.on_stall", m.get("on_stall", "stop"), choices=ON_STALL)
    log_limit = r.number("executor.log_limit_mb", m.get("log_limit_mb", Executor.log_limit_mb))
    if log_limit is not None and not 1 <= log_limit <= 1_000_000:
        r.fail("executor.log_limit_mb", "between 1 and 1000000 MB", log_limit)
        log_limit = None
    ray = None
    if kind == "ray":
        ray = read_ray_options(r, m)
        if ray is None:
            return None
    elif kind is not None:
        for name in RAY_FIELDS:
            if name in m:
                r.fail(f"executor.{name}", "no Ray setting when executor.kind is local",
                       m[name])
    if None in (kind, devices, per_gpu, retries, warm, on_stall, log_limit):
        return None
    return Executor(str(kind), devices, int(per_gpu or 1),  # type: ignore[arg-type]
                    timeout, int(retries or 0), bool(warm), stall, str(on_stall),
                    log_limit_mb=float(log_limit or Executor.log_limit_mb), ray=ray)


def _devices(r: Reader, value: Any) -> str | tuple[int, ...] | None:
    if value in ("auto", "cpu"):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if (isinstance(value, list) and value and all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_GPU_INDEX
            for v in value)
            and len(set(value)) == len(value)):
        return tuple(value)
    r.fail("executor.devices", "auto, cpu, or a list of GPU indices such as [0, 1]", value)
    return None


__all__ = ["PlanError", "Problem", "parse_plan"]
