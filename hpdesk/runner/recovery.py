"""Finding experiments whose scheduler died, so no trial stays "running" for ever.

Any hpdesk process that opens a database calls `recover_lost`: a running experiment whose
scheduler is gone (its pid has exited on this host, or its heartbeat went silent elsewhere) is
marked interrupted, its orphaned trial processes are stopped, and its running trials become
interrupted; `hpdesk resume` then re-queues them (built-in tasks continue from their checkpoint).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sqlite3
import time
from dataclasses import dataclass

import psutil

from hpdesk.runner.process_table import created_at, environ_of
from hpdesk.store import Experiment, Store, Trial, lock_busy

STALE_AFTER_S = 60.0  # the scheduler beats every 2 s: 30 missed beats mean it is gone
START_TIME_SLACK_S = 0.5  # create_time is read from /proc in clock ticks: equal for one process
TRIAL_GRACE_S = 5.0
RECOVERY_WAIT_S = 1.0
log = logging.getLogger(__name__)


def pid_alive(pid: int | None) -> bool:
    """Whether `pid` runs on this host (a zombie counts as gone)."""
    if not pid or pid <= 0:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def process_started_at(pid: int | None) -> float | None:
    """When `pid` started, in epoch seconds, or None when it is gone. With the pid it names one
    process for good: a reused pid has another start time."""
    return created_at(pid) if pid and pid > 0 else None


def same_process(pid: int | None, started_at: float | None) -> bool:
    """True while the process recorded as (`pid`, `started_at`) still runs. Without a recorded
    start time (rows written before schema 5) the pid alone has to do."""
    if not pid_alive(pid):
        return False
    if started_at is None:
        return True
    began = process_started_at(pid)
    return began is not None and abs(began - started_at) < START_TIME_SLACK_S


def is_trial_process(pid: int | None, trial_id: int, started_at: float | None = None,
                     process_started: float | None = None) -> bool:
    """True only for the process that runs `trial_id` (guards against a reused pid): its
    recorded start time matches, or (rows without one) its environment names the trial, or (a
    trial forked by the warm launcher, whose environ is the template's) it started when the
    trial did."""
    if process_started is not None:
        return same_process(pid, process_started)
    if not pid_alive(pid):
        return False
    assert pid is not None
    env = environ_of(pid)
    if env is None:
        return True  # cannot check: the pid is alive and was recorded for it
    if "HPDESK_TRIAL_ID" in env:
        return env["HPDESK_TRIAL_ID"] == str(trial_id)
    began = process_started_at(pid)
    return began is not None and started_at is not None and abs(began - started_at) < 10.0


@dataclass(frozen=True)
class Liveness:
    alive: bool
    reason: str


def scheduler_liveness(exp: Experiment, *, now: float | None = None) -> Liveness:
    """Alive = its process (pid and start time) runs and its heartbeat is fresh; on another
    host only the heartbeat can tell. A scheduler whose process runs but has not beaten for
    `STALE_AFTER_S` is hung, and counts as gone."""
    now = time.time() if now is None else now
    age = now - (exp.heartbeat_at or exp.updated_at)
    if exp.scheduler_host == socket.gethostname():
        if not pid_alive(exp.scheduler_pid):
            return Liveness(False, f"its scheduler (pid {exp.scheduler_pid}) is no longer running")
        if not same_process(exp.scheduler_pid, exp.scheduler_started_at):
            return Liveness(False, f"its scheduler (pid {exp.scheduler_pid}) is gone; the pid now "
                                   "belongs to another process")
        if age > STALE_AFTER_S:
            return Liveness(False, f"its scheduler (pid {exp.scheduler_pid}) is hung: no "
                                   f"heartbeat for {age:.0f}s")
        return Liveness(True, f"scheduler pid {exp.scheduler_pid} is running")
    if age <= STALE_AFTER_S:
        return Liveness(True, f"heartbeat {age:.0f}s ago from {exp.scheduler_host}")
    return Liveness(False, f"no heartbeat from {exp.scheduler_host} for {age:.0f}s")


def claim_check(exp: Experiment) -> str | None:
    """For `Store.claim_scheduler`: why the recorded scheduler still holds the experiment, or
    None when it is gone (or hung) and may be replaced."""
    liveness = scheduler_liveness(exp)
    return liveness.reason if liveness.alive else None


def stop_trial_process(trial: Trial, grace_s: float = TRIAL_GRACE_S) -> int:
    """End the whole process tree of a trial whose scheduler is gone: SIGTERM to its process
    group (it flushes and exits) and to every process found for it, SIGKILL to what is left
    after the grace. Found: the descendants of its pid (if that is still the trial's process),
    its group and session, and, in any session, processes whose environment names the trial
    (its id, folder and database as recorded) and that started after it (a `setsid` child,
    a daemon). Returns how many processes it found, the trial's own included."""
    from hpdesk.runner.process_tree import ProcessTree, end_tree

    if trial.host not in (None, socket.gethostname()):
        return 0
    ours = is_trial_process(trial.pid, trial.id, trial.started_at, trial.process_started_at)
    recorded = (trial.provenance or {}).get("env") or {}
    env = {k: str(v) for k, v in recorded.items() if k in ("HPDESK_TRIAL_DIR", "HPDESK_DB")}
    since = trial.process_started_at or trial.started_at
    tree = ProcessTree(trial.id, trial.pid if ours else None,
                       root_created=None if ours else since, env=env)
    return end_tree(tree, grace_s=grace_s, everywhere=True, polite=signal.SIGTERM)


def recover_lost(store: Store, *, wait_s: float = RECOVERY_WAIT_S) -> list[int]:
    """Mark experiments with a dead scheduler interrupted; returns their ids.

    Every change is a compare-and-set (two processes recovering at once do it once), and the
    wait for the database lock is short: recovery is a courtesy that any later command repeats,
    so a database held by a frozen process does not make `hpdesk status` wait."""
    try:
        with store.waiting_at_most(wait_s):
            return _recover(store)
    except sqlite3.OperationalError as exc:
        if not lock_busy(exc):
            raise
        log.info("recovery skipped, the database is busy: %s", exc)
        return []


def _recover(store: Store) -> list[int]:
    recovered = []
    for exp in store.experiments():
        if exp.state != "running":
            continue
        liveness = scheduler_liveness(exp)
        if liveness.alive or not store.update_experiment(
                exp.id, expect="running", state="interrupted", requested_state=None):
            continue  # alive, or another process recovered it first
        for trial in store.trials(exp.id):
            if trial.state != "running":
                continue
            stop_trial_process(trial)
            if store.update_trial(trial.id, expect="running", state="interrupted",
                                  ended_at=time.time(),
                                  message=f"interrupted: {liveness.reason}"):
                store.add_event("interrupted", liveness.reason, trial_id=trial.id,
                                level="warning")
        _stop_private_head(store, exp.id)
        store.add_event("scheduler_lost", f"experiment interrupted: {liveness.reason}",
                        experiment_id=exp.id, level="warning")
        recovered.append(exp.id)
    return recovered


def _stop_private_head(store: Store, experiment_id: int) -> None:
    """A Ray executor's private head outlives a killed scheduler: it is ended here (its jobs
    with it; a resume starts a new head and runs them again)."""
    from hpdesk.runner.paths import experiment_dir
    from hpdesk.runner.ray_head import stop_recorded_head

    try:
        if stop_recorded_head(experiment_dir(store, experiment_id)):
            log.info("ended the private Ray head of experiment %s", experiment_id)
    except OSError as exc:
        log.warning("could not end the private Ray head of experiment %s: %s",
                    experiment_id, exc)


def open_store(
    path: str | os.PathLike[str], *, must_exist: bool = False, for_writing: bool = False
) -> Store:
    """A store with lost experiments already recovered: what every hpdesk command opens.

    With `for_writing` (creating an experiment, running a scheduler) a file that is read-only,
    on a full disk or damaged is refused here, before anything is written. Without it reading
    always works: recovery, which writes, is skipped with a warning when the file cannot be
    written, and the integrity check runs only when there is something to recover.

    Raises:
        StoreError: as `Store`; with `for_writing`, `ReadOnlyError`, `DiskFullError` or
            `DamagedError` (see `Store.ensure_writable`).
    """
    from hpdesk.store.connection import StoreError, storage_failure

    store = Store(path, must_exist=must_exist)
    try:
        if for_writing:
            store.ensure_writable()
        if not any(exp.state == "running" and not scheduler_liveness(exp).alive
                   for exp in store.experiments()):
            return store
        try:
            store.ensure_writable()
            recover_lost(store)
        except (StoreError, sqlite3.Error, OSError) as exc:
            failure = storage_failure(exc, store.path)
            if failure is None:
                raise
            log.warning("experiments whose scheduler is gone are still shown as running: %s",
                        failure)
    except BaseException:
        store.close()
        raise
    return store
