"""The comments a written plan file carries: the tuning order, the advice, each parameter's help,
where its tier and facts come from, and why the task's preset chose its value.

They make an exported plan readable on a headless server, where there is no advice panel; the
plan editor's tooltips say the same (knowledge/explain.py).
"""

from __future__ import annotations

import textwrap

from hpdesk.knowledge import advise
from hpdesk.knowledge.explain import explain
from hpdesk.knowledge.search_methods import default_search, pruners, strategies
from hpdesk.plan.model import Plan

WIDTH = 96
def header_lines(plan: Plan) -> list[str]:
    lines = [
        f"hpdesk plan: {plan.name or plan.task}. Run it with `hpdesk run <this file>`.",
        "Tuning order (the guide's “The order of importance of hyperparameters”): learning rate",
        "and loss terms first; batch size and momentum next; Adam's betas, weight decay, dropout",
        "and network shape last. Sources are labelled: the guide by its section title, papers by",
        "author and year, and hpdesk's own choices as “chosen by hpdesk”.",
        *search_lines(plan),
    ]
    findings = advise(plan.to_dict())
    if findings:
        lines.append("")
        lines.append("Advice for this plan:")
        for f in findings:
            lines += textwrap.wrap(f"[{f.level}] {f.message('en')} (Source: {f.source})",
                                   width=WIDTH, initial_indent="- ", subsequent_indent="  ")
    else:
        lines.append("Advice: none; no rule of the tuning guide objects to this plan.")
    lines.append("")
    return lines


def search_lines(plan: Plan) -> list[str]:
    """What the strategy and the pruner do, and why when they are hpdesk's default."""
    strategy, pruner = strategies()[plan.strategy.name], pruners()[plan.pruner.name]
    text = f"Search: {strategy.label('en')}. {strategy.help('en')}"
    if plan.pruner.name != "none":
        text += f" Early stopping: {pruner.label('en')}. {pruner.help('en')}"
    default = default_search()
    if (plan.strategy.to_dict() | {"seed": None}) == (dict(default.strategy) | {"seed": None}) \
            and plan.pruner.to_dict() == dict(default.pruner):
        text += f" (hpdesk's default: {default.why('en')})"
    return textwrap.wrap(text, width=WIDTH)


def param_comment(name: str, plan: Plan) -> list[str]:
    """What ``name`` is, its tier and sources, and the preset's reason for its value."""
    about = explain(name, plan.task)
    if about is None:
        return []
    lines = textwrap.wrap(f"{name}: {about.help}", width=WIDTH)
    if about.preset_why:
        lines += textwrap.wrap(f"Preset: {about.preset_why} (Source: {about.preset_sources})",
                               width=WIDTH)
    lines += textwrap.wrap(f"Tier: {about.tier}. Source: {about.sources}", width=WIDTH)
    return lines
