"""The SDK's buffer is shared by `report()` (the training thread) and the background writer:
a point reported while the writer takes a batch must land in that batch or the next, never in
between (CI once lost step 2144 of 2,500 this way)."""

from __future__ import annotations

import sys
import time

from hpdesk.sdk import Reporter
from hpdesk.store.trial_sink import Point, Sink


class SlowSink(Sink):
    """Takes what it is given, then lingers, as a database write does."""

    def __init__(self) -> None:
        self.points: list[Point] = []

    def write(self, points: list[Point]) -> None:
        self.points.extend(list(points))
        time.sleep(0.0005)

    def announce(self, names: list[str]) -> None:
        pass


def test_no_point_is_lost_while_the_writer_takes_a_batch() -> None:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # thread switches between almost every bytecode
    try:
        sink = SlowSink()
        reporter = Reporter(sink, background=True)
        steps = 20_000
        metrics = [f"m{i}" for i in range(8)]
        for step in range(steps):
            reporter.report(step, dict.fromkeys(metrics, 1.0))
            if step % 97 == 0:
                reporter._wake.set()  # the writer takes a batch now, mid-stream
        reporter.close()
    finally:
        sys.setswitchinterval(old)
    assert len(sink.points) == steps * len(metrics)
    assert sorted({(n, s) for n, s, _, _ in sink.points}) == sorted(
        (n, s) for n in metrics for s in range(steps))
