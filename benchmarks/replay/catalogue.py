"""The strategies the benchmark compares, by name, and the exploration that chose the default.

A strategy is named either by a registered name (`random`, `optuna_tpe_hyperband`,
`hpdesk_default`...) or by a spec string, which is how the exploration names its candidates:

    STRATEGY[:key=value,...][+PRUNER[:key=value,...]]

STRATEGY is an hpdesk strategy (random, sobol, tpe, gp, cmaes, staged...) or `optuna_tpe` /
`optuna_random` (plain Optuna, no hpdesk); PRUNER an hpdesk pruner (asha, hyperband, median...)
or, after an optuna_ strategy, Optuna's own. Keys are the plan's option names, or the short
forms `n` (n_startup_trials), `rf` (reduction_factor), `min` (min_resource); shares are written
with slashes: `staged:shares=0.5/0.3/0.2,n=5,carry=fix+asha:rf=3,min=1`; `stages=width-first`
names the stages of WIDTH_FIRST (then `shares` are theirs). A JSON object {"strategy": {...},
"pruner": {...}} works too, for what a spec string cannot say.

The exploration (rounds 1, 2a-2d on seeds 0-29, round 3 on seeds 100-129) is `explore_*` and
CONFIRM; its results are in benchmarks/curves/README.md.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: hpdesk's recommended combination is defined in benchmarks/search_replay.py
#: (HPDESK_DEFAULT, a plan snippet) and registered here by `register_default`.

ALIASES = {"n": "n_startup_trials", "rf": "reduction_factor", "min": "min_resource"}


@dataclass(frozen=True)
class Spec:
    kind: str                                  # hpdesk | optuna
    strategy: Mapping[str, Any] = field(default_factory=dict)
    pruner: Mapping[str, Any] | None = None
    snippet: str = ""                          # as it was written, when it was

    def plan_snippet(self) -> str:
        """The plan's strategy and pruner sections, as YAML flow mappings."""
        from replay.plans import flow

        if self.snippet:
            return self.snippet
        text = f"strategy: {flow(self.strategy)}"
        if self.pruner:
            text += f"\npruner: {flow(self.pruner)}"
        return text


def _value(text: str) -> Any:
    if "/" in text:
        return [float(v) for v in text.split("/")]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if text in ("true", "false"):
        return text == "true"
    return text


def _section(text: str) -> dict[str, Any]:
    name, _, rest = text.partition(":")
    out: dict[str, Any] = {"name": name.strip()}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, _, value = item.partition("=")
        out[ALIASES.get(key.strip(), key.strip())] = _value(value.strip())
    return out


def parse(name: str) -> Spec:
    if name in REGISTERED:
        return REGISTERED[name]
    if name.startswith("{"):  # {"strategy": {...}, "pruner": {...}}: for what specs cannot say
        data = json.loads(name)
        return Spec("hpdesk", data["strategy"], data.get("pruner"))
    strategy_text, _, pruner_text = name.partition("+")
    strategy = _section(strategy_text)
    pruner = _section(pruner_text) if pruner_text else None
    if pruner is not None and pruner["name"] == "none":
        pruner = None
    if strategy.get("stages") == "width-first":
        shares = strategy.pop("shares", [0.5, 0.3, 0.2])
        strategy["stages"] = [{"params": list(p), "share": float(x)}
                              for p, x in zip(WIDTH_FIRST, shares)]
    if strategy["name"].startswith("optuna_"):
        return Spec("optuna", {**strategy, "name": strategy["name"][len("optuna_"):]}, pruner)
    return Spec("hpdesk", strategy, pruner)


def spec_name(strategy: Mapping[str, Any], pruner: Mapping[str, Any] | None) -> str:
    """The spec string of a strategy and pruner (the inverse of `parse`)."""
    short = {v: k for k, v in ALIASES.items()}

    def section(d: Mapping[str, Any]) -> str:
        stages = d.get("stages")
        if stages and [tuple(x["params"]) for x in stages] == list(WIDTH_FIRST):
            rest = {k: v for k, v in d.items() if k not in ("name", "stages")}
            d = {"name": d["name"], "stages": "width-first",
                 "shares": [x["share"] for x in stages], **rest}
        items = [f"{short.get(k, k)}={'/'.join(f'{x:g}' for x in v) if isinstance(v, list) else v}"
                 for k, v in d.items() if k != "name"]
        return d["name"] + (":" + ",".join(items) if items else "")

    return section(strategy) + (f"+{section(pruner)}" if pruner else "")


