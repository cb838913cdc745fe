"""What the task tests hand to `train` instead of hpdesk.sdk: it keeps every report and event,
and can ask for a stop after N updates (counted on the task's per-update metric)."""

from __future__ import annotations

#: Metrics read off the wall clock: two runs of the same trial report different values.
TIMING = ("epoch_time",)


class Recorder:
    def __init__(self, stop_after: int | None = None, *, per_update: str = "train_loss") -> None:
        self.points: list[tuple[int, dict[str, float]]] = []
        self.events: list[tuple[str, str, int | None]] = []
        self.stop_after = stop_after
        self.per_update = per_update

    def report(self, step: int, **metrics: float) -> None:
        self.points.append((step, metrics))

    def event(self, kind: str, message: str, *, step: int | None = None,
              level: str = "info") -> None:
        self.events.append((kind, message, step))

    def should_stop(self) -> bool:
        return (self.stop_after is not None
                and len(self.series(self.per_update)) >= self.stop_after)

    def series(self, name: str) -> list[tuple[int, float]]:
        return [(step, m[name]) for step, m in self.points if name in m]

    def values(self, name: str) -> list[float]:
        return [value for _, value in self.series(name)]

    def points_without(self, *names: str) -> list[tuple[int, dict[str, float]]]:
        """The points with the metrics ``names`` left out (a point left empty is dropped)."""
        out = [(step, {k: v for k, v in m.items() if k not in names}) for step, m in self.points]
        return [(step, m) for step, m in out if m]

    def fingerprint(self) -> tuple[tuple[int, tuple[tuple[str, float], ...]], ...]:
        """Every point but the wall-clock metrics (:data:`TIMING`): equal for equal runs."""
        return tuple((step, tuple(sorted(m.items()))) for step, m in self.points_without(*TIMING))
