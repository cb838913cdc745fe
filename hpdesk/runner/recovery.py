"""Finding experiments whose scheduler died, so no trial stays "running" for ever.

Any hpdesk process that opens a database calls `recover_lost`: a running experiment whose
scheduler is gone (its pid has exited on this host, or its heartbeat went silent elsewhere) is
marked interrupted, its orphaned trial processes are stopped, and its running trials become
interrupted; `hpdesk resume` then re-queues them (built-in tasks continue from their checkpoint).
"""

from __future__ import annotations

import os
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from hpdesk.store import Experiment, Store, Trial

STALE_AFTER_S = 60.0  # the scheduler beats every 2 s: 30 missed beats mean it is gone
TRIAL_GRACE_S = 5.0


def pid_alive(pid: int | None) -> bool:
    """Whether `pid` runs on this host (a zombie counts as gone)."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc (macOS): trust kill(0)


def _process_env(pid: int) -> dict[str, str] | None:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}


def process_started_at(pid: int) -> float | None:
    """When `pid` started, in epoch seconds (Linux /proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, StopIteration):
        return None


def is_trial_process(pid: int | None, trial_id: int, started_at: float | None = None) -> bool:
    """True only for the process that runs `trial_id` (guards against a reused pid): its
    environment names the trial, or (a trial forked by the warm launcher, whose /proc environ is
    the template's) it started when the trial did."""
    if not pid_alive(pid):
        return False
    assert pid is not None
    env = _process_env(pid)
    if env is None:
        return True  # cannot check (no /proc): the pid is alive and was recorded for it
    if "HPDESK_TRIAL_ID" in env:
        return env["HPDESK_TRIAL_ID"] == str(trial_id)
    began = process_started_at(pid)
    return began is not None and started_at is not None and abs(began - started_at) < 10.0


@dataclass(frozen=True)
class Liveness:
    alive: bool
    reason: str


def scheduler_liveness(exp: Experiment, *, now: float | None = None) -> Liveness:
    now = time.time() if now is None else now
    if exp.scheduler_host == socket.gethostname():
        if pid_alive(exp.scheduler_pid):
            return Liveness(True, f"scheduler pid {exp.scheduler_pid} is running")
        return Liveness(False, f"its scheduler (pid {exp.scheduler_pid}) is no longer running")
    age = now - (exp.heartbeat_at or exp.updated_at)
    if age <= STALE_AFTER_S:
        return Liveness(True, f"heartbeat {age:.0f}s ago from {exp.scheduler_host}")
    return Liveness(False, f"no heartbeat from {exp.scheduler_host} for {age:.0f}s")


def stop_trial_process(trial: Trial, grace_s: float = TRIAL_GRACE_S) -> None:
    """SIGTERM the trial's process group (it flushes and exits), SIGKILL after the grace."""
    if trial.host not in (None, socket.gethostname()) or not is_trial_process(
            trial.pid, trial.id, trial.started_at):
        return
    assert trial.pid is not None
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(trial.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and pid_alive(trial.pid):
            time.sleep(0.05)
        if not pid_alive(trial.pid):
            return


def recover_lost(store: Store) -> list[int]:
    """Mark experiments with a dead scheduler interrupted; returns their ids."""
    recovered = []
    for exp in store.experiments():
        if exp.state != "running":
            continue
        liveness = scheduler_liveness(exp)
        if liveness.alive:
            continue
        for trial in store.trials(exp.id):
            if trial.state != "running":
                continue
            stop_trial_process(trial)
            store.update_trial(trial.id, state="interrupted", ended_at=time.time(),
                               message=f"interrupted: {liveness.reason}")
            store.add_event("interrupted", liveness.reason, trial_id=trial.id, level="warning")
        store.update_experiment(exp.id, state="interrupted", requested_state=None)
        store.add_event("scheduler_lost", f"experiment interrupted: {liveness.reason}",
                        experiment_id=exp.id, level="warning")
        recovered.append(exp.id)
    return recovered


def open_store(path: str | os.PathLike[str], *, must_exist: bool = False) -> Store:
    """A store with lost experiments already recovered: what every hpdesk command opens."""
    store = Store(path, must_exist=must_exist)
    recover_lost(store)
    return store
