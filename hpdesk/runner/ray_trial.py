"""One trial as a Ray job, seen from this machine: `python -m hpdesk.runner.ray_trial SPEC`.

The scheduler starts this small process for a trial of a Ray executor exactly as it starts a
local trial (its own session, its output into the trial's capped log and stdout parser, stop
signals, a grace period), so stopping, pruning, time limits, stalls and logs work unchanged. It
submits the job through the Ray Jobs API (or re-attaches to the job an interrupted run left
running), follows the job's log and:
- stores the SDK's tagged lines (trial_sink.LineSink) into the local database, exact, as the
  trial would have written them itself: the database stays on this machine, since remote hosts
  cannot share a SQLite WAL file;
- prints every other line, so the log and the script's printed metrics work as for local trials;
- turns SIGINT/SIGTERM into `stop_job` (Ray sends the job SIGTERM, then SIGKILL), and exits
  with the job's outcome: 0 when it succeeded, its exit code (or 1) when it failed.

When the scheduler dies (kill -9) this process is orphaned: a stop signal then leaves the job
running (recovery sends one to every orphaned trial process) and `hpdesk resume` re-attaches,
skipping the log it already forwarded (`ray-job.json` beside the trial's log says how much).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hpdesk.store.trial_sink import DatabaseSink, read_sdk_line

TERMINAL = ("SUCCEEDED", "FAILED", "STOPPED")
PENDING_NOTE_S = 60.0  # while the cluster has no room, a line this often (not a stall)
PENDING_SAY_S = 10.0  # a job pending this long is said to wait for resources
#: Ray's own lines in a job's log (`2026-12-06 02:16:31,451\tINFO job_manager.py:581 -- ...`).
_RAY_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+\s+[A-Z]+\s")
RECORD_EVERY_S = 0.5
STATUS_POLL_S = 0.5  # how often the follower asks whether its job has ended


class RayTrial:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.record_path = Path(spec["record"])
        self.parent = os.getppid()
        self.stop_asked = threading.Event()
        self.detach = threading.Event()
        self.forwarded = 0  # bytes of the job's log already handled
        self.skip = 0  # bytes of it an earlier run of this trial forwarded
        self.partial = ""
        self._record_written = 0.0
        self.sink = DatabaseSink(spec["db"], int(spec["trial_id"]))
        self.job_id = ""
        self.running_since: float | None = None  # wall time the job was first seen running
        self.ended = threading.Event()  # the job's log has ended: nothing left to stop
        self._pending_since = time.monotonic()
        self._noted = self._pending_since - PENDING_NOTE_S + PENDING_SAY_S

    # -- signals ---------------------------------------------------------------------------
    def on_signal(self, signum: int, frame: object) -> None:
        if os.getppid() != self.parent:
            self.detach.set()  # the scheduler is gone: leave the job for a resume
        else:
            self.stop_asked.set()

    # -- the job ---------------------------------------------------------------------------
    def run(self) -> int:
        from ray.job_submission import JobSubmissionClient

        # Ray's own INFO lines (uploads, websockets) would fill the trial's log.
        logging.disable(logging.INFO)

        address = self.spec["address"]
        try:
            client = JobSubmissionClient(address, verify=self.spec.get("verify", True))
        except Exception as exc:  # connection refused, TLS, authentication: said in one line
            fail(f"cannot reach the Ray cluster at {address}: {one_line(exc)}")
            return 2
        self.client = client
        self.job_id = self._attach(client) or self._submit(client)
        if not self.job_id:
            return 2
        self._write_record(force=True)
        stopper = threading.Thread(target=self._stop_when_asked, daemon=True)
        stopper.start()
        try:
            asyncio.run(self._follow(client))
        except Exception as exc:  # the log stream broke: the status below still decides
            say(f"lost the log of Ray job {self.job_id}: {one_line(exc)}")
        finally:
            self.ended.set()
        if self.detach.is_set():
            say(f"the scheduler is gone; Ray job {self.job_id} keeps running and "
                "`hpdesk resume` re-attaches to it")
            return 143
        return self._outcome(client)

    def _attach(self, client: Any) -> str | None:
        previous = self.spec.get("attach_to")
        if not previous:
            return None
        try:
            status = str(client.get_job_status(previous["job_id"]).value)
        except Exception:
            return None  # gone (a new head, a cleared history): submitted afresh
        if status == "STOPPED":
            return None  # it was stopped: this run starts it again (one that ended meanwhile
                         # is replayed: its log holds everything it reported)
        self.skip = int(previous.get("forwarded", 0))
        since = previous.get("running_since")
        self.running_since = since if isinstance(since, (int, float)) else None
        say(f"re-attached to Ray job {previous['job_id']} ({status.lower()}) at "
            f"{self.spec['address']}")
        return str(previous["job_id"])

    def _submit(self, client: Any) -> str:
        spec = self.spec
        try:
            job_id = client.submit_job(
                entrypoint=spec["entrypoint"], submission_id=spec["submission_id"],
                runtime_env=spec.get("runtime_env") or None, metadata=spec.get("metadata"),
                entrypoint_num_cpus=spec.get("num_cpus"), entrypoint_num_gpus=spec.get("num_gpus"),
                entrypoint_memory=spec.get("memory"))
        except Exception as exc:
            fail(f"the Ray cluster at {spec['address']} refused the job: {one_line(exc)}")
            return ""
        say(f"submitted Ray job {job_id} to {spec['address']}")
        return str(job_id)

    def _stop_when_asked(self) -> None:
        """A stop signal becomes `stop_job` (from this thread: the handler only sets flags)."""
        while not self.stop_asked.wait(0.5):
            if self.detach.is_set() or self.ended.is_set():
                return
        if self.detach.is_set():
            return
        say(f"stopping Ray job {self.job_id}")
        try:
            self.client.stop_job(self.job_id)
        except Exception as exc:
            say(f"could not stop Ray job {self.job_id}: {one_line(exc)}")

    def _note_pending(self, status: str) -> None:
        """While the cluster has no room: a line a minute, saying so (and that it is no stall)."""
        now = time.monotonic()
        if status == "PENDING" and now - self._noted >= PENDING_NOTE_S:
            self._noted = now
            say(f"Ray job {self.job_id} is waiting for the cluster's resources "
                f"({now - self._pending_since:.0f}s so far)")

    async def _follow(self, client: Any) -> None:
        """Forward the job's log as it grows. Ray's log stream notices a job's end seconds
        late, so the status is asked too: once the job has ended, the rest of its log is read
        in one request and the stream is dropped."""
        tail = asyncio.ensure_future(self._tail(client))
        try:
            while not tail.done():
                await asyncio.wait({tail}, timeout=STATUS_POLL_S)
                if tail.done() or self.detach.is_set():
                    break
                try:
                    status = str((await asyncio.to_thread(
                        client.get_job_status, self.job_id)).value)
                except Exception:
                    continue  # the stream decides, or fails with the reason
                self._note_pending(status)
                if status in TERMINAL:
                    tail.cancel()
                    await asyncio.gather(tail, return_exceptions=True)
                    log = await asyncio.to_thread(client.get_job_logs, self.job_id)
                    rest = log.encode("utf-8", "surrogateescape")[self.forwarded:]
                    self._take(rest.decode("utf-8", "surrogateescape"), final=True)
                    return
            if self.detach.is_set():
                return
            await tail  # its failure, if it failed, is the reason given
            self._take("", final=True)
        finally:
            if not tail.done():
                tail.cancel()
                await asyncio.gather(tail, return_exceptions=True)

    async def _tail(self, client: Any) -> None:
        async for chunk in client.tail_job_logs(self.job_id):
            self._take(chunk)
            if self.detach.is_set():
                return

    def _started(self, lines: list[str]) -> None:
        """The entrypoint starts when the job's log has its first line that is not Ray's own
        (`Running entrypoint for job ...` in Ray 2.x): the time limit counts from there, not
        from the runtime environment's set-up (a pip install may take minutes)."""
        if self.running_since is None and any(
                line.strip() and not _RAY_LINE.match(line) for line in lines):
            self.running_since = time.time()
            self._write_record(force=True)

    def _take(self, chunk: str, *, final: bool = False) -> None:
        data = chunk.encode("utf-8", "surrogateescape")
        start = self.forwarded
        self.forwarded += len(data)
        if self.forwarded <= self.skip:
            return
        if start < self.skip:
            data = data[self.skip - start:]
        text = self.partial + data.decode("utf-8", "replace")
        lines = text.split("\n")
        self.partial = "" if final else lines.pop()
        self._started(lines)
        out: list[str] = []
        points: list[tuple[str, int, float | None, float]] = []
        for line in lines:
            record = read_sdk_line(line)
            if record is None:
                out.append(line)
            elif "points" in record:
                points.extend(_points(record["points"]))
            else:
                if points:
                    self.sink.write(points)
                    points = []
                self._store(record)
        if points:
            self.sink.write(points)
        if out and out != [""]:
            sys.stdout.write("\n".join(out) + ("\n" if not final or out[-1] else ""))
            sys.stdout.flush()
        self._write_record()

    def _store(self, record: dict[str, Any]) -> None:
        if "announce" in record and isinstance(record["announce"], list):
            self.sink.announce([str(n) for n in record["announce"]])
        elif isinstance(record.get("event"), str):
            step = record.get("step")
            self.sink.event(record["event"], str(record.get("message", "")),
                            step if isinstance(step, int) else None,
                            str(record.get("level", "info")))

    def _outcome(self, client: Any) -> int:
        deadline = time.monotonic() + 30.0
        info = client.get_job_info(self.job_id)
        while str(info.status.value) not in TERMINAL and time.monotonic() < deadline:
            time.sleep(0.2)  # the log ends a moment before the status does
            info = client.get_job_info(self.job_id)
        status = str(info.status.value)
        code = getattr(info, "driver_exit_code", None)
        if status == "SUCCEEDED":
            return 0
        if status == "STOPPED":
            if self.stop_asked.is_set():
                return code if isinstance(code, int) and code >= 0 else 143
            fail(f"Ray job {self.job_id} was stopped on the cluster, not by hpdesk")
            return 1
        if status not in TERMINAL:
            fail(f"Ray job {self.job_id} is still {status.lower()}, but its log ended")
            return 1
        # Ray's message repeats the job's last output, which is in the trial's log already.
        reason = (info.message or "no reason given").split(", last available logs")[0]
        fail(f"Ray job {self.job_id} failed: {one_line(reason)}")
        return code if isinstance(code, int) and code > 0 else 1

    def _write_record(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._record_written < RECORD_EVERY_S:
            return
        self._record_written = now
        record = {"job_id": self.job_id, "address": self.spec["address"],
                  "verify": self.spec.get("verify", True),
                  "forwarded": max(self.forwarded, self.skip),
                  "running_since": self.running_since}
        tmp = self.record_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record))
        os.replace(tmp, self.record_path)


