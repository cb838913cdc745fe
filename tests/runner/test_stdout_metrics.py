from __future__ import annotations

import math
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from hpdesk.runner.stdout_metrics import LogTail, StdoutParser


def test_default_pattern_reads_common_shapes() -> None:
    p = StdoutParser()
    assert p.parse_line("loss: 0.25") == [("loss", 1, 0.25)]
    assert p.parse_line("loss: 0.20") == [("loss", 2, 0.2)]
    assert p.parse_line("epoch 3 | val_acc=0.9 train/loss: 1e-3") == [
        ("val_acc", 3, 0.9), ("train/loss", 3, 0.001)]
    assert p.parse_line("step: 10, loss=nan") == [("loss", 10, None)]
    assert p.parse_line("Saving checkpoint to ckpt_3.pt") == []
    assert p.parse_line("lr = 3.0e-04") == [("lr", 1, 3e-4)]
    assert p.parse_line('{"step": 5, "loss": 0.5, "acc": 1}') == [("loss", 5, 0.5), ("acc", 5, 1.0)]
    assert p.parse_line('{"event": "diverged", "step": 5}') == []


def test_custom_pattern_with_step_group() -> None:
    p = StdoutParser([r"it (?P<step>\d+) (?P<name>\w+)=(?P<value>\S+)"])
    assert p.parse_line("it 7 score=0.5") == [("score", 7, 0.5)]
    assert p.parse_line("score: 0.6") == []


@given(st.text(max_size=200))
def test_parser_never_raises(line: str) -> None:
    for name, step, value in StdoutParser().parse_line(line):
        assert isinstance(name, str) and isinstance(step, int)
        assert value is None or math.isfinite(value) or math.isinf(value)


@given(st.lists(st.sampled_from(["loss", "acc", "val_loss"]), max_size=30),
       st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=30,
                max_size=30))
def test_parser_round_trips_printed_values(names: list[str], values: list[float]) -> None:
    p = StdoutParser()
    counts: dict[str, int] = {}
    for name, value in zip(names, values):
        counts[name] = counts.get(name, 0) + 1
        ((got_name, step, got),) = p.parse_line(f"{name}: {value!r}")
        assert (got_name, step) == (name, counts[name])
        assert got == float(repr(value))


def test_log_tail_returns_only_complete_new_lines(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_bytes(b"old line\n")
    tail = LogTail(path, offset=path.stat().st_size)
    assert tail.new_lines() == []
    with open(path, "ab") as fh:
        fh.write(b"loss: 1\nloss: 2")
    assert tail.new_lines() == ["loss: 1"]
    with open(path, "ab") as fh:
        fh.write(b"5\n")
    assert tail.new_lines() == ["loss: 25"]
