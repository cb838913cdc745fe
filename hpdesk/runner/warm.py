"""The scheduler's side of the warm launcher (hpdesk.tasks.zygote): start built-in tasks by
forking a template process that has torch imported, so short trials start in milliseconds.

`WarmLauncher.start` returns a `WarmProcess` that answers `pid`, `poll()` and `wait()` like a
`subprocess.Popen`, so the scheduler treats both alike. When the template cannot start or dies,
`start` returns None and the scheduler falls back to a plain subprocess.
"""

from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from hpdesk.runner.recovery import pid_alive

log = logging.getLogger(__name__)
READY_TIMEOUT_S = 120.0


class WarmProcess:
    def __init__(self, launcher: WarmLauncher, pid: int) -> None:
        self._launcher = launcher
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self._launcher.pump()
            self.returncode = self._launcher.exit_codes.pop(self.pid, None)
            if self.returncode is None and not self._launcher.alive and not pid_alive(self.pid):
                # The template died, and with it the exit status of this child: unknown.
                self.returncode = 1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.02)
        assert self.returncode is not None
        return self.returncode


class WarmLauncher:
    """One template process per scheduler, started in the background on first use."""

    def __init__(self, python: str | None = None, env: Mapping[str, str] | None = None) -> None:
        self._python = python or sys.executable
        self._env = dict(env or os.environ)
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._ready = False
        self._failed = False
        self._next_id = 0
        self._started: dict[int, int] = {}
        self.exit_codes: dict[int, int] = {}

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def warm_up(self) -> None:
        """Start the template now (it loads torch while the scheduler does other work)."""
        if self._proc is None and not self._failed:
            env = {k: v for k, v in self._env.items() if k != "CUDA_VISIBLE_DEVICES"}
            env["CUDA_VISIBLE_DEVICES"] = ""  # the template itself must never see a GPU
            try:
                self._proc = subprocess.Popen(
                    [self._python, "-m", "hpdesk.tasks.zygote"], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                    start_new_session=True)
            except OSError as exc:
                log.warning("warm launcher unavailable: %s", exc)
                self._failed = True

    def start(self, module: str, env: Mapping[str, str], cwd: str | None,
              log_path: Path) -> WarmProcess | None:
        self.warm_up()
        if not self._wait_ready():
            return None
        assert self._proc is not None and self._proc.stdin is not None
        request_id = self._next_id
        self._next_id += 1
        request = {"id": request_id, "module": module, "argv": [], "env": dict(env),
                   "cwd": cwd, "log": str(log_path)}
        try:
            self._proc.stdin.write((json.dumps(request) + "\n").encode())
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._failed = True
            return None
        deadline = time.monotonic() + 30
        while request_id not in self._started:
            if not self.alive or time.monotonic() > deadline:
                self._failed = True
                return None
            self.pump(0.01)
        return WarmProcess(self, self._started.pop(request_id))

    def ready(self) -> bool:
        """Wait until the template has loaded torch; False if it cannot start."""
        self.warm_up()
        return self._wait_ready()

    def _wait_ready(self) -> bool:
        if self._failed or self._proc is None:
            return False
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self._ready:
            if not self.alive or time.monotonic() > deadline:
                log.warning("warm launcher did not start; trials start as plain processes")
                self._failed = True
                return False
            self.pump(0.05)
        return True

    def pump(self, timeout: float = 0.0) -> None:
        """Read what the template said: ready, started pids, exit codes."""
        if self._proc is None or self._proc.stdout is None:
            return
        fd = self._proc.stdout.fileno()
        while True:
            readable, _, _ = select.select([fd], [], [], timeout)
            if not readable:
                return
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            timeout = 0.0
            self._buffer += chunk
            *lines, self._buffer = self._buffer.split(b"\n")
            for line in lines:
                self._handle(json.loads(line))

    def _handle(self, message: dict[str, int]) -> None:
        if "ready" in message:
            self._ready = True
        elif "pid" in message:
            self._started[message["id"]] = message["pid"]
        elif "exit" in message:
            self.exit_codes[message["exit"]] = message["code"]

    def close(self) -> None:
        if self._proc is not None:
            try:
                if self._proc.stdin is not None:
                    self._proc.stdin.close()
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()
            self._proc = None
