"""Telling a hung trial from a slow one: progress is a new metric point, new output, or CPU time.

A trial that trains for an hour between two reports still burns CPU (the GPU's driver spins a
core too); one that deadlocked, waits on a dead NFS mount or was frozen by SIGSTOP does not.
Only when all three are silent for the plan's `executor.stall_timeout` is the trial stalled:
marked (the window shows it), and stopped as failed when `executor.on_stall` is "stop".
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import psutil

from hpdesk.plan import Executor
from hpdesk.runner.running import RunningTrial, signal_group
from hpdesk.store import Store

PROGRESS_WRITE_S = 10.0  # how often a trial's last_report_at is written while it progresses


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of `pid` and its live descendants, or None when it is gone."""
    try:
        proc = psutil.Process(pid)
        total = sum(proc.cpu_times()[:2])
        for child in proc.children(recursive=True):
            try:
                total += sum(child.cpu_times()[:2])
            except psutil.Error:
                continue
        return total
    except psutil.Error:
        return None


def output_mark(path: str | os.PathLike[str] | None) -> tuple[int, int] | None:
    """The log's size and modification time: either moves when the trial prints."""
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


@dataclass
class Progress:
    """What was last seen of one trial, and when it last moved (monotonic seconds)."""

    moved_at: float
    rowid: int = 0
    output: tuple[int, int] | None = None
    cpu: float | None = None
    stalled: bool = False

    def observe(self, now: float, *, rowid: int, output: tuple[int, int] | None,
                cpu: float | None, cpu_floor_s: float = 0.05) -> bool:
        """Record a look; True when the trial made progress since the last one."""
        moved = (rowid > self.rowid or output != self.output
                 or (cpu is not None and self.cpu is not None and cpu - self.cpu > cpu_floor_s))
        self.rowid = max(self.rowid, rowid)
        self.output = output
        if cpu is not None:
            self.cpu = cpu
        if moved:
            self.moved_at = now
        return moved

    def silent_for(self, now: float) -> float:
        return now - self.moved_at


class StallWatch:
    """The scheduler's look, each heartbeat, at who made progress and who is stalled."""

    def __init__(self, store: Store, executor: Executor, echo: Callable[[str], None]) -> None:
        self.store, self.executor, self.echo = store, executor, echo
        self._seen: dict[int, Progress] = {}
        self._rowid = 0  # points after this rowid are new

    def started(self, trial_id: int) -> None:
        self._seen[trial_id] = Progress(time.monotonic())

    def check(self, running: Mapping[int, RunningTrial]) -> None:
        now, wall = time.monotonic(), time.time()
        moved_rows = self.store.progress_after(self._rowid, list(running))
        if moved_rows:
            self._rowid = max(self._rowid, *moved_rows.values())
        for trial_id in set(self._seen) - running.keys():
            del self._seen[trial_id]
        for trial_id, run in running.items():
            seen = self._seen.setdefault(trial_id, Progress(now))
            moved = seen.observe(now, rowid=moved_rows.get(trial_id, 0),
                                 output=output_mark(run.trial.log_path),
                                 cpu=cpu_seconds(run.proc.pid))
            if moved and (seen.stalled or now - run.progress_written >= PROGRESS_WRITE_S):
                run.progress_written = now
                self.store.update_trial(trial_id, last_report_at=wall, stalled_since=None)
                if seen.stalled:
                    seen.stalled = False
                    self.store.add_event("progress", "making progress again", trial_id=trial_id)
            limit = self.executor.stall_timeout
            if limit is not None and not seen.stalled and seen.silent_for(now) >= limit:
                self._stalled(run, seen.silent_for(now), wall)
                seen.stalled = True

    def _stalled(self, run: RunningTrial, silent: float, wall: float) -> None:
        stop = self.executor.on_stall == "stop"
        trial_id = run.trial.id
        self.store.update_trial(trial_id, stalled_since=wall - silent)
        self.store.add_event(
            "stalled", f"no metric point, no output and no CPU time for {silent:.0f}s"
            + ("; stopping it" if stop else ""), trial_id=trial_id, level="warning")
        self.echo(f"trial {run.trial.number} is stalled: no progress for {silent:.0f}s")
        if stop and not run.stop_asked:
            run.stalled_for = silent
            run.stop_asked = True
            self.store.update_trial(trial_id, requested_state="stopped")
            run.ask_to_stop()
            signal_group(run.proc, signal.SIGCONT)  # a frozen one must see the signal
