"""Population-based training (Jaderberg et al. 2017; KNOWLEDGE.md §9 lists it; Optuna has none).

A population of `population` members trains side by side, each a trial of a built-in task. A
member runs one interval of `interval` epochs, saves its checkpoint and pauses; when every living
member has paused at the same epoch, the worst `quantile` of them copy the checkpoint and the
hyperparameters of a member of the best `quantile` (exploit) and perturb the hyperparameters
that may change while training (explore: multiplied by one of `perturb`, or drawn afresh with
`resample_probability`); then all run their next interval. Synchronous generations, so the
result depends on the seed and not on which member happened to finish first.

The decisions are pure: this module says who copies whom with which values; the scheduler copies
the checkpoints and relaunches the trials. Each member's schedule (its hyperparameters at every
interval and whom it copied) is written as `pbt` notes for the views.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hpdesk.plan import Plan
from hpdesk.plan.search_options import PBT_MUTABLE
from hpdesk.plan.space import Categorical, Distribution, Fixed, FloatRange, IntRange
from hpdesk.search.base import (
    WAIT,
    Continuation,
    SearchStrategy,
    Suggestion,
    Tried,
    Wait,
    derive_seed,
)
from hpdesk.search.pruning import max_resource
from hpdesk.search.sampled import SampledSearch

_BUSY = ("queued", "running", "interrupted")


@dataclass
class _Member:
    index: int
    number: int | None
    params: dict[str, Any]
    state: str
    objective: float | None
    segment: int


class PopulationSearch(SearchStrategy):
    def __init__(self, plan: Plan, history: Sequence[Tried] = ()) -> None:
        super().__init__(plan, history)
        self.size = int(plan.strategy.option("population"))
        interval = int(plan.strategy.option("interval"))
        epochs = max_resource(plan) or interval * 4
        self.epochs = epochs
        self.boundaries = [min(interval * (g + 1), epochs)
                           for g in range(math.ceil(epochs / interval))]
        self.mutable = list(plan.strategy.option("mutate") or [
            n for n in plan.searched() if n in PBT_MUTABLE])
        self.members: dict[int, _Member] = {}
        for t in self.history:
            index = t.search_state.get("member")
            if isinstance(index, int):
                self.members[index] = _Member(index, t.number, dict(t.params), t.state,
                                              t.objective, int(t.search_state.get("segment", 0)))
        own = [t for t in self.history if "member" in t.search_state]
        self._initial = SampledSearch(plan, own, sampler="random", seed_parts=("pbt-initial",))
        self._created = len(self.members)

    def until(self, segment: int) -> int | None:
        """Where a member pauses after `segment` (None: it runs to the end of training)."""
        return None if segment >= len(self.boundaries) - 1 else self.boundaries[segment]

    def suggest(self) -> Suggestion | Wait | None:
        if self._created < self.size:
            suggestion = self._initial.suggest()
            if suggestion is None:
                self._created = self.size  # a tiny discrete space: a smaller population
            else:
                index = self._created
                self._created += 1
                self.members[index] = _Member(index, None, dict(suggestion.params), "queued",
                                              None, 0)
                return Suggestion(self.claim(suggestion.params), {
                    **suggestion.search_state, "member": index, "segment": 0,
                    "until": self.until(0)})
        if any(m.state in (*_BUSY, "paused") for m in self.members.values()):
            return WAIT
        return None

    def tell(self, tried: Tried) -> dict[str, Any] | None:
        super().tell(tried)
        index = tried.search_state.get("member")
        member = self.members.get(index) if isinstance(index, int) else None
        if member is not None:
            member.number, member.state = tried.number, tried.state
            member.objective, member.params = tried.objective, dict(tried.params)
            member.segment = int(tried.search_state.get("segment", member.segment))
        return None

    def continuations(self) -> list[Continuation]:
        """The next interval of every living member, once the whole generation has paused."""
        living = [m for m in self.members.values() if m.state in (*_BUSY, "paused")]
        if self._created < self.size or not living or any(m.state in _BUSY for m in living):
            return []
        generation = min(m.segment for m in living)
        paused = [m for m in living if m.segment == generation]
        epoch = self.boundaries[generation]
        sign = 1.0 if self.plan.objective.direction == "maximize" else -1.0

        def badness(m: _Member) -> tuple[int, float]:  # a member with no value is the worst
            v = m.objective
            return (0, 0.0) if v is None or not math.isfinite(v) else (1, sign * v)

        worst_first = sorted(paused, key=lambda m: (*badness(m), m.index))
        k = min(len(paused) // 2, math.ceil(len(paused) * self.plan.strategy.option("quantile")))
        bottom, top = worst_first[:k], worst_first[len(worst_first) - k:] if k else []
        out = []
        for member in sorted(paused, key=lambda m: m.index):
            rng = random.Random(derive_seed(self.plan.strategy.seed, "pbt", generation,
                                            member.index))
            donor = rng.choice(top) if member in bottom and top else None
            params = self.explore(donor.params, rng) if donor is not None else dict(member.params)
            segment = generation + 1
            assert member.number is not None
            out.append(Continuation(
                member.number, params, self.until(segment),
                None if donor is None else donor.number,
                {"member": member.index, "segment": segment, "until": self.until(segment),
                 "donor": None if donor is None else donor.number}))
            text = (f"trial {member.number} continues at epoch {epoch}" if donor is None else
                    f"trial {member.number} copies trial {donor.number} at epoch {epoch}: "
                    + ", ".join(f"{k} {_short(member.params.get(k))} -> {_short(v)}"
                                for k, v in params.items() if member.params.get(k) != v))
            self.note("pbt", text, {
                "member": member.index, "trial": member.number, "generation": generation,
                "epoch": epoch, "donor": None if donor is None else donor.number,
                "value": member.objective,
                "donor_value": None if donor is None else donor.objective,
                "previous": dict(member.params), "params": params})
            member.state, member.segment, member.params = "queued", segment, params
        return out

    def explore(self, params: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
        """A donor's parameters with the mutable ones perturbed or drawn afresh."""
        out = dict(params)
        factors = list(self.plan.strategy.option("perturb"))
        resample = float(self.plan.strategy.option("resample_probability"))
        for name in self.mutable:
            dist = self.plan.space.get(name)
            if dist is None or isinstance(dist, Fixed) or name not in out:
                continue
            if rng.random() < resample:
                out[name] = draw(dist, rng)
            else:
                out[name] = perturb(dist, out[name], rng.choice(factors))
        return out


