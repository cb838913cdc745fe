"""A trial's log file, kept under a size limit: the beginning and the end of its output, and one
visible line where the middle was dropped.

The log holds, in order: the first half of the limit (cut at a line's end), then a marker line

    ----- hpdesk: log limit of 100 MB reached; 734 MB of output dropped here (metrics were
    still read) -----                                              (one line in the log)

then the most recent output. The end is what matters when a trial fails (its traceback is what
`hpdesk.runner.outcome` quotes); the beginning says how it started (arguments, versions). When
the tail would push the file past the limit, the file is cut back to the head, the marker is
written again with the new count, and the last eighth of the limit is written after it: the
log never exceeds the limit and always ends with at least that much of the latest output.

Only the thread that reads the trial's pipe (log_pipe.LogPipe) writes the file, so cutting it
cannot race with a write. A reader that follows the file (`hpdesk logs --follow`, the window's
log) sees it shrink at each cut. A resumed trial appends to its log; an earlier run's marker is
found where the head ends and its count carried on.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path

log = logging.getLogger(__name__)

MB = 1_000_000
DEFAULT_LIMIT_MB = 100.0
_MARKER = re.compile(rb"----- hpdesk: log limit of [\d.]+ MB reached; ([\d.]+) MB of output "
                     rb"dropped here")
_FIND_LINE_END = 1 << 20  # the head ends at the last newline in this many bytes before its limit


def marker_line(limit: int, dropped: int) -> bytes:
    """The line that stands where output was dropped."""
    return (f"----- hpdesk: log limit of {_mb(limit)} MB reached; {_mb(dropped)} MB of output "
            "dropped here (metrics were still read) -----\n").encode()


def _mb(size: int) -> str:
    shown = f"{size / MB:.1f}"
    return shown[:-2] if shown.endswith(".0") else shown


class CappedLog:
    """Appends output to `path` (created 0600), holding the file under `limit` bytes as the
    module's docstring says. Thread-safe: LogPipe's thread writes, another may add a note."""

    def __init__(self, path: Path, limit: int = int(DEFAULT_LIMIT_MB * MB)) -> None:
        if limit < 4096:
            raise ValueError(f"a log limit of {limit} bytes is too small to keep a head and a tail")
        self.path = path
        self.limit = limit
        self._head_limit = limit // 2
        self._keep = limit // 8
        self._lock = threading.Lock()
        self._fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        self.size = os.fstat(self._fd).st_size
        self.dropped = 0  # bytes of output no longer in the file
        self._head_end: int | None = None  # where the head ends, once it is full
        self._tail_start = 0  # after the marker line, once there is one
        self._failed = False
        if self.size >= self._head_limit:
            self._find_head()

    def write(self, data: bytes) -> None:
        """Append `data` (any size); cut the middle first when the file would pass the limit.
        A failing file (a full disk) is said once in hpdesk's log and tried again next time:
        the trial's output is still read."""
        with self._lock:
            if self._fd < 0:
                return
            try:
                self._write(data)
            except OSError as exc:
                self._failed_once(exc)
                self.size = os.fstat(self._fd).st_size

    def _write(self, data: bytes) -> None:
        if self._head_end is None:
            room = self._head_limit - self.size
            if room > 0:
                self._append(data[:room])
                data = data[room:]
            if not data:
                return
            self._find_head()
        if self.size + len(data) <= self.limit:
            self._append(data)
        else:
            self._cut(data)

    def note(self, line: str) -> None:
        """A line of hpdesk's own, on a line of its own."""
        with self._lock:
            if self._fd >= 0:
                self._append(self._newline_before() + line.encode() + b"\n")

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    # -- the file ------------------------------------------------------------------------------
    def _find_head(self) -> None:
        """The head ends at the last newline before its limit (at the limit if it has none);
        a marker line right after it is an earlier run's (its count goes on)."""
        start = max(0, self._head_limit - _FIND_LINE_END)
        before = os.pread(self._fd, self._head_limit - start, start)
        newline = before.rfind(b"\n")
        self._head_end = start + newline + 1 if newline >= 0 else self._head_limit
        self._tail_start = self._head_end
        line = os.pread(self._fd, 300, self._head_end)
        found = _MARKER.match(line)
        if found is not None and b"\n" in line:
            self.dropped = int(float(found[1]) * MB)
            self._tail_start = self._head_end + line.index(b"\n") + 1

    def _cut(self, data: bytes) -> None:
        """Head, marker, then the last `keep` bytes of (the tail so far + data), from a line's
        start."""
        assert self._head_end is not None
        tail_size = self.size - self._tail_start
        want = max(0, self._keep - len(data))
        old = os.pread(self._fd, min(want, tail_size), self.size - min(want, tail_size))
        kept = old + data
        if len(kept) > self._keep or want < tail_size:  # cut inside a line: start at the next
            kept = kept[-self._keep:]
            newline = kept.find(b"\n", 0, len(kept) - 1)
            if newline >= 0:
                kept = kept[newline + 1:]
        self.dropped += tail_size + len(data) - len(kept)
        head_break = b"" if self._head_end == 0 or self._ends_with_newline(self._head_end) \
            else b"\n"
        marker = head_break + marker_line(self.limit, self.dropped)
        try:
            os.ftruncate(self._fd, self._head_end)
            self.size = self._head_end
        except OSError as exc:
            self._failed_once(exc)
            return
        self._append(marker)
        self._tail_start = self._head_end + len(marker)
        self._append(kept)

    def _ends_with_newline(self, at: int) -> bool:
        return os.pread(self._fd, 1, at - 1) == b"\n"

    def _newline_before(self) -> bytes:
        return b"" if self.size == 0 or self._ends_with_newline(self.size) else b"\n"

    def _append(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._fd, view)
            except OSError as exc:  # a full disk: the metrics are still read
                self._failed_once(exc)
                self.size = os.fstat(self._fd).st_size
                return
            self.size += written
            view = view[written:]

    def _failed_once(self, exc: OSError) -> None:
        if not self._failed:
            log.warning("cannot write the log %s: %s", self.path, exc)
            self._failed = True


#: What every marker line starts with: a follower finds where the latest output resumes by it.
MARKER_PREFIX = b"----- hpdesk: log limit of "


def follow_from(path: str | os.PathLike[str], position: int, *, tail: int = 64 * 1024) -> int:
    """Where a reader that had read up to `position` goes on, now the log is shorter than that
    (it was cut): at the last marker line, where the kept output after the cut begins; without
    one (another program rewrote the file), `tail` bytes before its end."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size >= position:
                return position
            start = max(0, size - 32 * MB)  # the marker sits before the kept tail (1/8 limit)
            fh.seek(start)
            found = fh.read().rfind(MARKER_PREFIX)
    except OSError:
        return 0
    return start + found if found >= 0 else max(0, size - tail)
