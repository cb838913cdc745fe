"""A plan as a standalone, runnable Optuna study (export only: hpdesk never runs a file to read
one).

The script samples each parameter with `trial.suggest_*` (conditions as `if`), runs the plan's
command (or the built-in task, `python -m hpdesk.tasks.NAME` with the parameters in
HPDESK_PARAMS) once per trial, and reads the objective from what the trial prints: the SDK's
JSON lines (`{"step": 3, "val_loss": 0.41}`, printed when hpdesk is not the one running it) or
a script's `name: value` / `name=value` lines. Each report goes to the trial, so the plan's
pruner can stop it. Sampler and pruner are Optuna's own for the plan's strategy and pruner.
"""

from __future__ import annotations

import ast
from typing import Any

from hpdesk.plan.formats.common import fixed_losses, one_line, ordered_by_condition
from hpdesk.plan.model import Plan
from hpdesk.plan.space import Categorical, Distribution, Fixed, FloatRange, IntRange


def write(plan: Plan) -> tuple[str, list[str]]:
    """The script's source, and what it does not carry over from the plan."""
    from hpdesk.knowledge import preset

    losses: list[str] = []
    grid = plan.strategy.name == "grid"
    suggest = _suggest_lines(plan, grid)
    module = None if plan.command is not None else preset(plan.task).module
    env = dict(plan.env)
    if plan.env_secret:
        losses.append("env: secret variables (" + ", ".join(sorted(plan.env_secret)) + ") are "
                      "not written; the script passes on its own environment")
        env = {k: v for k, v in env.items() if not plan.env_secret.get(k)}
    if plan.command is not None and plan.trial_folder == "own":
        losses.append("trial_folder: the script runs every trial in the project folder (hpdesk "
                      "gives each trial a copy of it); {trial_dir} and params.json are per trial")
    if plan.strategy.name in ("staged", "pbt"):
        losses.append(f"strategy: Optuna has no {plan.strategy.name}; the script searches with "
                      "TPE")
    if plan.executor.retries:
        losses.append(f"executor.retries: the script runs a failed trial once "
                      f"({plan.executor.retries} retries dropped)")
    for key, value in (("epochs", plan.budget.epochs), ("steps", plan.budget.steps)):
        if value is not None:
            losses.append(f"budget.{key}: Optuna counts trials and time; the budget of "
                          f"{value} {key} is not written")
    if plan.executor.devices != "auto" or plan.executor.trials_per_gpu != 1:
        losses.append("executor.devices: the script leaves GPUs to the trials (set "
                      "CUDA_VISIBLE_DEVICES yourself)")
    objectives = [(o.metric, o.direction) for o in plan.objectives]
    constants = {
        "PLAN_NAME": plan.name, "OBJECTIVES": objectives, "REDUCE": plan.objective.reduce,
        "N_TRIALS": plan.budget.trials, "TIMEOUT": plan.budget.wall_time,
        "CONCURRENCY": plan.concurrency,
        "COMMAND": None if plan.command is None else list(plan.command), "MODULE": module,
        "DATA": None if plan.data is None or plan.command is not None else dict(plan.data),
        "PARAMS_STYLE": plan.params_style, "FLAG_NAMES": plan.flag_names,
        "BOOLEANS": plan.booleans,
        "ARGUMENTS": {n: a.to_dict() for n, a in plan.arguments.items() if a.to_dict()},
        "ENV": env, "WORKDIR": plan.workdir, "TRIAL_TIMEOUT": plan.executor.trial_timeout,
        "PATTERNS": [(p.regex, p.name) for p in plan.stdout_metrics.patterns],
        "SEED": plan.strategy.seed,
    }
    head = "\n".join(f"{k} = {v!r}" for k, v in constants.items())
    source = (_DOC.format(name=one_line(plan.name) or "(unnamed)") + _IMPORTS + head + "\n\n\n"
              + _sampler(plan) + _pruner(plan)
              + "def suggest(trial):\n    p = {}\n" + "\n".join(suggest) + "\n    return p\n"
              + _RUNTIME)
    ast.parse(source, "<optuna study>")  # valid Python, checked without compiling it
    return source, losses + fixed_losses(plan, "the Optuna script", keeps=(
        "objective", "data", "env", "workdir", "concurrency", "executor", "stdout_metrics",
        "trial_folder", "budget.wall_time", "budget.epochs", "budget.steps",
        "strategy.repeats"))


