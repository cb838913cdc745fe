"""An experiment at a glance: its best trial, trials done of the budget, the time it has run
and the time it needs still. Plain functions over trial records, kept out of Qt so the numbers
are tested without a window (`hpdesk.gui.run.overview` shows them).

Elapsed time counts only the time the experiment actually ran: the union of its trials' runs
(`started_at` to `ended_at`, or to now while running), with short pauses between trials (a
process starting) counted in. An experiment stopped on Monday and resumed on Tuesday has not
run through the night, so wall time since its creation would be wrong, and so would an ETA
built on it. The ETA is the pace so far applied to what is left of the trial budget.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hpdesk.plan.model import objective_entries
from hpdesk.store.records import FINISHED_STATES, TRIAL_STATES, Trial

#: Pauses between trials shorter than this count as running time (a trial's process starting,
#: the search choosing the next parameters); longer ones are the experiment standing still.
BRIDGE_S = 60.0


@dataclass(frozen=True)
class Overview:
    """What the overview line shows.

    - `best_id`, `best_number`, `best_value`: the best trial by the plan's first objective and
      its direction (finite values only; the lowest number wins a tie); None without one.
    - `done`: finished trials; `total`: the trial budget plus re-runs and retries (which do not
      count against it); None when the plan sets no trial budget (population-based training).
    - `by_state`: trials per state, only states that occur: running, paused and queued first
      (what moves is read first), then the others in the store's order of states.
    - `elapsed`: seconds the experiment ran (None before any trial started).
    - `eta`: seconds left at the pace so far (None when it cannot be estimated: nothing done
      yet, no trial budget, or the experiment is not running)."""

    metric: str
    direction: str
    best_id: int | None
    best_number: int | None
    best_value: float | None
    done: int
    total: int | None
    by_state: dict[str, int] = field(default_factory=dict)
    elapsed: float | None = None
    eta: float | None = None


def best_trial(trials: Sequence[Trial], direction: str) -> Trial | None:
    """The trial with the best finite objective (`direction` "maximize" or "minimize"); the
    lowest-numbered one on a tie; None when no trial has a finite objective."""
    scored = [t for t in trials if t.objective is not None and math.isfinite(t.objective)]
    if not scored:
        return None
    sign = -1.0 if direction == "maximize" else 1.0
    return min(scored, key=lambda t: (sign * float(t.objective or 0.0), t.number))


def run_intervals(trials: Sequence[Trial], now: float) -> list[tuple[float, float]]:
    """(start, end) of each trial's latest run. A running trial runs until `now`. A trial found
    interrupted is given `ended_at` when the loss is noticed (perhaps the next day): it ran at
    most until it last showed progress."""
    spans: list[tuple[float, float]] = []
    for t in trials:
        if t.started_at is None:
            continue
        end = t.ended_at
        if t.state == "interrupted" and t.last_report_at is not None:
            end = min(end if end is not None else math.inf, t.last_report_at)
        if end is None:
            if t.state not in ("running", "paused"):
                continue  # no end recorded and not running: nothing known to count
            end = now
        if math.isfinite(end) and end >= t.started_at:
            spans.append((t.started_at, end))
    return spans


def active_seconds(trials: Sequence[Trial], now: float, *,
                   bridge_s: float = BRIDGE_S) -> float | None:
    """Seconds during which the experiment ran: the union of its trials' runs, pauses shorter
    than `bridge_s` between them included; None before any trial started."""
    spans = sorted(run_intervals(trials, now))
    if not spans:
        return None
    total = 0.0
    start, end = spans[0]
    for s, e in spans[1:]:
        if s - end <= bridge_s:
            end = max(end, e)
        else:
            total += end - start
            start, end = s, e
    return total + (end - start)


def trial_budget(plan: Mapping[str, Any] | None) -> int | None:
    """The plan's trial budget (10 when it names none, as the plan reader does); None for
    population-based training, which runs its population for generations instead."""
    plan = plan or {}
    strategy = plan.get("strategy")
    name = strategy.get("name") if isinstance(strategy, Mapping) else strategy
    if name == "pbt":
        return None
    raw = (plan.get("budget") or {}).get("trials", 10)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def eta_from_pace(elapsed: float | None, progress: float, total: int | None) -> float | None:
    """Seconds left if the remaining `total - progress` trials go at the pace of the
    `progress` trials so far (running ones count by their share done); None when unknown."""
    if elapsed is None or total is None or progress <= 0 or elapsed <= 0:
        return None
    return elapsed * max(total - progress, 0.0) / progress


def overview(plan: Mapping[str, Any] | None, trials: Sequence[Trial], now: float, *,
             running: bool = True,
             fractions: Mapping[int, float] | None = None) -> Overview:
    """The overview of an experiment whose plan (exported form) and trials are given.

    `running`: whether the experiment runs now (a stopped or finished one has no ETA);
    `fractions`: trial id -> share done (0..1) of running trials, where known, so that long
    trials in flight count towards the pace."""
    entry = (objective_entries(plan) or [{}])[0] if (plan or {}).get("objective") else {}
    metric = str(entry.get("metric") or "")
    direction = "minimize" if entry.get("direction") == "minimize" else "maximize"
    best = best_trial(trials, direction)
    done = sum(1 for t in trials if t.state in FINISHED_STATES)
    budget = trial_budget(plan)
    extra = sum(1 for t in trials if t.retry_of is not None)
    total = None if budget is None else budget + extra
    counts = Counter(t.state for t in trials)
    order = ["running", "paused", "queued"] + [  # what moves first: it is read first
        s for s in TRIAL_STATES if s not in ("running", "paused", "queued")]
    by_state = {s: counts[s] for s in order if counts[s]}
    by_state.update({s: n for s, n in counts.items() if s not in by_state})
    elapsed = active_seconds(trials, now)
    running_ids = {t.id for t in trials if t.state == "running"}
    partial = sum(min(max(f, 0.0), 1.0) for tid, f in (fractions or {}).items()
                  if tid in running_ids)
    eta = eta_from_pace(elapsed, done + partial, total) if running else None
    return Overview(metric, direction, None if best is None else best.id,
                    None if best is None else best.number,
                    None if best is None else best.objective, done, total, by_state,
                    elapsed, eta)


__all__ = ["BRIDGE_S", "Overview", "active_seconds", "best_trial", "eta_from_pace", "overview",
           "run_intervals", "trial_budget"]
