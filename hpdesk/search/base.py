"""What a search strategy is: given the trials so far, what to run next.

Strategies are rebuilt from the database's trials whenever a scheduler starts or resumes, so they
hold no state that the database does not: what a strategy must remember about a trial (its
stage, its place in a sequence, the sampler's own notes) it hands back as `search_state`, which
the scheduler stores with the trial and gives back in `Tried`. `suggest` never returns a
configuration already tried more often than the plan's `strategy.repeats` allows.

Contract with the scheduler (hpdesk.runner.scheduler), single-threaded:
- `suggest()` returns a `Suggestion` (a new trial), `WAIT` (nothing now: trials still running
  must finish first, as at the end of a stage) or None (the space is exhausted);
- `tell(tried)` once per trial that ended (or paused), in the order they ended; it may return a
  new `search_state` for that trial, which the scheduler stores;
- `continuations()` lists existing trials to run again with new parameters (population-based
  training); `notes()` lists what happened (a stage began) for the experiment's timeline.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hpdesk.plan import Plan


@dataclass(frozen=True)
class Tried:
    """One earlier trial as a strategy sees it. `intermediate` maps each report of the objective
    (1, 2, ... : the epochs of a built-in task) to its value; `objectives` holds every
    objective's value when the plan has several."""

    params: Mapping[str, Any]
    state: str
    objective: float | None
    number: int | None = None
    objectives: tuple[float | None, ...] | None = None
    intermediate: Mapping[int, float] = field(default_factory=dict)
    search_state: Mapping[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.state in ("completed", "no_objective", "pruned", "stopped", "failed",
                              "diverged")

    @property
    def scored(self) -> bool:
        return self.state == "completed" and self.objective is not None


@dataclass(frozen=True)
class Suggestion:
    """A new trial: its parameters and what the strategy keeps with it."""

    params: dict[str, Any]
    search_state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Continuation:
    """Run an existing trial again from a checkpoint, with (perhaps) new parameters: the next
    interval of a population member. `copy_from` names the trial whose checkpoint it continues
    from (None: its own); `until_epoch` is where it pauses next (None: the end of its run)."""

    number: int
    params: dict[str, Any]
    until_epoch: int | None
    copy_from: int | None
    search_state: dict[str, Any]


@dataclass(frozen=True)
class Note:
    """Something the search did, for the experiment's timeline; `data` is for the views."""

    kind: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)
    level: str = "info"


class Wait:
    def __repr__(self) -> str:
        return "WAIT"


#: `suggest()` returns this when the next trial must wait for running ones to end.
WAIT = Wait()


class SearchStrategy(ABC):
    def __init__(self, plan: Plan, history: Sequence[Tried] = ()) -> None:
        self.plan = plan
        self.history: list[Tried] = list(history)
        self._pending: Counter[tuple[tuple[str, str], ...]] = Counter()  # handed out, not told
        self._counts: Counter[tuple[tuple[str, str], ...]] = Counter(
            canonical(t.params) for t in self.history)
        self._notes: list[Note] = []

    @abstractmethod
    def suggest(self) -> Suggestion | Wait | None:
        """The next trial, WAIT, or None when the space is done."""

    def tell(self, tried: Tried) -> dict[str, Any] | None:
        key = canonical(tried.params)
        for i, earlier in enumerate(self.history):
            if tried.number is not None and earlier.number == tried.number:
                self.history[i] = tried  # it was unfinished when the search was rebuilt
                self._counts[canonical(earlier.params)] -= 1
                break
        else:
            self.history.append(tried)
            if self._pending[key] > 0:
                self._pending[key] -= 1
        self._counts[key] += 1
        return None

    def continuations(self) -> list[Continuation]:
        return []

    def finish(self) -> None:  # noqa: B027  (optional hook: strategies override it if needed)
        """The experiment ended its search (budget spent or space exhausted): a last note."""

    def notes(self) -> list[Note]:
        out, self._notes = self._notes, []
        return out

    def note(self, kind: str, message: str, data: dict[str, Any] | None = None,
             level: str = "info") -> None:
        self._notes.append(Note(kind, message, dict(data or {}), level))

    def seen(self, params: Mapping[str, Any]) -> bool:
        """Tried (or handed out and still running) as often as `strategy.repeats` allows."""
        key = canonical(params)
        return self._counts[key] + self._pending[key] >= self.plan.strategy.repeats

    def claim(self, params: Mapping[str, Any]) -> dict[str, Any]:
        self._pending[canonical(params)] += 1
        return dict(params)


def canonical(params: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """A hashable identity for a configuration (1 and 1.0 differ: they train differently)."""
    return tuple(sorted((k, f"{type(v).__name__}:{v!r}") for k, v in params.items()))


def derive_seed(seed: int | None, *parts: object) -> int | None:
    """A seed for one draw, from the plan's seed and where the draw stands (its ordinal, its
    stage, its attempt): the same draw gets the same seed whether or not the search was
    interrupted in between, because it never depends on how many draws came before."""
    if seed is None:
        return None
    text = ":".join(str(p) for p in (seed, *parts))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
