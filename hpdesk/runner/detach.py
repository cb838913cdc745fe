"""Starting a scheduler that outlives the terminal (or the window) that asked for it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

from hpdesk.runner.outcome import log_tail
from hpdesk.runner.paths import experiment_dir
from hpdesk.runner.recovery import pid_alive
from hpdesk.store import Store, StoreError

START_TIMEOUT_S = 60.0


def spawn_scheduler(store: Store, experiment_id: int, *, python: str | None = None) -> int:
    """Launch `hpdesk scheduler` in its own session; return its pid once it has taken over the
    experiment (its first heartbeat), or raise with the last lines of its log."""
    folder = experiment_dir(store, experiment_id)
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / "scheduler.log"
    before = store.experiment(experiment_id).heartbeat_at or 0.0
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [python or sys.executable, "-m", "hpdesk.cli", "scheduler",
             "--db", str(store.path.resolve()), "--experiment", str(experiment_id)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        exp = store.experiment(experiment_id)
        if exp.scheduler_pid == proc.pid and (exp.heartbeat_at or 0.0) > before:
            return proc.pid
        if proc.poll() is not None or not pid_alive(proc.pid):
            tail = log_tail(log_path, 5) or _last_error(store, experiment_id)
            raise StoreError(f"the scheduler of experiment {experiment_id} exited at once "
                             f"({log_path}): {tail}")
        time.sleep(0.1)
    return proc.pid  # slow to start (a busy machine) but alive: status will show it


def _last_error(store: Store, experiment_id: int) -> str:
    """What the experiment's timeline last said went wrong: the reason when the scheduler's log
    stayed empty (a full disk takes the log before the database, whose reserve it freed)."""
    try:
        errors = [e for e in store.events(experiment_id=experiment_id) if e.level == "error"]
    except sqlite3.Error:
        errors = []
    return errors[-1].message if errors else "it wrote nothing to its log"