REGISTERED: dict[str, Spec] = {
    "random": Spec("hpdesk", {"name": "random"}),
    "optuna_tpe": Spec("optuna", {"name": "tpe"}),
    "optuna_tpe_hyperband": Spec("optuna", {"name": "tpe"},
                                 {"name": "hyperband", "min_resource": 1,
                                  "reduction_factor": 3}),
    "staged": Spec("hpdesk", {"name": "staged", "inner": "tpe"}),
    "tpe": Spec("hpdesk", {"name": "tpe"}),
    "tpe_asha": Spec("hpdesk", {"name": "tpe"}, {"name": "asha"}),
    "tpe_hyperband": Spec("hpdesk", {"name": "tpe"}, {"name": "hyperband"}),
    # hpdesk's tpe modelled the parameters jointly until this benchmark showed why not.
    "tpe_multivariate_asha": Spec("hpdesk", {"name": "tpe", "multivariate": True},
                                  {"name": "asha", "reduction_factor": 4}),
    "staged_asha": Spec("hpdesk", {"name": "staged", "inner": "tpe"}, {"name": "asha"}),
    "staged_hyperband": Spec("hpdesk", {"name": "staged", "inner": "tpe"},
                             {"name": "hyperband"}),
    # The fastest to the target found by the exploration, but it names the task's parameters
    # (a plan whose space differs fails validation), so it is no default: see the README.
    "staged_width_first_asha": Spec("hpdesk", {
        "name": "staged", "inner": "tpe", "n_startup_trials": 5, "carry": "narrow",
        "stages": [{"params": ["optimizer", "lr", "width"], "share": 0.5},
                   {"params": ["batch_size", "momentum"], "share": 0.3},
                   {"params": ["dropout", "weight_decay"], "share": 0.2}]},
        {"name": "asha", "reduction_factor": 4, "min_resource": 1}),
    "sobol": Spec("hpdesk", {"name": "sobol"}),
    "cmaes": Spec("hpdesk", {"name": "cmaes"}),
}


def register_default(snippet: str) -> Spec:
    """`hpdesk_default` from a plan snippet: YAML with a `strategy` and an optional `pruner`
    section, as they go into a plan or a preset."""
    import yaml

    data = yaml.safe_load(snippet)
    strategy = data["strategy"] if isinstance(data["strategy"], dict) else {
        "name": data["strategy"]}
    pruner = data.get("pruner")
    if isinstance(pruner, str):
        pruner = {"name": pruner}
    spec = Spec("hpdesk", strategy, pruner or None, snippet.strip())
    REGISTERED["hpdesk_default"] = spec
    return spec
#: What a plain `python benchmarks/search_replay.py` runs.
DEFAULT_RUN = ("random", "optuna_tpe", "optuna_tpe_hyperband", "staged", "hpdesk_default",
               "tpe", "tpe_asha", "tpe_hyperband", "tpe_multivariate_asha", "staged_asha",
               "staged_hyperband",
               "staged_width_first_asha", "sobol", "cmaes")
REQUIRED = ("random", "optuna_tpe", "optuna_tpe_hyperband", "staged", "hpdesk_default")


# --- the exploration -----------------------------------------------------------------------------
PRUNERS: dict[str, dict[str, Any] | None] = {
    "none": None,
    "asha3/1": {"name": "asha", "reduction_factor": 3, "min_resource": 1},
    "asha4/1": {"name": "asha", "reduction_factor": 4, "min_resource": 1},
    "asha3/3": {"name": "asha", "reduction_factor": 3, "min_resource": 3},
    "asha4/3": {"name": "asha", "reduction_factor": 4, "min_resource": 3},
    "hyperband": {"name": "hyperband", "reduction_factor": 3, "min_resource": 1},
    "median": {"name": "median"},
}
SHARES = ([0.5, 0.3, 0.2], [0.4, 0.3, 0.3], [0.6, 0.2, 0.2], [0.3, 0.3, 0.4])
STARTUP = (3, 5, 8)
CARRY = ("fix", "narrow")


def staged(shares: list[float], n: int, carry: str) -> dict[str, Any]:
    return {"name": "staged", "inner": "tpe", "shares": shares, "n_startup_trials": n,
            "carry": carry}


def explore_screen() -> list[str]:
    """Round 1: every pruner with the staged search's defaults and with plain TPE (the staged
    search's inner strategy on its own), and TPE's startup count."""
    out = [spec_name(staged(list(SHARES[0]), 5, "fix"), p) for p in PRUNERS.values()]
    out += [spec_name({"name": "tpe"}, p) for p in PRUNERS.values()]
    out += [spec_name({"name": "tpe", "n_startup_trials": n}, PRUNERS["asha3/1"])
            for n in (5, 20)]
    return out


