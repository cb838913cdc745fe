"""The tuning guide as hpdesk tells it: one short account per topic of the guide, in both languages.

``data/guide.yaml`` holds hpdesk's own summary of each section of the guide (and of the topics
the guide only names in its contents, filled from published practice), each linked to the
hyperparameters and advice rules it drives. Keeping those links checked here means the window's
Help → Tuning guide never points at a parameter or a rule that no longer exists.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hpdesk.knowledge.reading import (
    EntryReader,
    KnowledgeError,
    has_cjk,
    load_data,
    pick_language,
    tidy_zh,
)
from hpdesk.knowledge.sources import (
    Cited,
    expand_sections,
    read_refs,
    sources,
    unknown_sections,
)

_FIELDS = ("key", "title_en", "title_zh", "body_en", "body_zh", "section", "source", "params",
           "rules")
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_ITEM = "- "


@dataclass(frozen=True)
class Topic(Cited):
    """One topic of the guide: its titles and texts, where they come from, what they drive.

    A body is paragraphs separated by blank lines; a paragraph whose lines start with "- " is a
    list. ``[[section]]`` marks are already written out as the guide's titles.
    """

    key: str
    title_en: str
    title_zh: str
    body_en: str
    body_zh: str
    section: str
    sources: tuple[str, ...]
    params: tuple[str, ...]
    rules: tuple[str, ...]

    def title(self, lang: str = "en") -> str:
        """The title in ``lang`` (``"zh…"`` gives Chinese, anything else English)."""
        return pick_language(lang, self.title_en, self.title_zh)

    def body(self, lang: str = "en") -> str:
        """The body in ``lang``: paragraphs separated by blank lines, list items as "- " lines."""
        return pick_language(lang, self.body_en, self.body_zh)

    def blocks(self, lang: str = "en") -> list[str | list[str]]:
        """The body as blocks: a paragraph's text, or a list's items (for a renderer)."""
        out: list[str | list[str]] = []
        for block in self.body(lang).split("\n\n"):
            lines = block.split("\n")
            if all(line.startswith(_ITEM) for line in lines):
                out.append([line[len(_ITEM):] for line in lines])
            else:
                out.append(" ".join(lines))
        return out


    def section_title(self, lang: str = "en") -> str:
        """The title of the guide section this topic belongs to, in ``lang``."""
        return sources().sections[self.section].title(lang)

    def matches(self, words: str, lang: str = "en") -> bool:
        """Whether every word of ``words`` occurs (case-insensitively) in the title or body in
        ``lang``, or in the names of the parameters and rules it drives."""
        hay = " ".join((self.title(lang), self.body(lang), *self.params, *self.rules)).casefold()
        return all(w in hay for w in words.casefold().split())


def _body(r: EntryReader, field: str, lang: str) -> str:
    """A body text, its paragraphs and list items kept (``EntryReader.text`` would join them)."""
    raw = r.raw.get(field)
    if not isinstance(raw, str) or not raw.strip():
        r.fail(field, "must be a non-empty text")
    if lang == "zh" and not has_cjk(raw):
        r.fail(field, "must be written in Chinese (no CJK characters found)")
    if lang == "zh" and "§" in raw:
        r.fail(field, "a Chinese text cites the guide by its section title ([[section]]), not by"
                      " a § number the Chinese original does not have")
    unknown = unknown_sections(raw)
    if unknown:
        r.fail(field, f"[[{unknown[0]}]] names no section of the guide (sources.yaml)")
    tidy = tidy_zh if lang == "zh" else (lambda s: " ".join(s.split()))
    blocks = []
    for block in re.split(r"\n[ \t]*\n", raw.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        items: list[str] = []
        for line in lines:  # a list item runs on over lines that do not start a new item
            if line.startswith(_ITEM) or not items:
                items.append(line)
            else:
                items[-1] += " " + line
        if all(i.startswith(_ITEM) for i in items):
            blocks.append("\n".join(_ITEM + tidy(i[len(_ITEM):]) for i in items))
        else:
            blocks.append(tidy(" ".join(lines)))
    return expand_sections("\n\n".join(blocks), lang)


def _names(r: EntryReader, field: str, known: Any, what: str) -> tuple[str, ...]:
    names = r.names(field)
    for name in names:
        if name not in known:
            r.fail(field, f"{name!r} is not {what}")
    if len(set(names)) != len(names):
        r.fail(field, "must not repeat a name")
    return names


def known_rules() -> frozenset[str]:
    """The advice rules' names, as their findings carry them (``Finding.rule``): the ``rule:``
    of the advice messages (data/advice.yaml), which also gives each rule its wording."""
    from hpdesk.knowledge.findings import messages

    return frozenset(m.rule for m in messages().values())


def validate_guide(data: Any, *, file: str = "guide.yaml",
                   params: Any = None, rules: Any = None) -> tuple[Topic, ...]:
    """Check a parsed guide file and build its topics (in reading order).

    ``params`` and ``rules`` are the names a topic may link to (default: the catalogue's
    hyperparameters and the advice rules)."""
    if params is None:
        from hpdesk.knowledge.catalogue import catalogue

        params = catalogue()
    if rules is None:
        rules = known_rules()
    if not isinstance(data, list) or not data:
        raise KnowledgeError(f"{file}: must be a non-empty list of topics", file=file)
    out: list[Topic] = []
    seen: set[str] = set()
    for n, raw in enumerate(data):
        key = raw.get("key") if isinstance(raw, Mapping) else None
        r = EntryReader(file, str(key) if isinstance(key, str) else f"#{n + 1}", raw)
        r.only(_FIELDS)
        if not isinstance(key, str) or not _KEY.match(key):
            r.fail("key", "must be a snake_case name (a-z, 0-9, _)")
        if key in seen:
            r.fail("key", "is already the key of another topic")
        seen.add(key)
        section = r.raw.get("section")
        if section not in sources().sections:
            r.fail("section", f"{section!r} is not a section of the guide (sources.yaml lists "
                              f"{', '.join(sources().sections)})")
        refs = read_refs(file, key, "source", r.raw.get("source"))
        if f"guide:{section}" not in refs:
            r.fail("source", f"must cite the topic's own section, guide:{section}")
        out.append(Topic(
            key=key, title_en=r.text("title_en") or "", title_zh=r.text("title_zh", cjk=True) or "",
            body_en=_body(r, "body_en", "en"), body_zh=_body(r, "body_zh", "zh"),
            section=str(section), sources=refs,
            params=_names(r, "params", params, "a hyperparameter of the catalogue"),
            rules=_names(r, "rules", rules, "an advice rule"),
        ))
    return tuple(out)


@functools.cache
def guide_topics() -> tuple[Topic, ...]:
    """Every topic of the guide, in reading order, read once."""
    return validate_guide(load_data("guide.yaml"))


def topic(key: str) -> Topic:
    """The topic ``key``; an unknown key raises KnowledgeError."""
    for t in guide_topics():
        if t.key == key:
            return t
    raise KnowledgeError(f"the guide has no topic {key!r}", entry=key)


def topics_for_param(name: str) -> tuple[Topic, ...]:
    """The topics that drive hyperparameter ``name`` (so an editor can link it to them)."""
    return tuple(t for t in guide_topics() if name in t.params)


def rule_summary(rule: str, lang: str = "en") -> str:
    """What advice rule ``rule`` says, in ``lang``: its first message with the fields it fills
    in left as "…" (empty when the rule has no message)."""
    from hpdesk.knowledge.findings import messages

    for m in messages().values():
        if m.rule == rule:
            return re.sub(r"\{[^{}]*\}", "…", pick_language(lang, m.en, m.zh))
    return ""


__all__ = ["Topic", "guide_topics", "known_rules", "rule_summary", "topic", "topics_for_param",
           "validate_guide"]
