"""What a search strategy is: given the trials so far, the parameters of the next one.

Strategies are rebuilt from the database's trials whenever a scheduler starts or resumes, so they
hold no state that the database does not; `suggest` never returns a configuration already tried.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hpdesk.plan import Plan


@dataclass(frozen=True)
class Tried:
    """One earlier trial as a strategy sees it."""

    params: Mapping[str, Any]
    state: str
    objective: float | None


class SearchStrategy(ABC):
    def __init__(self, plan: Plan, history: Sequence[Tried] = ()) -> None:
        self.plan = plan
        self.history: list[Tried] = list(history)
        self._pending: set[tuple[tuple[str, str], ...]] = set()  # suggested, not yet told

    @abstractmethod
    def suggest(self) -> dict[str, Any] | None:
        """The next trial's parameters (fixed ones included), or None when the space is done."""

    def tell(self, tried: Tried) -> None:
        self._pending.discard(canonical(tried.params))
        self.history.append(tried)

    def seen(self, params: Mapping[str, Any]) -> bool:
        """Tried already, or handed out and still running (concurrent trials ask in turn)."""
        key = canonical(params)
        return key in self._pending or any(canonical(t.params) == key for t in self.history)

    def claim(self, params: Mapping[str, Any]) -> dict[str, Any]:
        self._pending.add(canonical(params))
        return dict(params)


def canonical(params: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """A hashable identity for a configuration (1 and 1.0 differ: they train differently)."""
    return tuple(sorted((k, f"{type(v).__name__}:{v!r}") for k, v in params.items()))