def explore_staged(pruner_keys: tuple[str, ...] = ("median", "asha4/1")) -> list[str]:
    """Round 2a: the staged search's own options (shares x startup x carry), under the two
    pruners that did best with it in round 1; and two plans that list their own stages (width,
    which the tiers leave at its default 32 until the last stage, opened with the learning
    rate)."""
    out = []
    for key, shares, n, carry in itertools.product(pruner_keys, SHARES, STARTUP, CARRY):
        out.append(spec_name(staged(list(shares), n, carry), PRUNERS[key]))
    for key in pruner_keys:
        out.append(spec_name(width_first(), PRUNERS[key]))
    return out


def explore_tpe() -> list[str]:
    """Round 2b: TPE's startup count and the pruners that did best with it in round 1; random
    search under the same pruners for reference."""
    out = []
    for n, key in itertools.product((5, 10, 20), ("asha3/1", "asha4/1", "asha3/3", "asha4/3")):
        out.append(spec_name({"name": "tpe", "n_startup_trials": n}, PRUNERS[key]))
    out += [spec_name({"name": "tpe", "n_startup_trials": 10, "multivariate": False},
                      PRUNERS[key]) for key in ("asha4/1", "asha3/3")]
    out += [spec_name({"name": "random"}, PRUNERS[key]) for key in ("asha3/1", "asha3/3")]
    return out


def explore_univariate() -> list[str]:
    """Round 2c: univariate TPE (Optuna's default, `multivariate: false` in a plan) came out
    far ahead in round 2b: its startup count under every pruner, and random search under the
    pruners round 2b did not try."""
    out = []
    for n, key in itertools.product((5, 10, 20), ("asha3/1", "asha4/1", "asha3/3", "asha4/3",
                                                 "hyperband", "median")):
        out.append(spec_name({"name": "tpe", "n_startup_trials": n, "multivariate": False},
                             PRUNERS[key]))
    out += [spec_name({"name": "random"}, PRUNERS[key])
            for key in ("asha4/1", "asha4/3", "hyperband", "median")]
    return out


#: Stages of the plan's own (`strategy.stages`): width, which the guide's tiers leave at its
#: default (32) until the last stage, opened with the learning rate.
WIDTH_FIRST = (("optimizer", "lr", "width"), ("batch_size", "momentum"),
               ("dropout", "weight_decay"))


def width_first(shares: tuple[float, ...] = (0.5, 0.3, 0.2), n: int = 5, carry: str = "fix",
                inner: str = "tpe") -> dict[str, Any]:
    return {"name": "staged", "inner": inner, "n_startup_trials": n, "carry": carry,
            "stages": [{"params": list(p), "share": s} for p, s in zip(WIDTH_FIRST, shares)]}


def explore_stages() -> list[str]:
    """Round 2d: the width-first stages (round 2a's surprise) with the staged options and the
    pruners again: shares x startup x carry under asha (rf 4, min 1), then the pruners with the
    staged defaults."""
    out = []
    for shares, n, carry in itertools.product(((0.5, 0.3, 0.2), (0.4, 0.3, 0.3),
                                               (0.3, 0.3, 0.4)), (3, 5, 8), CARRY):
        out.append(spec_name(width_first(shares, n, carry), PRUNERS["asha4/1"]))
    for key in ("none", "asha3/1", "asha3/3", "asha4/3", "hyperband"):
        out.append(spec_name(width_first(), PRUNERS[key]))
    return out


#: Round 3: the best candidates of rounds 1-2 (by median epochs to target on seeds 0-29, ties
#: and near-ties broken by how many seeds reached the target), with the baselines, run again
#: on fresh seeds (--seed-start 100).
CONFIRM: tuple[str, ...] = (
    "random", "optuna_tpe", "optuna_tpe_hyperband",
    "tpe:n=5,multivariate=False+asha:rf=4,min=1",
    "tpe:n=10,multivariate=False+asha:rf=4,min=1",
    "tpe:n=20,multivariate=False+asha:rf=4,min=1",
    "tpe:n=10,multivariate=False+asha:rf=3,min=1",
    "tpe+asha:rf=4,min=1",
    "random+asha:rf=3,min=1",
    "staged:stages=width-first,shares=0.5/0.3/0.2,inner=tpe,n=5,carry=fix+asha:rf=4,min=1",
    "staged:stages=width-first,shares=0.5/0.3/0.2,inner=tpe,n=5,carry=narrow+asha:rf=4,min=1",
    "staged:stages=width-first,shares=0.5/0.3/0.2,inner=tpe,n=5,carry=fix+asha:rf=3,min=1",
    "staged:inner=tpe,shares=0.3/0.3/0.4,n=3,carry=narrow+asha:rf=4,min=1",
    "staged:inner=tpe,shares=0.4/0.3/0.3,n=3,carry=narrow+asha:rf=4,min=1",
)
