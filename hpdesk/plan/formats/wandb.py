"""Weights & Biases sweep configurations in and out (YAML; the dict `wandb.sweep` takes).

Every distribution W&B defines is read: those hpdesk has exactly (values, value, int_uniform,
uniform, q_uniform, log_uniform_values and its natural-log form log_uniform, the quantized log
forms, inv_log_uniform(_values), which are log-uniform too), and those it has not (normal,
log_normal, beta and their quantized forms) as the range that holds 95 % of their draws, said
in a loss line. Nested `parameters` become dotted names. `command` macros map to hpdesk's
`params_style`: `${args}` is `--name=value` (equals), `${args_no_hyphens}` is `name=value`
(hydra), `--params ${args_json_file}` is json, `${args_no_boolean_flags}` is equals with
`booleans: switch`.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping
from typing import Any

from hpdesk.plan.formats.common import (
    fail,
    is_int,
    normal_span,
    number,
    scalar_choice,
    script_plan,
    shown,
)
from hpdesk.plan.model import Budget, Plan

DEFAULT_COMMAND = ["${env}", "${interpreter}", "${program}", "${args}"]
_KNOWN = ("program", "method", "metric", "parameters", "early_terminate", "command", "run_cap",
          "name", "description", "project", "entity", "controller", "job", "image_uri")
_QUIET = ("description", "project", "entity", "controller", "job", "image_uri")
_METHODS = {"grid": "grid", "random": "random", "bayes": "gp"}


def looks_like(data: Any) -> bool:
    return isinstance(data, Mapping) and isinstance(data.get("parameters"), Mapping)


# --- in ------------------------------------------------------------------------------------
def read(data: Any, source: str) -> tuple[Plan, list[str]]:
    """The plan a W&B sweep describes, and what did not carry over."""
    if not isinstance(data, Mapping):
        raise fail(source, "", "a W&B sweep configuration (a mapping)", data)
    losses: list[str] = []
    params = data.get("parameters")
    if not isinstance(params, Mapping) or not params:
        raise fail(source, "parameters", "a mapping of parameter names to distributions",
                   params)
    space: dict[str, Any] = {}
    for name, spec in params.items():
        _parameter(str(name), spec, space, losses, source, f"parameters.{name}")
    for key in data:
        if key not in _KNOWN:
            losses.append(f"{key}: not a W&B sweep field hpdesk reads; ignored")
    method = data.get("method", "random")
    if method not in _METHODS:
        raise fail(source, "method", "grid, random or bayes", method)
    if method == "grid":
        for name, entry in space.items():
            if entry.get("type") in ("float", "int") and entry.get("step") is None:
                losses.append(f"{name}: W&B's grid cannot search a range; hpdesk's grid tries "
                              "3 points of it (strategy.grid_points)")
    metric, direction = _metric(data.get("metric"), source, losses)
    pruner = _early_terminate(data.get("early_terminate"), source, losses)
    trials = None
    if data.get("run_cap") is not None:
        trials = int(number(source, "run_cap", data["run_cap"], integer=True))
    elif method != "grid":
        losses.append(f"run_cap: the sweep sets none (W&B's {method} search runs until it is "
                      f"stopped); the plan runs {Budget.trials} trials: set budget.trials")
    command, style, booleans, task = _command(data, source, losses)
    name = data.get("name")
    return script_plan(
        space, source=source, losses=losses, name=name if isinstance(name, str) else "",
        command=command, params_style=style, booleans=booleans, metric=metric,
        direction=direction, what="the sweep", strategy={"name": _METHODS[method]},
        pruner=pruner, trials=trials, task=task), losses


def _parameter(name: str, spec: Any, space: dict[str, Any], losses: list[str], source: str,
               path: str) -> None:
    if isinstance(spec, list):
        spec = {"values": spec}
    elif not isinstance(spec, Mapping):
        spec = {"value": spec}
    if "parameters" in spec and "distribution" not in spec:
        nested = spec["parameters"]
        if not isinstance(nested, Mapping) or not nested:
            raise fail(source, f"{path}.parameters", "a mapping of nested parameters", nested)
        losses.append(f"{name}: W&B's nested parameters became " + ", ".join(
            f"{name}.{k}" for k in nested) + " (each its own argument in hpdesk)")
        for sub, sub_spec in nested.items():
            _parameter(f"{name}.{sub}", sub_spec, space, losses, source,
                       f"{path}.parameters.{sub}")
        return
    dist = spec.get("distribution") or _inferred(spec, source, path)
    space[name] = _entry(name, str(dist), spec, losses, source, path)
    if "probabilities" in spec:
        losses.append(f"{name}: hpdesk draws choices evenly; W&B's probabilities "
                      f"{shown(spec['probabilities'])} dropped")


def _inferred(spec: Mapping[str, Any], source: str, path: str) -> str:
    """W&B's own inference when `distribution` is left out."""
    if "values" in spec:
        return "categorical"
    if "value" in spec:
        return "constant"
    if "min" in spec and "max" in spec:
        return "int_uniform" if is_int(spec["min"]) and is_int(spec["max"]) else "uniform"
    if "mu" in spec or "sigma" in spec:
        return "normal"
    raise fail(source, path, "values, value, min and max, or a distribution", spec)


