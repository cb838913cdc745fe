"""The hyperparameter catalogue and the optimisers of KNOWLEDGE.md §2–§5, as validated data.

The knowledge lives in YAML beside this module (``data/``) so that a range or a help text can be
corrected without touching code. Files are read lazily, once per process, and checked when read:
a malformed file raises :class:`KnowledgeError` naming the file, the entry and the field, so a bad
edit fails loudly at start-up instead of producing a silently wrong search space.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from hpdesk.knowledge.reading import (  # re-exported: the rest of hpdesk imports them from here
    EntryReader,
    KnowledgeError,
    as_number,
    load_data,
    pick_language,
)
from hpdesk.knowledge.reading import has_cjk as has_cjk
from hpdesk.knowledge.reading import tidy_zh as tidy_zh
from hpdesk.knowledge.sources import (
    PUBLISHED,
    Cited,
    cite,
    expand_sections,
    kind,
    read_refs,
    unknown_sections,
)

FAMILIES = ("network", "optimisation", "regularisation")
TIERS = (1, 2, 3)
TYPES = ("float", "int", "categorical", "bool", "text")  # text: a path or name, never searched
SCALES = ("log", "linear")
LANGUAGES = ("en", "zh")
#: Hyperparameters that are initial learning rates: the §5 fine-tuning note lowers all of them.
LEARNING_RATES = ("lr", "lr_g", "lr_d")

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

@dataclass(frozen=True)
class Hyperparameter(Cited):
    """One hyperparameter: where it belongs (§2), when to tune it (§3), its range (§5), its help."""

    name: str
    family: str
    tier: int
    type: str
    scale: str | None
    low: float | int | None
    high: float | int | None
    choices: tuple[Any, ...] | None
    default: Any
    help_en: str
    help_zh: str
    #: Where the entry comes from: references (sources.py), and the one behind its tier.
    sources: tuple[str, ...]
    tier_by: str



    def tier_text(self, lang: str = "en") -> str:
        """Who set the tier: the guide's order of importance, or hpdesk (with its reason)."""
        return cite((self.tier_by,), lang)

    def help(self, lang: str = "en") -> str:
        """The help text in ``lang`` (``"zh…"`` gives Chinese, anything else English)."""
        return pick_language(lang, self.help_en, self.help_zh)

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is a value this hyperparameter may take."""
        if self.type == "bool":
            return isinstance(value, bool)
        if self.type == "text":
            return isinstance(value, str)
        if self.choices is not None:
            return any(value == c and isinstance(value, bool) == isinstance(c, bool)
                       for c in self.choices)
        number = as_number(value)
        if number is None or isinstance(value, str):
            return False
        if self.type == "int" and number != int(number):
            return False
        assert self.low is not None and self.high is not None
        return self.low <= number <= self.high


@dataclass(frozen=True)
class Optimizer(Cited):
    """One optimiser of §5: its recommended from-scratch initial learning rate and extra knobs."""

    name: str
    label_en: str
    label_zh: str
    lr_low: float
    lr_high: float
    uses: tuple[str, ...]
    sources: tuple[str, ...]
    #: The recommended weight-decay coefficient: the guide's [0, 1e-4] for an L2 penalty, unless
    #: the optimiser applies decay its own way (AdamW's decoupled decay, scaled by the rate).
    wd_low: float = 0.0
    wd_high: float = 1e-4
    wd_default: float | None = None
    wd_sources: tuple[str, ...] = ("guide:ranges",)

    def wd_search(self) -> tuple[float, float]:
        """The weight-decay range a search draws from, on a log scale: the recommended range,
        its zero lower end lifted to two orders of magnitude below the top."""
        return (self.wd_low if self.wd_low > 0 else _round(self.wd_high / 100)), self.wd_high



    def label(self, lang: str = "en") -> str:
        """The display name in ``lang``."""
        return pick_language(lang, self.label_en, self.label_zh)


_HP_FIELDS = ("family", "tier", "type", "scale", "low", "high", "choices", "default",
              "help_en", "help_zh", "source", "tier_by")


def guide_text(r: EntryReader, field: str, lang: str, *, optional: bool = False) -> str:
    """A help text in ``lang`` with its ``[[section]]`` marks written out as the guide's
    titles; a mark naming no section, or a Chinese text citing an English § number, fails."""
    text = r.text(field, cjk=lang == "zh", optional=optional) or ""
    unknown = unknown_sections(text)
    if unknown:
        r.fail(field, f"[[{unknown[0]}]] names no section of the guide (sources.yaml)")
    if lang == "zh" and "§" in text:
        r.fail(field, "a Chinese text cites the guide by its section title ([[section]]), not by"
                      " a § number the Chinese original does not have")
    expanded = expand_sections(text, lang)
    return tidy_zh(expanded) if lang == "zh" else expanded


def _hyperparameter(file: str, name: Any, raw: Any) -> Hyperparameter:
    r = EntryReader(file, str(name), raw)
    if not isinstance(name, str) or not _NAME.match(name):
        r.fail(None, "the name must be snake_case (a-z, 0-9, _)")
    r.only(_HP_FIELDS)
    family = r.choice("family", FAMILIES)
    tier = r.choice("tier", TIERS)
    tier_by = read_refs(file, str(name), "tier_by", [r.raw.get("tier_by")])[0]
    if kind(tier_by) == PUBLISHED:
        r.fail("tier_by", f"must be guide:order or an hpdesk reason, not {tier_by!r}")
    type_ = r.choice("type", TYPES)
    low: float | int | None = None
    high: float | int | None = None
    choices: tuple[Any, ...] | None = None
    scale: str | None = None
    if type_ in ("float", "int"):
        scale = r.choice("scale", SCALES)
        if r.has("choices"):
            r.fail("choices", "only categorical entries list choices")
        low = r.number("low", integer=type_ == "int")
        high = r.number("high", integer=type_ == "int")
        if not low < high:
            r.fail("high", f"must be above low ({low}), not {high}")
        if scale == "log" and low <= 0:
            r.fail("low", f"must be above 0 on a log scale, not {low}")
        default: Any = r.number("default", integer=type_ == "int")
        if not low <= default <= high:
            r.fail("default", f"must lie in [{low}, {high}], not {default}")
    else:
        for field in ("scale", "low", "high"):
            if r.has(field):
                r.fail(field, f"a {type_} entry has no {field}")
        if type_ == "text":
            if r.has("choices"):
                r.fail("choices", "a text entry has no choices")
            default = r.raw.get("default", "")
            if not isinstance(default, str):
                r.fail("default", f"must be text, not {default!r}")
        elif type_ == "bool":
            if r.has("choices"):
                r.fail("choices", "a bool entry has the choices false and true already")
            choices = (False, True)
        else:
            raw_choices = r.raw.get("choices")
            if not isinstance(raw_choices, list) or not raw_choices:
                r.fail("choices", "must be a non-empty list")
            for c in raw_choices:
                if not isinstance(c, (str, int, float, bool)):
                    r.fail("choices", f"must hold plain values (text, numbers), not {c!r}")
            if len({repr(c) for c in raw_choices}) != len(raw_choices):
                r.fail("choices", "must not repeat a value")
            choices = tuple(raw_choices)
        if type_ != "text" and choices is not None:
            default = r.choice("default", choices)
    return Hyperparameter(
        name=name, family=family, tier=tier, type=type_, scale=scale, low=low, high=high,
        choices=choices, default=default,
        help_en=guide_text(r, "help_en", "en"), help_zh=guide_text(r, "help_zh", "zh"),
        sources=read_refs(file, str(name), "source", r.raw.get("source")), tier_by=tier_by,
    )


def validate_catalogue(data: Any, *, file: str = "catalogue.yaml") -> dict[str, Hyperparameter]:
    """Check a parsed catalogue file and build its records (in file order)."""
    if not isinstance(data, Mapping) or not data:
        raise KnowledgeError(f"{file}: must be a non-empty mapping of hyperparameters", file=file)
    return {str(name): _hyperparameter(file, name, raw) for name, raw in data.items()}


def validate_optimizers(
    data: Any, *, file: str = "optimizers.yaml", known: Mapping[str, Hyperparameter] | None = None
) -> dict[str, Optimizer]:
    """Check a parsed optimiser file; ``uses`` must name hyperparameters of ``known``."""
    if not isinstance(data, Mapping) or not data:
        raise KnowledgeError(f"{file}: must be a non-empty mapping of optimisers", file=file)
    out: dict[str, Optimizer] = {}
    for name, raw in data.items():
        r = EntryReader(file, str(name), raw)
        if not isinstance(name, str) or not _NAME.match(name):
            r.fail(None, "the name must be snake_case (a-z, 0-9, _)")
        r.only(("label_en", "label_zh", "lr", "uses", "source", "weight_decay",
                "weight_decay_default", "weight_decay_source"))
        lr = r.raw.get("lr")
        if not isinstance(lr, list) or len(lr) != 2:
            r.fail("lr", f"must be [low, high], not {lr!r}")
        low, high = (float(r.check_number("lr", v)) for v in lr)
        if not 0 < low < high:
            r.fail("lr", f"must satisfy 0 < low < high, not [{low}, {high}]")
        uses = r.names("uses")
        for used in uses:
            if known is not None and used not in known:
                r.fail("uses", f"{used!r} is not in the catalogue")
        wd: dict[str, Any] = {}
        if r.raw.get("weight_decay") is not None:
            raw_wd = r.raw["weight_decay"]
            if not isinstance(raw_wd, list) or len(raw_wd) != 2:
                r.fail("weight_decay", f"must be [low, high], not {raw_wd!r}")
            wd_low, wd_high = (float(r.check_number("weight_decay", v)) for v in raw_wd)
            if not 0 <= wd_low < wd_high:
                r.fail("weight_decay", f"must satisfy 0 <= low < high, not [{wd_low}, {wd_high}]")
            wd = {"wd_low": wd_low, "wd_high": wd_high, "wd_sources": read_refs(
                file, name, "weight_decay_source", r.raw.get("weight_decay_source"))}
            if r.has("weight_decay_default"):
                value = float(r.number("weight_decay_default"))
                if not wd_low <= value <= wd_high:
                    r.fail("weight_decay_default", f"must lie in [{wd_low}, {wd_high}]")
                wd["wd_default"] = value
        elif r.has("weight_decay_default") or r.has("weight_decay_source"):
            r.fail("weight_decay", "weight_decay_default and weight_decay_source come with it")
        out[name] = Optimizer(
            name=name, label_en=r.text("label_en") or "", label_zh=r.text("label_zh") or "",
            lr_low=low, lr_high=high, uses=uses,
            sources=read_refs(file, name, "source", r.raw.get("source")), **wd,
        )
    return out


@functools.cache
def catalogue() -> Mapping[str, Hyperparameter]:
    """Every hyperparameter hpdesk knows, by plan name, read-only."""
    return MappingProxyType(validate_catalogue(load_data("catalogue.yaml")))


@functools.cache
def optimizers() -> Mapping[str, Optimizer]:
    """The eight optimisers of §5, by plan value, read-only; checked against the catalogue."""
    known = catalogue()
    out = validate_optimizers(load_data("optimizers.yaml"), known=known)
    listed = known["optimizer"].choices if "optimizer" in known else None
    if listed != tuple(out):
        raise KnowledgeError(
            f"catalogue.yaml: entry 'optimizer': field 'choices': must list the optimisers of "
            f"optimizers.yaml in the same order ({', '.join(out)}), not {listed!r}",
            file="catalogue.yaml", entry="optimizer", field="choices",
        )
    return MappingProxyType(out)


def _round(x: float) -> float:
    """Drop floating-point dust (0.001/100 -> 1e-05 exactly as written)."""
    return float(f"{x:.10g}")


def fine_tune_shift(low: float, high: float) -> tuple[float, float]:
    """Lower an initial learning-rate range for fine-tuning: one to two orders of magnitude (§5)."""
    return _round(low / 100), _round(high / 10)


def lr_range(optimizer: str, *, fine_tune: bool = False) -> tuple[float, float]:
    """The recommended initial learning-rate range of ``optimizer`` (§5), lowered when
    fine-tuning."""
    known = optimizers()
    if optimizer not in known:
        raise KnowledgeError(
            f"unknown optimiser {optimizer!r}; known optimisers: {', '.join(known)}",
            entry=str(optimizer),
        )
    opt = known[optimizer]
    if fine_tune:
        return fine_tune_shift(opt.lr_low, opt.lr_high)
    return opt.lr_low, opt.lr_high
