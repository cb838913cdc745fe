"""CappedLog: a trial's log keeps the beginning and the end of its output within the limit, with
one marker line that counts what was dropped between them, on real files."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from hpdesk.runner.capped_log import MB, CappedLog, follow_from, marker_line

MARKER = re.compile(rb"----- hpdesk: log limit of ([\d.]+) MB reached; ([\d.]+) MB of output "
                    rb"dropped here \(metrics were still read\) -----\n")
LIMIT = 8192


def lines(count: int, width: int = 40, start: int = 0) -> bytes:
    return b"".join(b"line %07d " % i + b"x" * (width - 14) + b"\n"
                    for i in range(start, start + count))


def split(data: bytes) -> tuple[bytes, bytes, int]:
    """(head, tail, dropped bytes as the marker says) of a capped log."""
    (found,) = list(MARKER.finditer(data))
    return data[:found.start()], data[found.end():], round(float(found[2]) * MB)


def test_a_log_under_the_limit_is_the_output(tmp_path: Path) -> None:
    out = lines(100)
    log = CappedLog(tmp_path / "t.log", LIMIT)
    log.write(out)
    log.close()
    assert (tmp_path / "t.log").read_bytes() == out
    assert stat.S_IMODE(os.stat(tmp_path / "t.log").st_mode) == 0o600


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 3 * LIMIT), min_size=1, max_size=12))
def test_the_head_and_the_tail_are_kept_whole_lines_within_the_limit(tmp_path_factory: object,
                                                                    sizes: list[int]) -> None:
    folder = tmp_path_factory.mktemp("log")  # type: ignore[attr-defined]
    out = lines(sum(sizes) // 40 + 1)
    log = CappedLog(folder / "t.log", LIMIT)
    at = 0
    for size in sizes:
        log.write(out[at:at + size])
        at += size
        assert log.size <= LIMIT and os.path.getsize(folder / "t.log") == log.size
    log.close()
    written = out[:at]
    data = (folder / "t.log").read_bytes()
    if len(written) <= LIMIT:
        assert data == written
        return
    head, tail, _ = split(data)
    assert written.startswith(head) and head.endswith(b"\n") and len(head) <= LIMIT // 2
    assert written.endswith(tail) and len(tail) >= min(len(written) - len(head), LIMIT // 8) - 40
    assert tail == b"" or written[len(written) - len(tail) - 1:][:1] == b"\n"  # whole lines
    assert log.dropped == len(written) - len(head) - len(tail)


def test_the_marker_counts_the_dropped_output(tmp_path: Path) -> None:
    log = CappedLog(tmp_path / "t.log", 1_000_000)
    out = lines(100_000, width=50)  # 5 MB
    for at in range(0, len(out), 65536):
        log.write(out[at:at + 65536])
    log.close()
    head, tail, dropped = split((tmp_path / "t.log").read_bytes())
    assert dropped == round(log.dropped / 1e5) * 1e5  # shown to 0.1 MB
    assert len(head) + len(tail) + log.dropped == len(out)
    assert marker_line(1_000_000, 4_012_345) == (b"----- hpdesk: log limit of 1 MB reached; 4 MB "
                                                 b"of output dropped here (metrics were still "
                                                 b"read) -----\n")


def test_a_head_without_a_newline_is_cut_and_the_marker_starts_its_own_line(
        tmp_path: Path) -> None:
    log = CappedLog(tmp_path / "t.log", LIMIT)
    log.write(b"y" * (3 * LIMIT))  # one line, no newline
    log.write(b"\nlast line\n")
    log.close()
    data = (tmp_path / "t.log").read_bytes()
    assert data.startswith(b"y" * (LIMIT // 2) + b"\n----- hpdesk: log limit")
    assert data.endswith(b"\nlast line\n") and len(data) <= LIMIT


def test_a_resumed_trial_appends_and_the_count_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    first = CappedLog(path, LIMIT)
    first.write(lines(1000))
    first.close()
    dropped, first_head = first.dropped, split(path.read_bytes())[0]
    second = CappedLog(path, LIMIT)
    second.note("----- hpdesk: trial 0 runs again from here -----")
    second.write(lines(1000, start=1000))
    second.close()
    data = path.read_bytes()
    head, tail, shown = split(data)  # one marker: the earlier run's was replaced
    assert len(data) <= LIMIT and head == first_head
    assert second.dropped > dropped and shown == round(second.dropped / 1e5) * 1e5
    assert tail.endswith(lines(1, start=1999))


def test_a_note_is_a_line_of_its_own(tmp_path: Path) -> None:
    log = CappedLog(tmp_path / "t.log", LIMIT)
    log.write(b"no newline yet")
    log.note("----- hpdesk: a note -----")
    log.close()
    assert (tmp_path / "t.log").read_bytes() == b"no newline yet\n----- hpdesk: a note -----\n"


def test_a_follower_past_a_cut_goes_on_at_the_marker(tmp_path: Path) -> None:
    log = tmp_path / "trial-0.log"
    head = b"started\n" * 10
    log.write_bytes(head + marker_line(1000, 5000) + b"latest line\n")
    at = follow_from(log, 10_000)  # a reader that had read 10 kB of the longer file
    assert log.read_bytes()[at:].startswith(b"----- hpdesk: log limit of")
    assert follow_from(log, 10) == 10  # not cut: stays where it was
    log.write_bytes(b"rewritten by someone else\n")
    assert follow_from(log, 10_000) == 0
