"""LogPipe with real processes: a drain reads everything the trial printed (its last line without
a newline too) even while a process it left holds the pipe open, and a trial printing far
faster than it is parsed loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hpdesk.runner.capped_log import CappedLog
from hpdesk.runner.log_pipe import LogPipe, open_pipe
from hpdesk.runner.stdout_metrics import StdoutParser


def start(tmp_path: Path, code: str, limit: int = 10_000_000) -> tuple[subprocess.Popen[bytes],
                                                                         LogPipe]:
    read_end, write_end = open_pipe()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=write_end,
                            stderr=subprocess.STDOUT, start_new_session=True)
    os.close(write_end)
    return proc, LogPipe(read_end, CappedLog(tmp_path / "t.log", limit), StdoutParser())


@pytest.mark.timeout(30)
def test_a_drain_reads_the_last_line_while_a_left_child_holds_the_pipe(tmp_path: Path) -> None:
    code = ("import subprocess, sys, time\n"
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
            "sys.stdout.write('loss: 1\\nloss: 2'); sys.stdout.flush()\n")
    proc, pipe = start(tmp_path, code)
    try:
        assert proc.wait(20) == 0
        assert pipe.drain(timeout=20)  # the child still holds the pipe: no EOF
        assert [p for _, p in pipe.take()] == [("loss", 1, 1.0), ("loss", 2, 2.0)]
        assert (tmp_path / "t.log").read_bytes() == b"loss: 1\nloss: 2"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the sleeping child: EOF, the thread ends
    assert pipe.join(20)
    pipe.close()  # after the end: nothing to wait for


@pytest.mark.timeout(60)
def test_a_flood_faster_than_parsing_loses_no_line(tmp_path: Path) -> None:
    """20 MB of metric lines (each one read whole), written at once: the trial waits on a full
    pipe while the thread parses; every line arrives, in order, and the log stays capped."""
    code = ("import os\n"
            "pad = b'f' * 190\n"
            "block = b''.join(b'loss: %d | %s\\n' % (i, pad) for i in range(1, 10001))\n"
            "for _ in range(10):\n"
            "    view = memoryview(block)\n"
            "    while view: view = view[os.write(1, view):]\n")
    proc, pipe = start(tmp_path, code, limit=1_000_000)
    assert proc.wait(50) == 0
    assert pipe.drain(timeout=30)
    values = [v for _, (name, _, v) in pipe.take() if name == "loss"]
    assert values == [float(i) for i in range(1, 10001)] * 10
    assert os.path.getsize(tmp_path / "t.log") <= 1_000_000
    pipe.close()
