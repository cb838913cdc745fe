"""The words of the learning-rate range test (``data/lr_find.yaml``): why no range could be
suggested, and the caveats of one that was, in English and Chinese.

The reading of the curve (hpdesk.analysis.lr_range) names a key and its figures; the sentence
is data here, so the command line and the window say the same thing in either language.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from hpdesk.knowledge.catalogue import EntryReader, KnowledgeError, load_data, tidy_zh

FILE = "lr_find.yaml"


def validate_lr_words(data: Any, *, file: str = FILE) -> dict[str, tuple[str, str]]:
    """Check a parsed wording file: each entry an English and a Chinese template."""
    if not isinstance(data, Mapping) or not data:
        raise KnowledgeError(f"{file}: must be a non-empty mapping of sentences", file=file)
    out = {}
    for key, raw in data.items():
        r = EntryReader(file, str(key), raw)
        r.only(("en", "zh"))
        out[str(key)] = (r.text("en") or "", tidy_zh(r.text("zh", cjk=True) or ""))
    return out


@functools.cache
def lr_words() -> Mapping[str, tuple[str, str]]:
    return MappingProxyType(validate_lr_words(load_data(FILE)))


def lr_text(key: str, lang: str = "en", **fields: Any) -> str:
    """The sentence ``key`` in ``lang`` (``zh…`` gives Chinese), its figures filled in."""
    en, zh = lr_words()[key]
    return (zh if str(lang).lower().startswith("zh") else en).format(**fields)
