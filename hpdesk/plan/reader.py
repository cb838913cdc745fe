"""Collecting problems while coercing a parsed plan: the one place messages are worded."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    path: str
    expected: str
    found: str
    source: str = "<plan>"

    def __str__(self) -> str:
        where = f"{self.source}: {self.path}" if self.path else self.source
        text = f"{where}: expected {self.expected}, found {self.found}"
        return text.replace("\r", "\\r").replace("\n", "\\n")  # always one line


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
        if not math.isfinite(value):
            self.fail(path, "a finite number", value)
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
