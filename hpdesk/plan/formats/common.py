"""What the search-space converters share: reading numbers liberally, the losses they report,
and turning a foreign space into a plan that `hpdesk plan validate` accepts.

A converter never raises anything but `PlanError` (whose problems name the file and the field),
and reports what the target cannot say as `losses`: one line each, naming the parameter.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from hpdesk.plan.model import Plan
from hpdesk.plan.reader import PlanError, Problem, Reader
from hpdesk.plan.schema import parse_plan
from hpdesk.plan.space import Condition, Distribution, Fixed

#: The command an imported space runs when its file names none (the person is told to fill it).
PLACEHOLDER_COMMAND = ("python", "train.py")
#: hpdesk's default objective for a script (hpdesk.knowledge presets: script).
DEFAULT_METRIC, DEFAULT_DIRECTION = "val_loss", "minimize"


def fail(source: str, path: str, expected: str, found: Any) -> PlanError:
    """A malformed input, as hpdesk's plan errors say it: the file, the field, what was wanted."""
    r = Reader(source)
    r.fail(path, expected, found)
    return PlanError(r.problems)


def number(source: str, path: str, value: Any, *, integer: bool = False) -> float | int:
    """A number from a foreign file: ints, floats and texts such as "1e-3" are all read."""
    r = Reader(source)
    if isinstance(value, str) and integer:
        try:
            value = int(value.strip())
        except ValueError:
            pass
    out = r.number(path, value, integer=integer)
    if out is None:
        raise PlanError(r.problems)
    return out


def is_int(value: Any) -> bool:
    """An integer as written (not a bool, not 2.0): what decides int against float ranges."""
    if isinstance(value, str):
        text = value.strip().lstrip("+-")
        return text.isdigit()
    return isinstance(value, int) and not isinstance(value, bool)


def shown(value: Any) -> str:
    """A value in a loss line: numbers short (`0.001`, `1e-05`), texts as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def one_line(text: str) -> str:
    """A text safe inside a comment or docstring of a written file: one line, printable, no
    quotes or backslashes that could end the string it sits in."""
    return "".join(c if c.isprintable() and c not in '"\\' else " " for c in text)


def scalar_choice(value: Any) -> tuple[Any, bool]:
    """A choice hpdesk can hold (number, text, true/false), and whether it had to change: a list
    or mapping becomes its JSON text, null the text "null"."""
    if isinstance(value, bool) or isinstance(value, (int, str)):
        return value, False
    if isinstance(value, float) and math.isfinite(value):
        return value, False
    return json.dumps(value, ensure_ascii=False), True


def normal_span(mu: float, sigma: float) -> tuple[float, float]:
    """Mean ± 2 sd: where 95 % of a normal distribution's draws fall."""
    return float(f"{mu - 2 * sigma:.6g}"), float(f"{mu + 2 * sigma:.6g}")


def condition_text(when: Condition) -> str:
    return " and ".join(f"{name} is {' or '.join(shown(v) for v in allowed)}"
                        for name, allowed in when.requires)


def ordered_by_condition(space: Mapping[str, Distribution]) -> list[str]:
    """The names of `space` with every parameter after the ones its condition names (writers
    that sample in order, such as an Optuna script, need the parents first)."""
    done: list[str] = []
    pending = list(space)
    while pending:
        for name in pending:
            parents = [p for p, _ in space[name].when.requires if p in space and p != name]
            if all(p in done for p in parents):
                done.append(name)
                pending.remove(name)
                break
        else:  # a cycle (refused by validation anyway): keep the rest as written
            done += pending
            break
    return done


def plan_from_foreign(data: dict[str, Any], source: str, losses: list[str]) -> Plan:
    """The plan in `data` (the exported form a converter built), made valid where hpdesk's hard
    limits refuse a foreign range (a learning rate from 0, a momentum up to 1): the range is
    moved inside, and a loss line says so. Anything else wrong is the input's problem."""
    try:
        return parse_plan(data, source)
    except PlanError as exc:
        fixed = _within_limits(data, exc.problems, losses)
        if not fixed:
            raise
    return parse_plan(data, source)


def _within_limits(data: dict[str, Any], problems: list[Problem], losses: list[str]) -> bool:
    from hpdesk.plan.space_schema import HARD_LIMITS

    space = data.get("space") or {}
    changed = False
    for problem in problems:
        parts = problem.path.split(".")
        if len(parts) != 3 or parts[0] != "space":
            return False
        name = parts[1]
        entry, limits = space.get(name), HARD_LIMITS.get(name)
        if not isinstance(entry, dict) or limits is None:
            return False
        low, high, strict, wanted = limits
        if entry.get("type") in ("float", "int") and parts[2] in ("low", "high"):
            lo, hi = entry["low"], entry["high"]
            integer = entry["type"] == "int"
            if low is not None and (lo < low or (strict and lo <= low)):
                lo = (int(low) + 1 if strict else int(low)) if integer else (
                    low + (hi - low) * 1e-3 if strict else low)
            if high is not None and hi >= high:
                hi = int(high) - 1 if integer else high - (high - lo) * 1e-3
            if lo >= hi:
                return False
            new_lo, new_hi = (lo, hi) if integer else (float(f"{lo:.3g}"), float(f"{hi:.3g}"))
            losses.append(f"{name}: hpdesk wants {wanted}; the range [{shown(entry['low'])}, "
                          f"{shown(entry['high'])}] became [{shown(new_lo)}, {shown(new_hi)}]")
            entry["low"], entry["high"] = new_lo, new_hi
            changed = True
        elif entry.get("type") == "categorical" and parts[2].startswith("choices"):
            kept = [v for v in entry["choices"] if _fits(v, low, high, strict)]
            if not kept or len(kept) == len(entry["choices"]):
                return False
            dropped = [v for v in entry["choices"] if v not in kept]
            losses.append(f"{name}: hpdesk wants {wanted}; dropped the choices "
                          f"{', '.join(shown(v) for v in dropped)}")
            entry["choices"] = kept
            changed = True
        else:
            return False
    return changed


