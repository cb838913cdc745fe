"""After a stage of a staged search: which hyperparameters mattered so far, and where that
disagrees with the guide's tiers (KNOWLEDGE.md §3: tier 1 should matter most).

A disagreement is a pair: a hyperparameter the guide ranks lower (tier 3, say dropout) measured
as clearly more important than one it ranks higher (tier 1, the learning rate), by more than
`MARGIN` of the total importance. Small differences are noise at the trial counts a stage has.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hpdesk.analysis.importance import compute_importance
from hpdesk.analysis.trials_table import trials_table
from hpdesk.store import Trial

MARGIN = 0.10


@dataclass(frozen=True)
class Disagreement:
    name: str        # measured as more important...
    tier: int
    importance: float
    above: str       # ...than this one, which the guide puts in an earlier tier
    above_tier: int
    above_importance: float


@dataclass(frozen=True)
class StageImportance:
    stage: int
    evaluator: str
    trials: int
    ranking: list[tuple[str, float | None, int | None]]  # (name, share, tier), most first
    disagreements: list[Disagreement] = field(default_factory=list)
    reason: str | None = None  # why there is no ranking yet (too few trials...)

    @property
    def message(self) -> str:
        head = f"importance after stage {self.stage} ({self.evaluator}, {self.trials} trials)"
        if self.reason:
            return f"{head}: {self.reason}"
        shown = ", ".join(f"{n} {s:.0%}" for n, s, _ in self.ranking if s is not None)
        if not self.disagreements:
            return f"{head}: {shown}; the order agrees with the guide's tiers"
        worst = self.disagreements[0]
        return (f"{head}: {shown}; disagrees with the guide: {worst.name} (tier {worst.tier}) "
                f"mattered more than {worst.above} (tier {worst.above_tier})"
                + (f" and {len(self.disagreements) - 1} more" if len(self.disagreements) > 1
                   else ""))

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "evaluator": self.evaluator, "trials": self.trials,
                "ranking": [{"name": n, "importance": s, "tier": t} for n, s, t in self.ranking],
                "disagreements": [d.__dict__ for d in self.disagreements],
                "reason": self.reason}


def stage_importance(plan: Mapping[str, Any], trials: Sequence[Trial], *, stage: int,
                     evaluator: str = "ped_anova") -> StageImportance:
    table = trials_table(plan, trials)
    result = compute_importance(table, evaluator)
    name = "PED-ANOVA" if evaluator == "ped_anova" else "fANOVA"
    if not result.ready:
        return StageImportance(stage, name, result.trials, [], reason=result.message())
    ranking = [(p.name, p.importance, p.tier) for p in result.params]
    return StageImportance(stage, name, result.trials, ranking, disagreements(ranking))


def disagreements(ranking: Sequence[tuple[str, float | None, int | None]],
                  margin: float = MARGIN) -> list[Disagreement]:
    """Every pair where a later tier beat an earlier one by more than `margin`, largest gap
    first."""
    known = [(n, s, t) for n, s, t in ranking if s is not None and t is not None]
    out = []
    for name, share, tier in known:
        for other, other_share, other_tier in known:
            assert share is not None and other_share is not None
            assert tier is not None and other_tier is not None
            if tier > other_tier and share > other_share + margin:
                out.append(Disagreement(name, tier, share, other, other_tier, other_share))
    out.sort(key=lambda d: d.above_importance - d.importance)
    return out
