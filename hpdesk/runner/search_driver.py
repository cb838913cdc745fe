"""The search as the scheduler drives it: strategy, pruner, budgets, and what they write down.

Between the scheduler (processes, slots, signals) and the search (pure decisions) sits this
adapter: it rebuilds the strategy and the pruner from the database's trials, reads each running
trial's reports of the objective as they arrive (a rowid watermark, as the window's poller does),
asks the pruner about them, counts the training spent against `budget.epochs` and
`budget.steps`, tells the strategy how trials ended, keeps what the search needs again with each
trial (`search_state`), and turns the search's notes into events: a stage began, a stage ended
(with the importance measured on its trials against the guide's tiers), a population member
copied another.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hpdesk.plan import Plan
from hpdesk.search import (
    WAIT,
    Continuation,
    Decision,
    Note,
    Suggestion,
    TrialPruner,
    Tried,
    Wait,
    make_strategy,
)
from hpdesk.store import Store, Trial

log = logging.getLogger(__name__)


def tried_from(trial: Trial, intermediate: Mapping[int, float | None]) -> Tried:
    """A stored trial as the search sees it, with its objective reports numbered from 1."""
    return Tried(trial.params, trial.state, trial.objective, number=trial.number,
                 objectives=None if trial.objectives is None else tuple(trial.objectives),
                 intermediate={k: v for k, v in intermediate.items() if v is not None},
                 search_state=dict(trial.search_state or {}))


@dataclass
class _Reports:
    """One trial's reports of the objective: value by step (a re-reported step replaces)."""

    by_step: dict[int, float | None]

    def resource_of(self, step: int) -> int:
        return sorted(self.by_step).index(step) + 1

    def numbered(self) -> dict[int, float | None]:
        return {i + 1: self.by_step[s] for i, s in enumerate(sorted(self.by_step))}


