"""Turning a parsed plan file (any format) into a `Plan`, or into a list of precise problems.

Types are coerced here, after parsing, because the formats disagree: YAML 1.1 reads `1e-3` as a
string and `no` as False, TOML has no null. Every problem names the field path, what was
expected and what was found; all problems are collected, not just the first.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any

from hpdesk.knowledge import preset, tasks
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
from hpdesk.plan.reader import PlanError, Problem, Reader
from hpdesk.plan.script_schema import SCRIPT_FIELDS, parse_script_options
from hpdesk.plan.search_options import check_search, parse_pruner, parse_strategy
from hpdesk.plan.space_schema import parse_space

TOP_LEVEL = ("hpdesk", "name", "task", "fine_tune", "command", "workdir", "env", "data",
             *SCRIPT_FIELDS, "objective", "strategy", "pruner", "budget", "concurrency",
             "executor", "space")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_plan(data: Any, source: str = "<plan>") -> Plan:
    """Validate and coerce the exported form of a plan; raise `PlanError` listing every problem."""
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
    command = _command(r, top.get("command"), task)
    workdir = top.get("workdir")
    if workdir is not None and not isinstance(workdir, str):
        r.fail("workdir", "a folder path", workdir)
    env = _env(r, top.get("env", {}))
    data = _data(r, top.get("data"), task)
    objectives = _objectives(r, top.get("objective"), task)
    objective = objectives[0] if objectives else None
    strategy = parse_strategy(r, top.get("strategy", "random"))
    pruner = parse_pruner(r, top.get("pruner"))
    budget = _budget(r, top.get("budget", {}))
    concurrency = r.number("concurrency", top.get("concurrency", 1), integer=True)
    if concurrency is not None and concurrency < 1:
        r.fail("concurrency", "at least 1", concurrency)
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
        workdir=workdir, env=env or {}, data=data, params_style=script.params_style,
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


def _env(r: Reader, value: Any) -> dict[str, str] | None:
    if not isinstance(value, Mapping):
        r.fail("env", "a mapping of variable names to texts", value)
        return None
    out = {}
    for key, val in value.items():
        if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            r.fail(f"env.{key}", "a variable name (letters, digits, _)", key)
        elif isinstance(val, (dict, list)) or val is None:
            r.fail(f"env.{key}", "a text", val)
        else:
            out[key] = val if isinstance(val, str) else str(val).lower() if isinstance(
                val, bool) else str(val)
    return out


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
    if trials is not None and trials < 1:
        r.fail("budget.trials", "at least 1 trial", trials)
        trials = None
    wall = m.get("wall_time")
    if wall is not None:
        wall = _duration(r, "budget.wall_time", wall)
    totals = {}
    for key, unit in (("epochs", "epoch"), ("steps", "step")):
        raw = m.get(key)
        if raw is None:
            continue
        number = r.number(f"budget.{key}", raw, integer=True)
        if number is not None and number < 1:
            r.fail(f"budget.{key}", f"at least 1 {unit} of training over all trials", number)
            return None
        totals[key] = None if number is None else int(number)
    if trials is None or None in totals.values():
        return None
    return Budget(int(trials), wall, totals.get("epochs"), totals.get("steps"))


def _duration(r: Reader, path: str, value: Any) -> float | None:
    if isinstance(value, str) and (match := _DURATION.match(value)):
        return float(match.group(1)) * _UNITS[match.group(2)]
    seconds = r.number(path, value) if not isinstance(value, str) else None
    if isinstance(value, str):
        r.fail(path, "seconds, or a duration such as 90s, 30m or 2h", value)
    if seconds is not None and seconds <= 0:
        r.fail(path, "a positive duration", value)
        return None
    return seconds


def _executor(r: Reader, value: Any) -> Executor | None:
    if isinstance(value, str):
        value = {"kind": value}
    m = r.mapping("executor", value, ("kind", "devices", "trials_per_gpu", "trial_timeout",
                                      "retries", "warm_start"))
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
    if None in (kind, devices, per_gpu, retries, warm):
        return None
    return Executor(str(kind), devices, int(per_gpu or 1),  # type: ignore[arg-type]
                    timeout, int(retries or 0), bool(warm))


def _devices(r: Reader, value: Any) -> str | tuple[int, ...] | None:
    if value in ("auto", "cpu"):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if (isinstance(value, list) and value and all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
            and len(set(value)) == len(value)):
        return tuple(value)
    r.fail("executor.devices", "auto, cpu, or a list of GPU indices such as [0, 1]", value)
    return None


__all__ = ["PlanError", "Problem", "parse_plan"]