def _entry(name: str, dist: str, spec: Mapping[str, Any], losses: list[str], source: str,
           path: str) -> dict[str, Any]:
    def num(key: str, default: float | None = None, integer: bool = False) -> Any:
        if key not in spec:
            if default is None:
                raise fail(source, f"{path}.{key}", f"{key} for the {dist} distribution", None)
            return default
        return number(source, f"{path}.{key}", spec[key], integer=integer)

    if dist == "categorical":
        return _categorical(name, spec.get("values"), losses, source, f"{path}.values")
    if dist == "constant":
        if "value" not in spec:
            raise fail(source, f"{path}.value", "the constant value", None)
        return {"type": "fixed", "value": _fixed(name, spec["value"], losses)}
    if dist in ("int_uniform", "uniform", "q_uniform"):
        low, high = num("min"), num("max")
        ints = is_int(spec.get("min")) and is_int(spec.get("max"))
        if dist == "int_uniform":
            return _span(name, int(num("min", integer=True)), int(num("max", integer=True)),
                         "int", source, path)
        if dist == "q_uniform":
            q = num("q", 1.0)
            if ints and is_int(spec.get("q", 1)):  # integral grid: hpdesk's int range
                return _span(name, int(low), int(high), "int", source, path,
                             step=int(q) if int(q) != 1 else None)
            if not math.isclose(low / q, round(low / q), abs_tol=1e-9):
                losses.append(f"{name}: W&B's q_uniform rounds to multiples of {shown(q)}; "
                              f"hpdesk steps by {shown(q)} from {shown(float(low))}")
            return _span(name, float(low), float(high), "float", source, path, step=float(q))
        return _span(name, float(low), float(high), "float", source, path)
    if dist in ("log_uniform_values", "inv_log_uniform_values", "q_log_uniform_values",
                "log_uniform", "inv_log_uniform", "q_log_uniform"):
        low, high = num("min"), num("max")
        if dist in ("log_uniform", "q_log_uniform"):  # natural-log bounds
            low, high = math.exp(low), math.exp(high)
        elif dist == "inv_log_uniform":  # log(1/X) uniform in [min, max]
            low, high = math.exp(-high), math.exp(-low)
        if not dist.startswith("q_"):
            return _span(name, float(low), float(high), "float", source, path, log=True)
        q = num("q", 1.0)
        lo, hi = math.ceil(low / q - 1e-9) * q, math.floor(high / q + 1e-9) * q
        if float(q).is_integer():  # integers on a log scale (q 1), or multiples of q
            if q != 1:
                losses.append(f"{name}: hpdesk has no step on a log scale; W&B's multiples of "
                              f"{shown(q)} became every integer in [{shown(int(lo))}, "
                              f"{shown(int(hi))}]")
            return _span(name, int(lo), int(hi), "int", source, path, log=True)
        losses.append(f"{name}: hpdesk has no step on a log scale; {dist}'s rounding to "
                      f"{shown(q)} dropped")
        return _span(name, float(low), float(high), "float", source, path, log=True)
    if dist in ("normal", "q_normal", "log_normal", "q_log_normal"):
        mu, sigma = num("mu", 0.0), num("sigma", 1.0)
        low, high = normal_span(mu, sigma)
        log = "log" in dist
        if log:
            low, high = float(f"{math.exp(low):.6g}"), float(f"{math.exp(high):.6g}")
        what = f"{dist}({shown(mu)}, {shown(sigma)})"
        step = None
        if dist.startswith("q_") and not log:
            step = num("q", 1.0)
            low, high = math.floor(low / step) * step, math.ceil(high / step) * step
        kept = "a log range" if log else "a range"
        losses.append(f"{name}: W&B's {what} has no hpdesk form; kept as {kept} "
                      f"[{shown(low)}, {shown(high)}] ({'exp of ' if log else ''}mean ± 2 sd"
                      f"{', step ' + shown(step) if step else ''})")
        return _span(name, float(low), float(high), "float", source, path, log=log, step=step)
    if dist in ("beta", "q_beta"):
        a, b = num("a", 1.0), num("b", 1.0)
        losses.append(f"{name}: W&B's beta({shown(a)}, {shown(b)}) has no hpdesk form; kept as "
                      "the range [0, 1] it draws from")
        return {"type": "float", "low": 0.0, "high": 1.0}
    raise fail(source, f"{path}.distribution", "a W&B distribution (constant, categorical, "
               "int_uniform, uniform, q_uniform, log_uniform_values, q_log_uniform_values, "
               "log_uniform, q_log_uniform, inv_log_uniform(_values), normal, q_normal, "
               "log_normal, q_log_normal, beta)", dist)


