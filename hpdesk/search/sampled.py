"""Strategies that sample (random now; TPE and quasi-random next) through Optuna's samplers.

An in-memory Optuna study is rebuilt from the database's trials; the sampler's seed is derived
from the plan's seed and the number of trials already made, so a resumed experiment continues
with new configurations instead of replaying the first ones.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from hpdesk.plan import Plan
from hpdesk.plan.space import Categorical, Distribution, Fixed, FloatRange, IntRange
from hpdesk.search.base import SearchStrategy, Tried, canonical

log = logging.getLogger(__name__)
MAX_REDRAWS = 50


def optuna_distribution(dist: Distribution) -> Any:
    import optuna.distributions as d

    if isinstance(dist, FloatRange):
        return d.FloatDistribution(dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, IntRange):
        return d.IntDistribution(dist.low, dist.high, log=dist.log, step=dist.step or 1)
    if isinstance(dist, Categorical):
        return d.CategoricalDistribution(dist.choices)
    raise TypeError(f"{type(dist).__name__} has no Optuna distribution")


class SampledSearch(SearchStrategy):
    sampler_name = "random"

    def __init__(self, plan: Plan, history: Sequence[Tried] = ()) -> None:
        super().__init__(plan, history)
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self._optuna = optuna
        self._study = optuna.create_study(
            direction="maximize" if plan.objective.direction == "maximize" else "minimize",
            sampler=self._sampler(len(self.history))
        )
        self._open: dict[tuple[tuple[str, str], ...], Any] = {}
        for tried in self.history:
            self._add(tried)

    def _sampler(self, offset: int) -> Any:
        seed = None if self.plan.strategy.seed is None else self.plan.strategy.seed * 100_003 + offset
        return self._optuna.samplers.RandomSampler(seed=seed)

    def _add(self, tried: Tried) -> None:
        dists = {n: optuna_distribution(d) for n, d in self.plan.space.items()
                 if n in tried.params and not isinstance(d, Fixed)
                 and contains(d, tried.params[n])}
        state = self._optuna.trial.TrialState
        finished = tried.state == "completed" and tried.objective is not None
        try:
            self._study.add_trial(self._optuna.trial.create_trial(
                params={n: tried.params[n] for n in dists}, distributions=dists,
                value=tried.objective if finished else None,
                state=state.COMPLETE if finished else state.FAIL,
            ))
        except ValueError as exc:  # a value Optuna will not take: it just informs less
            log.debug("history trial not added to the sampler: %s", exc)

    def suggest(self) -> dict[str, Any] | None:
        for _ in range(MAX_REDRAWS):
            trial, config = self._draw()
            if not self.seen(config):
                self._open[canonical(config)] = trial
                return self.claim(config)
            self._study.tell(trial, state=self._optuna.trial.TrialState.FAIL)
        return None  # a small discrete space, already covered

    def _draw(self) -> tuple[Any, dict[str, Any]]:
        trial = self._study.ask()
        values: dict[str, Any] = {}
        # Two passes so that a condition may name a parameter that comes later in the plan.
        for name, dist in self.plan.space.items():
            if not dist.when:
                values[name] = _suggest(trial, name, dist)
        for name, dist in self.plan.space.items():
            if dist.when and dist.when.holds(values):
                values[name] = _suggest(trial, name, dist)
        return trial, {n: values[n] for n in self.plan.space if n in values}

    def tell(self, tried: Tried) -> None:
        super().tell(tried)
        trial = self._open.pop(canonical(tried.params), None)
        if trial is None:
            return
        state = self._optuna.trial.TrialState
        if tried.state == "completed" and tried.objective is not None:
            self._study.tell(trial, tried.objective)
        else:
            self._study.tell(trial, state=state.PRUNED if tried.state == "pruned" else state.FAIL)


def contains(dist: Distribution, value: Any) -> bool:
    if isinstance(dist, (FloatRange, IntRange)):
        return (isinstance(value, (int, float)) and not isinstance(value, bool)
                and dist.low <= value <= dist.high)
    if isinstance(dist, Categorical):
        return value in dist.choices
    return True


def _suggest(trial: Any, name: str, dist: Distribution) -> Any:
    if isinstance(dist, Fixed):
        return dist.value
    if isinstance(dist, FloatRange):
        return trial.suggest_float(name, dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, IntRange):
        return trial.suggest_int(name, dist.low, dist.high, log=dist.log, step=dist.step or 1)
    return trial.suggest_categorical(name, list(dist.choices))
