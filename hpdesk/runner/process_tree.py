"""Every process a trial started ends with it (issue 11, item 6).

A trial runs in a session and process group of its own, so one `killpg` reaches what it starts,
unless a child leaves the group: `setsid`, a daemon's double fork. Such a child is in no group of
ours, and once its parent exits Linux hands it to init. So the scheduler makes itself a child
subreaper (prctl PR_SET_CHILD_SUBREAPER): an orphaned descendant of a trial is handed to the
scheduler instead, where its environment (HPDESK_TRIAL_ID, inherited across exec) says whose it is.

A `ProcessTree` is what one trial is known to have started: its descendants, sampled while it
runs, the members of its process group and session, and the orphans adopted by the scheduler
that name it. A process is known by (pid, start time), never by its pid alone: a pid is reused
once its process is reaped, and a reused pid is never signalled.

A `TreeKeeper` (one per scheduler, used from the scheduler's thread only) samples the running
trials' trees, ends what a finished trial left behind (SIGTERM, SIGKILL after a short grace, done
a step per poll so the loop never waits on it), records how many on the trial's timeline, and
reaps the adopted processes once they are dead. It reaps only pids it knows are not the
scheduler's own `Popen` children (never `waitpid(-1)`, which would steal their exit status).
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hpdesk.runner.process_table import (
    Proc,
    Table,
    created_at,
    disable_subreaper,
    enable_subreaper,
    environ_of,
    kill_group,
    scan,
    send,
)

if TYPE_CHECKING:
    from hpdesk.store import Store

log = logging.getLogger(__name__)

LEFTOVER_GRACE_S = 1.0  # SIGTERM to what a finished trial left, SIGKILL after this
KILL_WAIT_S = 3.0  # after SIGKILL: a process in uninterruptible sleep is given up on after this
SAMPLE_EVERY_S = 0.5  # a full scan of the process table costs ~1 ms per 60 processes
START_SLACK_S = 1.0  # a process of the trial cannot have started this long before its root
TRIAL_ID_ENV = "HPDESK_TRIAL_ID"


# -- one trial's tree -------------------------------------------------------------------------
@dataclass
class ProcessTree:
    """The processes one trial started (its root excluded: whoever started the root waits for
    it). `env` names the variables an adopted or stray process must carry to count as the
    trial's (HPDESK_TRIAL_ID at least)."""

    trial_id: int
    root_pid: int | None
    root_created: float | None = None
    env: dict[str, str] = field(default_factory=dict)
    members: dict[int, float] = field(default_factory=dict)  # pid -> start time
    _not_ours: set[tuple[int, float]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.env.setdefault(TRIAL_ID_ENV, str(self.trial_id))
        if self.root_pid is not None and self.root_created is None:
            self.root_created = created_at(self.root_pid)

    def sample(self, table: Table, *, adopter: int | None = None,
               everywhere: bool = False) -> None:
        """Add what belongs to the trial now: descendants of its root and of every member,
        its group and session, and processes carrying its environment among the children of
        `adopter` (the subreaper) or, `everywhere`, among all processes."""
        self.members = {pid: c for pid, c in self.members.items() if table.same(pid, c)}
        root = self._root(table)
        start: list[int] = [root.pid] if root is not None else []
        if self.root_pid is not None and self._group_is_ours(table):
            start += [p.pid for p in table.procs.values() if p.pid != self.root_pid
                      and self.root_pid in (p.pgid, p.sid)]
        candidates: Iterable[int] = ()
        if everywhere:
            candidates = list(table.procs)
        elif adopter is not None:
            candidates = table.children.get(adopter, ())
        start += [pid for pid in candidates if self._carries_env(table.procs[pid])]
        start += list(self.members)
        seen = set()
        while start:
            pid = start.pop()
            if pid in seen:
                continue
            seen.add(pid)
            if pid != self.root_pid and pid in table.procs:
                self.members[pid] = table.procs[pid].created
            start.extend(table.children.get(pid, ()))

    def living(self, table: Table) -> list[Proc]:
        """Members still running (zombies are dead: only their reaping is left)."""
        found = (table.same(pid, c) for pid, c in self.members.items())
        return [p for p in found if p is not None and not p.zombie]

    def signal(self, sig: int, table: Table | None = None) -> int:
        """Send `sig` to every living member (identity checked); how many got it."""
        table = table or scan()
        return sum(send(p.pid, p.created, sig) for p in self.living(table))

    def _root(self, table: Table) -> Proc | None:
        if self.root_pid is None or self.root_created is None:
            return None  # never seen alive: its pid may already be someone else's
        return table.same(self.root_pid, self.root_created)

    def _group_is_ours(self, table: Table) -> bool:
        """The root's pid still means the trial's group and session: the kernel keeps a pid
        while a group or session carries it, so only a live process with that pid that is not
        the root (a reused pid) makes it someone else's."""
        assert self.root_pid is not None
        holder = table.procs.get(self.root_pid)
        if holder is None:
            return True
        return self.root_created is not None and table.same(self.root_pid,
                                                            self.root_created) is not None

    def _carries_env(self, proc: Proc) -> bool:
        if proc.pid == self.root_pid or proc.pid in self.members or proc.zombie:
            return False
        key = (proc.pid, proc.created)
        if key in self._not_ours:
            return False
        if self.root_created is not None and proc.created < self.root_created - START_SLACK_S:
            self._not_ours.add(key)  # older than the trial (the warm template, say)
            return False
        env = environ_of(proc.pid)
        if env is None or any(env.get(k) != v for k, v in self.env.items()):
            self._not_ours.add(key)
            return False
        return True


# -- ending a tree ----------------------------------------------------------------------------
def end_tree(tree: ProcessTree, *, grace_s: float, everywhere: bool = False,
             polite: int = signal.SIGTERM) -> int:
    """End a tree now, waiting at most `grace_s` plus KILL_WAIT_S: `polite` to the root's
    group and every member, SIGKILL to what is left after the grace. For a tree whose
    scheduler is gone (recovery); returns how many processes it found."""
    table = scan()
    tree.sample(table, everywhere=everywhere)
    found = {p.pid for p in tree.living(table)}
    root = tree._root(table)
    if root is not None:
        found.add(root.pid)
        kill_group(root.pid, polite)
    tree.signal(polite, table)
    deadline = time.monotonic() + grace_s
    killed = False
    while True:
        time.sleep(0.05)
        table = scan()
        tree.sample(table)
        root = tree._root(table)
        left = tree.living(table) + ([root] if root is not None and not root.zombie else [])
        if not left:
            return len(found)
        now = time.monotonic()
        if now >= deadline + KILL_WAIT_S:
            log.warning("trial %s: processes %s did not end", tree.trial_id,
                        [p.pid for p in left])
            return len(found)
        if now >= deadline:
            if root is not None and not killed:
                kill_group(root.pid, signal.SIGKILL)
            killed = True
            for proc in left:
                send(proc.pid, proc.created, signal.SIGKILL)


@dataclass
class _Sweep:
    tree: ProcessTree
    deadline: float  # SIGKILL from then on


class TreeKeeper:
    """The scheduler's side: one per `Scheduler.run`, from its own thread only. Makes the
    process a subreaper until `close`."""

    def __init__(self, store: Store | None = None, *, grace_s: float = LEFTOVER_GRACE_S) -> None:
        self.store = store
        self.grace_s = grace_s
        self.subreaper = enable_subreaper()
        self._pid = os.getpid()
        self._sweeps: list[_Sweep] = []
        self._roots: set[int] = set()  # every trial root: the scheduler's own children
        self._last_sample = 0.0
        self._trees: list[ProcessTree] = []  # the running ones, as of the last poll
        self._closed = False

    def poll(self, trees: Iterable[ProcessTree]) -> None:
        """Sample the running trials' trees (at most every SAMPLE_EVERY_S), move every ending
        tree one step on, reap adopted processes that died. Cheap when there is nothing to do."""
        trees = self._trees = list(trees)
        self._roots.update(t.root_pid for t in trees if t.root_pid is not None)
        now = time.monotonic()
        if not self._sweeps and now - self._last_sample < SAMPLE_EVERY_S:
            return
        self._last_sample = now
        table = scan()
        for tree in trees:
            tree.sample(table, adopter=self._pid)
        self._step(table)

    def ended(self, tree: ProcessTree) -> int:
        """The trial's root has exited (its exit status collected): SIGTERM what it left,
        SIGKILL follows from `poll` after the grace. Returns how many it left; a timeline event
        says so when there were any."""
        if tree.root_pid is not None:
            self._roots.add(tree.root_pid)
        table = scan()
        tree.sample(table, adopter=self._pid)
        left = tree.living(table)
        for proc in left:
            send(proc.pid, proc.created, signal.SIGTERM)
        if tree.members:
            self._sweeps.append(_Sweep(tree, time.monotonic() + self.grace_s))
        if left:
            self._record(tree, left)
        self._step(table)
        return len(left)

    def close(self) -> None:
        """Finish every sweep (bounded: the grace, then KILL_WAIT_S) and stop being a
        subreaper."""
        if self._closed:
            return
        deadline = time.monotonic() + self.grace_s + KILL_WAIT_S
        while self._sweeps and time.monotonic() < deadline:
            self._step(scan())
            if self._sweeps:
                time.sleep(0.05)
        for sweep in self._sweeps:
            log.warning("trial %s: processes %s did not end", sweep.tree.trial_id,
                        sorted(sweep.tree.members))
        self._sweeps.clear()
        self._closed = True
        if self.subreaper:
            disable_subreaper()

    def _step(self, table: Table) -> None:
        self._reap(table)
        now = time.monotonic()
        going = []
        for sweep in self._sweeps:
            sweep.tree.sample(table, adopter=self._pid)
            left = sweep.tree.living(table)
            if not left and not self._unreaped(sweep.tree, table):
                continue
            if now >= sweep.deadline:
                if now >= sweep.deadline + KILL_WAIT_S:
                    log.warning("trial %s: processes %s did not end", sweep.tree.trial_id,
                                [p.pid for p in left])
                    continue
                for proc in left:
                    send(proc.pid, proc.created, signal.SIGKILL)
            going.append(sweep)
        self._sweeps = going

    def _unreaped(self, tree: ProcessTree, table: Table) -> bool:
        """A dead member that will still be reaped: a zombie whose parent is this process or
        another member (it comes to this process when that one is reaped)."""
        for pid, created in tree.members.items():
            proc = table.same(pid, created)
            if proc is not None and (proc.ppid == self._pid or proc.ppid in tree.members):
                return True
        return False

    def _reap(self, table: Table) -> None:
        """waitpid(pid, WNOHANG) for dead children of this process known to be a trial's
        (a member of a tree, or in a trial's session or group), never a trial's root: those
        are Popen's to wait for."""
        trees = self._trees + [s.tree for s in self._sweeps]
        known = {(pid, c) for tree in trees for pid, c in tree.members.items()}
        for pid in table.children.get(self._pid, ()):
            proc = table.procs[pid]
            if not proc.zombie or pid in self._roots:
                continue
            if (pid, proc.created) in known or self._roots & {proc.sid, proc.pgid}:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass

    def _record(self, tree: ProcessTree, left: list[Proc]) -> None:
        n = len(left)
        pids = ", ".join(str(p.pid) for p in sorted(left, key=lambda p: p.pid))
        message = (f"hpdesk ended {n} process{'es' if n != 1 else ''} the trial left running "
                   f"(SIGTERM, then SIGKILL after {self.grace_s:g} s): pid {pids}")
        log.info("trial %s: %s", tree.trial_id, message)
        if self.store is not None:
            self.store.add_event("cleanup", message, trial_id=tree.trial_id, level="warning",
                                 data={"count": n, "pids": [p.pid for p in left]})
