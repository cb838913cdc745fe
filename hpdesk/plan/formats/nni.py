"""NNI search spaces in and out: `{"name": {"_type": "choice", "_value": [...]}}`.

NNI says a conditional parameter with a nested choice: a choice whose values are mappings with
`_name` (the value chosen) and the parameters that exist under it. Those become hpdesk's `when`
conditions, and back where the condition names one unconditional categorical parameter.
`randint` is [lower, upper): hpdesk's int range [lower, upper - 1]. An NNI experiment config
(YAML with `searchSpace` or `searchSpaceFile`, `trialCommand`, `tuner`) is read too.
"""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hpdesk.plan.formats.common import (
    condition_text,
    fail,
    fixed_as_choice,
    is_int,
    normal_span,
    number,
    scalar_choice,
    script_plan,
    shown,
)
from hpdesk.plan.model import Plan
from hpdesk.plan.space import Categorical, Distribution, Fixed, FloatRange

TYPES = ("choice", "randint", "uniform", "quniform", "loguniform", "qloguniform", "normal",
         "qnormal", "lognormal", "qlognormal")
CONFIG_KEYS = ("searchSpace", "searchSpaceFile", "searchSpacePath", "trialCommand")
_TUNERS = {"tpe": "tpe", "random": "random", "randomsearch": "random", "gridsearch": "grid",
           "grid": "grid", "gptuner": "gp", "gp": "gp", "bohb": "tpe", "hyperband": "random"}


def looks_like(data: Any) -> bool:
    if not isinstance(data, Mapping) or not data:
        return False
    if any(key in data for key in CONFIG_KEYS):
        return True
    return all(isinstance(v, Mapping) and "_type" in v for v in data.values())


def read(data: Any, source: str) -> tuple[Plan, list[str]]:
    """The plan around an NNI search space (or experiment config)."""
    if isinstance(data, Mapping) and any(key in data for key in CONFIG_KEYS):
        return _read_config(data, source)
    losses: list[str] = []
    return script_plan(read_space(data, source, losses), source=source, losses=losses,
                       what="the NNI search space"), losses


def read_space(data: Any, source: str, losses: list[str]) -> dict[str, Any]:
    if not isinstance(data, Mapping) or not data:
        raise fail(source, "", "an NNI search space: {name: {_type: ..., _value: [...]}}", data)
    out: dict[str, dict[str, Any]] = {}
    _params(data, {}, out, "", source, losses)
    return out


def _params(entries: Mapping[str, Any], when: dict[str, list[Any]],
            out: dict[str, dict[str, Any]], path: str, source: str, losses: list[str]) -> None:
    for name, spec in entries.items():
        if name == "_name":
            continue
        where = f"{path}{name}"
        entry, branches = _entry(str(name), spec, where, source, losses)
        key = _add(out, str(name), entry, when, losses)
        for value, sub in branches:
            _params(sub, {**when, key: [value]}, out, f"{where}._value[{shown(value)}].",
                    source, losses)


def _add(out: dict[str, dict[str, Any]], name: str, entry: dict[str, Any],
         when: dict[str, list[Any]], losses: list[str]) -> str:
    """Put `entry` under `name`; the same parameter under another branch of the same choice
    widens its condition; a different one under the same name gets the branch in its name."""
    full = {**entry, "when": {k: list(v) for k, v in when.items()}} if when else entry
    old = out.get(name)
    if old is None:
        out[name] = full
        return name
    old_when = old.get("when", {})
    same = {k: v for k, v in old.items() if k != "when"} == entry
    if same and when and list(old_when) == list(when) and all(
            old_when[k] == when[k] for k in list(when)[:-1]):
        last = list(when)[-1]
        old_when[last] = old_when[last] + [v for v in when[last] if v not in old_when[last]]
        return name
    branch = "_".join(str(v[0]) for v in when.values()) or "other"
    renamed = f"{name}.{branch}"
    losses.append(f"{name}: NNI has it with different ranges under different choices; hpdesk "
                  f"names each once, so this one is {renamed}")
    out[renamed] = full
    return renamed


