"""Metrics from an unmodified script's output, read as the trial prints it.

A script prints what it prints: PyTorch's examples (`| epoch   1 |   200/ 2983 batches | lr 20.00
| loss  7.63`), Keras' progress lines, Lightning's tqdm bars, Hugging Face's dicts, the SDK's JSON
lines. StdoutParser turns each line into (name, step, value) points; LineBuffer cuts the bytes
a trial writes into complete lines (log_pipe.LogPipe reads them from the trial's pipe), and
`parse_block` reads a large block of them at once, looking only at the lines stdout_scan names.

Steps
-----
- A point's step is the line's explicit step when it is larger than every step this parser has
  already given. The explicit step is a `step` group of a custom pattern, a field named `step`,
  `global_step`, `global step`, `iter` or `iteration` on the same line, or the `step` or
  `global_step` key of a JSON or dict line.
- Otherwise (no explicit step, or one that repeats or goes back, e.g. a step counter that
  restarts each epoch) the line gets the next number after the largest step given so far (the
  first line without one gets 1).
- So there is ONE counter shared by all metrics; all metrics of one line share a step; steps
  strictly increase line after line; a point is never silently replaced (a name given twice on
  one line keeps its first value).
- A line that has only a step and no metric gives nothing and does not change the state.

Epochs
------
- A line's epoch is a field named epoch (case-insensitive; the last word of a multi-word name
  counts: `end of epoch   1`, `Train Epoch: 1`), `Epoch 0:`, `Epoch 3/10` or `Epoch [1/5]`
  anywhere in the line, a custom pattern's `epoch` group, or a JSON/dict `epoch` key (it may be
  fractional: Hugging Face prints 0.1).
- The epoch is sticky: a line that only announces an epoch (Keras prints `Epoch 3/10` on its own
  line before the progress line) sets the current epoch for the lines that follow.
- Whenever a line gives at least one metric and an epoch is known, the parser also gives the
  point ("epoch", step, epoch): the "epoch" x axis maps steps to epochs through it.
- Fields named after the step or the epoch are never metrics themselves.

The default reader (no custom patterns)
---------------------------------------
- A line is first cleaned as a terminal shows it: no ANSI sequences; of `\\r` redraws the last
  non-empty part; of `\\b` erasures the text after the last run; stripped.
- Noise gives nothing (and keeps the epoch): tracebacks (with their indented lines and exception
  line), exception lines, warnings (`x.py:83: UserWarning: ...` and the source line under it),
  logging at WARNING/ERROR/CRITICAL, argparse's usage and errors, `Namespace(...)` and other
  reprs (multi-line ones up to their `)`), model summaries' parameter counts, glog/TensorFlow
  C++ log lines, wandb's summary, Hugging Face's `***** Running training *****` settings.
- A whole line `{...}` is a dict line: JSON, else a printed Python dict (lines under 100,000
  characters; parsed as ast.literal_eval would, never evaluated, and also taking the `nan`,
  `inf`, `tensor(0.5, ...)` and `np.float64(0.5)` values Python prints). Numeric (non-bool)
  top-level values are points, None a NaN point, nested values are ignored; a dict with an
  `event` key gives nothing. Dict lines are read with custom patterns too.
- Other lines are split into fields at `|`, `,`, `;`, tab, ` - ` and brackets (a comma between
  digits with three digits after it is a thousands separator: `55,050`). A field is read when it
  is, as a whole, after an optional label ending in `: ` (`Test set: Average loss: 0.05`):
  `name: value`, `name = value`, `name=value` (a name of 1 to 4 words), `name:value` (one word),
  or `name value`: a name of 1 to 4 words in table lines (with `|` or a tab: `valid loss  6.62`),
  elsewhere only as a run of one-word pairs (`step 3 loss 0.25 acc 0.9`), so prose (`Saving
  checkpoint 3`, `Found 3 files`) gives nothing. A one-word pair may end in `: ` before more
  pairs (`iter 100: loss 4.23`, `epoch 1: loss: 0.9`).
- A name's words start with a letter or `_` (`ms/batch`, `train/loss`, `val_acc`); names keep
  their case, runs of spaces become one; single-character names (`x = 3`) and Lightning's
  `v_num` are skipped; anything after the value (`y = 0.5 * x + 1`) makes the field no metric.
  A value is a number (`5e-05`, `nan` -> None, `inf`, `-inf`, `1,234` -> 1234) optionally
  followed by a unit (% s ms us µs ns sec min h B KB MB GB KiB MiB GiB it/s s/it; one space
  before it is allowed at the field's end), stored as printed (5.68s -> 5.68, 12% -> 12).
  `9837/10000` and `200/ 2983 batches` are progress, not values; tqdm's `100%|███|` bar is
  dropped; logging's `INFO:root:` prefix is dropped.

Custom patterns
---------------
When patterns are given, only they give metrics (plus dict lines): each pattern's `finditer`
over the cleaned line, a `value` group read as above, the name from a `name` (or `metric`)
group or the pattern's fixed name; a match naming the step or the epoch sets them. Noise lines
are skipped as above, and the step and epoch still come from the line's fields (`step 3
acc=0.5` gives acc at step 3) unless the patterns' own `step` / `epoch` groups give them.

Every regular expression of the default reader runs in time linear in the line's length, and
lines are cut at MAX_LINE characters first. A resumed trial's parser starts from its stored
steps and epoch (`step` and `epoch` of StdoutParser; trial_output.stdout_parser).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from hpdesk.plan.script import MetricPattern
from hpdesk.runner.stdout_fields import (
    NoiseFilter,
    Reading,
    clean,
    is_dict_line,
    normal_name,
    read_dict,
    read_fields,
    strip_log_prefix,
    to_value,
)
from hpdesk.runner.stdout_scan import candidate_starts

MAX_LINE = 1_000_000  # characters read of one line; the rest up to its newline is dropped
SCAN_FROM = 16_384  # bytes: a block this large is scanned as a whole before lines are read
SCAN_PIECE = 200_000  # bytes scanned at a time (the scan's arrays stay in a CPU's cache)

Point = tuple[str, int, float | None]  # (metric name, step, value; None = NaN)


class StdoutParser:
    """Turns lines into (name, step, value) points, numbering them by the rules in this module's
    docstring. One parser per trial: it remembers the steps it gave and the current epoch."""

    def __init__(self, patterns: Sequence[str | MetricPattern] = (), *, step: int | None = None,
                 epoch: float | None = None) -> None:
        """`step` and `epoch`: where an earlier run of the trial stopped (a resumed trial's
        lines continue after its stored points)."""
        self._patterns: list[tuple[re.Pattern[str], str | None]] = []
        for given in patterns:
            pattern = MetricPattern(given) if isinstance(given, str) else given
            problem = pattern.problem()
            if problem is not None:
                raise ValueError(f"stdout pattern {pattern.regex!r}: {problem}")
            fixed = normal_name(pattern.name) if pattern.name else None
            self._patterns.append((re.compile(pattern.regex), fixed))
        self._noise = NoiseFilter()
        self._step: int | None = step
        self._epoch: float | None = epoch

    @property
    def last_step(self) -> int | None:
        """The largest step given so far (None before the first point)."""
        return self._step

    @property
    def epoch(self) -> float | None:
        """The current epoch, as last announced (None while none was)."""
        return self._epoch

    def parse_lines(self, lines: Iterable[str]) -> list[Point]:
        """parse_line over lines, in order."""
        return [point for line in lines for point in self.parse_line(line)]

    def parse_block(self, block: bytes, *, scan: bool | None = None) -> list[Point]:
        """The points of a block of lines as a trial wrote them (UTF-8, `\n` between lines; the
        last line may lack its newline): the same as parse_line over each line, but a large
        block (`scan` None: from SCAN_FROM bytes) is scanned as a whole, in pieces of about
        SCAN_PIECE bytes (stdout_scan), and only the lines that can give a point, or open a
        block of noise, are read, then every line while such a block is open."""
        if not (len(block) >= SCAN_FROM if scan is None else scan):
            return self.parse_lines(split_lines(block))
        points: list[Point] = []
        at = 0
        while at < len(block):
            cut = block.find(b"\n", at + SCAN_PIECE)  # pieces that fit a CPU's cache
            end = len(block) if cut < 0 else cut + 1
            piece = block[at:end] if at or end < len(block) else block
            done = self._read_open(piece, 0, points)  # a block of noise left open
            for start in candidate_starts(piece, patterns=bool(self._patterns)):
                if start >= done:
                    done = self._read_open(piece, self._read_line(piece, start, points), points)
            at = end
        return points

    def _read_line(self, block: bytes, start: int, points: list[Point]) -> int:
        """Reads the line at `start`; returns where the next one starts."""
        end = block.find(b"\n", start)
        stop = len(block) if end < 0 else end
        points += self.parse_line(block[start:stop].decode("utf-8", "replace"))
        return stop + 1

    def _read_open(self, block: bytes, start: int, points: list[Point]) -> int:
        """Reads the lines from `start` while a block of noise is open; returns where the
        first line not read starts."""
        while not self._noise.idle and start < len(block):
            start = self._read_line(block, start, points)
        return start

    def parse_line(self, line: str) -> list[Point]:
        """The points one line gives (none for noise, prose and step-only lines)."""
        raw = clean(line[:MAX_LINE])
        text = raw.strip()
        if not text or self._noise.skip(raw, text):
            return []
        text = strip_log_prefix(text)
        reading = read_dict(text) if is_dict_line(text) else None
        if reading is None:
            reading = self._read_patterns(text) if self._patterns else read_fields(text)
        return self._number(reading)

    def _read_patterns(self, text: str) -> Reading:
        fields = read_fields(text)
        reading = Reading(step=fields.step, epoch=fields.epoch)
        step: int | None = None
        epoch: float | None = None
        for regex, fixed in self._patterns:
            for m in regex.finditer(text):
                groups = m.groupdict()
                if step is None and groups.get("step") is not None:
                    step = _step_of(groups["step"])
                if epoch is None and groups.get("epoch") is not None:
                    epoch = _epoch_of(groups["epoch"])
                name = groups.get("name") or groups.get("metric") or fixed
                if groups.get("value") is None or not name or not name.strip():
                    continue
                try:
                    value = to_value(groups["value"])
                except ValueError:
                    continue
                reading.add(normal_name(name), value)
        # a step or epoch named by a pattern's groups wins over the one read from the fields
        if step is not None:
            reading.step = step
        if epoch is not None:
            reading.epoch = epoch
        return reading

    def _number(self, reading: Reading) -> list[Point]:
        if reading.epoch is not None:
            self._epoch = reading.epoch
        if not reading.metrics:
            return []
        last, given = self._step, reading.step
        if given is not None and (last is None or given > last):
            step = given
        else:
            step = 1 if last is None else last + 1
        self._step = step
        points: list[Point] = [(name, step, value) for name, value in reading.metrics.items()]
        if self._epoch is not None:
            points.append(("epoch", step, self._epoch))
        return points


def _step_of(text: str) -> int | None:
    try:
        value = to_value(text)
    except ValueError:
        return None
    if value is None or value < 0 or not value.is_integer():
        return None
    return int(value)


def _epoch_of(text: str) -> float | None:
    try:
        value = to_value(text)
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


class LineBuffer:
    """Cuts the bytes a trial writes, in pieces of any size, into complete lines. A line longer
    than MAX_LINE is cut there (never inside a character) and the rest up to its newline is
    dropped as it arrives, so a script printing megabytes without a newline costs no more
    memory than that."""

    def __init__(self) -> None:
        self._partial = bytearray()
        self._cut = False  # the partial line reached MAX_LINE: the rest of it is dropped

    def feed(self, data: bytes) -> bytes:
        """The lines `data` completes, each ending in `\n` (b"" when it completes none)."""
        last = data.rfind(b"\n")
        if last < 0:
            self._append(data)
            return b""
        first = data.find(b"\n")
        if self._partial or self._cut:
            self._append(data[:first])
            head = self._take() + b"\n"
            block = head + data[first + 1:last + 1] if first < last else head
        else:
            block = data[:last + 1]
        self._append(data[last + 1:])
        if len(block) > MAX_LINE:  # only a block this long can hold a line that long
            block = _cut_long_lines(block)
        return block

    def flush(self) -> bytes:
        """The last line, without its newline: the writer is gone, nothing will complete it."""
        return self._take() if self._partial else b""

    def _append(self, piece: bytes) -> None:
        if self._cut:
            return
        room = MAX_LINE - len(self._partial)
        if len(piece) > room:
            self._partial += piece[:room]
            self._cut = True
        else:
            self._partial += piece

    def _take(self) -> bytes:
        data = bytes(self._partial)
        self._partial = bytearray()
        if self._cut:
            data = _whole_characters(data)
        self._cut = False
        return data


def split_lines(block: bytes) -> list[str]:
    """A block of lines as text (the newline that ends it gives no empty line after it)."""
    if not block:
        return []
    lines = block.decode("utf-8", "replace").split("\n")
    if block.endswith(b"\n"):
        lines.pop()
    return lines


def _cut_long_lines(block: bytes) -> bytes:
    pieces = block.split(b"\n")
    if max(map(len, pieces)) <= MAX_LINE:
        return block
    return b"\n".join(_whole_characters(p[:MAX_LINE]) if len(p) > MAX_LINE else p
                      for p in pieces)


class LogTail:
    """Reads the complete lines added to a log file since the last call (survives partial
    writes), cut as LineBuffer cuts them."""

    BLOCK = 1 << 20  # bytes read at a time

    def __init__(self, path: Path, offset: int = 0) -> None:
        self.path = path
        self._offset = offset
        self._lines = LineBuffer()

    @property
    def offset(self) -> int:
        """Bytes of the file consumed (lines returned, the partial line held or dropped)."""
        return self._offset

    def new_lines(self, max_bytes: int = 4_000_000) -> list[str]:
        """The lines completed since the last call, reading at most `max_bytes` of the file."""
        lines: list[str] = []
        self._read(max_bytes, lines)
        return lines

    def drain(self) -> list[str]:
        """Everything up to the end of the file, the last line too when it has no newline (the
        process has exited: nothing will complete it)."""
        lines: list[str] = []
        while self._read(self.BLOCK * 4, lines):
            pass
        last = self._lines.flush()
        if last:
            lines.append(last.decode("utf-8", "replace"))
        return lines

    def _read(self, max_bytes: int, lines: list[str]) -> int:
        """Reads up to max_bytes into lines; returns how many bytes it read."""
        total = 0
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                while total < max_bytes:
                    block = fh.read(min(self.BLOCK, max_bytes - total))
                    if not block:
                        break
                    total += len(block)
                    self._offset += len(block)
                    lines += split_lines(self._lines.feed(block))
        except OSError:
            pass
        return total


def _whole_characters(data: bytes) -> bytes:
    """Drops a UTF-8 character the cut split in two (its lead byte and continuation bytes)."""
    end = len(data)
    back = 0
    while back < 3 and end - back > 0 and data[end - back - 1] & 0xC0 == 0x80:
        back += 1
    if end - back > 0 and data[end - back - 1] >= 0xC0:
        lead = data[end - back - 1]
        size = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
        if back + 1 < size:
            return data[:end - back - 1]
    return data
