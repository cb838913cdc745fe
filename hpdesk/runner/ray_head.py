"""A private Ray head on loopback for one run (`executor: {kind: ray, address: local}`).

Started with `ray start --head --block` in a session of its own, every port chosen free (two
heads on one machine must not meet on Ray's fixed defaults), the dashboard and its job server on
127.0.0.1 only, usage statistics off, and token authentication on with a token of its own (in
a private temporary folder, passed through Ray's RAY_AUTH_TOKEN_PATH), so no other user of the
machine can submit to it. Stopped by its processes (never `ray stop`, which ends every Ray on
the machine): SIGTERM to them all, SIGKILL to what is left a few seconds later. A scheduler
killed before it could stop its head leaves `ray-head.json` in the experiment's folder, and
recovery ends that head (`stop_recorded_head`).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

log = logging.getLogger(__name__)
START_TIMEOUT_S = 120.0
STOP_GRACE_S = 1.0  # a private head holds nothing worth a longer wait; SIGKILL after
RECORD = "ray-head.json"


class HeadError(RuntimeError):
    """The private head did not start (said in one sentence)."""


def free_ports(count: int) -> list[int]:
    """Ports free on loopback now (the kernel's choice, outside Ray's worker range)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class PrivateHead:
    def __init__(self, folder: Path, *, num_cpus: int, num_gpus: int = 0,
                 python: str | None = None) -> None:
        self.folder = folder  # the experiment's folder: the head's log and record go there
        self.num_cpus, self.num_gpus = num_cpus, num_gpus
        self.python = python or sys.executable
        self.proc: subprocess.Popen[bytes] | None = None
        self.temp_dir: Path | None = None
        self.address = ""

    @property
    def env(self) -> dict[str, str]:
        """What a client of this head needs in its environment (Ray reads it at import)."""
        assert self.temp_dir is not None
        return {"RAY_AUTH_MODE": "token",
                "RAY_AUTH_TOKEN_PATH": str(self.temp_dir / "auth_token")}

    def start(self, timeout: float = START_TIMEOUT_S) -> str:
        # Ray's socket paths must stay short (AF_UNIX: 107 bytes): a folder under /tmp.
        self.temp_dir = Path(tempfile.mkdtemp(prefix="hpdesk-ray-"))
        token = self.temp_dir / "auth_token"
        fd = os.open(token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        gcs, dashboard, client, agent = free_ports(4)
        argv = [self.python, "-m", "ray.scripts.scripts", "start", "--head", "--block",
                f"--num-cpus={self.num_cpus}", f"--num-gpus={self.num_gpus}",
                "--node-ip-address=127.0.0.1", f"--port={gcs}", "--dashboard-host=127.0.0.1",
                f"--dashboard-port={dashboard}", f"--ray-client-server-port={client}",
                f"--dashboard-agent-listen-port={agent}", "--include-dashboard=true",
                "--disable-usage-stats", f"--temp-dir={self.temp_dir}",
                "--min-worker-port=0", "--max-worker-port=0"]
        env = {**os.environ, **self.env, "RAY_USAGE_STATS_ENABLED": "0"}
        self.folder.mkdir(parents=True, exist_ok=True)
        log_path = self.folder / "ray-head.log"
        with open(log_path, "ab") as log_file:
            self.proc = subprocess.Popen(argv, env=env, stdout=log_file,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        self.address = f"http://127.0.0.1:{dashboard}"
        self._write_record()
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.proc.poll() is not None:
                self.stop()
                raise HeadError(f"the private Ray head did not start ({_last_line(log_path)}); "
                                f"its log: {log_path}")
            if time.monotonic() > deadline:
                self.stop()
                raise HeadError(f"the private Ray head did not answer within {timeout:.0f}s; "
                                f"its log: {log_path}")
            time.sleep(0.2)
        return self.address

    def _answers(self) -> bool:
        """The job server is up (it answers, be it 401: it wants the token)."""
        try:
            urllib.request.urlopen(self.address + "/api/version", timeout=1.0)
            return True
        except urllib.error.HTTPError:
            return True
        except (urllib.error.URLError, OSError):
            return False

    def _write_record(self) -> None:
        assert self.proc is not None and self.temp_dir is not None
        record = {"pid": self.proc.pid, "started_at": _created(self.proc.pid),
                  "temp_dir": str(self.temp_dir), "address": self.address}
        (self.folder / RECORD).write_text(json.dumps(record))

    def stop(self) -> None:
        if self.proc is not None and self.temp_dir is not None:
            end_head(self.proc.pid, self.temp_dir)
            self.proc.wait()
        if self.temp_dir is not None:
            shutil.rmtree(self.temp_dir, ignore_errors=True)
        (self.folder / RECORD).unlink(missing_ok=True)
        self.proc = None


def end_head(pid: int, temp_dir: Path, grace_s: float = STOP_GRACE_S) -> int:
    """End every process of a head: its session, and any process whose command line names its
    temporary folder (Ray's daemons). Returns how many there were."""
    mark = str(temp_dir)
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            ours = os.getsid(proc.pid) == pid or any(mark in a for a in proc.info["cmdline"] or ())
        except (OSError, psutil.Error):
            continue
        if ours and proc.pid != os.getpid():
            found.append(proc)
    for proc in found:
        try:
            proc.send_signal(signal.SIGTERM)
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(found, timeout=grace_s)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=grace_s)
    return len(found)


def stop_recorded_head(experiment_folder: Path) -> bool:
    """End the private head a dead scheduler left (its record in the experiment's folder)."""
    path = experiment_folder / RECORD
    try:
        record = json.loads(path.read_text())
        pid, temp_dir = int(record["pid"]), Path(record["temp_dir"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    started, created = record.get("started_at"), _created(pid)
    if created is not None and (started is None or abs(created - started) < 1.0):
        end_head(pid, temp_dir)
    elif temp_dir.name.startswith("hpdesk-ray-"):
        end_head(-1, temp_dir)  # the session leader is gone; its daemons are found by folder
    if temp_dir.name.startswith("hpdesk-ray-"):
        shutil.rmtree(temp_dir, ignore_errors=True)
    path.unlink(missing_ok=True)
    return True


def _created(pid: int) -> float | None:
    try:
        return float(psutil.Process(pid).create_time())
    except psutil.Error:
        return None


def _last_line(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    return lines[-1][-300:] if lines else "no output"
