"""A plan filled in from the knowledge: the task's preset hyperparameters, ranges and objective."""

from __future__ import annotations

from hpdesk.knowledge import preset, preset_space
from hpdesk.knowledge.search_methods import default_search
from hpdesk.plan.model import Budget, Objective, Plan
from hpdesk.plan.schema import parse_plan


def plan_from_preset(
    task: str, *, optimizer: str | None = None, fine_tune: bool = False,
    command: list[str] | None = None, trials: int = 10, concurrency: int = 1,
    source: str | None = None,
) -> Plan:
    """The plan a person starts from; parsed like any file, so a preset can never be invalid.

    ``source`` (a data source of the task) is written as the plan's ``data`` and picks the
    objective that data reports (the GAN's ring counts modes; it has no FID).

    It searches with hpdesk's default strategy and pruner (knowledge `search.yaml`, chosen by
    the replay benchmark) and names no seed: each experiment made from it draws its own.

    ``fine_tune`` for a task that cannot start from pre-trained weights (the GAN) raises
    KnowledgeError in one sentence saying which tasks can."""
    p = preset(task)
    data = Plan(
        task=task,
        space={},
        objective=Objective(*p.objective(source)),
        name=f"{task}-{optimizer or p.default_optimizer}",
        fine_tune=fine_tune,
        budget=Budget(trials),
        concurrency=concurrency,
        command=tuple(command) if command else None,
    ).to_dict()
    data["space"] = preset_space(task, optimizer=optimizer, fine_tune=fine_tune)
    search = default_search()
    data["strategy"], data["pruner"] = dict(search.strategy), dict(search.pruner)
    if source is not None:
        data["data"] = {"source": source}
    if task == "script" and command is None:
        data["command"] = ["python", "train.py"]
    return parse_plan(data, source=f"preset {task}")