def _suggest_lines(plan: Plan, grid: bool) -> list[str]:
    lines = []
    for name in ordered_by_condition(plan.space):
        dist = plan.space[name]
        indent = "    "
        if dist.when:
            test = " and ".join(f"p.get({parent!r}) in {tuple(allowed)!r}"
                                for parent, allowed in dist.when.requires)
            lines.append(f"    if {test}:")
            indent = "        "
        lines.append(f"{indent}p[{name!r}] = {_suggest(name, dist, grid, plan)}")
    return lines


def _suggest(name: str, dist: Distribution, grid: bool, plan: Plan) -> str:
    if isinstance(dist, Fixed):
        return repr(dist.value)
    if grid or isinstance(dist, Categorical):
        values = dist.grid(plan.strategy.grid_points)
        return f"trial.suggest_categorical({name!r}, {values!r})"
    if isinstance(dist, FloatRange):
        step = "" if dist.step is None else f", step={dist.step!r}"
        return f"trial.suggest_float({name!r}, {dist.low!r}, {dist.high!r}, log={dist.log}{step})"
    assert isinstance(dist, IntRange)
    return (f"trial.suggest_int({name!r}, {dist.low!r}, {dist.high!r}, step={dist.step or 1!r}, "
            f"log={dist.log})")


def _args(names: tuple[str, ...], options: Any) -> str:
    return ", ".join(f"{n}={options.option(n)!r}" for n in names
                     if options.option(n) is not None)


_SAMPLERS = {
    "random": ("RandomSampler", ()),
    "tpe": ("TPESampler", ("n_startup_trials", "multivariate", "constant_liar",
                           "n_ei_candidates")),
    "gp": ("GPSampler", ("n_startup_trials",)),
    "cmaes": ("CmaEsSampler", ("n_startup_trials", "sigma0", "popsize")),
    "nsga2": ("NSGAIISampler", ("population_size", "mutation_prob", "crossover_prob")),
    "sobol": ("QMCSampler", ("scramble",)),
}
_PRUNERS = {
    "median": ("MedianPruner", ("n_startup_trials", "n_warmup_steps", "interval_steps")),
    "asha": ("SuccessiveHalvingPruner", ("min_resource", "reduction_factor",
                                         "min_early_stopping_rate")),
    "patience": ("PatientPruner", ("patience", "min_delta")),
    "threshold": ("ThresholdPruner", ("lower", "upper", "n_warmup_steps")),
}


def _sampler(plan: Plan) -> str:
    """Optuna's sampler for the plan's strategy, with hpdesk's defaults written out (hpdesk's
    TPE counts running trials as pending: constant_liar, which Optuna leaves off)."""
    s = plan.strategy
    if s.name == "grid":
        grid = {n: d.grid(s.grid_points) for n, d in plan.space.items()
                if not isinstance(d, Fixed)}
        body = f"optuna.samplers.GridSampler({grid!r}, seed=SEED)"
    elif s.name in _SAMPLERS:
        cls, names = _SAMPLERS[s.name]
        extra = "qmc_type='sobol', " if s.name == "sobol" else ""
        body = f"optuna.samplers.{cls}({extra}seed=SEED, {_args(names, s)})".replace(
            ", )", ")")
    else:
        body = "optuna.samplers.TPESampler(seed=SEED)"
    return f"def make_sampler():\n    return {body}\n\n\n"


