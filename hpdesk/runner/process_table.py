"""What the operating system says about processes, for process_tree.py: one snapshot of every
process (pid, parent, group, session, start time, zombie or not), signals that are never sent to
a reused pid, and the Linux child subreaper.

A process is known by (pid, start time), never by its pid alone: a pid is reused once its
process is reaped. Start times are epoch seconds computed as psutil.Process.create_time() does
(boot time plus /proc's clock ticks), so both compare equal for one process.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass

import psutil

PR_SET_CHILD_SUBREAPER = 36
PR_GET_CHILD_SUBREAPER = 37

_subreaper_lock = threading.Lock()
_subreaper_users = 0
_subreaper_before = 0


# -- the subreaper ----------------------------------------------------------------------------
def _prctl(option: int, value: int) -> int | None:
    """prctl(option, value) on Linux; None elsewhere or when it fails."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if option == PR_GET_CHILD_SUBREAPER:
            out = ctypes.c_int(0)
            if libc.prctl(option, ctypes.byref(out), 0, 0, 0) != 0:
                return None
            return out.value
        return 0 if libc.prctl(option, value, 0, 0, 0) == 0 else None
    except (OSError, AttributeError):
        return None


def is_subreaper() -> bool:
    """Whether orphaned descendants of this process are handed to it (Linux only)."""
    return bool(_prctl(PR_GET_CHILD_SUBREAPER, 0))


def enable_subreaper() -> bool:
    """Make this process a child subreaper until the matching `disable_subreaper` (nested
    users count); a no-op that returns False off Linux."""
    global _subreaper_users, _subreaper_before
    with _subreaper_lock:
        if _subreaper_users == 0:
            before = _prctl(PR_GET_CHILD_SUBREAPER, 0)
            if before is None or _prctl(PR_SET_CHILD_SUBREAPER, 1) is None:
                return False
            _subreaper_before = before
        _subreaper_users += 1
        return True


def disable_subreaper() -> None:
    """Undo one `enable_subreaper`; the last one restores what the process was before (a
    process that runs schedulers in turn, such as a test run, is not a subreaper for ever)."""
    global _subreaper_users
    with _subreaper_lock:
        if _subreaper_users == 0:
            return
        _subreaper_users -= 1
        if _subreaper_users == 0:
            _prctl(PR_SET_CHILD_SUBREAPER, _subreaper_before)


# -- the process table ------------------------------------------------------------------------
@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    pgid: int
    sid: int
    created: float  # epoch seconds, as psutil.Process.create_time() says
    zombie: bool


class Table:
    """One snapshot of every process on the machine, with each one's children."""

    def __init__(self, procs: Mapping[int, Proc]) -> None:
        self.procs = dict(procs)
        self.children: dict[int, list[int]] = {}
        for proc in self.procs.values():
            self.children.setdefault(proc.ppid, []).append(proc.pid)

    def same(self, pid: int, created: float | None) -> Proc | None:
        """The process `pid` if it is still the one that started at `created`."""
        proc = self.procs.get(pid)
        if proc is None or (created is not None and abs(proc.created - created) > 0.005):
            return None
        return proc


def _boot_time() -> float:
    with open("/proc/stat", "rb") as fh:
        for line in fh:
            if line.startswith(b"btime"):
                return float(line.split()[1])
    raise OSError("no btime in /proc/stat")


def _read_stat(pid: int, boot: float, hz: int) -> Proc | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read()
        f = raw[raw.rindex(b")") + 2:].split()
        return Proc(pid, int(f[1]), int(f[2]), int(f[3]), boot + int(f[19]) / hz, f[0] == b"Z")
    except (OSError, ValueError, IndexError):
        return None


def scan() -> Table:
    """Every process now: /proc on Linux (one read per process), psutil elsewhere."""
    if os.path.exists("/proc/self/stat"):
        try:
            boot, hz = _boot_time(), os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError):
            pass
        else:
            procs = {}
            for name in os.listdir("/proc"):
                if name.isdigit() and (proc := _read_stat(int(name), boot, hz)) is not None:
                    procs[proc.pid] = proc
            return Table(procs)
    procs = {}
    for p in psutil.process_iter(["ppid", "create_time", "status"]):
        try:
            pgid, sid = (os.getpgid(p.pid), os.getsid(p.pid)) if hasattr(os, "getsid") else (-1, -1)
        except OSError:
            continue
        procs[p.pid] = Proc(p.pid, p.info["ppid"] or 0, pgid, sid, p.info["create_time"] or 0.0,
                            p.info["status"] == psutil.STATUS_ZOMBIE)
    return Table(procs)


def created_at(pid: int) -> float | None:
    """When `pid` started (epoch seconds, as in `scan`), or None when it is gone."""
    if os.path.exists("/proc/self/stat"):
        try:
            proc = _read_stat(pid, _boot_time(), os.sysconf("SC_CLK_TCK"))
        except (OSError, ValueError):
            proc = None
        return None if proc is None else proc.created
    try:
        return psutil.Process(pid).create_time()
    except (psutil.Error, OSError):
        return None


def environ_of(pid: int) -> dict[str, str] | None:
    """The environment `pid` started with (None: gone, a zombie, or not ours to read)."""
    try:
        return psutil.Process(pid).environ()
    except (psutil.Error, OSError):
        return None


def send(pid: int, created: float, sig: int) -> bool:
    """Signal the process (pid, created) unless its pid now belongs to another process."""
    now = created_at(pid)
    if now is None or abs(now - created) > 0.005 or pid == os.getpid():
        return False
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def kill_group(pgid: int, sig: int) -> None:
    if pgid == os.getpgrp():
        return  # never this process's own group
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError, OSError):
        pass