def _span(name: str, low: Any, high: Any, kind: str, source: str, path: str, *,
          log: bool = False, step: Any = None) -> dict[str, Any]:
    if low > high:
        raise fail(source, f"{path}.min", f"a min at most max ({shown(high)})", low)
    if low == high:  # a range of one value: fixed
        return {"type": "fixed", "value": low}
    out: dict[str, Any] = {"type": kind, "low": low, "high": high, "log": log}
    if step is not None:
        out["step"] = step
    return out


def _categorical(name: str, values: Any, losses: list[str], source: str,
                 path: str) -> dict[str, Any]:
    if not isinstance(values, list):
        values = [values]
    if not values:
        raise fail(source, path, "a non-empty list of values", values)
    choices: list[Any] = []
    changed = False
    for value in values:
        choice, as_text = scalar_choice(value)
        changed = changed or as_text
        if not any(type(c) is type(choice) and c == choice for c in choices):
            choices.append(choice)
        else:
            losses.append(f"{name}: the value {shown(choice)} is listed twice; kept once")
    if changed:
        losses.append(f"{name}: hpdesk's choices are numbers, texts or true/false; lists and "
                      "mappings among the values are passed as their JSON text")
    return {"type": "categorical", "choices": choices}


def _fixed(name: str, value: Any, losses: list[str]) -> Any:
    if isinstance(value, list) and all(not isinstance(v, (list, Mapping)) and v is not None
                                       for v in value):
        return value
    choice, as_text = scalar_choice(value)
    if as_text:
        losses.append(f"{name}: hpdesk's fixed values are numbers, texts or lists of them; "
                      "this one is passed as its JSON text")
    return choice