def _pruner(plan: Plan) -> str:
    p = plan.pruner
    if p.name == "hyperband":
        top = p.options.get("max_resource") or "auto"
        body = (f"optuna.pruners.HyperbandPruner(min_resource={p.option('min_resource')!r}, "
                f"max_resource={top!r}, reduction_factor={p.option('reduction_factor')!r})")
    elif p.name in _PRUNERS:
        cls, names = _PRUNERS[p.name]
        first = "None, " if p.name == "patience" else ""
        body = f"optuna.pruners.{cls}({first}{_args(names, p)})"
    else:
        body = "optuna.pruners.NopPruner()"
    return f"def make_pruner():\n    return {body}\n\n\n"


_DOC = '''#!/usr/bin/env python3
"""Optuna study written by hpdesk from the plan {name} (hpdesk plan convert).

Each trial samples the parameters, runs the plan's command (or hpdesk's built-in task) as a
subprocess and reads the objective from what it prints: hpdesk's SDK prints JSON lines such as
{{"step": 3, "val_loss": 0.41}} when hpdesk is not running it; a script may print
`val_loss: 0.41`. Every value read is reported to the trial, so the pruner can stop it.

    python THIS_FILE [--n-trials N] [--storage sqlite:///study.db] [--study-name NAME]
"""

'''

_IMPORTS = '''from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from collections import deque
from pathlib import Path

import optuna

'''

