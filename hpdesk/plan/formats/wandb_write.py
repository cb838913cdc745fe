"""Weights & Biases sweep configurations out: the plan as the YAML `wandb sweep` takes, and
one line for each thing W&B cannot say (an integer log scale, a condition, hpdesk's own
settings). The reading side, and what each macro means, is in wandb.py."""

from __future__ import annotations

from typing import Any

import yaml

from hpdesk.plan.formats.common import fixed_losses, one_line, shown
from hpdesk.plan.formats.wandb import DEFAULT_COMMAND
from hpdesk.plan.model import Plan
from hpdesk.plan.space import Categorical, Distribution, Fixed, FloatRange, IntRange

_STRATEGIES = {"grid": "grid", "random": "random", "gp": "bayes", "tpe": "bayes",
               "cmaes": "bayes", "staged": "bayes", "nsga2": "bayes", "sobol": "random",
               "pbt": "random"}


def write(plan: Plan) -> tuple[str, list[str]]:
    """The plan as a W&B sweep (YAML), and what W&B cannot say."""
    losses: list[str] = []
    out: dict[str, Any] = {}
    program, command = _command_out(plan, losses)
    if program is not None:
        out["program"] = program
    if plan.name:
        out["name"] = plan.name
    method = _STRATEGIES[plan.strategy.name]
    if method != {"grid": "grid", "random": "random", "gp": "bayes"}.get(plan.strategy.name):
        losses.append(f"strategy: W&B has no {plan.strategy.name}; written as its {method} "
                      "search")
    if plan.strategy.seed is not None:
        losses.append(f"strategy.seed: W&B sweeps take no seed ({plan.strategy.seed} dropped)")
    out["method"] = method
    out["metric"] = {"name": plan.objective.metric, "goal": plan.objective.direction}
    if plan.objective.reduce == "best":
        losses.append("objective.reduce: W&B's metric is the last value a run logs "
                      "(reduce: best dropped)")
    params: dict[str, Any] = {}
    grid = method == "grid"
    for name, dist in plan.space.items():
        params[name] = _param_out(name, dist, grid, plan.strategy.grid_points, losses)
    out["parameters"] = params
    early = _pruner_out(plan, losses)
    if early is not None:
        out["early_terminate"] = early
    out["run_cap"] = plan.budget.trials
    if command is not None:
        out["command"] = command
    losses += fixed_losses(plan, "a W&B sweep")
    header = (f"# W&B sweep written by hpdesk from the plan {one_line(plan.name) or '(unnamed)'} "
              "(hpdesk plan convert).\n# Start it with: wandb sweep THIS_FILE, then wandb agent "
              "SWEEP_ID.\n")
    return header + yaml.safe_dump(out, sort_keys=False, allow_unicode=True,
                                   default_flow_style=None, width=100), losses


def _param_out(name: str, dist: Distribution, grid: bool, points: int,
               losses: list[str]) -> dict[str, Any]:
    if dist.when:
        from hpdesk.plan.formats.common import condition_text

        losses.append(f"{name}: W&B has no conditional parameters; it is searched in every run "
                      f"(hpdesk searched it only when {condition_text(dist.when)})")
    if isinstance(dist, Fixed):
        return {"value": dist.value}
    if isinstance(dist, Categorical):
        return {"values": list(dist.choices)}
    if grid and dist.step is None:
        values = dist.grid(points)
        losses.append(f"{name}: W&B's grid needs values; wrote the {len(values)} points hpdesk's "
                      f"grid tries ({', '.join(shown(v) for v in values)})")
        return {"values": values}
    if isinstance(dist, FloatRange):
        if dist.log:
            return {"distribution": "log_uniform_values", "min": dist.low, "max": dist.high}
        if dist.step is not None:
            return {"distribution": "q_uniform", "min": dist.low, "max": dist.high,
                    "q": dist.step}
        return {"distribution": "uniform", "min": dist.low, "max": dist.high}
    assert isinstance(dist, IntRange)
    if dist.log:
        losses.append(f"{name}: W&B has no integer log scale; written as q_log_uniform_values "
                      "with q 1 (W&B rounds, and may pass the value as a float such as 32.0)")
        return {"distribution": "q_log_uniform_values", "min": dist.low, "max": dist.high,
                "q": 1}
    if dist.step is not None:
        losses.append(f"{name}: W&B has no integer step; written as q_uniform with q "
                      f"{dist.step} (W&B may pass the value as a float such as "
                      f"{float(dist.low)})")
        return {"distribution": "q_uniform", "min": dist.low, "max": dist.high, "q": dist.step}
    return {"distribution": "int_uniform", "min": dist.low, "max": dist.high}


