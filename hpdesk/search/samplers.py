"""Optuna's samplers, built from a plan's strategy section: hpdesk adapts, Optuna samples.

One function so every strategy (and the staged search's inner ones) is configured alike: the
options a plan gives, Optuna's defaults for the rest, and the warnings Optuna prints about
independent sampling and experimental features silenced (hpdesk explains its choices itself).
"""

from __future__ import annotations

import warnings
from typing import Any

from hpdesk.plan import Strategy

#: The strategy names that are one Optuna sampler each.
SAMPLERS = ("random", "sobol", "tpe", "gp", "cmaes", "nsga2")


def make_sampler(name: str, strategy: Strategy, seed: int | None, *,
                 n_startup_trials: int | None = None, draw_seed: int | None = None) -> Any:
    """The Optuna sampler for `name`, with the options of `strategy` where they apply.

    `n_startup_trials` overrides the plan's (the staged search sizes it per stage). Sobol's
    sequence is scrambled with `seed` and the same for the whole search; what it cannot place
    on the sequence (a conditional parameter) is drawn with `draw_seed`. GP imports torch
    (through Optuna): only a scheduler process ever builds one, never the window.
    """
    import optuna

    samplers = optuna.samplers
    startup = n_startup_trials

    def option(key: str) -> Any:
        if strategy.name == name:
            return strategy.option(key)
        from hpdesk.plan.search_options import STRATEGY_OPTIONS

        return STRATEGY_OPTIONS[name][key].default

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ExperimentalWarning for multivariate, group, QMC...
        if name == "random":
            return samplers.RandomSampler(seed=seed)
        if name == "sobol":
            return samplers.QMCSampler(
                qmc_type="sobol", scramble=bool(option("scramble")), seed=seed,
                warn_independent_sampling=False, warn_asynchronous_seeding=False,
                independent_sampler=samplers.RandomSampler(
                    seed=seed if draw_seed is None else draw_seed))
        if name == "tpe":
            multivariate = bool(option("multivariate"))
            return samplers.TPESampler(
                n_startup_trials=option("n_startup_trials") if startup is None else startup,
                n_ei_candidates=int(option("n_ei_candidates")), seed=seed,
                multivariate=multivariate, group=multivariate,  # group: conditional spaces
                constant_liar=bool(option("constant_liar")), warn_independent_sampling=False)
        if name == "gp":
            return samplers.GPSampler(
                seed=seed, n_startup_trials=option("n_startup_trials") if startup is None
                else startup, warn_independent_sampling=False,
                independent_sampler=samplers.RandomSampler(seed=seed))
        if name == "cmaes":
            return samplers.CmaEsSampler(
                seed=seed, n_startup_trials=option("n_startup_trials") if startup is None
                else startup, sigma0=option("sigma0"), popsize=option("popsize"),
                warn_independent_sampling=False,
                independent_sampler=samplers.RandomSampler(seed=seed))
        if name == "nsga2":
            return samplers.NSGAIISampler(
                population_size=int(option("population_size")),
                mutation_prob=option("mutation_prob"),
                crossover_prob=float(option("crossover_prob")), seed=seed)
    raise ValueError(f"{name!r} is not a sampler; samplers: {', '.join(SAMPLERS)}")
