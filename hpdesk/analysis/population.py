"""A population-based training run as a picture can draw it: each member's intervals, whose
weights each interval carries, who copied whom, and every hyperparameter's schedule.

Built from the scheduler's `pbt` events (one per member per generation: at `epoch` the member
continued, or copied the checkpoint of trial `donor` and took `params` from then on; `previous`
holds the values it trained with until then) and the trials (their member index is in
`search_state["member"]`; members without an event yet are still in their first interval).

Lineage: every member starts with its own weights. When a member copies a donor, from that epoch
on it carries whatever the donor carried, so a colour per original member shows which first
initialisations survive the run. Members copying at one epoch see the lineage as it was before
that epoch (the best and the worst of a generation are different members).

>>> events = [{"member": 0, "trial": 0, "epoch": 2, "donor": None, "previous": {"lr": 0.1},
...            "params": {"lr": 0.1}},
...           {"member": 1, "trial": 1, "epoch": 2, "donor": 0, "previous": {"lr": 0.001},
...            "params": {"lr": 0.08}}]
>>> run = population(events, end=4)
>>> [(s.member, s.start, s.end, s.origin) for s in run.segments]
[(0, 0.0, 2.0, 0), (0, 2.0, 4.0, 0), (1, 0.0, 2.0, 1), (1, 2.0, 4.0, 0)]
>>> run.schedule("lr")[1]
([0.0, 2.0, 4.0], [0.001, 0.08])
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hpdesk.store import Trial


@dataclass(frozen=True)
class Segment:
    """One interval of one member: epochs [start, end), the member (row) whose weights it
    carries (`origin`) and the hyperparameters it trains with."""

    member: int
    trial: int | None
    start: float
    end: float
    origin: int
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Exploit:
    """At `epoch`, `member` copied the checkpoint of `donor` (both member indices)."""

    epoch: float
    member: int
    donor: int
    trial: int | None
    donor_trial: int | None
    value: float | None = None
    donor_value: float | None = None


@dataclass(frozen=True)
class Population:
    members: tuple[int, ...]
    trials: Mapping[int, int | None]  # member -> its trial's number
    segments: tuple[Segment, ...]
    exploits: tuple[Exploit, ...]
    changed: tuple[str, ...]  # hyperparameters some member changed during training
    end: float
    generations: tuple[float, ...] = field(default=())  # the epochs decisions were made at

    def schedule(self, name: str) -> dict[int, tuple[list[float], list[Any]]]:
        """member -> (interval edges, the value in each interval) of one hyperparameter: n + 1
        edges for n values, what a step plot takes. Members that never had it are absent."""
        out: dict[int, tuple[list[float], list[Any]]] = {}
        for seg in self.segments:
            if name not in seg.params:
                continue
            edges, values = out.setdefault(seg.member, ([seg.start], []))
            if edges[-1] != seg.start:  # a gap (should not happen): start a new step there
                edges.append(seg.start)
                values.append(values[-1] if values else seg.params[name])
            edges.append(seg.end)
            values.append(seg.params[name])
        return out

    def member_segments(self, member: int) -> list[Segment]:
        return [s for s in self.segments if s.member == member]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def population(events: Sequence[Mapping[str, Any]], trials: Sequence[Trial] = (), *,
               end: float | None = None) -> Population:
    """The run drawn from the `data` of its `pbt` events (in any order) and its trials.

    `end`: the epoch training ends at (the plan's epochs); None takes the latest epoch a member
    pauses at (`search_state["until"]`) or, failing that, one generation past the last decision.
    Events without a member index or an epoch are ignored.
    """
    by_member: dict[int, list[Mapping[str, Any]]] = {}
    for data in events:
        member, epoch = data.get("member"), _number(data.get("epoch"))
        if isinstance(member, int) and not isinstance(member, bool) and epoch is not None:
            by_member.setdefault(member, []).append(data)
    for rows in by_member.values():
        rows.sort(key=lambda d: float(d["epoch"]))
    numbers: dict[int, int | None] = {}
    first_params: dict[int, Mapping[str, Any]] = {}
    untils: list[float] = []
    for t in trials:
        state = t.search_state or {}
        member = state.get("member")
        if isinstance(member, int) and not isinstance(member, bool):
            numbers[member] = t.number
            first_params.setdefault(member, t.params)
            until = _number(state.get("until"))
            if until is not None:
                untils.append(until)
    for member, rows in by_member.items():
        trial = rows[0].get("trial")
        numbers.setdefault(member, trial if isinstance(trial, int) else None)
    members = tuple(sorted(set(numbers) | set(by_member)))
    member_of_trial = {n: m for m, n in numbers.items() if n is not None}
    epochs = sorted({float(d["epoch"]) for rows in by_member.values() for d in rows})
    if end is None or not math.isfinite(end):
        end = max([*untils, *epochs], default=0.0)
        if epochs and end <= epochs[-1]:
            gap = epochs[-1] - (epochs[-2] if len(epochs) > 1 else 0.0)
            end = epochs[-1] + (gap or 1.0)
        end = end or 1.0
    end = float(end)

    # Lineage, generation by generation: copies at one epoch read the lineage before it.
    origin = {m: m for m in members}
    origin_at: dict[tuple[int, float], int] = {}
    exploits: list[Exploit] = []
    for epoch in epochs:
        before = dict(origin)
        for member in members:
            for data in by_member.get(member, ()):
                if float(data["epoch"]) != epoch:
                    continue
                donor = member_of_trial.get(data.get("donor"))  # type: ignore[arg-type]
                if donor is not None:
                    origin[member] = before.get(donor, donor)
                    exploits.append(Exploit(
                        epoch, member, donor, numbers.get(member), numbers.get(donor),
                        _number(data.get("value")), _number(data.get("donor_value"))))
                origin_at[(member, epoch)] = origin[member]

    segments: list[Segment] = []
    changed: dict[str, None] = {}
    for member in members:
        rows = by_member.get(member, [])
        start, lineage = 0.0, member
        params = dict(rows[0].get("previous") or {}) if rows else dict(
            first_params.get(member, {}))
        for data in rows:
            epoch = float(data["epoch"])
            if epoch > start:
                segments.append(Segment(member, numbers.get(member), start, epoch, lineage,
                                        params))
            new = dict(data.get("params") or params)
            for name in sorted(set(new) | set(params)):
                if new.get(name) != params.get(name):
                    changed.setdefault(name)
            start, lineage, params = epoch, origin_at.get((member, epoch), member), new
        segments.append(Segment(member, numbers.get(member), start, max(end, start), lineage,
                                params))
    return Population(members, numbers, tuple(segments), tuple(exploits), tuple(changed),
                      float(end), tuple(epochs))


__all__ = ["Exploit", "Population", "Segment", "population"]