def _pruner_out(plan: Plan, losses: list[str]) -> dict[str, Any] | None:
    pruner = plan.pruner
    if pruner.name == "none":
        return None
    if pruner.name not in ("hyperband", "asha"):
        losses.append(f"pruner: W&B stops runs early only with hyperband; hpdesk's "
                      f"{pruner.name} pruner dropped")
        return None
    if pruner.name == "asha":
        losses.append("pruner: W&B has no asha; written as its hyperband with the same first "
                      "rung and reduction factor")
        if pruner.option("min_early_stopping_rate"):
            losses.append("pruner.min_early_stopping_rate: W&B has no such setting; dropped")
    out: dict[str, Any] = {"type": "hyperband", "min_iter": pruner.option("min_resource"),
                           "eta": pruner.option("reduction_factor")}
    if pruner.name == "hyperband" and pruner.options.get("max_resource") is not None:
        out["max_iter"] = pruner.options["max_resource"]
    return out


def _command_out(plan: Plan, losses: list[str]) -> tuple[str | None, list[str] | None]:
    """W&B's program and command for the plan's command and params_style."""
    if plan.command is None:
        from hpdesk.knowledge import preset

        losses.append(f"task: the sweep runs hpdesk's {plan.task} task with its parameters "
                      "(--params FILE); the task reports through hpdesk's SDK (JSON lines on "
                      "stdout), not to W&B")
        return None, ["${env}", "${interpreter}", "-m", str(preset(plan.task).module),
                      "--params", "${args_json_file}"]
    from hpdesk.plan.script import PLACEHOLDERS

    tokens = list(plan.command)
    style = plan.params_style
    macro: list[str] = []
    if plan.space:
        if style in ("equals", "flags"):
            macro = ["${args_no_boolean_flags}" if plan.booleans == "switch" else "${args}"]
            if style == "flags":
                losses.append("params_style: W&B passes --name=value, not --name value "
                              "(argparse reads both)")
        elif style == "hydra":
            macro = ["${args_no_hyphens}"]
        elif style == "json":
            macro = ["--params", "${args_json_file}"]
        elif style == "env":
            losses.append("params_style: W&B does not set HPDESK_PARAMS; the script reads its "
                          "parameters from wandb.config there")
    if style == "template":
        kept: list[str] = []
        placed: list[str] = []
        for token in tokens:
            names = [n for n in plan.space if "{" + n + "}" in token]
            if names:
                placed += names
                if kept and kept[-1].startswith("-"):
                    kept.pop()
            elif token == "{params_file}":
                kept.append("${args_json_file}")
            else:
                kept.append(token)
        if placed:
            losses.append("command: W&B has no per-parameter placeholder; " + ", ".join(
                "{" + n + "}" for n in placed) + " became ${args} (--name=value)")
            kept.append("${args}")
        tokens = kept
    for holder in PLACEHOLDERS:
        if holder != "params_file" and any("{" + holder + "}" in t for t in tokens):
            losses.append(f"command: W&B has no {{{holder}}}; left as written")
    if plan.flag_names != "as_written":
        losses.append("flag_names: W&B writes each flag as the parameter is named "
                      "(--batch_size); flag_names: dashes dropped")
    if plan.booleans not in ("value", "switch"):
        losses.append(f"booleans: W&B writes true/false as True/False values or as switches; "
                      f"booleans: {plan.booleans} dropped")
    for name, arg in plan.arguments.items():
        if arg.to_dict():
            losses.append(f"arguments.{name}: W&B passes every parameter under its own name; "
                          f"{shown(arg.to_dict())} dropped")
    if len(tokens) >= 2 and tokens[0] in ("python", "python3") and not tokens[1].startswith("-"):
        command = ["${env}", "${interpreter}", "${program}", *tokens[2:], *macro]
        return tokens[1], None if command == DEFAULT_COMMAND else command
    return None, [*tokens, *macro]