def _points(raw: Any) -> list[tuple[str, int, float | None, float]]:
    out = []
    for item in raw if isinstance(raw, list) else ():
        if (isinstance(item, list) and len(item) == 4 and isinstance(item[0], str)
                and isinstance(item[1], int)):
            value = item[2] if isinstance(item[2], (int, float)) else None
            wall = item[3] if isinstance(item[3], (int, float)) else time.time()
            out.append((item[0], item[1], None if value is None else float(value), float(wall)))
    return out


def say(text: str) -> None:
    print(f"hpdesk: {text}", file=sys.stderr, flush=True)


def fail(text: str) -> None:
    """Why the trial failed, on the line the outcome quotes (outcome.last_error_line)."""
    say(f"error: {text}")


def one_line(exc: object) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


def stop_recorded(record_path: Path) -> int:
    """`--stop RECORD`: stop the job a follower that was killed (SIGKILL) left running."""
    record = json.loads(record_path.read_text())
    from ray.job_submission import JobSubmissionClient

    logging.disable(logging.INFO)
    client = JobSubmissionClient(record["address"], verify=record.get("verify", True))
    stopped = client.stop_job(record["job_id"])
    say(f"stopped Ray job {record['job_id']}: its follower was killed" if stopped
        else f"Ray job {record['job_id']} had already ended")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--stop"]:
        try:
            return stop_recorded(Path(args[1]))
        except Exception as exc:
            fail(f"could not stop the Ray job of {args[1]}: {one_line(exc)}")
            return 1
    spec_path = Path(args[0])
    spec = json.loads(spec_path.read_text())
    spec_path.unlink(missing_ok=True)  # it holds the trial's environment, secrets included
    trial = RayTrial(spec)
    signal.signal(signal.SIGTERM, trial.on_signal)
    signal.signal(signal.SIGINT, trial.on_signal)
    try:
        return trial.run()
    except BrokenPipeError:
        return 143  # the scheduler's end of the pipe is gone: the job keeps running
    except Exception as exc:  # the cluster went away mid-run, a refused request: one line
        fail(f"lost Ray job {trial.job_id or '(not submitted)'} at {spec['address']}: "
            f"{one_line(exc)}")
        return 1
    finally:
        if trial.job_id:
            trial._write_record(force=True)


if __name__ == "__main__":
    sys.exit(main())
