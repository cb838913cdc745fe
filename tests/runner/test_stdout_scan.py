"""stdout_scan's promise: a line it leaves out of a block gives no point and changes nothing, so
StdoutParser.parse_block (the scan, then only the named lines) gives exactly what parse_line
over every line gives. Checked on random output built from the pieces the reader's rules turn
on, on every captured format in test_stdout_formats.py, and on noise it must skip."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpdesk.runner.stdout_metrics import MetricPattern, StdoutParser, split_lines
from hpdesk.runner.stdout_scan import candidate_starts
from tests.runner import test_stdout_formats as formats

PATTERNS = (MetricPattern(r"(?P<name>\w+)[:=] ?(?P<value>\S+)"),
            MetricPattern(r"acc (?P<value>\S+)", "accuracy"))

# Pieces the rules look at: names, separators, values, bullets, noise openers and closers,
# terminal controls, non-ASCII letters, digits and spaces.
PIECES = ["loss", "val loss", "lr", "acc@1", "top-1", "Epoch", "EPOCH", "ePoCh", "step", "iter",
          "e-01", "1.2e-01", "x", "_w", "a.b/c", "é", "损失", "٣", "\u00a0", "█",
          " ", "  ", "\t", ":", ": ", "=", " = ", "|", ",", ", ", ";", " - ", "(", ")", "[", "]",
          "{", "}", '"', "'", "*", "***", "•", "-", "--", "+", ".", "%", "ms", "it/s", "/",
          "0", "5", "0.5", ".5", "-.5", "+1", "1,234", "nan", "NaN", "inf", "-inf", "Infinity",
          "nans", "information", "Traceback (most recent call last):", "  File \"x.py\", line 3",
          "ValueError: bad", "UserWarning", "x.py:83: UserWarning: careful", "Warning",
          "WARNING", "ERROR:", "Namespace(", "Net(", "***** Running training *****",
          "\r", "\x1b[31m", "\x1b[0m", "\b", "\f", "\x1c", "\\", "INFO:root:", "usage: "]

line_text = st.lists(st.sampled_from(PIECES), max_size=10).map("".join)
output = st.lists(line_text, max_size=30).map("\n".join)


def both(text: str, patterns: tuple[MetricPattern, ...] = ()) -> tuple[list, list]:
    block = text.encode()
    whole = StdoutParser(patterns).parse_lines(split_lines(block))
    scanned = StdoutParser(patterns).parse_block(block, scan=True)
    return whole, scanned


@settings(max_examples=400, deadline=None)
@given(output, st.booleans(), st.booleans())
def test_a_scanned_block_gives_exactly_what_every_line_gives(text: str, patterns: bool,
                                                             newline: bool) -> None:
    text += "\n" if newline else ""
    whole, scanned = both(text, PATTERNS if patterns else ())
    assert scanned == whole


CAPTURES = sorted(name for name, value in vars(formats).items()
                  if name.isupper() and isinstance(value, str) and value.count("\n") > 3)


def test_the_captures_are_found() -> None:
    assert {"WORD_LANGUAGE_MODEL", "MNIST", "KERAS3", "LIGHTNING", "HUGGING_FACE"} <= set(CAPTURES)


@pytest.mark.parametrize("name", CAPTURES)
@pytest.mark.parametrize("patterns", [(), PATTERNS])
def test_every_captured_format_reads_the_same_scanned(name: str,
                                                      patterns: tuple[MetricPattern, ...]) -> None:
    whole, scanned = both(getattr(formats, name), patterns)
    assert scanned == whole


def test_noise_without_pairs_is_skipped_and_metric_lines_are_not() -> None:
    rng = random.Random(3)
    noise = [
        "tensor([" + ", ".join(f"{rng.uniform(-1, 1):.4f}" for _ in range(8)) + "])",
        "[[ 1.2345e-01 -2.3456e-01  3.4567e-01]",  # numpy: e-notation is no name
        "/data/train/000123.jpg /data/train/000124.jpg",
        "".join(rng.choice("0123456789abcdef") for _ in range(200)),
        "loading weights from the checkpoint directory",
    ]
    metrics = ["step 3 | loss 0.5 | acc 0.9", "--lr 0.1", "train/loss=2", "Acc@1 75.1"]
    lines = noise * 3 + metrics + noise
    block = ("\n".join(lines) + "\n").encode()
    starts = candidate_starts(block)
    offsets = [0]
    for line in lines[:-1]:
        offsets.append(offsets[-1] + len(line.encode()) + 1)
    assert [lines[offsets.index(s)] for s in starts] == metrics
