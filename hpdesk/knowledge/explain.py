"""A parameter explained for the person reading a plan: what it does, where its tier and value
come from, and why the task's preset chose what it chose.

The plan editor shows it as a tooltip and written plans carry it as comments, so both say the
same thing, in the reader's language, with every source labelled (sources.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from hpdesk.knowledge.catalogue import KnowledgeError, catalogue, pick_language
from hpdesk.knowledge.presets import Reason, preset


@dataclass(frozen=True)
class Explanation:
    """The texts explaining one parameter, in one language; empty texts are absent parts."""

    name: str
    help: str
    tier: str        # "tier 1 (tune first), set by the guide, “…”" or "… chosen by hpdesk: …"
    sources: str     # where the help's facts come from
    preset_why: str  # why the task's preset departs from the catalogue here
    preset_sources: str


def preset_reason(task: str | None, name: str) -> Reason | None:
    """Why ``task``'s preset sets ``name`` as it does; None when it follows the catalogue."""
    if not task:
        return None
    try:
        setting = preset(task).settings.get(name)
    except KnowledgeError:
        return None
    return setting.why if setting is not None else None


_TIERS = {
    1: ("tier 1 (tune first)", "第一梯队（最先调）"),
    2: ("tier 2 (tune next)", "第二梯队（其次调）"),
    3: ("tier 3 (tune last)", "第三梯队（最后调）"),
}


def explain(name: str, task: str | None = None, lang: str = "en") -> Explanation | None:
    """``name`` explained in ``lang``; None for a parameter the catalogue does not know (a
    person's own script may pass anything)."""
    hp = catalogue().get(name)
    if hp is None:
        return None
    tier_en, tier_zh = _TIERS.get(hp.tier, (f"tier {hp.tier}", f"第 {hp.tier} 梯队"))
    tier = pick_language(lang, f"{tier_en}; order: ", f"{tier_zh}；排序依据：") + hp.tier_text(lang)
    why = preset_reason(task, name)
    return Explanation(
        name=name, help=hp.help(lang), tier=tier, sources=hp.source_text(lang),
        preset_why=why.text(lang) if why else "",
        preset_sources=why.source_text(lang) if why else "",
    )
