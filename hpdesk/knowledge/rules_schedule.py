"""Advice on a plan's learning-rate schedule: the rules for what the guide asks and a plan lacks.

Why rules of their own: the guide says the best learning rate moves during training, so "a set
of effective decay strategies is needed" ([[capacity]]), and at a plateau the remedy is to
decay or raise the rate ([[learning_rate]]). A plan that keeps the rate constant leaves that
out, and a plateau schedule whose patience outlasts the run never acts. Like the rules in
``advice.py`` these read the plan as exported, look at every value a search may propose, and
never raise on odd input; the wording is data (``data/advice.yaml``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hpdesk.knowledge.catalogue import KnowledgeError
from hpdesk.knowledge.findings import Finding, say
from hpdesk.knowledge.plan_reading import (
    _entry,
    _g,
    _may_take,
    _param_bounds,
    _space,
    _task,
    _values,
)
from hpdesk.knowledge.presets import preset


def constant_lr(plan: Mapping[str, Any]) -> list[Finding]:
    """[[capacity]], [[learning_rate]]: the best rate drifts, so a fixed one needs a decay.

    A warning when ``lr_schedule`` is fixed at ``constant``, an info when the search may pick
    it among others. A plan without an ``lr_schedule`` entry runs a built-in task at its own
    default, a constant rate (hpdesk/tasks/schedules.py), so it is read as ``constant``; a
    script's own schedule is not known to hpdesk, so a script plan without one gets nothing.
    """
    entry = _entry(plan, "lr_schedule")
    if entry is None and _runs_builtin_schedule(plan):
        entry = {"type": "fixed", "value": "constant"}
    values = _values(entry)
    if not values or not _may_take(entry, "constant"):
        return []
    if all(v == "constant" for v in values):
        return [say("constant_lr", ("lr_schedule",))]
    others = ", ".join(str(v) for v in values if v != "constant")
    return [say("constant_lr_choice", ("lr_schedule",), others=others)]


def _runs_builtin_schedule(plan: Mapping[str, Any]) -> bool:
    """The plan runs a built-in task that honours ``lr_schedule``, and is a whole plan (it sets
    the run's length, ``epochs``, as every preset does), not a fragment being checked."""
    task = _task(plan)
    if task is None or plan.get("command") or "epochs" not in _space(plan):
        return False
    try:
        p = preset(task)
    except KnowledgeError:
        return False
    return p.module is not None and "lr_schedule" in p.settings


def plateau_never_acts(plan: Mapping[str, Any]) -> list[Finding]:
    """A plateau schedule acts after ``lr_plateau_patience`` epochs without improvement, and the
    first epoch always improves (nothing came before it), so the change can reach the last
    epoch only when ``patience <= epochs - 2``. Warn when no value the search may propose gets
    there: the schedule is then a constant rate ([[learning_rate]]).
    """
    if not _may_take(_entry(plan, "lr_schedule"), "plateau"):
        return []
    patience, epochs = _param_bounds(plan, "lr_plateau_patience"), _param_bounds(plan, "epochs")
    if patience is None or epochs is None or patience[0] < epochs[1] - 1:
        return []
    return [say("plateau_never_acts", ("lr_plateau_patience", "epochs"),
                patience=_g(patience[0]), epochs=_g(epochs[1]))]


#: The schedule rules, appended to ``advice.RULES``.
SCHEDULE_RULES = (constant_lr, plateau_never_acts)
