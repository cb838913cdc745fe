"""The tuning guide's topics (data/guide.yaml): valid, covering every section of the guide, linked
to parameters and rules that exist, written in hpdesk's own words, and strictly validated."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from hpdesk.knowledge import catalogue
from hpdesk.knowledge.guide import (
    guide_topics,
    known_rules,
    rule_summary,
    topic,
    topics_for_param,
    validate_guide,
)
from hpdesk.knowledge.reading import KnowledgeError, has_cjk
from hpdesk.knowledge.sources import GUIDE, PUBLISHED, kind, sources

SEED = "hyperparameter-tuning-article.zh.txt"
RUN = 20  # characters: a shared run this long means a copied sentence, not a shared term


def test_every_topic_is_valid_and_in_both_languages() -> None:
    topics = guide_topics()
    assert len({t.key for t in topics}) == len(topics) >= 21
    for t in topics:
        assert t.title("en") == t.title_en and t.title("zh_CN") == t.title_zh
        assert has_cjk(t.title_zh) and has_cjk(t.body_zh) and not has_cjk(t.body_en)
        assert "§" not in t.body_zh and "KNOWLEDGE.md" not in t.body_zh + t.body_en
        assert "[[" not in t.body_en + t.body_zh  # section marks written out as titles
        assert f"guide:{t.section}" in t.sources
        assert sources().sections[t.section].zh in t.source_text("zh")
        assert sources().sections[t.section].en in t.source_text("en")


def test_every_section_of_the_guide_has_a_topic() -> None:
    covered = {t.section for t in guide_topics()}
    assert set(sources().sections) <= covered


def test_topics_the_guide_only_names_say_so_and_cite_published_practice() -> None:
    for t in guide_topics():
        if sources().sections[t.section].knowledge != "§9":
            continue
        assert any(kind(r) == PUBLISHED for r in t.sources), t.key
        assert "contents" in t.body_en and "目录" in t.body_zh, t.key


def test_links_to_parameters_and_rules_exist() -> None:
    rules = known_rules()
    for t in guide_topics():
        assert set(t.params) <= set(catalogue()), t.key
        assert set(t.rules) <= rules, t.key
        for rule in t.rules:
            assert rule_summary(rule, "en") and has_cjk(rule_summary(rule, "zh"))


def test_the_topics_carry_the_guide_facts_and_terms() -> None:
    bs, lr, ft = topic("batch_size"), topic("learning_rate"), topic("fine_tuning")
    for term in ("批样本数量", "累计梯度", "层自适应速率缩放（LARS）", "65536", "32768"):
        assert term in bs.body_zh
    assert "GroupNorm" in bs.body_en and "65,536" in bs.body_en
    assert "decay_rate" in lr.body_en and "decay_steps" in lr.body_en and "saddle" in lr.body_en
    assert "丢弃比率" in topic("ranges").body_zh
    assert "可再低一到两个数量级" in topic("ranges").body_zh  # the guide's hedge kept
    assert "Yosinski et al. 2014" in ft.source_text() and "Howard & Ruder 2018" in ft.source_text()
    gan = topic("gan")
    for paper in ("Radford et al. 2016", "Heusel et al. 2017", "Salimans et al. 2016",
                  "Miyato et al. 2018"):
        assert paper in gan.source_text()


def test_topics_for_param_links_a_parameter_to_its_topics() -> None:
    keys = [t.key for t in topics_for_param("gn_groups")]
    assert "batch_size" in keys and "detector_from_scratch" in keys
    assert topics_for_param("no_such_param") == ()
    with pytest.raises(KnowledgeError):
        topic("no_such_topic")


def test_blocks_keep_paragraphs_and_lists() -> None:
    blocks = topic("families").blocks("en")
    assert isinstance(blocks[0], str) and isinstance(blocks[1], list) and len(blocks[1]) == 3
    assert blocks[1][0].startswith("network:")


def test_matches_searches_the_language_shown() -> None:
    t = topic("batch_size")
    assert t.matches("lars groupnorm", "en") and t.matches("累计梯度", "zh")
    assert not t.matches("累计梯度", "en") and not t.matches("saddle", "en")


def _seed() -> str | None:
    """The guide's Chinese original, where the checkout has shared/ beside it."""
    root = Path(__file__).resolve().parents[2]
    for path in (root / "shared" / "seed" / SEED, root.parent / "shared" / "seed" / SEED):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return None


def _shared_run(text: str, seed: str, n: int = RUN) -> str | None:
    squeeze = re.compile(r"\s+")
    text, seed = squeeze.sub("", text), squeeze.sub("", seed)
    for i in range(len(text) - n + 1):
        if text[i:i + n] in seed:
            return text[i:i + n]
    return None


def test_no_chinese_text_copies_the_guide() -> None:
    seed = _seed()
    if seed is None:
        pytest.skip("shared/seed is not beside this checkout")
    assert _shared_run("甲乙丙丁" + seed[3000:3040], seed) is not None  # the check can fail
    titles = [f"指南《{s.zh}》" for s in sources().sections.values()]  # cited, not copied
    for t in guide_topics():
        text = t.title_zh + t.body_zh
        for title in titles:
            text = text.replace(title, "")
        assert _shared_run(text, seed) is None, t.key


# ---- validation -------------------------------------------------------------------------------

def _good() -> dict[str, Any]:
    return {"key": "ranges", "title_en": "Ranges", "title_zh": "范围", "section": "ranges",
            "source": ["guide:ranges"], "params": ["lr"], "rules": ["lr_outside_range"],
            "body_en": "One.\n\n- a\n- b\n", "body_zh": "一。\n\n- 甲\n- 乙\n"}


def test_a_good_entry_validates() -> None:
    (t,) = validate_guide([_good()])
    assert t.body_en == "One.\n\n- a\n- b" and t.blocks("zh") == ["一。", ["甲", "乙"]]
    assert kind(t.sources[0]) == GUIDE


@pytest.mark.parametrize(("field", "value"), [
    ("title_zh", "Ranges"),                       # no Chinese in the Chinese title
    ("body_zh", "Ranges, in English."),
    ("body_zh", "范围（§5）。"),                     # Chinese cites titles, not § numbers
    ("body_en", ""),
    ("body_en", "See [[no_such_section]]."),
    ("section", "no_such_section"),
    ("source", ["guide:no_such_section"]),
    ("source", ["Somebody, Some Paper"]),          # a citation without its year
    ("source", ["guide:data"]),                    # not the topic's own section
    ("source", "guide:ranges"),                    # text, not a list
    ("params", ["no_such_param"]),
    ("params", "lr"),
    ("params", ["lr", "lr"]),
    ("rules", ["no_such_rule"]),
    ("colour", "red"),                             # unknown field
])
def test_malformed_entry_names_file_entry_and_field(field: str, value: object) -> None:
    with pytest.raises(KnowledgeError) as info:
        validate_guide([_good() | {field: value}], file="guide.yaml")
    err = info.value
    assert (err.file, err.entry, err.field) == ("guide.yaml", "ranges", field)
    assert "guide.yaml" in str(err) and "'ranges'" in str(err) and field in str(err)


def test_malformed_keys_and_files() -> None:
    with pytest.raises(KnowledgeError, match="field 'key'"):
        validate_guide([_good() | {"key": "Not A Key"}])
    with pytest.raises(KnowledgeError, match="field 'key'"):
        validate_guide([_good(), _good()])
    with pytest.raises(KnowledgeError, match="guide.yaml"):
        validate_guide({"ranges": _good()})
    with pytest.raises(KnowledgeError, match="entry '#1'"):
        validate_guide(["not a mapping"])
