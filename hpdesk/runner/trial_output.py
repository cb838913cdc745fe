"""Reading one running script's output into metric points, beside what it reports itself.

The trial's output comes through a pipe that a thread of the scheduler reads and parses as fast
as the trial prints (log_pipe.LogPipe); here the parsed points are stored. A script may use the
SDK and also print: its SDK points are the truth, so a name the SDK reports is never read from
the output. The SDK says which names it reports in an event written before `report()` returns,
so before the script prints the same value; and parsed points wait `SETTLE_S` before they are
written, so a script that prints a value a moment before reporting it (or before its first
report) keeps its SDK points alone too. Parsed points never replace a stored point.

A trial that runs again (resumed after an interruption, a population member's next interval)
continues its steps after the largest one stored for it, and from its last stored epoch: its
log is capped (capped_log), so it is no longer read from the start.
"""

from __future__ import annotations

import time
from collections import deque

from hpdesk.plan import Plan
from hpdesk.runner.log_pipe import LogPipe
from hpdesk.runner.stdout_metrics import Point, StdoutParser
from hpdesk.store import Store
from hpdesk.store.trial_sink import SDK_METRICS_EVENT

SETTLE_S = 1.0


def stdout_parser(plan: Plan, store: Store, trial_id: int) -> StdoutParser:
    """The parser of a trial's output, continuing after the points stored for it."""
    return StdoutParser(plan.stdout_metrics.patterns, step=store.last_step(trial_id),
                        epoch=store.last_values(trial_id).get("epoch"))


class TrialOutput:
    """The points a trial's output pipe parsed, stored once they settle."""

    def __init__(self, trial_id: int, pipe: LogPipe) -> None:
        self.trial_id = trial_id
        self.pipe = pipe
        self._sdk_names: set[str] = set()
        self._events_seen = 0
        self._pending: deque[tuple[float, Point]] = deque()  # oldest first

    def read(self, store: Store, *, final: bool = False) -> int:
        """Store the points parsed so far that have settled; with `final` (the trial's process
        has exited) first wait until everything it printed is parsed (LogPipe.drain), then
        store every point. Returns the number of points written."""
        if final:
            self.pipe.drain()
        self._pending.extend(self.pipe.take())
        if not self._pending:
            return 0
        settled = time.monotonic() - SETTLE_S
        ready: list[Point] = []
        while self._pending and (final or self._pending[0][0] <= settled):
            ready.append(self._pending.popleft()[1])
        if not ready:
            return 0
        self._learn_sdk_names(store)
        wall = time.time()
        rows = [(self.trial_id, name, step, value, wall) for name, step, value in ready
                if name not in self._sdk_names]
        if rows:
            store.write_metrics(rows, replace=False)
        return len(rows)

    def _learn_sdk_names(self, store: Store) -> None:
        events = store.events(trial_id=self.trial_id, kinds=(SDK_METRICS_EVENT,))
        for event in events[self._events_seen:]:
            names = (event.data or {}).get("names", [])
            self._sdk_names.update(n for n in names if isinstance(n, str))
        self._events_seen = len(events)