_RUNTIME = r'''

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")
NUMBER = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)"
HERE = Path(__file__).resolve().parent


def shown(value, boolean):
    if isinstance(value, bool):
        return {"capitalized": str(value), "number": str(int(value))}.get(
            boolean, "true" if value else "false")
    return str(value)


def argv_for(params, context):
    """The trial's command line, as hpdesk builds it (hpdesk.runner.launch.trial_argv)."""
    if COMMAND is None:
        return [sys.executable, "-m", MODULE]

    def fill(match):
        name = match.group(1)
        if name in params:
            return shown(params[name], ARGUMENTS.get(name, {}).get("boolean") or BOOLEANS)
        return context.get(name, match.group(0))

    argv = [PLACEHOLDER.sub(fill, a) for a in COMMAND]
    if argv[0] in ("python", "python3"):
        argv[0] = sys.executable
    placed = {m.group(1) for a in COMMAND for m in PLACEHOLDER.finditer(a)}
    for name, value in params.items():
        arg = ARGUMENTS.get(name, {})
        if not arg.get("pass", True) or name in placed:
            continue
        boolean = arg.get("boolean") or BOOLEANS
        flag = arg.get("flag") or "--" + (name.replace("_", "-") if FLAG_NAMES == "dashes"
                                          else name)
        if PARAMS_STYLE in ("flags", "equals"):
            if isinstance(value, bool) and boolean == "switch":
                argv += [flag] if value else []
            elif isinstance(value, bool) and boolean == "negatable":
                argv.append(flag if value else "--no-" + flag.lstrip("-"))
            elif PARAMS_STYLE == "equals":
                argv.append(f"{flag}={shown(value, boolean)}")
            else:
                argv += [flag, shown(value, boolean)]
        elif PARAMS_STYLE == "hydra":
            argv.append(f"{arg.get('flag') or name}={shown(value, boolean)}")
    if PARAMS_STYLE == "json" and "params_file" not in placed:
        argv += ["--params", context["params_file"]]
    return argv


def values_in(line, names):
    """{metric: value} of the objectives a line of output reports."""
    text = line.strip()
    found = {}
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            return {n: float(data[n]) for n in names if isinstance(data.get(n), (int, float))}
    if PATTERNS:
        for regex, fixed in PATTERNS:
            for m in re.finditer(regex, text):
                groups = m.groupdict()
                name = fixed or groups.get("name") or groups.get("metric")
                if name in names:
                    found[name] = float(groups["value"])
        return found
    for name in names:
        m = re.search(r"(?<![\w.-])['\"]?" + re.escape(name) + r"['\"]?\s*[:=]\s*" + NUMBER, text)
        if m:
            found[name] = float(m.group(1))
    return found


def objective(trial):
    params = suggest(trial)
    project = Path(WORKDIR).expanduser() if WORKDIR else HERE
    trial_dir = Path(tempfile.mkdtemp(prefix=f"trial-{trial.number}-", dir=RUNS))
    params_file = trial_dir / "params.json"
    params_file.write_text(json.dumps(params, indent=2))
    context = {"trial_dir": str(trial_dir), "params_file": str(params_file),
               "trial_id": str(trial.number), "trial_number": str(trial.number),
               "project": str(project)}
    env = dict(os.environ)
    for name in ("HPDESK_DB", "HPDESK_TRIAL_ID"):
        env.pop(name, None)  # the SDK then prints its reports as JSON lines
    env.update(ENV)
    given = dict(params, data=DATA) if DATA is not None else params
    env.update({"HPDESK_PARAMS": json.dumps(given), "HPDESK_PARAMS_FILE": str(params_file),
                "HPDESK_TRIAL_DIR": str(trial_dir), "PYTHONUNBUFFERED": "1"})
    if COMMAND is not None:
        env["HPDESK_PROJECT"] = str(project)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(project), env.get("PYTHONPATH"))
                                            if p)
    names = [m for m, _ in OBJECTIVES]
    single = len(OBJECTIVES) == 1
    last, best, reports = {}, {}, 0
    tail = deque(maxlen=20)
    proc = subprocess.Popen(argv_for(params, context), cwd=str(project), env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, errors="replace")
    try:
        for line in proc.stdout:
            tail.append(line.rstrip())
            for name, value in values_in(line, names).items():
                last[name] = value
                better = (max if dict(OBJECTIVES)[name] == "maximize" else min)
                best[name] = value if name not in best or math.isnan(best[name]) else better(
                    best[name], value)
                if single and name == names[0] and math.isfinite(value):
                    reports += 1
                    trial.report(value, reports)
                    if trial.should_prune():
                        proc.terminate()
                        raise optuna.TrialPruned(f"pruned at report {reports} ({value})")
        proc.wait(timeout=TRIAL_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise RuntimeError(f"trial {trial.number} ran past {TRIAL_TIMEOUT} s") from None
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    chosen = best if REDUCE == "best" else last
    missing = [n for n in names if n not in chosen]
    if proc.returncode != 0 or missing:
        why = (f"exited with code {proc.returncode}" if proc.returncode
               else f"never reported {', '.join(missing)}")
        raise RuntimeError(f"trial {trial.number} {why}: {tail[-1] if tail else ''}")
    values = [chosen[n] for n in names]
    return values[0] if single else tuple(values)


def main():
    global RUNS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=N_TRIALS)
    parser.add_argument("--storage", default=None, help="an Optuna storage URL")
    parser.add_argument("--study-name", default=PLAN_NAME or None)
    parser.add_argument("--runs", default=None, help="where trial folders go")
    args = parser.parse_args()
    RUNS = Path(args.runs or HERE / f"{Path(__file__).stem}-runs")
    RUNS.mkdir(parents=True, exist_ok=True)
    directions = [d for _, d in OBJECTIVES]
    study = optuna.create_study(directions=directions, sampler=make_sampler(),
                                pruner=make_pruner() if len(directions) == 1 else None,
                                storage=args.storage, study_name=args.study_name,
                                load_if_exists=args.storage is not None)
    study.optimize(objective, n_trials=args.n_trials, timeout=TIMEOUT, n_jobs=CONCURRENCY,
                   catch=(RuntimeError, OSError))
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not done:
        print("no trial completed", file=sys.stderr)
        return 1
    if len(directions) == 1:
        print(f"best value: {study.best_value}")
        print(f"best params: {json.dumps(study.best_trial.params)}")
    else:
        for t in study.best_trials:
            print(f"pareto: {t.values} {json.dumps(t.params)}")
    return 0


RUNS = HERE
if __name__ == "__main__":
    sys.exit(main())
'''