def _fits(v: Any, low: float | None, high: float | None, strict: bool) -> bool:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    return not ((low is not None and (v < low or (strict and v <= low)))
                or (high is not None and v >= high))


def script_plan(space: dict[str, Any], *, source: str, losses: list[str], name: str = "",
                command: list[str] | None = None, params_style: str = "flags",
                booleans: str = "value", metric: str | None = None,
                direction: str | None = None, what: str = "the file",
                strategy: Any = "tpe", pruner: Any = None, trials: int | None = None,
                extra: Mapping[str, Any] | None = None, task: str = "script",
                metric_note: bool = True) -> Plan:
    """A `task: script` plan around an imported space (or a built-in `task` when the file runs
    one of hpdesk's). A missing command becomes a placeholder the person is told to fill; a
    missing metric hpdesk's default for scripts; each assumption is one line in `losses`."""
    data: dict[str, Any] = {"hpdesk": 1, "task": task}
    if name:
        data["name"] = name
    if task == "script":
        if command is None:
            command = list(PLACEHOLDER_COMMAND)
            losses.append(f"command: {what} names no command; wrote the placeholder "
                          f"`{' '.join(command)}` (parameters as --name value): put your "
                          "script's command there")
        data["command"] = command
        data["params_style"] = params_style
        if booleans != "value":
            data["booleans"] = booleans
    if metric is None and metric_note:
        sense = "minimized" if (direction or DEFAULT_DIRECTION) == "minimize" else "maximized"
        losses.append(f"objective: {what} names no metric; assumed {DEFAULT_METRIC}, {sense} "
                      "(hpdesk's default for scripts): name what your script reports")
    data["objective"] = {"metric": metric or DEFAULT_METRIC,
                         "direction": direction or DEFAULT_DIRECTION}
    data["strategy"] = strategy
    if pruner is not None:
        data["pruner"] = pruner
    if trials is not None:
        data["budget"] = {"trials": trials}
    data.update(extra or {})
    data["space"] = space
    return plan_from_foreign(data, source, losses)


def fixed_losses(plan: Plan, target: str, *, keeps: tuple[str, ...] = ()) -> list[str]:
    """One line for each hpdesk-only setting of `plan` that differs from its default and that
    `target` (a format's name) has no place for; `keeps` names what the target does hold."""
    from hpdesk.plan.model import Executor
    from hpdesk.plan.script import StdoutMetrics

    out: list[str] = []

    def lost(field: str, what: str) -> None:
        if field not in keeps:
            out.append(f"{field}: {target} has no place for {what}; not written")

    if plan.extra_objectives:
        lost("objective", "several objectives (" + ", ".join(
            o.metric for o in plan.extra_objectives) + f" dropped; {plan.objective.metric} kept)")
    if plan.fine_tune:
        lost("fine_tune", "fine_tune: true")
    if plan.data is not None:
        lost("data", f"hpdesk's data section ({shown(dict(plan.data))})")
    if plan.env or plan.env_secret:
        lost("env", "the environment variables " + ", ".join(
            sorted({*plan.env, *plan.env_secret})))
    if plan.workdir is not None:
        lost("workdir", f"the project folder {plan.workdir}")
    if plan.concurrency != 1:
        lost("concurrency", f"{plan.concurrency} trials at a time (start that many workers)")
    if plan.executor != Executor():
        lost("executor", "hpdesk's executor settings (" + ", ".join(
            f"{k}: {shown(v)}" for k, v in plan.executor.to_dict().items()
            if Executor().to_dict().get(k) != v) + ")")
    if plan.command is not None and plan.stdout_metrics != StdoutMetrics():
        lost("stdout_metrics", "hpdesk's metric patterns")
    if plan.command is not None and plan.trial_folder != "own":
        lost("trial_folder", f"trial_folder: {plan.trial_folder}")
    b = plan.budget
    for key, value in (("wall_time", b.wall_time), ("epochs", b.epochs), ("steps", b.steps)):
        if value is not None:
            lost(f"budget.{key}", f"a budget of {key} ({shown(value)})")
    if plan.strategy.repeats != 1:
        lost("strategy.repeats", f"repeats: {plan.strategy.repeats}")
    return out


def fixed_as_choice(name: str, dist: Fixed, target: str, losses: list[str]) -> list[Any] | None:
    """A fixed value as a one-choice list (how Optuna and NNI say "fixed"), or None with a loss
    line when it is not a value they can hold (a list)."""
    value, changed = scalar_choice(dist.value)
    if changed:
        losses.append(f"{name}: {target} cannot hold the fixed value {shown(dist.value)}; "
                      "not written")
        return None
    return [value]
