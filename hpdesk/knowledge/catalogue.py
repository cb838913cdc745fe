"""The hyperparameter catalogue and the optimisers of KNOWLEDGE.md §2–§5, as validated data.

The knowledge lives in YAML beside this module (``data/``) so that a range or a help text can be
corrected without touching code. Files are read lazily, once per process, and checked when read:
a malformed file raises :class:`KnowledgeError` naming the file, the entry and the field, so a bad
edit fails loudly at start-up instead of producing a silently wrong search space.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, NoReturn

import yaml

FAMILIES = ("network", "optimisation", "regularisation")
TIERS = (1, 2, 3)
TYPES = ("float", "int", "categorical", "bool", "text")  # text: a path or name, never searched
SCALES = ("log", "linear")
LANGUAGES = ("en", "zh")
#: Hyperparameters that are initial learning rates: the §5 fine-tuning note lowers all of them.
LEARNING_RATES = ("lr", "lr_g", "lr_d")

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_WIDE = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef\u201c\u201d\u2018\u2019"
_PUNCT = "\u3000-\u303f\uff00-\uffef\u201c\u201d\u2018\u2019"
_ZH_GAP = re.compile(rf"(?<=[{_WIDE}])\s+(?=[{_WIDE}])|(?<=[{_PUNCT}])\s+|\s+(?=[{_PUNCT}])")


class KnowledgeError(ValueError):
    """Knowledge data is malformed or was asked for something it does not hold.

    ``file``, ``entry`` and ``field`` say where, when the problem is in a data file.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        entry: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.file = file
        self.entry = entry
        self.field = field


def has_cjk(text: str) -> bool:
    """True when ``text`` holds at least one CJK ideograph (a real Chinese text, not a copy)."""
    return bool(_CJK.search(text))


def tidy_zh(text: str) -> str:
    """Drop the spaces YAML's folded lines put between Chinese characters and around ，。（）.

    A space between a Chinese character and a Latin word or a number is kept, as is usual.
    """
    return _ZH_GAP.sub("", " ".join(text.split()))


def pick_language(lang: str, en: str, zh: str) -> str:
    """The Chinese text for ``zh``/``zh_CN``/``zh-Hans``…, else the English one."""
    return zh if str(lang).lower().startswith("zh") else en


class EntryReader:
    """Reads the fields of one data-file entry; every failure names file, entry and field."""

    def __init__(self, file: str, entry: str, raw: Any) -> None:
        self.file = file
        self.entry = entry
        if not isinstance(raw, Mapping):
            self.fail(None, f"must be a mapping of fields, not {type(raw).__name__}")
        self.raw: Mapping[str, Any] = raw

    def fail(self, field: str | None, problem: str) -> NoReturn:
        where = f"{self.file}: entry {self.entry!r}"
        if field is not None:
            where += f": field {field!r}"
        raise KnowledgeError(f"{where}: {problem}", file=self.file, entry=self.entry, field=field)

    def only(self, allowed: Sequence[str]) -> None:
        """Reject unknown fields, which are nearly always typos of known ones."""
        for key in self.raw:
            if key not in allowed:
                self.fail(str(key), f"unknown field; expected one of {', '.join(allowed)}")

    def has(self, field: str) -> bool:
        return self.raw.get(field) is not None

    def text(self, field: str, *, cjk: bool = False, optional: bool = False) -> str | None:
        value = self.raw.get(field)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(field, "must be a non-empty text")
        if cjk and not has_cjk(value):
            self.fail(field, "must be written in Chinese (no CJK characters found)")
        return tidy_zh(value) if has_cjk(value) else " ".join(value.split())

    def number(self, field: str, *, integer: bool = False) -> float | int:
        return self.check_number(field, self.raw.get(field), integer=integer)

    def check_number(self, field: str, value: Any, *, integer: bool = False) -> float | int:
        """A finite number; numeric text such as ``"1e-3"`` (YAML 1.1 reads it so) is accepted."""
        number = as_number(value)
        if number is None:
            self.fail(field, f"must be a number, not {value!r}")
        if integer:
            if number != int(number):
                self.fail(field, f"must be a whole number, not {value!r}")
            return int(number)
        return float(number)

    def choice(self, field: str, options: Sequence[Any]) -> Any:
        value = self.raw.get(field)
        if value not in options or (
                isinstance(value, bool) != any(isinstance(o, bool) for o in options)):
            self.fail(field, f"must be one of {', '.join(map(str, options))}, not {value!r}")
        return value

    def flag(self, field: str, default: bool) -> bool:
        value = self.raw.get(field, default)
        if not isinstance(value, bool):
            self.fail(field, f"must be true or false, not {value!r}")
        return value

    def names(self, field: str) -> tuple[str, ...]:
        value = self.raw.get(field, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(field, "must be a list of names")
        return tuple(value)


def as_number(value: Any) -> float | None:
    """``value`` as a finite float, or None (bools, text that is not a number, inf and nan)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class Hyperparameter:
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
    source: str

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
class Optimizer:
    """One optimiser of §5: its recommended from-scratch initial learning rate and extra knobs."""

    name: str
    label_en: str
    label_zh: str
    lr_low: float
    lr_high: float
    uses: tuple[str, ...]
    source: str

    def label(self, lang: str = "en") -> str:
        """The display name in ``lang``."""
        return pick_language(lang, self.label_en, self.label_zh)


_HP_FIELDS = ("family", "tier", "type", "scale", "low", "high", "choices", "default",
              "help_en", "help_zh", "source")


def _hyperparameter(file: str, name: Any, raw: Any) -> Hyperparameter:
    r = EntryReader(file, str(name), raw)
    if not isinstance(name, str) or not _NAME.match(name):
        r.fail(None, "the name must be snake_case (a-z, 0-9, _)")
    r.only(_HP_FIELDS)
    family = r.choice("family", FAMILIES)
    tier = r.choice("tier", TIERS)
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
        help_en=r.text("help_en") or "", help_zh=r.text("help_zh", cjk=True) or "",
        source=r.text("source") or "",
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
        r.only(("label_en", "label_zh", "lr", "uses", "source"))
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
        out[name] = Optimizer(
            name=name, label_en=r.text("label_en") or "", label_zh=r.text("label_zh") or "",
            lr_low=low, lr_high=high, uses=uses, source=r.text("source") or "",
        )
    return out


def load_data(name: str) -> Any:
    """Parse ``data/<name>`` with ``yaml.safe_load``; unreadable or invalid YAML names the file."""
    try:
        text = (resources.files("hpdesk.knowledge") / "data" / name).read_text(encoding="utf-8")
    except OSError as exc:
        raise KnowledgeError(f"{name}: cannot be read: {exc}", file=name) from exc
    try:
        # libyaml's parser when PyYAML has it: ten times faster, and the window reads this
        # data before its first paint.
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{name}: is not valid YAML: {exc}", file=name) from exc


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
