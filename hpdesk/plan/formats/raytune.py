"""A plan's space as Ray Tune source (export only: hpdesk never runs a file to read it).

`param_space = {...}` with Ray Tune's sampling functions: `tune.uniform`, `tune.loguniform`,
`tune.quniform`, `tune.randint` and `tune.lograndint` (upper bound exclusive, so hpdesk's
`high + 1`), `tune.qrandint` (upper bound inclusive), `tune.choice`, fixed values as constants,
`tune.grid_search` for a grid plan, and a condition as `tune.sample_from` that draws only when
it holds (None otherwise).
"""

from __future__ import annotations

import ast
from typing import Any

from hpdesk.plan.formats.common import condition_text, fixed_losses, one_line
from hpdesk.plan.model import Plan
from hpdesk.plan.space import Categorical, Distribution, Fixed, FloatRange, IntRange

_SEARCHERS = {"tpe": "OptunaSearch()", "gp": "OptunaSearch(sampler=optuna.samplers.GPSampler())",
              "cmaes": "OptunaSearch(sampler=optuna.samplers.CmaEsSampler())",
              "nsga2": "OptunaSearch(sampler=optuna.samplers.NSGAIISampler())",
              "sobol": "OptunaSearch(sampler=optuna.samplers.QMCSampler())",
              "staged": "OptunaSearch()", "pbt": "PopulationBasedTraining (a scheduler)"}
_SCHEDULERS = {"asha": "ASHAScheduler", "hyperband": "HyperBandScheduler",
               "median": "MedianStoppingRule"}


def write(plan: Plan) -> tuple[str, list[str]]:
    """Python source defining `param_space`, and what Ray Tune's space cannot say."""
    losses: list[str] = []
    grid = plan.strategy.name == "grid"
    lines = []
    for name, dist in plan.space.items():
        expr = _domain(dist, grid, plan.strategy.grid_points)
        if dist.when:
            expr = _conditional(name, dist, expr, grid, plan.strategy.grid_points, losses)
        lines.append(f"    {name!r}: {expr},")
    o = plan.objective
    mode = "max" if o.direction == "maximize" else "min"
    header = [
        "# Ray Tune search space written by hpdesk from the plan "
        f"{one_line(plan.name) or '(unnamed)'} (hpdesk plan convert).",
        f"# Objective: {one_line(o.metric)} ({o.direction}); {plan.budget.trials} trials. "
        "Use it as:",
        "#   tune.Tuner(trainable, param_space=param_space, tune_config=tune.TuneConfig(",
        f"#       metric={one_line(o.metric)!r}, mode={mode!r}, "
        f"num_samples={1 if grid else plan.budget.trials}))",
    ]
    searcher = _SEARCHERS.get(plan.strategy.name)
    if searcher is not None:
        header.append(f"# hpdesk searched with {plan.strategy.name}: pass search_alg="
                      f"{searcher} (ray.tune.search.optuna) to search alike.")
        losses.append(f"strategy: a Ray Tune param_space holds no searcher; the header names "
                      f"the one to pass for {plan.strategy.name}")
    if plan.pruner.name != "none":
        scheduler = _SCHEDULERS.get(plan.pruner.name)
        header.append(f"# hpdesk stopped trials early with {plan.pruner.name}"
                      + (f": pass scheduler={scheduler}(...) (ray.tune.schedulers)."
                         if scheduler else "."))
        losses.append(f"pruner: a Ray Tune param_space holds no scheduler; the header names "
                      f"{'the one to pass' if scheduler else 'the pruner'} for "
                      f"{plan.pruner.name}")
    if any(d.when for d in plan.space.values()):
        header.append("# A conditional parameter is None in a trial where its condition "
                      "does not hold.")
    if plan.command is not None:
        header.append(f"# hpdesk ran: {one_line(' '.join(plan.command))} ({plan.params_style})")
        losses.append("command: Ray Tune runs a trainable function, not a command; the "
                      "header names the plan's command")
    losses += fixed_losses(plan, "a Ray Tune param_space")
    source = "\n".join([*header, "from ray import tune", "", "param_space = {", *lines, "}", ""])
    ast.parse(source, "<ray tune search space>")  # always valid Python
    return source, losses


def _domain(dist: Distribution, grid: bool, points: int) -> str:
    if isinstance(dist, Fixed):
        return repr(dist.value)
    if grid:
        return f"tune.grid_search({dist.grid(points)!r})"
    if isinstance(dist, Categorical):
        return f"tune.choice({list(dist.choices)!r})"
    if isinstance(dist, FloatRange):
        if dist.log:
            return f"tune.loguniform({dist.low!r}, {dist.high!r})"
        if dist.step is not None:
            return f"tune.quniform({dist.low!r}, {dist.high!r}, {dist.step!r})"
        return f"tune.uniform({dist.low!r}, {dist.high!r})"
    assert isinstance(dist, IntRange)
    if dist.step is not None:
        return f"tune.qrandint({dist.low!r}, {dist.high!r}, {dist.step!r})"  # upper inclusive
    if dist.log:
        return f"tune.lograndint({dist.low!r}, {dist.high + 1!r})"  # upper exclusive
    return f"tune.randint({dist.low!r}, {dist.high + 1!r})"


def _conditional(name: str, dist: Distribution, expr: str, grid: bool, points: int,
                 losses: list[str]) -> str:
    test = " and ".join(f"config[{parent!r}] in {tuple(allowed)!r}"
                        for parent, allowed in dist.when.requires)
    if grid and not isinstance(dist, Fixed):
        losses.append(f"{name}: a Ray Tune grid cannot depend on another parameter; drawn "
                      f"from its grid points at random when {condition_text(dist.when)}")
        expr = f"tune.choice({dist.grid(points)!r})"
    value = expr if isinstance(dist, Fixed) else f"{expr}.sample()"
    return f"tune.sample_from(lambda config: {value} if {test} else None)"


def domain_summary(plan: Plan) -> dict[str, Any]:
    """What each parameter becomes, for tests and messages: {name: expression}."""
    grid = plan.strategy.name == "grid"
    return {n: _domain(d, grid, plan.strategy.grid_points) for n, d in plan.space.items()}
