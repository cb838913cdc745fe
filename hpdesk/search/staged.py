"""Importance-staged search: the guide's order, acted on (KNOWLEDGE.md §3).

Stage 1 searches the tier-1 hyperparameters (learning rate, optimiser, loss terms) with the rest
at their defaults; each later stage fixes the best values found so far (`carry: fix`) or keeps
searching a narrowed range around them (`carry: narrow`), and opens the next tier. Each stage
has its share of the trial budget and its own inner strategy (TPE by default), and starts only
when the previous stage's trials have ended, so its best values are known. A plan may list its
own stages instead of the tiers.

What the search needs again after a restart is kept with each trial (`search_state`: its stage
and the values the stage held fixed), so a resumed staged search picks up in the same stage.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hpdesk.knowledge.search_methods import tier_of
from hpdesk.plan import Plan
from hpdesk.plan.space import Categorical, Distribution, Fixed, FloatRange, IntRange
from hpdesk.search.base import WAIT, SearchStrategy, Suggestion, Tried, Wait
from hpdesk.search.defaults import default_value
from hpdesk.search.sampled import SampledSearch, contains


@dataclass(frozen=True)
class Stage:
    number: int  # from 1
    params: tuple[str, ...]
    trials: int
    strategy: str


def plan_stages(plan: Plan) -> list[Stage]:
    """The stages a plan runs: its own `stages`, or one per tier of its searched parameters
    (a parameter the guide does not know joins the last tier), with the trials shared out."""
    searched = plan.searched()
    inner = plan.strategy.option("inner")
    explicit = plan.strategy.option("stages")
    if explicit:
        groups = [tuple(s["params"]) for s in explicit]
        given = [s.get("share") for s in explicit]
        free = max(0.0, 1.0 - sum(g for g in given if g is not None))
        missing = sum(1 for g in given if g is None)
        shares = [g if g is not None else free / missing for g in given]
        strategies = [s.get("strategy", inner) for s in explicit]
    else:
        tiers: dict[int, list[str]] = {}
        for name in searched:
            tiers.setdefault(tier_of(name) or 3, []).append(name)
        order = sorted(tiers)
        groups = [tuple(tiers[t]) for t in order]
        table = list(plan.strategy.option("shares"))
        shares = [table[min(t, len(table)) - 1] for t in order]
        strategies = [inner] * len(groups)
    counts = _share_out(plan.budget.trials, shares)
    return [Stage(i + 1, g, n, s) for i, (g, n, s) in enumerate(zip(groups, counts, strategies))]


def _share_out(total: int, shares: Sequence[float]) -> list[int]:
    """Whole trials per stage in proportion to `shares` (largest remainders), at least one each
    while there are enough; the first stages are served first when there are not."""
    if not shares:
        return []
    weights = [max(s, 1e-9) for s in shares]
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    counts = [math.floor(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])[: total - sum(counts)]:
        counts[i] += 1
    for i, n in enumerate(counts):  # every stage gets a trial when the budget allows it
        if n == 0 and total >= len(counts):
            donor = max(range(len(counts)), key=lambda j: counts[j])
            counts[donor] -= 1
            counts[i] = 1
    return counts


class StagedSearch(SearchStrategy):
    def __init__(self, plan: Plan, history: Sequence[Tried] = ()) -> None:
        super().__init__(plan, history)
        self.stages = plan_stages(plan)
        self._handed: set[int] = set()  # ordinals of this stage handed out, not yet told
        self._ended = False
        numbers = [t.search_state.get("stage") for t in self.history]
        self.current = max([n for n in numbers if isinstance(n, int)], default=1)
        self._announced = any(t.search_state.get("stage") == self.current for t in self.history)
        self._enter(self.current)

    def _ordinals(self) -> dict[int, bool]:
        """The current stage's trials (by ordinal) and whether each has ended."""
        out: dict[int, bool] = {}
        for t in self.history:
            ordinal = t.search_state.get("ordinal")
            if t.search_state.get("stage") == self.current and isinstance(ordinal, int):
                out[ordinal] = t.finished
        out.update({o: False for o in self._handed})
        return out

    # --- the stage's sub-plan ------------------------------------------------------------------
    def stage(self, number: int | None = None) -> Stage:
        return self.stages[(number or self.current) - 1]

    def incumbent(self) -> Tried | None:
        """The best trial so far: completed first, else one stopped early with a value."""
        better = self.plan.objective.better
        for states in (("completed",), ("pruned", "stopped")):
            best: Tried | None = None
            for t in self.history:
                value = t.objective
                if t.state in states and value is not None and math.isfinite(value) and (
                        best is None or better(value, best.objective or 0.0)):
                    best = t
            if best is not None:
                return best
        return None

    def _held(self, number: int) -> dict[str, Any]:
        """The values a stage holds for the parameters earlier stages opened: kept with its
        trials when it has any (a restart must not re-decide them), else the best so far."""
        for t in self.history:
            if t.search_state.get("stage") == number and "fixed" in t.search_state:
                return dict(t.search_state["fixed"])
        best = self.incumbent()
        earlier = [p for s in self.stages[: number - 1] for p in s.params]
        out = {}
        for name in earlier:
            if best is not None and name in best.params:
                out[name] = best.params[name]
            elif best is not None and not self.plan.space[name].when.holds(best.params):
                continue  # inactive in the best trial (momentum without SGD with momentum)
            else:
                out[name] = default_value(self.plan, name)
        return out

    def _sub_plan(self, number: int, held: Mapping[str, Any]) -> Plan:
        stage = self.stage(number)
        narrow = self.plan.strategy.option("carry") == "narrow"
        space: dict[str, Distribution] = {}
        for name, dist in self.plan.space.items():
            if isinstance(dist, Fixed) or name in stage.params:
                space[name] = dist
            elif name in held:
                value = held[name]
                space[name] = (narrowed(dist, value) if narrow else
                               Fixed(value, dist.when))
            else:
                space[name] = Fixed(default_value(self.plan, name), dist.when)
        return self.plan.with_changes(space=space)

    def _enter(self, number: int) -> None:
        """Make stage `number` the current one: what it holds, its sub-plan, its inner search
        (told the best trial so far when that trial lies in the stage's space)."""
        stage = self.stage(number)
        self.current = number
        self._held_now = self._held(number)
        self._sub = self._sub_plan(number, self._held_now)
        own = [t for t in self.history if t.search_state.get("stage") == number]
        best = self.incumbent()
        seeds = [best] if best is not None and best.search_state.get("stage") != number and (
            _inside(self._sub, best.params)) else []
        self._inner = SampledSearch(
            self._sub, own, sampler=stage.strategy,
            n_startup_trials=self.plan.strategy.option("n_startup_trials"),
            seed_parts=("stage", number), state={"stage": number, "fixed": self._held_now},
            observations=seeds)


    # --- the strategy ----------------------------------------------------------------------------
    def suggest(self) -> Suggestion | Wait | None:
        while True:
            stage = self.stage()
            if not self._announced:
                self._announce()
            trials = self._ordinals()
            if len(trials) < stage.trials and self._has_open(stage.number):
                suggestion = self._inner.suggest()
                if suggestion is not None:
                    self._handed.add(suggestion.search_state["ordinal"])
                    return Suggestion(self.claim(suggestion.params), suggestion.search_state)
            if not all(trials.values()):
                return WAIT
            if stage.number == len(self.stages):
                if not self._ended:
                    self._ended = True
                    self._finish_stage()
                return None
            self._finish_stage()
            self._announced = False
            self._handed = set()
            self._enter(self.current + 1)

    def finish(self) -> None:
        """The budget ran out: the stage that was running ended here (if its trials did)."""
        trials = self._ordinals()
        if not self._ended and trials and all(trials.values()):
            self._ended = True
            self._finish_stage()

    def _has_open(self, number: int) -> bool:
        """Whether any of the stage's parameters can be active with the values it holds."""
        stage = self.stage(number)
        fixed = {n: d.value for n, d in self._sub.space.items() if isinstance(d, Fixed)}
        for name in stage.params:
            when = self.plan.space[name].when
            if all(ctl in stage.params or fixed.get(ctl) in allowed
                   for ctl, allowed in when.requires):
                return True
        return False

    def _announce(self) -> None:
        stage = self.stage()
        self._announced = True
        best = self.incumbent()
        held = dict(self._held_now)
        closed = {n: d.value for n, d in self._sub.space.items()
                  if isinstance(d, Fixed) and n in self.plan.searched() and n not in held}
        opened = list(stage.params)
        text = (f"stage {stage.number} of {len(self.stages)}: searching {', '.join(opened)} "
                f"with {stage.strategy} over {stage.trials} trials")
        if held:
            how = "near" if self.plan.strategy.option("carry") == "narrow" else "fixed at"
            text += f"; {how} the best so far" + (
                f" (trial {best.number})" if best is not None and best.number is not None else
                "") + ": " + ", ".join(f"{k}={_short(v)}" for k, v in held.items())
        if not self._has_open(stage.number):
            text += "; none of them applies with these values, so the stage is skipped"
        self.note("stage", text, {
            "stage": stage.number, "stages": len(self.stages), "open": opened,
            "held": held, "defaults": closed, "trials": stage.trials,
            "strategy": stage.strategy, "carry": self.plan.strategy.option("carry"),
            "best_trial": None if best is None else best.number,
            "plan": [{"stage": s.number, "params": list(s.params), "trials": s.trials,
                      "strategy": s.strategy} for s in self.stages]})

    def _finish_stage(self) -> None:
        stage = self.stage()
        mine = [t for t in self.history if t.search_state.get("stage") == stage.number]
        best = self.incumbent()
        value = None if best is None else best.objective
        text = f"stage {stage.number} ended after {len(mine)} trials"
        if best is not None:
            text += f"; best so far: trial {best.number} with {self.plan.objective.metric} = " \
                    f"{_short(value)}"
        self.note("stage_end", text, {
            "stage": stage.number, "trials": [t.number for t in mine],
            "best_trial": None if best is None else best.number, "best_value": value,
            "open": list(stage.params)})

    def tell(self, tried: Tried) -> dict[str, Any] | None:
        super().tell(tried)
        if tried.search_state.get("stage") == self.current:
            self._handed.discard(tried.search_state.get("ordinal", -1))
            return self._inner.tell(tried)
        if tried.finished:
            self._inner.tell(tried)  # a retry or a re-run informs the current stage
        return None