def _entry(name: str, spec: Any, path: str, source: str,
           losses: list[str]) -> tuple[dict[str, Any], list[tuple[Any, Mapping[str, Any]]]]:
    if not isinstance(spec, Mapping) or spec.get("_type") not in TYPES:
        raise fail(source, f"{path}._type", f"one of {', '.join(TYPES)}",
                   spec.get("_type") if isinstance(spec, Mapping) else spec)
    kind, value = spec["_type"], spec.get("_value")
    if not isinstance(value, list) or not value:
        raise fail(source, f"{path}._value", "a non-empty list", value)
    if kind == "choice":
        choices: list[Any] = []
        branches: list[tuple[Any, Mapping[str, Any]]] = []
        for item in value:
            if isinstance(item, Mapping) and "_name" in item:
                chosen, changed = scalar_choice(item["_name"])
                branches.append((chosen, {k: v for k, v in item.items() if k != "_name"}))
            else:
                chosen, changed = scalar_choice(item)
            if changed:
                losses.append(f"{name}: hpdesk's choices are numbers, texts or true/false; "
                              f"{shown(item)} is passed as its JSON text")
            choices.append(chosen)
        if len(choices) == 1:
            return {"type": "fixed", "value": choices[0]}, branches
        return {"type": "categorical", "choices": choices}, branches

    def num(i: int, integer: bool = False) -> Any:
        if i >= len(value):
            raise fail(source, f"{path}._value[{i}]", f"a number ({kind} takes "
                       f"{3 if kind.startswith('q') else 2})", None)
        return number(source, f"{path}._value[{i}]", value[i], integer=integer)

    if kind == "randint":
        low, upper = num(0, True), num(1, True)
        return _span(int(low), int(upper) - 1, "int", path, source), []
    if kind in ("uniform", "loguniform"):
        return _span(float(num(0)), float(num(1)), "float", path, source,
                     log=kind == "loguniform"), []
    if kind in ("quniform", "qloguniform"):
        low, high, q = num(0), num(1), num(2)
        log = kind == "qloguniform"
        if all(is_int(v) for v in value[:3]):
            if log and q != 1:
                losses.append(f"{name}: hpdesk has no step on a log scale; NNI's multiples of "
                              f"{shown(q)} became every integer in [{low}, {high}]")
            step = None if log or q == 1 else int(q)
            return _span(int(low), int(high), "int", path, source, log=log, step=step), []
        if log:
            losses.append(f"{name}: hpdesk has no step on a log scale; qloguniform's rounding "
                          f"to {shown(q)} dropped")
            return _span(float(low), float(high), "float", path, source, log=True), []
        return _span(float(low), float(high), "float", path, source, step=float(q)), []
    mu, sigma = num(0), num(1)
    low, high = normal_span(mu, sigma)
    log = "log" in kind
    if log:
        low, high = float(f"{math.exp(low):.6g}"), float(f"{math.exp(high):.6g}")
    qn: float | None = float(num(2)) if kind == "qnormal" else None
    if qn:
        low, high = math.floor(low / qn) * qn, math.ceil(high / qn) * qn
    losses.append(f"{name}: NNI's {kind}({shown(mu)}, {shown(sigma)}) has no hpdesk form; kept "
                  f"as {'a log range' if log else 'a range'} [{shown(low)}, {shown(high)}] "
                  f"({'exp of ' if log else ''}mean ± 2 sd)")
    return _span(low, high, "float", path, source, log=log, step=qn), []


def _span(low: Any, high: Any, kind: str, path: str, source: str, *, log: bool = False,
          step: Any = None) -> dict[str, Any]:
    if low > high:
        raise fail(source, f"{path}._value", "a lower bound below the upper one",
                   [low, high])
    if low == high:
        return {"type": "fixed", "value": low}
    out: dict[str, Any] = {"type": kind, "low": low, "high": high, "log": log}
    if step is not None:
        out["step"] = step
    return out


def _read_config(data: Mapping[str, Any], source: str) -> tuple[Plan, list[str]]:
    losses: list[str] = []
    raw = data.get("searchSpace")
    file = data.get("searchSpaceFile") or data.get("searchSpacePath")
    if raw is None and isinstance(file, str):
        from hpdesk.plan.formats.convert import read_document

        path = Path(source).parent / file
        raw, _ = read_document(path)
        source_space = str(path)
    else:
        source_space = source
    space = read_space(raw, source_space, losses)
    command = data.get("trialCommand")
    if isinstance(command, str):
        command = shlex.split(command)
        losses.append("trialCommand: an NNI trial reads its parameters from "
                      "nni.get_next_parameter(); hpdesk passes them as --name value "
                      "(read them with argparse or hpdesk.sdk.params())")
    tuner: Mapping[str, Any] = data["tuner"] if isinstance(data.get("tuner"), Mapping) else {}
    tuner_name = str(tuner.get("name", "TPE"))
    strategy = _TUNERS.get(tuner_name.lower())
    if strategy is None:
        strategy = "tpe"
        losses.append(f"tuner: hpdesk has no {tuner_name}; searching with tpe")
    args: Mapping[str, Any] = (tuner["classArgs"] if isinstance(tuner.get("classArgs"), Mapping)
                               else {})
    mode = args.get("optimize_mode")
    pruner = {"name": "hyperband"} if tuner_name.lower() in ("bohb", "hyperband") else None
    extra: dict[str, Any] = {}
    if data.get("trialConcurrency") is not None:
        extra["concurrency"] = int(number(source, "trialConcurrency", data["trialConcurrency"],
                                          integer=True))
    if data.get("maxExperimentDuration") is not None:
        extra["budget"] = {"wall_time": data["maxExperimentDuration"]}
    trials = data.get("maxTrialNumber")
    if trials is not None:
        trials = int(number(source, "maxTrialNumber", trials, integer=True))
        extra.setdefault("budget", {})["trials"] = trials
    if mode is None:
        losses.append("tuner.classArgs.optimize_mode: not given; assumed minimize")
    losses.append("objective: NNI's metric is what the trial reports to NNI; assumed val_loss "
                  "(name what your script prints)")
    return script_plan(space, source=source, losses=losses,
                       command=command if isinstance(command, list) else None,
                       metric=None, direction=mode if mode in ("minimize", "maximize")
                       else "minimize", what="the NNI config", strategy=strategy,
                       pruner=pruner, extra=extra, metric_note=False), losses


