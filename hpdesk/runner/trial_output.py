"""Reading one running script's output into metric points, beside what it reports itself.

A script may use the SDK and also print: its SDK points are the truth, so a name the SDK reports
is never read from the output. The SDK says which names it reports in an event written before
`report()` returns, so before the script prints the same value; and parsed points wait
`SETTLE_S` before they are written, so a script that prints a value a moment before reporting
it (or before its first report) keeps its SDK points alone too. Parsed points never replace a
stored point.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path

from hpdesk.plan import Plan
from hpdesk.runner.stdout_metrics import LogTail, Point, StdoutParser
from hpdesk.sdk import SDK_METRICS_EVENT
from hpdesk.store import Store

SETTLE_S = 1.0
READ_PER_POLL = 4_000_000  # bytes of output read per poll while the trial runs


class TrialOutput:
    """A trial's log turned into stored metric points. A trial that runs again (resumed after an
    interruption) appends to its log, and its log is read from the start again: the earlier
    runs' lines give the same points at the same steps (stored ones are kept, lines printed
    while no scheduler read them are added), and this run's points follow them."""

    def __init__(self, plan: Plan, trial_id: int, log_path: Path) -> None:
        self.trial_id = trial_id
        self.tail = LogTail(log_path)
        self.parser = StdoutParser(plan.stdout_metrics.patterns)
        self._sdk_names: set[str] = set()
        self._events_seen = 0
        self._pending: deque[tuple[float, Point]] = deque()  # oldest first

    def read(self, store: Store, *, final: bool = False) -> int:
        """Parse what was printed since the last call (everything, when `final`) and store what
        has settled (everything, when `final`); returns the number of points written."""
        lines = self.tail.drain() if final else self.tail.new_lines(READ_PER_POLL)
        now = time.monotonic()
        for line in lines:
            for point in self.parser.parse_line(line):
                self._pending.append((now, point))
        settled = now - SETTLE_S
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
