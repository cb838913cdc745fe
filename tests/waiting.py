"""Waiting in tests: for a condition, with a bounded deadline, never for a fixed time.

A fixed `time.sleep(N)` before an assertion is both slow (N is chosen for the slowest machine)
and flaky (a busier machine needs N + 1). `wait_until` returns as soon as the condition holds
and fails with a message naming what never happened. GUI tests use `qtbot.waitUntil`, which
keeps the Qt event loop running while it waits.

`trial_starts` counts the processes the fake trainer (tests/fixtures/fake_train.py) started, per
trial id, through a file it appends to: a resume that replays a finished trial, or starts one
twice, shows there even when the database looks right.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

#: The environment variable that asks fake_train.py to append "<trial id> <pid>" to a file.
STARTS_ENV = "HPDESK_TEST_STARTS_FILE"


def wait_until(predicate: Callable[[], object], timeout: float = 60.0, *,
               interval: float = 0.05, what: str = "") -> None:
    """Return once `predicate()` is true; raise AssertionError after `timeout` seconds.

    The predicate is tried once more at the deadline, so a slow last poll still counts.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            if predicate():
                return
            raise AssertionError(f"timed out after {timeout:g} s waiting for "
                                 f"{what or getattr(predicate, '__name__', 'a condition')}")
        time.sleep(interval)


def trial_starts(path: Path) -> Counter[int]:
    """How many times fake_train.py started for each trial id (see STARTS_ENV)."""
    if not path.exists():
        return Counter()
    return Counter(int(line.split()[0]) for line in path.read_text().splitlines() if line)