# --- out -----------------------------------------------------------------------------------
def write(plan: Plan) -> tuple[str, list[str]]:
    """The plan's space as NNI's search_space.json, and what it cannot say."""
    losses: list[str] = []
    nested = _nestable(plan.space, losses)
    out: dict[str, Any] = {}
    for name, dist in plan.space.items():
        if name in nested:
            continue
        spec = _spec(name, dist, losses)
        if spec is None:
            continue
        children = {c: p for c, p in nested.items() if p == name}
        if children and spec["_type"] == "choice":
            items = []
            for choice in spec["_value"]:
                item: dict[str, Any] = {"_name": choice}
                for child in children:
                    allowed = plan.space[child].when.requires[0][1]
                    if choice in allowed:
                        sub = _spec(child, plan.space[child], losses, quiet=True)
                        if sub is not None:
                            item[_branch_name(child, choice, item)] = sub
                items.append(item)
            spec["_value"] = items
        out[name] = spec
    losses.append("plan: NNI's search space holds only the space; the objective, strategy, "
                  "budget and command are not written (they go in NNI's config.yml)")
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n", losses


def _branch_name(child: str, choice: Any, branch: Mapping[str, Any]) -> str:
    """Inside its branch a parameter read as `lr.SGD` (NNI had an `lr` under two choices) is
    `lr` again, so the round trip gives back NNI's own names (unless the branch has an `lr`)."""
    suffix = f".{choice}"
    base = child[: -len(suffix)]
    if child.endswith(suffix) and base and base not in branch:
        return base
    return child


def _nestable(space: Mapping[str, Distribution], losses: list[str]) -> dict[str, str]:
    """Conditional parameters NNI's nested choice can hold: {child: parent}."""
    out: dict[str, str] = {}
    for name, dist in space.items():
        if not dist.when:
            continue
        requires = dist.when.requires
        parent = space.get(requires[0][0]) if len(requires) == 1 else None
        if isinstance(parent, Categorical) and not parent.when:
            out[name] = requires[0][0]
        else:
            losses.append(f"{name}: NNI's nested choice holds a condition on one unconditional "
                          f"choice; written as always searched (hpdesk searched it only when "
                          f"{condition_text(dist.when)})")
    return out


def _spec(name: str, dist: Distribution, losses: list[str],
          quiet: bool = False) -> dict[str, Any] | None:
    if isinstance(dist, Fixed):
        choice = fixed_as_choice(name, dist, "NNI", [] if quiet else losses)
        return None if choice is None else {"_type": "choice", "_value": choice}
    if isinstance(dist, Categorical):
        return {"_type": "choice", "_value": list(dist.choices)}
    if isinstance(dist, FloatRange):
        if dist.log:
            return {"_type": "loguniform", "_value": [dist.low, dist.high]}
        if dist.step is not None:
            return {"_type": "quniform", "_value": [dist.low, dist.high, dist.step]}
        return {"_type": "uniform", "_value": [dist.low, dist.high]}
    if dist.log:
        if not quiet:
            losses.append(f"{name}: NNI has no integer log scale; written as qloguniform with "
                          "q 1 (NNI may pass the value as a float such as 32.0)")
        return {"_type": "qloguniform", "_value": [dist.low, dist.high, 1]}
    if dist.step is not None:
        if not quiet:
            losses.append(f"{name}: NNI has no integer step; written as quniform with q "
                          f"{dist.step} (NNI may pass the value as a float)")
        return {"_type": "quniform", "_value": [dist.low, dist.high, dist.step]}
    return {"_type": "randint", "_value": [dist.low, dist.high + 1]}