class SearchDriver:
    def __init__(self, store: Store, experiment_id: int, plan: Plan,
                 echo: Callable[[str], None] = print) -> None:
        self.store = store
        self.experiment_id = experiment_id
        self.plan = plan
        self.echo = echo
        self.metric = plan.objective.metric
        trials = store.trials(experiment_id)
        reports = store.reports(experiment_id, self.metric)
        self._reports: dict[int, _Reports] = {
            t.id: _Reports({s: v for s, v in reports.get(t.id, [])}) for t in trials}
        history = [tried_from(t, self._reports[t.id].numbered()) for t in trials]
        self.strategy = make_strategy(plan, history)
        self.pruner = TrialPruner(plan, history)
        self._steps = store.last_steps([t.id for t in trials])
        self._watermark = store.max_rowid()
        self._live: dict[int, Trial] = {}
        # The report each trial was judged to stop at: what it trains after that (until the
        # signal lands) is kept in its curve but not shown to the pruner or the strategy, so
        # the search decides the same whatever the timing (as the replay benchmark does).
        self._verdict: dict[int, int] = {}
        self.made = sum(1 for t in trials if t.retry_of is None)

    # --- budgets -------------------------------------------------------------------------------
    @property
    def epochs_spent(self) -> int:
        return sum(len(r.by_step) for r in self._reports.values())

    @property
    def steps_spent(self) -> int:
        return sum(self._steps.values())

    def budget_spent(self) -> str | None:
        """Which budget stops new trials, said as the scheduler prints it; None while none is."""
        budget = self.plan.budget
        if self.plan.strategy.name != "pbt" and self.made >= budget.trials:
            return f"the budget of {budget.trials} trials is spent"
        if budget.epochs is not None and self.epochs_spent >= budget.epochs:
            return (f"the budget of {budget.epochs} epochs is spent ({self.epochs_spent} "
                    f"reports of {self.metric} over all trials)")
        if budget.steps is not None and self.steps_spent >= budget.steps:
            return f"the budget of {budget.steps} steps is spent ({self.steps_spent} trained)"
        return None

    # --- the strategy --------------------------------------------------------------------------
    def next(self) -> Suggestion | Wait | None:
        suggestion = self.strategy.suggest()
        self.record_notes()
        return suggestion

    def finish(self) -> None:
        """The search ended (its budget, or nothing left to try)."""
        self.strategy.finish()
        self.record_notes()

    def continuations(self) -> list[Continuation]:
        out = self.strategy.continuations()
        self.record_notes()
        return out

    def added(self, trial: Trial) -> None:
        """A trial the strategy suggested now exists in the database."""
        self.made += 1
        self._reports.setdefault(trial.id, _Reports({}))

    # --- running trials ------------------------------------------------------------------------
    def started(self, trial: Trial) -> None:
        self._live[trial.id] = trial
        reports = self._reports.setdefault(trial.id, _Reports({}))
        self.pruner.start(trial.number, reports.numbered())

    def poll(self) -> list[tuple[Trial, Decision]]:
        """New reports of the running trials; the ones a pruner wants stopped, with why."""
        points = self.store.points_after(self._watermark, names=[self.metric])
        if points:
            self._watermark = points[-1].rowid
        decisions: list[tuple[Trial, Decision]] = []
        for point in points:
            reports = self._reports.setdefault(point.trial_id, _Reports({}))
            new = point.step not in reports.by_step
            reports.by_step[point.step] = point.value
            trial = self._live.get(point.trial_id)
            if trial is None or not new or point.trial_id in self._verdict:
                continue
            decision = self.pruner.report(trial.number, reports.resource_of(point.step),
                                          point.value)
            if decision is not None:
                decisions.append((trial, decision))
                self._verdict[point.trial_id] = decision.resource
        return decisions

    def refresh_steps(self) -> None:
        self._steps.update(self.store.last_steps(list(self._live)))

    def finished(self, trial: Trial) -> None:
        """A trial ended (or paused): the strategy and the pruner learn how."""
        self._live.pop(trial.id, None)
        self._steps.update(self.store.last_steps([trial.id]))
        reports = self._reports.setdefault(trial.id, _Reports({}))
        verdict = self._verdict.pop(trial.id, None)
        steps, values = self.store.series(trial.id, self.metric)
        for step, value in zip(steps, values):  # what it reported after the last poll
            if step not in reports.by_step:
                reports.by_step[step] = value
                if verdict is None:
                    self.pruner.report(trial.number, reports.resource_of(step), value)
        tried = tried_from(trial, {
            k: v for k, v in reports.numbered().items()
            if verdict is None or trial.state != "pruned" or k <= verdict})
        kept = dict(trial.search_state or {})
        changed = False
        pruner_notes = self.pruner.finish(trial.number, tried)
        if pruner_notes:
            kept["pruner"], changed = pruner_notes, True
        try:
            sampler_notes = self.strategy.tell(tried)
        except Exception:  # a sampler that chokes on one trial must not end the experiment
            log.warning("the search could not learn from trial %s", trial.number, exc_info=True)
            sampler_notes = None
        if sampler_notes:
            kept.update(sampler_notes)
            changed = True
        if changed:
            self.store.update_trial(trial.id, search_state=jsonable(kept))
        self.record_notes()

    # --- notes -----------------------------------------------------------------------------------
    def record_notes(self) -> None:
        for note in self.strategy.notes():
            self._record(note)

    def _record(self, note: Note) -> None:
        data = jsonable(note.data)
        if note.kind in ("stage", "stage_end") and self._already(note.kind, data.get("stage")):
            return  # a restarted scheduler re-announcing a stage it announced before
        member = (self.store.trial_by_number(self.experiment_id, data["trial"])
                  if isinstance(data.get("trial"), int) else None)
        trial_id = None if member is None else member.id
        self.store.add_event(note.kind, note.message, experiment_id=self.experiment_id,
                             trial_id=trial_id, level=note.level, data=data)
        self.echo(note.message)
        if note.kind == "stage_end":
            self._importance(data)

    def _already(self, kind: str, stage: Any) -> bool:
        return any(e.data and e.data.get("stage") == stage
                   for e in self.store.events(experiment_id=self.experiment_id, kinds=[kind]))

    def _importance(self, stage: Mapping[str, Any]) -> None:
        """Importance on the finished trials after a stage, against the guide's tiers."""
        try:
            from hpdesk.analysis.stage_importance import stage_importance

            experiment = self.store.experiment(self.experiment_id)
            report = stage_importance(experiment.plan, self.store.trials(self.experiment_id),
                                      stage=int(stage.get("stage") or 0),
                                      evaluator=self.plan.strategy.option("importance"))
        except Exception:
            log.warning("importance after stage %s could not be measured", stage.get("stage"),
                        exc_info=True)
            return
        self.store.add_event("importance", report.message, experiment_id=self.experiment_id,
                             level="warning" if report.disagreements else "info",
                             data=jsonable(report.to_dict()))
        self.echo(report.message)


def jsonable(value: Any) -> Any:
    """Plain JSON values (a NaN or an infinity becomes None; tuples become lists)."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


__all__ = ["WAIT", "SearchDriver", "jsonable", "tried_from"]
