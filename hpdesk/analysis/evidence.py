"""What a finished trial measured, as evidence for the advice (hpdesk.knowledge.rules_evidence).

The guide's ranges speak of combined losses' *values* (not their weights), and its section on
data asks how each rare class fares on the validation set against the training set: figures
only a trial that ran can give. This reads them from the store: the last reported values of the
experiment's best completed trial (else its latest completed one).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from hpdesk.analysis.export import best_trial
from hpdesk.store import Store, StoreError, Trial

#: Reported losses that are totals or splits, not terms of one combined loss (a GAN's generator
#: and discriminator each minimise their own).
NOT_TERMS = frozenset({"train_loss", "val_loss", "loss", "g_loss", "d_loss"})
_PER_CLASS = (("train_acc_class_", "train_acc"), ("val_acc_class_", "val_acc"))


def evidence_of(values: Mapping[str, float | None],
                params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Evidence from one trial's last reported values and its parameters: the loss terms
    (``*_loss`` but the totals) with the weights the trial used, and per-class accuracies."""
    losses: dict[str, float] = {}
    per_class: dict[str, dict[str, float]] = {}
    for name, value in values.items():
        if value is None or not math.isfinite(value):
            continue
        if name.endswith("_loss") and name not in NOT_TERMS:
            losses[name] = float(value)
        for prefix, key in _PER_CLASS:
            if name.startswith(prefix) and len(name) > len(prefix):
                per_class.setdefault(name[len(prefix):], {})[key] = float(value)
    out: dict[str, Any] = {}
    if losses:
        out["loss_values"] = losses
        weights = {k: float(v) for k, v in (params or {}).items()
                   if k.endswith("_loss_weight") and isinstance(v, (int, float))
                   and not isinstance(v, bool)}
        if weights:
            out["loss_weights"] = weights
    if per_class:
        out["per_class"] = per_class
    return out


def evidence_trial(plan: Mapping[str, Any], trials: list[Trial]) -> Trial | None:
    """The trial the evidence is read from: the best completed one, else the latest completed."""
    try:
        best = best_trial(plan, trials)
    except (KeyError, IndexError, TypeError, ValueError):
        best = None
    if best is not None:
        return best
    done = [t for t in trials if t.state == "completed"]
    return max(done, key=lambda t: t.number) if done else None


def trial_evidence(store: Store, experiment_id: int) -> dict[str, Any]:
    """Evidence from experiment ``experiment_id``'s best (else latest) completed trial, with
    ``trial`` (its number) and ``task`` when there is one; {} when none has completed or the
    experiment is gone."""
    try:
        experiment = store.experiment(experiment_id)
        trials = store.trials(experiment_id)
    except StoreError:
        return {}
    trial = evidence_trial(experiment.plan, trials)
    if trial is None:
        return {}
    found = evidence_of(store.last_values(trial.id), trial.params)
    return {**found, "trial": trial.number, "task": experiment.task} if found else {}


__all__ = ["evidence_of", "evidence_trial", "trial_evidence"]


def per_class_results(values: Mapping[str, float | None],
                      counts: Mapping[str, int] | None = None) -> dict[str, dict[str, Any]]:
    """Training against validation accuracy per class, from a classification trial's last
    reported values (``train_acc_class_<name>``, ``val_acc_class_<name>``): with the class's
    samples and whether it is rare (at most half the median class's samples) when the data's
    counts are known, so the rare classes the guide asks about stand out."""
    per_class = evidence_of(values).get("per_class", {})
    if not per_class:
        return {}
    from hpdesk.knowledge.rules_evidence import rare_classes

    rare = rare_classes(counts) if counts else {}
    out: dict[str, dict[str, Any]] = {}
    for name, accs in per_class.items():
        row: dict[str, Any] = {"train_acc": accs.get("train_acc"),
                               "val_acc": accs.get("val_acc")}
        if row["train_acc"] is not None and row["val_acc"] is not None:
            row["gap"] = row["train_acc"] - row["val_acc"]
        if counts:
            row["samples"] = counts.get(name)
            row["rare"] = name in rare
        out[name] = row
    return out
