"""Strategies that sample through Optuna: random, sobol, tpe, gp, cmaes, nsga2.

An in-memory Optuna study is rebuilt from the database's trials (asked and told through Optuna's
ask/tell API), so a resumed experiment continues from everything already learnt. Each draw gets
its own seed from the plan's seed and the draw's ordinal (`derive_seed`), never from how many
draws came before: a seeded search makes the same trials whether or not it was interrupted. What
a sampler writes into its trials (CMA-ES's state, NSGA-II's generations) is kept with the trial
(`search_state["sampler"]`) and handed back on rebuild, as is the study's own (QMC's position).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

from hpdesk.plan import Plan
from hpdesk.plan.space import Categorical, Distribution, Fixed, FloatRange, IntRange
from hpdesk.search.base import SearchStrategy, Suggestion, Tried, canonical, derive_seed
from hpdesk.search.samplers import make_sampler

log = logging.getLogger(__name__)
#: Draws with the plan's sampler before a repeat makes us draw at random instead (a model that
#: has converged keeps proposing its best point), and draws in all before the space counts as
#: exhausted.
MODEL_DRAWS = 10
MAX_REDRAWS = 60


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
    """`sampler`: the Optuna sampler's name (the plan's strategy by default); `seed_parts` and
    `state` tag the draws of one stage of a staged search; `observations` are trials that inform
    the sampler without counting as this search's own (a staged search's best trial so far)."""

    def __init__(self, plan: Plan, history: Sequence[Tried] = (), *, sampler: str | None = None,
                 n_startup_trials: int | None = None, seed_parts: tuple[object, ...] = (),
                 state: Mapping[str, Any] | None = None,
                 observations: Sequence[Tried] = ()) -> None:
        super().__init__(plan, history)
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self._optuna = optuna
        self.sampler_name = sampler or plan.strategy.name
        self._startup = n_startup_trials
        self._seed_parts = seed_parts
        self._state = dict(state or {})
        self._directions = [o.direction for o in plan.objectives]
        self._storage = optuna.storages.InMemoryStorage()
        name = "hpdesk-search"
        self._storage.create_new_study(
            [optuna.study.StudyDirection.MAXIMIZE if d == "maximize"
             else optuna.study.StudyDirection.MINIMIZE for d in self._directions], name)
        self._study_id = self._storage.get_study_id_from_name(name)
        self._base_seed = derive_seed(plan.strategy.seed, *seed_parts, "sampler")
        self._study = optuna.load_study(study_name=name, storage=self._storage,
                                        sampler=self._make(self._base_seed))
        self._open: dict[int, Any] = {}  # ordinal -> the Optuna trial handed out
        ordinals = [t.search_state.get("ordinal") for t in self.history]
        known = [o for o in ordinals if isinstance(o, int)]
        self._next = max(known, default=-1) + 1
        latest = max(self.history, key=lambda t: t.search_state.get("ordinal", -1), default=None)
        for key, value in ((latest.search_state.get("study") if latest else None) or {}).items():
            self._storage.set_study_system_attr(self._study_id, key, value)
        for tried in [*observations, *sorted(self.history, key=_order)]:
            if tried.finished:
                self._add(tried)
        self._counts.update(canonical(t.params) for t in observations)  # not worth a new trial

    # ---------------------------------------------------------------------------------------
    def _make(self, seed: int | None, name: str | None = None) -> Any:
        name = name or self.sampler_name
        if name == "sobol":  # one scrambled sequence for the search; the draw's own seed aside
            return make_sampler(name, self.plan.strategy, self._base_seed, draw_seed=seed)
        return make_sampler(name, self.plan.strategy, seed, n_startup_trials=self._startup)

    def _add(self, tried: Tried) -> None:
        """A finished trial as an observation (asked and told long ago)."""
        optuna = self._optuna
        # In the order `_draw` asks for them: a sampler that lays parameters out by their
        # order (Sobol's dimensions) must see the same layout before and after a restart.
        dists = {n: optuna_distribution(d) for n, d in _draw_order(self.plan.space)
                 if n in tried.params and not isinstance(d, Fixed)
                 and contains(d, tried.params[n])}
        kind, values = self._outcome(tried)
        try:
            self._study.add_trial(optuna.trial.create_trial(
                params={n: tried.params[n] for n in dists}, distributions=dists,
                values=values, state=kind,
                intermediate_values=_finite(tried.intermediate),
                system_attrs=dict(tried.search_state.get("sampler") or {}),
            ))
        except ValueError as exc:  # a value Optuna will not take: it just informs less
            log.debug("history trial not added to the sampler: %s", exc)

    def _outcome(self, tried: Tried) -> tuple[Any, list[float] | None]:
        """How Optuna records a finished trial: complete with its values, pruned (its
        intermediate values speak for it; one objective only), or failed."""
        state = self._optuna.trial.TrialState
        values = self._values(tried)
        if tried.state == "completed" and values is not None:
            return state.COMPLETE, values
        if tried.state == "pruned" and tried.intermediate and len(self._directions) == 1:
            return state.PRUNED, None
        return state.FAIL, None

    def _values(self, tried: Tried) -> list[float] | None:
        values = list(tried.objectives) if tried.objectives is not None and len(
            self._directions) > 1 else [tried.objective]
        if len(values) != len(self._directions) or any(
                v is None or not math.isfinite(v) for v in values):
            return None
        return [float(v) for v in values if v is not None]

    # ---------------------------------------------------------------------------------------
    def suggest(self) -> Suggestion | None:
        fail = self._optuna.trial.TrialState.FAIL
        ordinal = self._next
        for attempt in range(MAX_REDRAWS):
            modelled = attempt < MODEL_DRAWS
            seed = derive_seed(self.plan.strategy.seed, *self._seed_parts, ordinal, attempt)
            self._study.sampler = self._make(seed, None if modelled else "random")
            trial = self._study.ask()
            config = self._draw(trial)
            if not self.seen(config):
                self._open[ordinal] = trial
                self._next += 1
                return Suggestion(self.claim(config), {
                    **self._state, "ordinal": ordinal,
                    "sampler": self._trial_attrs(trial.number),
                    "study": self._storage.get_study_system_attrs(self._study_id)})
            self._study.tell(trial, state=fail)
        return None  # a small discrete space, already covered

    def _trial_attrs(self, number: int) -> dict[str, Any]:
        return dict(self._study.get_trials(deepcopy=False)[number].system_attrs)

    def _draw(self, trial: Any) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, dist in _draw_order(self.plan.space):
            if not dist.when or dist.when.holds(values):
                values[name] = _suggest(trial, name, dist)
        return {n: values[n] for n in self.plan.space if n in values}

    def tell(self, tried: Tried) -> dict[str, Any] | None:
        super().tell(tried)
        trial = self._open.pop(tried.search_state.get("ordinal", -1), None)
        if trial is None:
            if tried.finished:
                self._add(tried)  # a re-run, a retry, or a trial from before a restart
            return None
        kind, values = self._outcome(tried)
        if values is not None:
            self._study.tell(trial, values)
        else:
            if kind == self._optuna.trial.TrialState.PRUNED:
                for step, value in sorted(_finite(tried.intermediate).items()):
                    trial.report(value, step)
            self._study.tell(trial, state=kind)
        return {"sampler": self._trial_attrs(trial.number)}


def _draw_order(space: Mapping[str, Distribution]) -> list[tuple[str, Distribution]]:
    """Unconditional parameters first, then conditional ones, so that a condition may name a
    parameter that comes later in the plan."""
    return ([(n, d) for n, d in space.items() if not d.when]
            + [(n, d) for n, d in space.items() if d.when])


def _order(tried: Tried) -> tuple[int, int]:
    return (tried.number if tried.number is not None else 1 << 62,
            tried.search_state.get("ordinal", 0) if isinstance(
                tried.search_state.get("ordinal"), int) else 0)


def _finite(values: Mapping[int, float]) -> dict[int, float]:
    return {int(k): float(v) for k, v in values.items() if v is not None and math.isfinite(v)}


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
