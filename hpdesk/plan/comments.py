"""The comments a written plan file carries: the tuning order, the advice, each parameter's help.

They make an exported plan readable on a headless server, where there is no advice panel.
"""

from __future__ import annotations

import textwrap

from hpdesk.knowledge import advise, catalogue
from hpdesk.knowledge.search_methods import default_search, pruners, strategies
from hpdesk.plan.model import Plan

WIDTH = 96
_TIER_NAMES = {
    1: "tier 1 (tune first)",
    2: "tier 2 (tune next)",
    3: "tier 3 (tune last)",
}


def header_lines(plan: Plan) -> list[str]:
    lines = [
        f"hpdesk plan: {plan.name or plan.task}. Run it with `hpdesk run <this file>`.",
        "Tuning order (KNOWLEDGE.md §3): learning rate and loss terms first; batch size and",
        "momentum next; Adam's betas, weight decay, dropout and network shape last.",
        *search_lines(plan),
    ]
    findings = advise(plan.to_dict())
    if findings:
        lines.append("")
        lines.append("Advice for this plan:")
        for f in findings:
            lines += textwrap.wrap(f"[{f.level}] {f.message('en')} ({f.source})", width=WIDTH,
                                   initial_indent="- ", subsequent_indent="  ")
    else:
        lines.append("Advice: none; every range is within the guide's recommendations.")
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
    entry = catalogue().get(name)
    if entry is None:
        return []
    tier = _TIER_NAMES.get(entry.tier, f"tier {entry.tier}")
    text = f"{name}: {tier}, {entry.family}. {entry.help('en')} [{entry.source}]"
    return textwrap.wrap(text, width=WIDTH)