def _metric(metric: Any, source: str, losses: list[str]) -> tuple[str | None, str | None]:
    if metric is None:
        return None, None
    if isinstance(metric, str):
        metric = {"name": metric}
    if not isinstance(metric, Mapping) or not isinstance(metric.get("name"), str):
        raise fail(source, "metric.name", "the name of the metric to optimise",
                   metric.get("name") if isinstance(metric, Mapping) else metric)
    goal = metric.get("goal")
    if goal is None:
        losses.append(f"objective: the sweep's metric {metric['name']} has no goal; assumed "
                      "minimize (W&B's default)")
        goal = "minimize"
    if goal not in ("minimize", "maximize"):
        raise fail(source, "metric.goal", "minimize or maximize", goal)
    if metric.get("target") is not None:
        losses.append(f"metric.target: hpdesk has no target value; the sweep's "
                      f"{shown(metric['target'])} dropped (set a budget instead)")
    return metric["name"], goal


def _early_terminate(value: Any, source: str, losses: list[str]) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or value.get("type") != "hyperband":
        raise fail(source, "early_terminate.type", "hyperband (W&B's only early stopping)",
                   value.get("type") if isinstance(value, Mapping) else value)
    eta = int(number(source, "early_terminate.eta", value.get("eta", 3), integer=True))
    out: dict[str, Any] = {"name": "hyperband", "reduction_factor": eta}
    top = value.get("max_iter")
    if value.get("min_iter") is not None:
        out["min_resource"] = int(number(source, "early_terminate.min_iter", value["min_iter"],
                                         integer=True))
        if value.get("s") is not None:
            losses.append("early_terminate.s: hpdesk's hyperband sets its brackets from "
                          "min_iter, max_iter and eta; s dropped")
    elif top is not None:
        s = int(number(source, "early_terminate.s", value.get("s", 0), integer=True))
        top_n = int(number(source, "early_terminate.max_iter", top, integer=True))
        out["min_resource"] = max(1, round(top_n / eta ** s))
    if top is not None:
        out["max_resource"] = int(number(source, "early_terminate.max_iter", top, integer=True))
    if value.get("strict"):
        losses.append("early_terminate.strict: hpdesk's hyperband has no strict mode; dropped")
    return out


def _command(data: Mapping[str, Any], source: str, losses: list[str]) -> tuple[
        list[str] | None, str, str, str]:
    """(command, params_style, booleans, task) from `program` and `command`."""
    program = data.get("program")
    raw = data.get("command", DEFAULT_COMMAND)
    if isinstance(raw, str):
        raw = shlex.split(raw)
    if not isinstance(raw, list) or not raw:
        raise fail(source, "command", "a list of arguments and macros", raw)
    out: list[str] = []
    style, booleans = None, "value"
    for token in (str(t) for t in raw):
        if token == "${env}":
            continue
        if token == "${interpreter}":
            out.append("python")
        elif token == "${program}":
            if program is None:
                losses.append("program: the sweep names no program; wrote train.py: put your "
                              "script there")
            out += shlex.split(str(program)) if program is not None else ["train.py"]
        elif token in ("${args}", "${args_no_boolean_flags}"):
            style = "equals"
            booleans = "switch" if token == "${args_no_boolean_flags}" else "value"
        elif token == "${args_no_hyphens}":
            style = "hydra"
        elif token == "${args_json_file}":
            if out and out[-1] == "--params":
                out.pop()
                style = "json"
            else:
                out.append("{params_file}")
                style = style or "template"
        elif token == "${args_json}":
            style = "json"
            losses.append("command: W&B's ${args_json} (the parameters as one JSON argument) "
                          "has no hpdesk form; the script gets --params FILE (a JSON file)")
        else:
            out.append(token)
    if len(out) >= 3 and out[0] in ("python", "python3") and out[1] == "-m" and (
            out[2].startswith("hpdesk.tasks.")):
        task = out[2].rsplit(".", 1)[1]
        from hpdesk.knowledge import tasks

        if task in tasks() and task != "script":
            return None, "template", "value", task
    if style is None:
        style = "template"
        losses.append("command: passes no parameters (a W&B script reads wandb.config); "
                      "hpdesk passes none either: add {name} placeholders or a params_style")
    return out, style, booleans, "script"
