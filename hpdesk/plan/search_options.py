"""The `strategy` and `pruner` sections of a plan: each name's options, their types, defaults and
bounds, and the checks that need the rest of the plan (a pruner needs one objective, PBT needs
a built-in task...).

Option names follow Optuna's where Optuna has the same knob (`n_startup_trials`,
`reduction_factor`...), so a person coming from Optuna reads a plan without a manual. Explanations
of each option, in English and Chinese, are in the knowledge data (`search.yaml`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hpdesk.plan.model import PRUNERS, STRATEGIES, Objective, Pruner, Strategy
from hpdesk.plan.reader import Reader
from hpdesk.plan.space import Distribution, Fixed

_BIG = 1_000_000


@dataclass(frozen=True)
class Option:
    """kind: int, float, bool, choice, names (a list of parameter names), factors (a list of
    positive numbers), stages (a list of {params, share, strategy}). `optional`: empty (null)
    means "let the method choose"."""

    kind: str
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    optional: bool = False


def _int(default: int | None, low: int, high: int = _BIG, optional: bool = False) -> Option:
    return Option("int", default, low, high, optional=optional)


def _float(default: float | None, low: float | None, high: float | None,
           optional: bool = False) -> Option:
    return Option("float", default, low, high, optional=optional)


#: Strategies the staged search may use inside a stage (one objective, any space).
INNER_STRATEGIES = ("random", "sobol", "tpe", "gp", "cmaes")

STRATEGY_OPTIONS: dict[str, dict[str, Option]] = {
    "random": {},
    "grid": {},
    "sobol": {"scramble": Option("bool", True)},
    # multivariate: off by default. Replayed on real learning curves (benchmarks/curves), the
    # joint model settled on one good region and reached the best 1 % in 34 of 60 seeds, the
    # independent one in 57 of 60 (benchmarks/curves/README.md).
    "tpe": {"n_startup_trials": _int(10, 0), "multivariate": Option("bool", False),
            "constant_liar": Option("bool", True), "n_ei_candidates": _int(24, 1, 10_000)},
    "gp": {"n_startup_trials": _int(10, 0)},
    "cmaes": {"n_startup_trials": _int(1, 0), "sigma0": _float(None, 0.0, None, True),
              "popsize": _int(None, 2, 10_000, True)},
    "nsga2": {"population_size": _int(20, 2, 10_000), "mutation_prob": _float(None, 0, 1, True),
              "crossover_prob": _float(0.9, 0, 1)},
    "staged": {"inner": Option("choice", "tpe", choices=INNER_STRATEGIES),
               "n_startup_trials": _int(5, 0),
               "stages": Option("stages", None, optional=True),
               "shares": Option("factors", (0.5, 0.3, 0.2)),
               # narrow: measured better than fix on the replay benchmark (1,344 against 1,637
               # median epochs to the best 1 %, averaged over 24 staged variants each).
               "carry": Option("choice", "narrow", choices=("fix", "narrow")),
               "importance": Option("choice", "ped_anova", choices=("ped_anova", "fanova"))},
    "pbt": {"population": _int(8, 2, 1024), "interval": _int(2, 1, _BIG),
            "quantile": _float(0.25, 0.0, 0.5), "perturb": Option("factors", (0.8, 1.2)),
            "resample_probability": _float(0.25, 0, 1),
            "mutate": Option("names", None, optional=True)},
}

PRUNER_OPTIONS: dict[str, dict[str, Option]] = {
    "none": {},
    "median": {"n_startup_trials": _int(5, 0), "n_warmup_steps": _int(1, 0),
               "interval_steps": _int(1, 1)},
    "asha": {"min_resource": _int(1, 1), "reduction_factor": _int(3, 2, 100),
             "min_early_stopping_rate": _int(0, 0, 100)},
    "hyperband": {"min_resource": _int(1, 1), "max_resource": _int(None, 2, optional=True),
                  "reduction_factor": _int(3, 2, 100)},
    "patience": {"patience": _int(3, 1), "min_delta": _float(0.0, 0.0, None)},
    "threshold": {"lower": _float(None, None, None, True), "upper": _float(None, None, None, True),
                  "n_warmup_steps": _int(0, 0)},
}

#: Every pruner's, `none` included: stop a trial whose loss diverged (NaN, infinity, or a
#: level grown by orders of magnitude; hpdesk.analysis.fit_state) rather than let it run on.
COMMON_PRUNER_OPTIONS: dict[str, Option] = {"stop_on_divergence": Option("bool", False)}
for _own in PRUNER_OPTIONS.values():
    _own.update(COMMON_PRUNER_OPTIONS)

#: Hyperparameters a built-in task re-reads when it continues from a checkpoint, so PBT may
#: change them between intervals (the network's shape and the batch size must stay).
PBT_MUTABLE = ("lr", "lr_g", "lr_d", "momentum", "weight_decay", "dropout", "beta1", "beta2",
               "label_smoothing", "grad_clip", "box_loss_weight", "cls_loss_weight",
               "focal_gamma", "focal_alpha")
#: Several objectives: the strategies that search a Pareto front.
MULTI_OBJECTIVE = ("random", "grid", "sobol", "tpe", "nsga2")

_COMMON_STRATEGY_FIELDS = ("name", "seed", "grid_points", "repeats")


def parse_strategy(r: Reader, value: Any) -> Strategy | None:
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, Mapping):
        r.fail("strategy", "a strategy name or a mapping with a name", value)
        return None
    name = r.text("strategy.name", value.get("name", "random"), choices=STRATEGIES)
    own = STRATEGY_OPTIONS.get(name or "", {})
    allowed = _COMMON_STRATEGY_FIELDS + tuple(own)
    if name is not None:
        _known_fields(r, "strategy", value, allowed, f"the fields of the {name} strategy")
    seed = value.get("seed")
    if seed is not None:
        seed = r.number("strategy.seed", seed, integer=True)
        if seed is not None and not 0 <= seed < 2**63:
            r.fail("strategy.seed", "a seed from 0 to 2**63 - 1", seed)
            seed = None
    points = r.number("strategy.grid_points", value.get("grid_points", 3), integer=True)
    if points is not None and not 1 <= points <= 100:
        r.fail("strategy.grid_points", "between 1 and 100 values per range", points)
    repeats = r.number("strategy.repeats", value.get("repeats", 1), integer=True)
    if repeats is not None and not 1 <= repeats <= 1000:
        r.fail("strategy.repeats", "between 1 and 1000 runs of one configuration", repeats)
        repeats = None
    options = _options(r, "strategy", value, own)
    if name is None or points is None or repeats is None or options is None:
        return None
    return Strategy(name, None if seed is None else int(seed), int(points), options, int(repeats))


def parse_pruner(r: Reader, value: Any) -> Pruner | None:
    if value is None:
        return Pruner()
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, Mapping):
        r.fail("pruner", "a pruner name or a mapping with a name", value)
        return None
    name = r.text("pruner.name", value.get("name", "none"), choices=PRUNERS)
    if name is None:
        return None
    own = PRUNER_OPTIONS[name]
    _known_fields(r, "pruner", value, ("name", *own), f"the fields of the {name} pruner")
    options = _options(r, "pruner", value, own)
    if options is None:
        return None
    if name == "threshold" and options.get("lower") is None and options.get("upper") is None:
        r.fail("pruner.lower", "a lower or an upper bound for the threshold pruner", None)
        return None
    low, high = options.get("lower"), options.get("upper")
    if low is not None and high is not None and low >= high:
        r.fail("pruner.lower", f"a lower bound below the upper one ({high})", low)
        return None
    return Pruner(name, options)


def _known_fields(r: Reader, section: str, value: Mapping[str, Any], allowed: Sequence[str],
                  what: str) -> None:
    for key in value:
        if key not in allowed:
            r.fail(f"{section}.{key}", f"one of {what} ({', '.join(allowed)})",
                   "an unknown field")


def _options(r: Reader, section: str, value: Mapping[str, Any],
             own: Mapping[str, Option]) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    ok = True
    for key, spec in own.items():
        if key not in value:
            continue
        checked = _option(r, f"{section}.{key}", value[key], spec)
        if checked is _BAD:
            ok = False
        elif checked is not None:  # empty: the method's own choice, as if not given
            out[key] = checked
    return out if ok else None


_BAD = object()


def _option(r: Reader, path: str, raw: Any, spec: Option) -> Any:
    if raw is None:
        if spec.optional:
            return None
        r.fail(path, f"a value ({_expected(spec)})", raw)
        return _BAD
    if spec.kind == "bool":
        flag = r.boolean(path, raw)
        return _BAD if flag is None else flag
    if spec.kind == "choice":
        chosen = r.text(path, raw, choices=spec.choices)
        return _BAD if chosen is None else chosen
    if spec.kind in ("int", "float"):
        if spec.optional and raw == "auto":
            return None
        number = r.number(path, raw, integer=spec.kind == "int")
        if number is None:
            return _BAD
        if (spec.low is not None and number < spec.low) or (
                spec.high is not None and number > spec.high):
            r.fail(path, _expected(spec), raw)
            return _BAD
        return number
    if spec.kind == "factors":
        if not isinstance(raw, list) or not raw or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                and v > 0 for v in raw):
            r.fail(path, "a list of positive numbers", raw)
            return _BAD
        return [float(v) for v in raw]
    if spec.kind == "names":
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            r.fail(path, "a list of hyperparameter names", raw)
            return _BAD
        return list(raw)
    return _stages(r, path, raw)


def _expected(spec: Option) -> str:
    if spec.kind in ("int", "float"):
        kind = "an integer" if spec.kind == "int" else "a number"
        if spec.low is not None and spec.high is not None:
            return f"{kind} from {_shown(spec.low)} to {_shown(spec.high)}"
        if spec.low is not None:
            return f"{kind} of at least {_shown(spec.low)}"
        return kind
    return {"bool": "true or false", "choice": f"one of {', '.join(spec.choices)}"}.get(
        spec.kind, spec.kind)


def _shown(bound: float) -> str:
    return f"{bound:,.0f}" if float(bound).is_integer() else f"{bound:g}"


def _stages(r: Reader, path: str, raw: Any) -> Any:
    if not isinstance(raw, list) or not raw:
        r.fail(path, "a list of stages, each {params: [...], share: 0.5}", raw)
        return _BAD
    out = []
    for i, stage in enumerate(raw):
        where = f"{path}[{i}]"
        if isinstance(stage, list):
            stage = {"params": stage}
        if not isinstance(stage, Mapping):
            r.fail(where, "a mapping with params and share", stage)
            return _BAD
        for key in stage:
            if key not in ("params", "share", "strategy"):
                r.fail(f"{where}.{key}", "one of the fields params, share, strategy",
                       "an unknown field")
                return _BAD
        params = stage.get("params")
        if not isinstance(params, list) or not params or not all(
                isinstance(p, str) for p in params):
            r.fail(f"{where}.params", "a non-empty list of hyperparameter names", params)
            return _BAD
        entry: dict[str, Any] = {"params": list(params)}
        if "share" in stage:
            share = r.number(f"{where}.share", stage["share"])
            if share is None or not 0 < share <= 1:
                if share is not None:
                    r.fail(f"{where}.share", "a share of the trials above 0 and at most 1",
                           share)
                return _BAD
            entry["share"] = share
        if "strategy" in stage:
            inner = r.text(f"{where}.strategy", stage["strategy"], choices=INNER_STRATEGIES)
            if inner is None:
                return _BAD
            entry["strategy"] = inner
        out.append(entry)
    return out


def check_search(r: Reader, *, strategy: Strategy, pruner: Pruner,
                 objectives: Sequence[Objective], space: Mapping[str, Distribution],
                 task: str, command: Any) -> None:
    """The checks that need more than one section of the plan."""
    several = len(objectives) > 1
    if several and strategy.name not in MULTI_OBJECTIVE:
        r.fail("strategy.name", f"a strategy for several objectives ({', '.join(MULTI_OBJECTIVE)})",
               strategy.name)
    if several and pruner.name != "none":
        r.fail("pruner.name", "none: early stopping judges one objective, this plan has "
               f"{len(objectives)}", pruner.name)
    searched = [n for n, d in space.items() if not isinstance(d, Fixed)]
    if strategy.name == "staged":
        _check_stages(r, strategy, searched)
    if strategy.name == "pbt":
        _check_pbt(r, strategy, pruner, space, searched, task, command)
    if pruner.name == "hyperband":
        top = pruner.options.get("max_resource")
        if top is not None and top <= pruner.option("min_resource"):
            r.fail("pruner.max_resource", "more epochs than min_resource", top)


def _check_stages(r: Reader, strategy: Strategy, searched: list[str]) -> None:
    stages = strategy.options.get("stages")
    if not stages:
        return
    opened: dict[str, int] = {}
    for i, stage in enumerate(stages):
        for name in stage["params"]:
            where = f"strategy.stages[{i}].params"
            if name not in searched:
                r.fail(where, f"searched hyperparameters of the space ({', '.join(searched)})",
                       name)
            elif name in opened:
                r.fail(where, f"each hyperparameter in one stage ({name} is in stage "
                       f"{opened[name] + 1} already)", name)
            else:
                opened[name] = i
    for name in searched:
        if name not in opened:
            r.fail(f"space.{name}", "a stage that opens it (strategy.stages), or a fixed value",
                   "a searched hyperparameter in no stage")
    total = sum(s.get("share", 0.0) for s in stages)
    if total > 1 + 1e-9:
        r.fail("strategy.stages", "shares that add up to at most 1", round(total, 6))


def _check_pbt(r: Reader, strategy: Strategy, pruner: Pruner,
               space: Mapping[str, Distribution], searched: list[str], task: str,
               command: Any) -> None:
    if command is not None or task == "script":
        r.fail("strategy.name", "a built-in task for pbt (members continue from each other's "
               "checkpoints)", "pbt with your own script")
    if pruner.name != "none":
        r.fail("pruner.name", "none: population-based training stops and copies members itself",
               pruner.name)
    for name in ("batch_size", "grad_accum_steps", "epochs"):
        if name in searched:
            r.fail(f"space.{name}", f"a fixed {name}: every member of a population must take "
                   "the same steps per epoch", "a searched range")
    epochs = space.get("epochs")
    if isinstance(epochs, Fixed) and isinstance(epochs.value, int) and (
            strategy.option("interval") >= epochs.value):
        r.fail("strategy.interval", f"fewer epochs than the whole run ({epochs.value})",
               strategy.option("interval"))
    mutate = strategy.options.get("mutate")
    for name in mutate or ():
        if name not in PBT_MUTABLE:
            r.fail("strategy.mutate", "hyperparameters a member can change while it trains "
                   f"({', '.join(PBT_MUTABLE)})", name)
        elif name not in searched:
            r.fail("strategy.mutate", "searched hyperparameters (a range to perturb within)", name)
    if mutate is None and not [n for n in searched if n in PBT_MUTABLE]:
        r.fail("strategy.mutate", "at least one searched hyperparameter members can change "
               f"while they train ({', '.join(PBT_MUTABLE)})", "none in the space")
    factors = strategy.option("perturb")
    if len(factors) < 2:
        r.fail("strategy.perturb", "at least two factors (one below 1, one above)", factors)
