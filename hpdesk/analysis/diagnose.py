"""Fit-state findings of stored trials: their curves read from the store, judged by
hpdesk.analysis.fit_state, worded by hpdesk.knowledge.fit_words. `hpdesk diagnose` prints
them; the window shows them as badges and curve marks.

A trial a built-in task stopped itself at a NaN loss never stored the NaN (the task checks
before it reports): its state and its ``diverged`` event say so, and become the same finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpdesk.analysis.fit_state import Curve, FitFinding, diagnose_curves, is_loss
from hpdesk.knowledge.fit_words import Worded, word
from hpdesk.store import Store, Trial

#: Metrics a diagnosis reads besides the losses.
CONTEXT_METRICS = frozenset({"lr", "learning_rate", "lr_g", "epoch", "train_acc",
                             "train_accuracy", "training_accuracy", "acc", "accuracy"})
_BECAME = re.compile(r"^(?P<metric>\S+) became (?P<value>\S+) at step (?P<step>\d+)")


@dataclass(frozen=True)
class TrialFinding:
    """A finding about one trial."""

    experiment_id: int
    trial_id: int
    trial_number: int
    finding: FitFinding
    live: bool = False  # seen while the trial was running: the run may still change it

    @property
    def kind(self) -> str:
        return self.finding.kind

    def fields(self) -> dict[str, Any]:
        f = self.finding
        return {"metric": f.metric, "step": f.step,
                "epoch": f.epoch if f.epoch is not None else "\u2014", **f.facts}

    def worded(self, lang: str = "en") -> Worded:
        return word(self.finding.kind, self.fields(), lang)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The JSON form `hpdesk diagnose --json` prints: the issue's five keys first."""
        w = self.worded(lang)
        f = self.finding
        return {"trial_id": self.trial_id, "kind": f.kind, "step": f.step,
                "evidence": w.evidence, "action": w.action, "experiment_id": self.experiment_id,
                "trial_number": self.trial_number, "metric": f.metric, "epoch": f.epoch,
                "level": w.level, "title": w.title, "live": self.live,
                "sources": w.source_text(lang), "facts": dict(f.facts)}


def metrics_to_read(names: Iterable[str]) -> list[str]:
    """The metrics a diagnosis needs: losses and their context (rate, epoch, accuracy)."""
    return sorted(n for n in names if is_loss(n) or n in CONTEXT_METRICS)


def trial_curves(store: Store, trial_ids: Sequence[int], names: Iterable[str]
                 ) -> dict[int, dict[str, Curve]]:
    """Every trial's curves of `names`, one read per metric (packed chunks and new rows)."""
    out: dict[int, dict[str, Curve]] = {t: {} for t in trial_ids}
    if not trial_ids:
        return out
    for name in names:
        read = store.read_curves(name, list(trial_ids))
        for trial_id, c in read.curves.items():
            steps = np.frombuffer(c.steps, dtype=np.int64) if len(c) else np.zeros(0, np.int64)
            values = (np.frombuffer(c.values, dtype=np.float64) if len(c)
                      else np.zeros(0, np.float64))
            out.setdefault(trial_id, {})[name] = Curve(steps, values)
    return out


def diagnose_trials(store: Store, trials: Sequence[Trial]) -> list[TrialFinding]:
    """The findings of `trials` (queued ones have none), trial by trial, most urgent first."""
    trials = [t for t in trials if t.state != "queued"]
    found: list[TrialFinding] = []
    by_experiment: dict[int, list[Trial]] = {}
    for t in trials:
        by_experiment.setdefault(t.experiment_id, []).append(t)
    for experiment_id, group in by_experiment.items():
        names = metrics_to_read(store.experiment_metric_names(experiment_id))
        curves = trial_curves(store, [t.id for t in group], names)
        for t in sorted(group, key=lambda t: t.number):
            findings = diagnose_curves(curves.get(t.id, {}))
            if t.state == "diverged" and not any(f.kind == "diverged" for f in findings):
                stopped = _stopped_diverged(store, t)
                if stopped is not None:
                    findings.insert(0, stopped)
            found += [TrialFinding(experiment_id, t.id, t.number, _with_rate(f, t),
                                   t.state == "running") for f in findings]
    return found


#: Findings that point at the learning rate: they quote the trial's against the guide's range.
RATE_KINDS = frozenset({"diverged", "lr_too_high"})


def _with_rate(finding: FitFinding, trial: Trial) -> FitFinding:
    """A rate finding with the trial's learning rate and the guide's range for its optimiser,
    when the trial has both (a script's own names may have neither)."""
    lr, optimizer = trial.params.get("lr"), trial.params.get("optimizer")
    if finding.kind not in RATE_KINDS or not isinstance(optimizer, str) \
            or not isinstance(lr, (int, float)) or isinstance(lr, bool):
        return finding
    from hpdesk.knowledge import KnowledgeError, lr_range

    try:
        low, high = lr_range(optimizer, fine_tune=bool(trial.params.get("pretrained")))
    except KnowledgeError:
        return finding
    facts = {**finding.facts, "lr": float(f"{float(lr):.4g}"), "optimizer": optimizer,
             "guide_low": low, "guide_high": high}
    return FitFinding(finding.kind, finding.metric, finding.step, facts, finding.epoch)


def diagnose_experiment(store: Store, experiment_id: int) -> list[TrialFinding]:
    return diagnose_trials(store, store.trials(experiment_id))


def _stopped_diverged(store: Store, trial: Trial) -> FitFinding | None:
    """A diverged trial whose curve does not show it: the task's own ``diverged`` event."""
    events = store.events(trial_id=trial.id, kinds=["diverged"])
    event = events[-1] if events else None
    text = event.message if event is not None else (trial.message or "")
    m = _BECAME.match(text)
    if m is not None:
        value = m.group("value")
        return FitFinding("diverged", m.group("metric"), int(m.group("step")),
                          {"value": value, "cause": value})
    step = event.step if event is not None and event.step is not None else \
        store.last_step(trial.id)
    if event is not None and isinstance(event.data, Mapping) and event.data.get("cause"):
        data = dict(event.data)
        return FitFinding("diverged", str(data.pop("metric", "loss")), int(step or 0), data)
    return FitFinding("diverged", "loss", int(step or 0), {"value": "nan", "cause": "nan"})
