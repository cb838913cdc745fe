"""The comments a written plan file carries: the tuning order, the advice, each parameter's help.

They make an exported plan readable on a headless server, where there is no advice panel.
"""

from __future__ import annotations

import textwrap

from hpdesk.knowledge import advise, catalogue
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


def param_comment(name: str, plan: Plan) -> list[str]:
    entry = catalogue().get(name)
    if entry is None:
        return []
    tier = _TIER_NAMES.get(entry.tier, f"tier {entry.tier}")
    text = f"{name}: {tier}, {entry.family}. {entry.help('en')} [{entry.source}]"
    return textwrap.wrap(text, width=WIDTH)
