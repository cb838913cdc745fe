"""Strict JSON out of hpdesk: a NaN or an infinity is written as `null`, never as the `NaN`,
`Infinity` or `-Infinity` tokens Python's json module writes by default (strict parsers, jq
and JavaScript's JSON.parse among them, refuse those).

Every place that prints or writes JSON (`hpdesk ... --json`, exports, the database's JSON
columns and events' data) goes through `dumps`, which cleans values with `finite_json` and then
serialises with `allow_nan=False`, so a value that slips past the cleaning (a new container
type) raises at once instead of leaking a bad token. Standard library only: the store and the
SDK import it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any


def finite_json(value: Any) -> Any:
    """`value` with every non-finite float (NaN, +inf, -inf) replaced by None, recursively
    through dicts, lists and tuples (tuples become lists, as json writes them anyway). Other
    values are returned unchanged, so json still refuses what it cannot write.

    >>> finite_json({"loss": float("-inf"), "acc": [0.5, float("nan")]})
    {'loss': None, 'acc': [0.5, None]}
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(v) for v in value]
    return value


def dumps(value: Any, **options: Any) -> str:
    """`json.dumps` of `finite_json(value)` with `allow_nan=False`; `options` go to json.dumps
    (indent, sort_keys...).

    Raises:
        TypeError: a value json cannot write (as json.dumps).
        ValueError: never for NaN or infinities (they become null); only if a container
            finite_json does not walk still holds one.

    >>> dumps([1.0, float("inf")])
    '[1.0, null]'
    """
    return json.dumps(finite_json(value), allow_nan=False, **options)


__all__ = ["dumps", "finite_json"]
