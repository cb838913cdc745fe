"""Reading the knowledge data files: their errors, their fields, their two languages.

Every data file of ``hpdesk/knowledge/data`` is read through here, so a malformed entry fails
the same way everywhere: a :class:`KnowledgeError` naming the file, the entry and the field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any, NoReturn

import yaml

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
