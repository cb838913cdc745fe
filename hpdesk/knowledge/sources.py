"""Where each piece of knowledge comes from: the guide's sections, cited papers, hpdesk's choices.

A ``source`` in the data files is a list of references (``data/sources.yaml`` describes the
three kinds). Keeping them structured lets hpdesk label each one honestly — the guide by its own
section title in the reader's language, a paper by its citation, hpdesk's own choices as such —
and lets tests check that nothing hpdesk chose is credited to the guide.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from hpdesk.knowledge.reading import KnowledgeError, load_data, pick_language

GUIDE, HPDESK, PUBLISHED = "guide", "hpdesk", "published"
#: An inline citation of a guide section in a help text: ``[[ranges]]``.
SECTION_MARK = re.compile(r"\[\[([a-z_]+)\]\]")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


@dataclass(frozen=True)
class Section:
    """One heading of the guide: its title in both languages and the matching KNOWLEDGE.md §."""

    key: str
    en: str
    zh: str
    knowledge: str

    def title(self, lang: str = "en") -> str:
        return pick_language(lang, self.en, self.zh)


@dataclass(frozen=True)
class Sources:
    """The guide's sections and hpdesk's reasons, as read from ``data/sources.yaml``."""

    title_en: str
    title_zh: str
    sections: Mapping[str, Section]
    reasons: Mapping[str, tuple[str, str]]


def _texts(file: str, where: str, raw: Any, keys: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise KnowledgeError(f"{file}: entry {where!r}: must be a mapping", file=file, entry=where)
    out = {}
    for key in keys:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise KnowledgeError(f"{file}: entry {where!r}: field {key!r}: must be a non-empty"
                                 " text", file=file, entry=where, field=key)
        out[key] = " ".join(value.split())
    return out


def validate_sources(data: Any, *, file: str = "sources.yaml") -> Sources:
    """Check a parsed sources file and build its record."""
    if not isinstance(data, Mapping):
        raise KnowledgeError(f"{file}: must be a mapping with guide and hpdesk", file=file)
    guide = data.get("guide")
    head = _texts(file, "guide", guide, ("title_en", "title_zh"))
    raw_sections = guide.get("sections") if isinstance(guide, Mapping) else None
    if not isinstance(raw_sections, Mapping) or not raw_sections:
        raise KnowledgeError(f"{file}: entry 'guide': field 'sections': must map keys to titles",
                             file=file, entry="guide", field="sections")
    sections = {}
    for key, raw in raw_sections.items():
        t = _texts(file, f"guide.sections.{key}", raw, ("en", "zh", "knowledge"))
        sections[str(key)] = Section(key=str(key), en=t["en"], zh=t["zh"], knowledge=t["knowledge"])
    raw_reasons = data.get("hpdesk")
    if not isinstance(raw_reasons, Mapping) or not raw_reasons:
        raise KnowledgeError(f"{file}: entry 'hpdesk': must map reason keys to texts", file=file,
                             entry="hpdesk")
    reasons = {}
    for key, raw in raw_reasons.items():
        t = _texts(file, f"hpdesk.{key}", raw, ("en", "zh"))
        reasons[str(key)] = (t["en"], t["zh"])
    return Sources(title_en=head["title_en"], title_zh=head["title_zh"],
                   sections=MappingProxyType(sections), reasons=MappingProxyType(reasons))


@functools.cache
def sources() -> Sources:
    """The guide's sections and hpdesk's reasons, read once."""
    return validate_sources(load_data("sources.yaml"))


def kind(ref: str) -> str:
    """``guide``, ``hpdesk`` or ``published``: who a reference credits."""
    prefix = ref.split(":", 1)[0]
    return prefix if prefix in (GUIDE, HPDESK) and ":" in ref else PUBLISHED


def check_ref(ref: Any) -> str | None:
    """What is wrong with one reference, or None when it is a known section, a known reason or
    a citation with a year."""
    if not isinstance(ref, str) or not ref.strip():
        return f"must be a non-empty text, not {ref!r}"
    k = kind(ref)
    key = ref.split(":", 1)[1] if k != PUBLISHED else ""
    if k == GUIDE and key not in sources().sections:
        known = ", ".join(sources().sections)
        return f"{ref!r}: the guide has no section {key!r} (sources.yaml lists {known})"
    if k == HPDESK and key not in sources().reasons:
        return f"{ref!r}: no hpdesk reason {key!r} in sources.yaml"
    if k == PUBLISHED and not _YEAR.search(ref):
        return f"{ref!r}: a published source names its year (authors, year, title)"
    return None


def read_refs(file: str, entry: str, field: str, raw: Any) -> tuple[str, ...]:
    """A ``source`` field as a tuple of checked references; a failure names the reference."""
    if not isinstance(raw, list) or not raw:
        raise KnowledgeError(f"{file}: entry {entry!r}: field {field!r}: must be a non-empty list "
                             "of references (guide:<section>, hpdesk:<reason>, or a citation)",
                             file=file, entry=entry, field=field)
    for ref in raw:
        problem = check_ref(ref)
        if problem:
            raise KnowledgeError(f"{file}: entry {entry!r}: field {field!r}: {problem}",
                                 file=file, entry=entry, field=field)
    return tuple(" ".join(str(r).split()) for r in raw)


def label(ref: str, lang: str = "en") -> str:
    """One reference as a reader sees it: the guide's section title, hpdesk's reason, or the
    citation itself."""
    k = kind(ref)
    if k == GUIDE:
        section = sources().sections[ref.split(":", 1)[1]]
        return pick_language(lang, f"the guide, “{section.en}”", f"指南《{section.zh}》")
    if k == HPDESK:
        en, zh = sources().reasons[ref.split(":", 1)[1]]
        return pick_language(lang, f"chosen by hpdesk: {en}", f"hpdesk 的选择：{zh}")
    return ref


def cite(refs: tuple[str, ...] | list[str], lang: str = "en") -> str:
    """Every reference of a source, labelled, in one line."""
    return pick_language(lang, "; ", "；").join(label(r, lang) for r in refs)


class Cited:
    """For the knowledge records that carry ``sources``: their labels, in one line. A plain
    base (no fields), so frozen dataclasses can take it and keep their own ``sources`` field."""

    sources: tuple[str, ...]

    @property
    def source(self) -> str:
        """The sources in English, one line."""
        return cite(self.sources, "en")

    def source_text(self, lang: str = "en") -> str:
        """The sources in ``lang``: the guide by its section titles, papers, hpdesk's choices."""
        return cite(self.sources, lang)


def expand_sections(text: str, lang: str = "en") -> str:
    """A help text with its ``[[section]]`` marks written out as the guide's titles."""
    def title(m: re.Match[str]) -> str:
        section = sources().sections.get(m.group(1))
        if section is None:
            return m.group(0)
        before = text[:m.start()].rstrip()
        the = "The" if not before or before[-1] in ".!?:" else "the"  # a sentence's first word
        return pick_language(lang, f"{the} guide's “{section.en}”", f"指南《{section.zh}》")
    return SECTION_MARK.sub(title, text)


def unknown_sections(text: str) -> list[str]:
    """The ``[[section]]`` marks of ``text`` that name no section of the guide."""
    return [k for k in SECTION_MARK.findall(text) if k not in sources().sections]
