"""Collecting problems while coercing a parsed plan: the one place messages are worded.

Also the limits every plan obeys whatever its format (`plain_problems`): nesting, the number of
values, integers that fit SQLite's 64 bits, finite numbers. A plan is a few hundred values; far
more is a mistake or an attack, refused before anything walks it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Levels of nesting a plan may use (the deepest real one, a stage's params, has 5).
MAX_DEPTH = 32
#: Values in a plan once YAML aliases are expanded (a preset has about 150).
MAX_VALUES = 100_000
#: The largest integer anywhere in a plan: what SQLite stores (and a seed may be).
MAX_INT = 2**63 - 1
_MAX_PATH = 200  # characters of a field path shown in a message


@dataclass(frozen=True)
class Problem:
    path: str
    expected: str
    found: str
    source: str = "<plan>"

    def __str__(self) -> str:
        path = self.path if len(self.path) <= _MAX_PATH else self.path[:_MAX_PATH - 3] + "..."
        where = f"{self.source}: {path}" if path else self.source
        text = f"{where}: expected {self.expected}, found {self.found}"
        # Always one line, and no terminal control sequences from a hostile file's keys.
        return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class PlanError(ValueError):
    """A plan that cannot run; `problems` holds one entry per thing to fix."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def __reduce__(self) -> tuple[type[PlanError], tuple[list[Problem]]]:
        # Rebuilt from its problems, not its message (a worker process raising it).
        return (PlanError, (self.problems,))


def describe(value: Any) -> str:
    """How a found value is shown in a message: short, typed, never a repr of a huge object."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and abs(value) > MAX_INT:
        return f"an integer of {_digits(value)} digits"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {text!r}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)}"
    return f"a {type(value).__name__}"


def _digits(value: int) -> int:
    """Decimal digits of a huge integer, without str() (refused past 4,300 digits)."""
    digits = int(abs(value).bit_length() * math.log10(2))
    return digits + 1 if abs(value) >= 10**digits else digits


def plain_problems(data: Any, source: str = "<plan>") -> list[Problem]:
    """What makes `data` no plan before any field is read: nesting past MAX_DEPTH, more than
    MAX_VALUES values, an integer past MAX_INT, a number that is not finite (NaN, infinity).

    Iterative, so a structure that refers to itself or nests a million levels costs nothing.
    Stops at the first 20 problems.
    """
    problems: list[Problem] = []
    count = 0
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack and len(problems) < 20:
        value, path, depth = stack.pop()
        count += 1
        if count > MAX_VALUES:
            problems.append(Problem("", f"a plan of at most {MAX_VALUES:,} values",
                                    "more values", source))
            break
        if isinstance(value, bool) or value is None or isinstance(value, str):
            continue
        if isinstance(value, int):
            if abs(value) > MAX_INT:
                problems.append(Problem(path, "an integer between -2**63 and 2**63",
                                        describe(value), source))
        elif isinstance(value, float):
            if not math.isfinite(value):
                problems.append(Problem(path, "a finite number", describe(value), source))
        elif isinstance(value, (Mapping, list, tuple)):
            if depth >= MAX_DEPTH:
                problems.append(Problem(path, f"at most {MAX_DEPTH} levels of nesting",
                                        "deeper nesting", source))
                continue
            if isinstance(value, Mapping):
                items = [(f"{path}.{_key(k)}" if path else _key(k), v) for k, v in value.items()]
                for key in value:  # keys are values too (a YAML key may be a number)
                    if not isinstance(key, (str, bool)) and key is not None:
                        stack.append((key, f"{path}.{_key(key)}" if path else _key(key),
                                      depth + 1))
            else:
                items = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
            stack.extend((v, p, depth + 1) for p, v in reversed(items))
    return problems


def _key(key: Any) -> str:
    if isinstance(key, int) and not isinstance(key, bool) and abs(key) > MAX_INT:
        return f"<an integer of {_digits(key)} digits>"
    text = str(key)
    return text if len(text) <= 40 else text[:37] + "..."


class Reader:
    """Collects problems while coercing; each method returns a value or None after recording."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def fail(self, path: str, expected: str, found: Any) -> None:
        self.problems.append(Problem(path, expected, describe(found), self.source))

    def number(self, path: str, value: Any, *, integer: bool = False) -> float | int | None:
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(path, "an integer" if integer else "a number", value)
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(path, "a finite number", value)
            return None
        if abs(value) > MAX_INT:  # before float(): a huge int overflows it
            self.fail(path, "a number between -2**63 and 2**63", value)
            return None
        if integer:
            if float(value) != int(value):
                self.fail(path, "an integer", value)
                return None
            return int(value)
        return float(value)

    def boolean(self, path: str, value: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
            return value.lower() in ("true", "yes")
        self.fail(path, "true or false", value)
        return None

    def text(self, path: str, value: Any, *, choices: tuple[str, ...] | None = None) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "a text" if choices is None else f"one of {', '.join(choices)}", value)
            return None
        if choices is not None and value not in choices:
            self.fail(path, f"one of {', '.join(choices)}", value)
            return None
        return value

    def mapping(self, path: str, value: Any, allowed: tuple[str, ...]) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.fail(path, "a mapping", value)
            return None
        for key in value:
            if key not in allowed:
                self.fail(f"{path}.{key}" if path else str(key),
                          f"one of the fields {', '.join(allowed)}", "an unknown field")
        return value
