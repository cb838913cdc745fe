"""One trial process as the scheduler keeps it: its process, log, slot and output reader, and
how it is stopped (politely first: a script gets Ctrl-C as in a terminal, so its own
KeyboardInterrupt handling saves its work; then SIGTERM; SIGKILL when the grace period is over,
to its process group and to every process of its tree, `setsid` children included).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from hpdesk.runner.devices import Slot
from hpdesk.runner.log_pipe import LogPipe
from hpdesk.runner.process_tree import ProcessTree
from hpdesk.runner.trial_output import TrialOutput
from hpdesk.runner.warm import WarmProcess
from hpdesk.store import Trial


@dataclass
class RunningTrial:
    trial: Trial
    proc: subprocess.Popen[bytes] | WarmProcess
    log_file: LogPipe | None  # None: the warm launcher's child writes its log itself
    slot: Slot
    started: float
    started_wall: float = 0.0
    pause_at: int | None = None  # a population member pauses after this epoch
    output: TrialOutput | None = None  # a script's printed metrics
    timed_out: bool = False
    stop_asked: bool = False  # a person asked this one trial to stop (the window, `hpdesk stop`)
    killed_at: float | None = None  # when the first stop signal went
    signals: tuple[int, ...] = (signal.SIGTERM,)  # the stop signals, in order, before SIGKILL
    sent: int = 0  # how many of them went (one more: SIGKILL went too)
    stalled_for: float | None = None  # stopped as stalled after this many silent seconds
    progress_written: float = 0.0  # when its last_report_at was last written (monotonic)
    #: what the trial started (process_tree.TreeKeeper samples it while it runs)
    tree: ProcessTree = field(init=False)

    def __post_init__(self) -> None:
        self.tree = ProcessTree(self.trial.id, self.proc.pid)

    def ask_to_stop(self) -> None:
        """The first stop signal (SIGINT for a script, SIGTERM for a built-in task)."""
        if self.sent == 0:
            self.killed_at = time.monotonic()
            self.sent = 1
            signal_group(self.proc, self.signals[0])

    def escalate(self, grace_s: float) -> None:
        """Polite stop, then force: each further stop signal after an equal share of the grace
        period (a script: SIGINT, then SIGTERM at half time), SIGKILL once it is over."""
        if self.killed_at is None or self.sent > len(self.signals):
            return
        waited = time.monotonic() - self.killed_at
        if waited > grace_s:
            signal_group(self.proc, signal.SIGKILL)
            self.tree.signal(signal.SIGKILL)  # those in another group or session too
            self.sent = len(self.signals) + 1
            return
        due = min(len(self.signals), 1 + int(waited * len(self.signals) / grace_s))
        while self.sent < due:
            signal_group(self.proc, self.signals[self.sent])
            self.sent += 1


def mark_new_run(log_path: Path, number: int) -> None:
    """A line in the log where this run of the trial begins (a resume appends to the same
    log)."""
    stamp = datetime.now().isoformat(sep=" ", timespec="seconds")
    with open(log_path, "a+b") as fh:  # appends wherever it reads
        if fh.seek(0, os.SEEK_END):
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":
                fh.write(b"\n")
        fh.write(f"----- hpdesk: trial {number} runs again from here ({stamp}) -----\n"
                 .encode())


def signal_group(proc: subprocess.Popen[bytes] | WarmProcess, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
