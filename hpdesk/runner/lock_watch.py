"""Finding a trial frozen while it holds the database's write lock, and ending it.

SQLite lets one writer at a time. A trial stopped by SIGSTOP (a debugger, a suspended job, a
frozen NFS read) in the middle of its write transaction keeps that lock for ever, and every
other writer waits: the other trials, the scheduler, the window. A thread in the scheduler looks
at who holds the lock (Linux lists every POSIX and flock lock with its owner's pid in
/proc/locks; in WAL mode SQLite's write lock is byte 120 of the `-shm` file) and ends a trial of
its own that has held it while stopped for `FROZEN_AFTER_S`. Killing releases the lock; its
uncommitted batch is rolled back, every committed point stays. Outside Linux the thread finds
nothing and lock waits stay bounded by the busy timeout alone.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import psutil

from hpdesk.runner.running import RunningTrial

log = logging.getLogger(__name__)

FROZEN_AFTER_S = 5.0  # stopped and holding the lock this long: frozen, not a short pause
CHECK_EVERY_S = 0.5
WAL_WRITE_LOCK_BYTE = 120  # SQLite's WAL_WRITE_LOCK: the first lock byte of the -shm file
_STOPPED = (psutil.STATUS_STOPPED, psutil.STATUS_TRACING_STOP)


def lock_holders(db_path: str | os.PathLike[str]) -> set[int]:
    """Pids that hold the write lock of the database at `db_path`: SQLite's WAL write lock and
    the SDK's writer queue (`-writers.lock`). Empty where /proc/locks does not exist."""
    inodes = set()
    for suffix in ("-shm", "-writers.lock"):
        try:
            inodes.add(os.stat(f"{db_path}{suffix}").st_ino)
        except OSError:
            pass
    try:
        text = Path("/proc/locks").read_text()
    except OSError:
        return set()
    holders = set()
    for line in text.splitlines():
        # "1: POSIX  ADVISORY  WRITE 4242 08:01:1234 120 120" (blocked waiters start "->").
        fields = line.split()
        if len(fields) < 8 or fields[1] == "->" or fields[3] != "WRITE":
            continue
        try:
            pid, inode = int(fields[4]), int(fields[5].rsplit(":", 1)[1])
        except (ValueError, IndexError):
            continue
        if inode not in inodes or pid <= 0:
            continue
        if fields[1] == "FLOCK" or _covers(fields[6], fields[7], WAL_WRITE_LOCK_BYTE):
            holders.add(pid)
    return holders


def _covers(start: str, end: str, byte: int) -> bool:
    try:
        return int(start) <= byte and (end == "EOF" or byte <= int(end))
    except ValueError:
        return False


def tree_pids(running: Mapping[int, RunningTrial]) -> dict[int, int]:
    """Every process of the running trials (pid -> trial id): each trial's own and the members
    of its tree, as the scheduler's tree keeper last sampled them. Called from the watch's
    thread: the mappings are copied first (one C-level copy each)."""
    out: dict[int, int] = {}
    for trial_id, run in list(running.items()):
        out[run.proc.pid] = trial_id
        out.update(dict.fromkeys(dict(run.tree.members), trial_id))
    return out


def is_stopped(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() in _STOPPED
    except psutil.Error:
        return False


class LockWatch:
    """A daemon thread: every `CHECK_EVERY_S`, the lock's holders among `trial_pids()` (pid of a
    trial or of one of its processes -> trial id) that are stopped; one seen stopped and holding
    for `frozen_after_s` is killed with its process group, and `frozen` names its trial."""

    def __init__(
        self, db_path: str | os.PathLike[str], trial_pids: Callable[[], dict[int, int]], *,
        frozen_after_s: float = FROZEN_AFTER_S,
    ) -> None:
        self._db_path = str(db_path)
        self._trial_pids = trial_pids
        self._frozen_after = frozen_after_s
        self._since: dict[int, float] = {}
        self.frozen: dict[int, str] = {}  # trial id -> why it was ended
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hpdesk-lock-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._done.set()
        self._thread.join(timeout=2.0)

    def _run(self) -> None:
        while not self._done.wait(CHECK_EVERY_S):
            try:
                self.check()
            except Exception:  # a watchdog must not die of one bad read
                log.warning("lock watch failed", exc_info=True)

    def check(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        ours = self._trial_pids()
        frozen = {pid for pid in lock_holders(self._db_path) & ours.keys() if is_stopped(pid)}
        self._since = {pid: self._since.get(pid, now) for pid in frozen}
        for pid, since in self._since.items():
            trial_id = ours[pid]
            if now - since < self._frozen_after or trial_id in self.frozen:
                continue
            waited = now - since
            self.frozen[trial_id] = (
                f"frozen (stopped by a signal) while holding the database's write lock for "
                f"{waited:.0f}s; ended so the other trials could go on")
            log.warning("trial id %s (pid %s) froze holding the write lock: killing it",
                        trial_id, pid)
            for kill in (os.killpg, os.kill):  # its group when it leads one, else the process
                try:
                    kill(pid, signal.SIGKILL)
                    break
                except (ProcessLookupError, PermissionError):
                    continue
