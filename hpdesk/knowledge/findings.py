"""Advice findings and their wording: what a rule says, in both languages, and on whose word.

The wording of every finding is data (``data/advice.yaml``), checked when first used; each
message names its sources as references (``sources.py``), so a finding can say in the reader's
language whether the guide, a paper or hpdesk itself stands behind it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from hpdesk.knowledge.catalogue import (
    EntryReader,
    KnowledgeError,
    guide_text,
    load_data,
    pick_language,
    tidy_zh,
)
from hpdesk.knowledge.sources import Cited, read_refs

LEVELS = ("info", "warning", "error")


@dataclass(frozen=True)
class Finding(Cited):
    """One piece of advice: how serious, about which parameters, what to do, and on whose word."""

    rule: str
    level: str
    params: tuple[str, ...]
    message_en: str
    message_zh: str
    sources: tuple[str, ...]



    def message(self, lang: str = "en") -> str:
        """The message in ``lang`` (``"zh…"`` gives Chinese, anything else English)."""
        return pick_language(lang, self.message_en, self.message_zh)


@dataclass(frozen=True)
class Message:
    """A finding's wording: templates filled in by the rule that raises it."""

    key: str
    rule: str
    level: str
    en: str
    zh: str
    sources: tuple[str, ...]


Rule = Callable[[Mapping[str, Any]], list[Finding]]


def validate_messages(data: Any, *, file: str = "advice.yaml") -> dict[str, Message]:
    """Check a parsed advice-message file and build its records."""
    if not isinstance(data, Mapping) or not data:
        raise KnowledgeError(f"{file}: must be a non-empty mapping of messages", file=file)
    out = {}
    for key, raw in data.items():
        r = EntryReader(file, str(key), raw)
        r.only(("rule", "level", "en", "zh", "source"))
        out[str(key)] = Message(key=str(key), rule=r.text("rule") or "",
                                level=r.choice("level", LEVELS),
                                en=guide_text(r, "en", "en"), zh=guide_text(r, "zh", "zh"),
                                sources=read_refs(file, str(key), "source", r.raw.get("source")))
    return out


@functools.cache
def messages() -> Mapping[str, Message]:
    """Every advice message, by key, read-only."""
    return MappingProxyType(validate_messages(load_data("advice.yaml")))


def say(key: str, params: tuple[str, ...], **fields: Any) -> Finding:
    """A finding worded by message ``key``; a field given as (en, zh) is filled per language."""
    m = messages()[key]
    en = {k: v[0] if isinstance(v, tuple) else v for k, v in fields.items()}
    zh = {k: v[1] if isinstance(v, tuple) else v for k, v in fields.items()}
    return Finding(rule=m.rule, level=m.level, params=params, message_en=m.en.format(**en),
                   message_zh=tidy_zh(m.zh.format(**zh)), sources=m.sources)


