"""A trial's stdout and stderr, read from a pipe by a thread of the scheduler: every byte goes to
the trial's capped log (capped_log.CappedLog) and, for a script whose output is read for metrics,
through the parser, whatever the rate.

Why a pipe and not a file the trial appends to: a file another process appends to cannot be
cut from outside without a race, and a reader that polls a file falls behind a fast writer. The
thread reads in blocks of up to 1 MiB and parses each block at once (StdoutParser.parse_block);
when parsing is slower than the trial prints, the pipe fills and the trial waits in its
`write`, as it would on a slow terminal: nothing is dropped and memory stays bounded.

Contract between the two threads: only this thread reads the pipe, writes the log (but `note`)
and uses the parser; the scheduler's thread takes the parsed points (`take`), asks for a drain
when the trial's process has exited (`drain`), and closes (`close`).

`drain`: once the trial's process has exited, everything it wrote is in the pipe already (a
`write` to a pipe is done when it returns). A drain reads up to what the pipe held when it was
asked (FIONREAD), parses it, and the last line too when it has no newline. Processes the trial
left behind may keep the pipe open and write more: that is not waited for. A drain that takes
longer than DRAIN_S (it takes milliseconds: at most the pipe's buffer and one block remain)
gives up, says so in the log, and the trial is judged on what was read.

When the scheduler is killed, the pipe's reading end goes with it: the trial's next write fails
(SIGPIPE, or BrokenPipeError in Python) and it ends; recovery (`hpdesk.runner.recovery`) ends
orphaned trials anyway and a resume runs them again.
"""

from __future__ import annotations

import fcntl
import logging
import os
import select
import struct
import termios
import threading
import time

from hpdesk.runner.capped_log import CappedLog
from hpdesk.runner.stdout_metrics import LineBuffer, Point, StdoutParser

log = logging.getLogger(__name__)

CHUNK = 1 << 20  # bytes read at a time
PIPE_SIZE = 1 << 20  # the pipe's buffer, where Linux allows it (64 KiB otherwise)
DRAIN_S = 30.0  # at most this long for a drain (it takes milliseconds)
LINGER_S = 5.0  # after close: what processes the trial left still print is logged this long


def open_pipe() -> tuple[int, int]:
    """A pipe (read end, write end) with a large buffer; both ends close on exec."""
    read_end, write_end = os.pipe()
    size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if size is not None:
        try:
            fcntl.fcntl(write_end, size, PIPE_SIZE)
        except OSError:
            pass  # above /proc/sys/fs/pipe-max-size: the default buffer works too
    return read_end, write_end