def _inside(plan: Plan, params: Mapping[str, Any]) -> bool:
    """Whether `params` lie in the plan's space: in every range, on every fixed value."""
    for name, dist in plan.space.items():
        if name not in params:
            continue
        if isinstance(dist, Fixed) and params[name] != dist.value:
            return False
        if not isinstance(dist, Fixed) and not contains(dist, params[name]):
            return False
    return True


def narrowed(dist: Distribution, value: Any) -> Distribution:
    """A range a quarter of the original's width (in log space on a log scale) centred on
    `value` and kept inside the original; a categorical value stays fixed."""
    if isinstance(dist, (Categorical, Fixed)) or not isinstance(value, (int, float)):
        return Fixed(value, dist.when)
    if dist.log and value > 0:
        factor = (dist.high / dist.low) ** 0.125
        low, high = max(dist.low, value / factor), min(dist.high, value * factor)
    else:
        half = (dist.high - dist.low) / 8
        low, high = max(dist.low, value - half), min(dist.high, value + half)
    if isinstance(dist, IntRange):
        low_i, high_i = math.floor(low), math.ceil(high)
        if low_i >= high_i:
            return Fixed(int(value), dist.when)
        return IntRange(low_i, high_i, dist.log, dist.step, dist.when)
    if low >= high:
        return Fixed(value, dist.when)
    return FloatRange(low, high, dist.log, dist.step, dist.when)


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
