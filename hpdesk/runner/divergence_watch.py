"""Stopping diverged trials (the plan's ``pruner.stop_on_divergence``): the scheduler reads the
new loss points of its running trials every few seconds, judges them with the same rule
`hpdesk diagnose` uses (hpdesk.analysis.fit_state.find_divergence), and stops a trial whose
loss became NaN or infinite or grew by orders of magnitude.

Why here and not only in the tasks: a built-in task stops itself at a NaN, but a person's script
may print ``loss=nan`` for hours, and a loss that grows a thousandfold while staying finite
stops nothing. The trial ends as ``diverged`` with the step and the evidence on its timeline.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from hpdesk.analysis.fit_state import Curve, FitFinding, find_divergence, is_loss, is_validation
from hpdesk.knowledge.fit_words import word

if TYPE_CHECKING:
    from hpdesk.runner.running import RunningTrial
    from hpdesk.store import Store

#: Seconds between two looks (a diverged trial wastes at most this much more time).
WATCH_INTERVAL_S = 2.0


@dataclass
class _Series:
    steps: array = field(default_factory=lambda: array("q"))
    values: array = field(default_factory=lambda: array("d"))
    dirty: bool = False


class DivergenceWatch:
    """The loss curves of the running trials, read incrementally (a rowid watermark)."""

    def __init__(self, store: Store, experiment_id: int,
                 interval_s: float = WATCH_INTERVAL_S) -> None:
        self.store = store
        self.experiment_id = experiment_id
        self.interval_s = interval_s
        self._watermark = store.max_rowid()
        self._names: list[str] = []
        self._series: dict[tuple[int, str], _Series] = {}
        self._known: set[int] = set()  # trials whose earlier points were read
        self._judged: set[int] = set()  # trials already found diverged
        self._last = 0.0

    def poll(self, running: Mapping[int, Any]) -> list[tuple[int, FitFinding]]:
        """The running trials (by id) found diverged since the last look, each once."""
        now = time.monotonic()
        if now - self._last < self.interval_s or not running:
            return []
        self._last = now
        ids = [t for t in running if t not in self._judged]
        self._refresh_names(ids)
        if not self._names or not ids:
            return []
        for trial_id in ids:
            if trial_id not in self._known:  # started (or resumed) since the last look
                self._known.add(trial_id)
                for name in self._names:
                    steps, values = self.store.series(trial_id, name)
                    self._take(trial_id, name, steps, values)
        points = self.store.points_after(self._watermark, trial_ids=ids, names=self._names)
        if points:
            self._watermark = points[-1].rowid
        for p in points:
            self._take(p.trial_id, p.name, [p.step], [p.value])
        return self._judge(ids)

    def forget(self, trial_id: int) -> None:
        """A trial ended: its curves are no longer kept."""
        self._known.discard(trial_id)
        for key in [k for k in self._series if k[0] == trial_id]:
            del self._series[key]

    def _refresh_names(self, ids: list[int]) -> None:
        names = [n for n in self.store.experiment_metric_names(self.experiment_id)
                 if is_loss(n)]
        new = [n for n in names if n not in self._names]
        if new and self._names:
            for trial_id in ids:  # a loss first seen now: its points before the watermark
                if trial_id in self._known:
                    for name in new:
                        steps, values = self.store.series(trial_id, name)
                        self._take(trial_id, name, steps, values)
        self._names = names

    def _take(self, trial_id: int, name: str, steps: Any, values: Any) -> None:
        s = self._series.setdefault((trial_id, name), _Series())
        for step, value in zip(steps, values):
            if s.steps and step <= s.steps[-1]:
                continue  # a re-reported step (a resumed trial): the first report stands
            s.steps.append(int(step))
            s.values.append(float("nan") if value is None else float(value))
            s.dirty = True

    def _judge(self, ids: list[int]) -> list[tuple[int, FitFinding]]:
        gan = {"g_loss", "d_loss"} <= set(self._names)
        found: list[tuple[int, FitFinding]] = []
        for (trial_id, name), s in self._series.items():
            if not s.dirty or trial_id not in ids or trial_id in self._judged:
                continue
            s.dirty = False
            curve = Curve(np.frombuffer(s.steps, dtype=np.int64).copy(),
                          np.frombuffer(s.values, dtype=np.float64).copy())
            hit = find_divergence(name, curve, growth=not (gan or is_validation(name)))
            if hit is not None:
                self._judged.add(trial_id)
                found.append((trial_id, hit))
        return found


def stop_diverged(store: Store, run: RunningTrial, finding: FitFinding) -> bool:
    """Ask a running trial to end as diverged, with the evidence on its timeline; False when it
    ended meanwhile or a person (or the pruner) asked first."""
    trial_id = run.trial.id
    if not store.request_trial_state(trial_id, "diverged"):
        return False
    fields = {"metric": finding.metric, "step": finding.step, **finding.facts}
    evidence = word(finding.kind, fields, "en").evidence
    message = f"{evidence} Stopped (pruner.stop_on_divergence)."
    store.add_event("diverged", message, trial_id=trial_id, step=finding.step, level="error",
                    data={"metric": finding.metric, "step": finding.step, **finding.facts,
                          "stopped_by": "stop_on_divergence"})
    run.stop_asked = True
    run.ask_to_stop()
    return True
