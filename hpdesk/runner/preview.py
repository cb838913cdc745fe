"""The command lines a plan's first trials will run, without running anything
(`hpdesk plan preview`): the plan's own search draws the parameters, in a scratch database."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hpdesk.plan import Plan
from hpdesk.runner import launch
from hpdesk.runner.search_driver import SearchDriver
from hpdesk.search import Suggestion
from hpdesk.store import Store

TRIAL_FOLDER = "<experiment folder>/trial-{number}"


@dataclass(frozen=True)
class TrialPreview:
    number: int
    params: dict[str, Any]
    argv: list[str]
    cwd: str | None  # None: the folder hpdesk is started from (a built-in task)


def preview_trials(plan: Plan, count: int = 1) -> tuple[list[TrialPreview], str | None]:
    """The first `count` trials of `plan` as they would start; and why fewer came, when the
    search waits for results before it can say more (a staged or population search)."""
    planned = plan if plan.strategy.seed is not None else plan.with_changes(
        strategy=replace(plan.strategy, seed=0))
    out: list[TrialPreview] = []
    stopped: str | None = None
    with tempfile.TemporaryDirectory(prefix="hpdesk-preview-") as scratch:
        with Store(Path(scratch) / "preview.db") as store:
            experiment = store.create_experiment("preview", plan.task, planned.to_dict())
            driver = SearchDriver(store, experiment.id, planned, echo=lambda _: None)
            while len(out) < count:
                suggestion = driver.next()
                if not isinstance(suggestion, Suggestion):
                    stopped = ("the search space is exhausted" if suggestion is None else
                               "the next trials wait for the results of these")
                    break
                trial = store.add_trial(experiment.id, suggestion.params,
                                        search_state=suggestion.search_state)
                driver.added(trial)
                out.append(_one(plan, trial.number, dict(suggestion.params)))
    return out, stopped


def _one(plan: Plan, number: int, params: dict[str, Any]) -> TrialPreview:
    folder = TRIAL_FOLDER.format(number=number)
    context = launch.placeholder_values(folder, "<trial id>", str(number),
                                        plan.workdir or "<project folder>")
    argv = launch.preview_argv(plan, params, context=context)
    if plan.command is None:
        cwd = None
    elif plan.trial_folder == "shared":
        cwd = plan.workdir
    else:
        cwd = folder
    return TrialPreview(number, params, argv, cwd)