def draw(dist: Distribution, rng: random.Random) -> Any:
    if isinstance(dist, Categorical):
        return rng.choice(list(dist.choices))
    assert isinstance(dist, (FloatRange, IntRange))
    if dist.log:
        value = math.exp(rng.uniform(math.log(dist.low), math.log(dist.high)))
    else:
        value = rng.uniform(dist.low, dist.high)
    return _inside(dist, value)


def perturb(dist: Distribution, value: Any, factor: float) -> Any:
    """`value` times `factor`, kept inside the range; a categorical value moves to a
    neighbouring choice (down for a factor below 1, up above)."""
    if isinstance(dist, Categorical):
        choices = list(dist.choices)
        i = choices.index(value) if value in choices else 0
        return choices[max(0, min(len(choices) - 1, i + (1 if factor > 1 else -1)))]
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return value
    assert isinstance(dist, (FloatRange, IntRange))
    moved = value * factor
    if isinstance(dist, IntRange) and round(moved) == value:
        moved = value + (1 if factor > 1 else -1)  # a small integer must still move
    if value == 0 and not dist.log:
        moved = (dist.high - dist.low) * (factor - 1) * 0.1 + dist.low if factor > 1 else 0.0
    return _inside(dist, moved)


def _inside(dist: FloatRange | IntRange, value: float) -> Any:
    value = min(dist.high, max(dist.low, value))
    if dist.step:
        value = dist.low + round((value - dist.low) / dist.step) * dist.step
    if isinstance(dist, IntRange):
        return int(round(value))
    return float(f"{value:.6g}")


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