class LogPipe:
    """Reads the trial's output from `fd` (the pipe's read end, which it closes) in a thread of
    its own: writes `log` and parses with `parser` (None: the output is only logged)."""

    def __init__(self, fd: int, capped: CappedLog, parser: StdoutParser | None = None) -> None:
        self.log = capped
        self.parser = parser
        self._fd = fd
        os.set_blocking(fd, False)
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self._lines = LineBuffer()
        self._cond = threading.Condition()
        # Guarded by _cond:
        self._read = 0  # bytes taken from the pipe (counted with the read itself)
        self._done = 0  # bytes logged and parsed
        self._points: list[tuple[float, Point]] = []  # (when parsed, point)
        self._asked = 0  # drains asked for
        self._target = 0  # the latest drain is served once `_done` reaches this...
        self._counted = True  # ...when the pipe's content could be counted (else: once empty)
        self._empty_since = 0  # the latest drain after which the pipe was found empty
        self._served = 0  # the latest drain served
        self._eof = False  # the thread has ended: its descriptors are closed
        self._gave_up = False  # a drain took longer than its timeout: later ones do not wait
        self._close_by: float | None = None
        self._broken = False  # parsing failed once: the output is still logged
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"output of {capped.path.name}")
        self._thread.start()

    # -- the scheduler's side ------------------------------------------------------------------
    def take(self) -> list[tuple[float, Point]]:
        """The points parsed since the last call, each with when it was parsed (monotonic)."""
        with self._cond:
            points, self._points = self._points, []
        return points

    def drain(self, timeout: float = DRAIN_S) -> bool:
        """Wait until everything the pipe holds now is logged and parsed (the last line too,
        with or without its newline). Call it once the trial's process has exited. False when
        it took longer than `timeout`: the log says so where reading stood."""
        with self._cond:
            if self._eof or self._gave_up:
                return self._eof
            self._asked += 1
            asked = self._asked
            try:
                held = struct.unpack("i", fcntl.ioctl(self._fd, termios.FIONREAD, b"\0" * 4))[0]
                self._counted = True
            except OSError:
                held, self._counted = 0, False
            self._target = self._read + held
        self._wake()
        with self._cond:
            served = self._cond.wait_for(lambda: self._eof or self._served >= asked, timeout)
        if not served:
            with self._cond:
                self._gave_up = True
            log.warning("output of %s not read within %gs of its end", self.log.path, timeout)
            self.log.note(f"----- hpdesk: the trial ended {timeout:g} s ago and its output was "
                          "still being read; it was judged on what was read up to here -----")
        return served

    def close(self) -> None:
        """Drain, then stop reading: at once when nothing holds the pipe open any more, else
        after LINGER_S (a process the trial left that writes later gets EPIPE)."""
        self.drain()
        with self._cond:
            if self._close_by is None:
                self._close_by = time.monotonic() + LINGER_S
        self._wake()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end (it ends at EOF, or LINGER_S after close)."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _wake(self) -> None:
        with self._cond:  # the thread closes its descriptors under the lock, once it has ended
            if self._eof:
                return
            try:
                os.write(self._wake_write, b"x")
            except BlockingIOError:
                pass  # full: it is awake already

    # -- the thread ----------------------------------------------------------------------------
    def _run(self) -> None:
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        poller.register(self._wake_read, select.POLLIN)
        try:
            while True:
                with self._cond:
                    if self._close_by is not None and time.monotonic() >= self._close_by:
                        break
                    try:
                        data: bytes | None = os.read(self._fd, CHUNK)
                    except BlockingIOError:
                        data = None
                        self._empty_since = self._asked
                    except OSError:
                        data = b""
                    self._read += len(data or b"")
                if data == b"":
                    break  # EOF: every process that held the pipe has closed it
                if data is None:
                    self._serve()
                    self._sleep(poller)
                    continue
                self._take_in(data)
                with self._cond:
                    self._done += len(data)
                self._serve()
        finally:
            self._take_in(None)
            with self._cond:
                self._eof = True
                for fd in (self._fd, self._wake_read, self._wake_write):
                    os.close(fd)
                self._cond.notify_all()
            self.log.close()

    def _sleep(self, poller: select.poll) -> None:
        with self._cond:
            close_by = self._close_by
        wait_ms = 1000 if close_by is None else max(0, int((close_by - time.monotonic()) * 1000))
        poller.poll(wait_ms)
        try:
            os.read(self._wake_read, 4096)
        except BlockingIOError:
            pass

    def _serve(self) -> None:
        """The latest drain is served once what the pipe held when it was asked is read."""
        with self._cond:
            asked = self._asked
            if asked == self._served or self._done < self._target or (
                    not self._counted and self._empty_since < asked):
                return
        self._take_in(None)  # the last line, newline or not
        with self._cond:
            self._served = asked
            self._cond.notify_all()

    def _take_in(self, data: bytes | None) -> None:
        """Log `data` and parse the lines it completes (None: the last line, unfinished). A
        failure here must not stop the reading: the trial would block on a full pipe."""
        if data is not None:
            try:
                self.log.write(data)
            except Exception:
                log.exception("writing the log %s failed", self.log.path)
        if self.parser is None or self._broken:
            return
        try:
            block = self._lines.feed(data) if data is not None else self._lines.flush()
            points = self.parser.parse_block(block) if block else []
        except Exception:
            log.exception("reading metrics from %s failed; its output is still logged",
                          self.log.path)
            self._broken = True
            return
        if points:
            stamp = time.monotonic()
            with self._cond:
                self._points += [(stamp, point) for point in points]
