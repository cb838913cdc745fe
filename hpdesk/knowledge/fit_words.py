"""The words of the fit-state findings (``data/fit_state.yaml``): a title, the evidence and the
next action for each kind, in English and Chinese, with the sources behind them.

The analysis (hpdesk.analysis.fit_state) finds the figures; the wording is data here so both
languages say the same thing and every piece of advice names whose word it is.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
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
from hpdesk.knowledge.findings import LEVELS
from hpdesk.knowledge.sources import Cited, read_refs

FILE = "fit_state.yaml"
#: The finding kinds the wording covers (hpdesk.analysis.fit_state.KINDS).
FIT_KINDS = ("diverged", "lr_too_high", "gan_d_collapse", "gan_g_collapse", "overfitting",
             "underfitting", "plateau")


@dataclass(frozen=True)
class FitWording(Cited):
    """One way of wording a finding: templates over the finding's figures."""

    key: str
    kind: str
    level: str
    title_en: str
    title_zh: str
    evidence_en: str
    evidence_zh: str
    action_en: str
    action_zh: str
    sources: tuple[str, ...]
    #: Appended to the evidence when the finding carries every figure it quotes (the trial's
    #: learning rate against the guide's range): "" when none.
    context_en: str = ""
    context_zh: str = ""


@dataclass(frozen=True)
class Worded(Cited):
    """A finding in one language: what it is, what shows it, what to do, and on whose word."""

    kind: str
    level: str
    title: str
    evidence: str
    action: str
    sources: tuple[str, ...]


def _pair(r: EntryReader, name: str) -> tuple[str, str]:
    raw = r.raw.get(name)
    if not isinstance(raw, Mapping):
        r.fail(name, "must be a mapping with en and zh texts")
    inner = EntryReader(r.file, r.entry, raw)
    inner.only(("en", "zh"))
    return guide_text(inner, "en", "en"), guide_text(inner, "zh", "zh")


def validate_fit_words(data: Any, *, file: str = FILE) -> dict[str, FitWording]:
    """Check a parsed wording file and build its records; every kind must be worded."""
    if not isinstance(data, Mapping) or not data:
        raise KnowledgeError(f"{file}: must be a non-empty mapping of wordings", file=file)
    out: dict[str, FitWording] = {}
    for key, raw in data.items():
        r = EntryReader(file, str(key), raw)
        r.only(("kind", "level", "title", "evidence", "action", "context", "source"))
        kind = r.choice("kind", FIT_KINDS)
        title, evidence, action = _pair(r, "title"), _pair(r, "evidence"), _pair(r, "action")
        context = _pair(r, "context") if "context" in r.raw else ("", "")
        out[str(key)] = FitWording(
            key=str(key), kind=kind, level=r.choice("level", LEVELS),
            title_en=title[0], title_zh=title[1], evidence_en=evidence[0],
            evidence_zh=evidence[1], action_en=action[0], action_zh=action[1],
            context_en=context[0], context_zh=context[1],
            sources=read_refs(file, str(key), "source", r.raw.get("source")))
    missing = [k for k in FIT_KINDS if not any(w.kind == k for w in out.values())]
    if missing:
        raise KnowledgeError(f"{file}: no wording for {', '.join(missing)}", file=file)
    return out


@functools.cache
def fit_words() -> Mapping[str, FitWording]:
    """Every wording, by key, read-only."""
    return MappingProxyType(validate_fit_words(load_data(FILE)))


def wording_key(kind: str, facts: Mapping[str, Any]) -> str:
    """Which wording a finding takes: its kind, told apart by its cause or pattern."""
    if kind == "diverged":
        return "diverged_growth" if facts.get("cause") == "growth" else "diverged_nonfinite"
    if kind == "lr_too_high":
        return f"lr_too_high_{facts.get('pattern', 'oscillation')}"
    return kind


def word(kind: str, fields: Mapping[str, Any], lang: str = "en") -> Worded:
    """A finding worded in ``lang`` (``zh…`` gives Chinese): its figures filled in. A figure
    the template needs and the finding lacks shows as a dash rather than failing."""
    w = fit_words()[wording_key(kind, fields)]
    values = _Fields({k: _shown(v) for k, v in fields.items()})
    zh = str(lang).lower().startswith("zh")
    evidence = (w.evidence_zh if zh else w.evidence_en).format_map(values)
    context = w.context_zh if zh else w.context_en
    if context and _quoted(context) <= values.keys():
        evidence += " " + context.format_map(values)
    action = (w.action_zh if zh else w.action_en).format_map(values)
    if zh:
        evidence, action = tidy_zh(evidence), tidy_zh(action)
    return Worded(kind=w.kind, level=w.level, title=pick_language(lang, w.title_en, w.title_zh),
                  evidence=evidence, action=action, sources=w.sources)


def _quoted(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


class _Fields(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "\u2014"


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
