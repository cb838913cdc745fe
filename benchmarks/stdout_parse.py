"""Reading metrics from a script's stdout: StdoutParser's cost on long lines and on real output.

Prints progress lines, then one JSON object as its last line:
  long_lines_s           60 lines of 10,000 characters (ten each of six shapes: a run of
                         `name: value | ` fields, one token without separators, prose, digits,
                         `word: ` labels, table pairs), best of --repeats; target under 0.1 s
  long_lines_first_s     the same, first run
  long_lines_by_shape_ms the ten lines of each shape, best run
  baseline_long_lines_s  the same 60 lines through re.compile(r"\\S+").findall
  reader_mb_s, reader_lines_s      the default reader on a realistic mix of metric and noise
                                   lines (PyTorch examples, Keras, Lightning, Hugging Face,
                                   JSON, logging, tracebacks, warnings, prose)
  baseline_mb_s, baseline_lines_s  the same lines through re.compile(r"\\S+").findall, a trivial
                                   linear scan measured in the same run
  reader_vs_baseline     the reader's time / the baseline's (how many times a bare scan)
  linearity              per shape, time per line at 10k / at 1k and at 100k / at 10k
                         characters: about 10 for a linear reader (100 would be quadratic)

Usage: python benchmarks/stdout_parse.py [--mix-lines N] [--repeats R]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sys
import time
from collections.abc import Callable

from hpdesk.runner.stdout_metrics import StdoutParser

TARGET_S = 0.1
BASELINE = re.compile(r"\S+").findall


def _fill(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


SHAPES: dict[str, Callable[[int], str]] = {
    "name_value_fields": lambda n: _fill(
        "".join(f"metric_{i}: {i * 0.0371:.5f} | " for i in range(n // 10)), n),
    "one_token": lambda n: _fill("aB3_x.9-", n),
    "prose": lambda n: _fill("the model was saved to disk after training, and then we moved "
                             "on to the next experiment without looking back ", n),
    "digits": lambda n: _fill("1234567890", n),
    "word_colons": lambda n: _fill("word: ", n),
    "table_pairs": lambda n: _fill("| valid loss  5.84 | lr 20.00 ", n),
}


def _time_lines(lines: list[str], fresh: bool = True) -> float:
    parser = StdoutParser()
    started = time.perf_counter()
    for line in lines:
        if fresh:
            parser = StdoutParser()
        parser.parse_line(line)
    return time.perf_counter() - started


def long_lines(repeats: int) -> dict[str, object]:
    """The 0.1 s target: ten 10,000-character lines of each shape."""
    by_shape = {name: [make(10_000)] * 10 for name, make in SHAPES.items()}
    every = [line for lines in by_shape.values() for line in lines]
    first = _time_lines(every)
    best = min(_time_lines(every) for _ in range(repeats))
    per_shape = {name: round(min(_time_lines(lines) for _ in range(repeats)) * 1000, 3)
                 for name, lines in by_shape.items()}
    started = time.perf_counter()
    for _ in range(repeats):
        for line in every:
            BASELINE(line)
    baseline = (time.perf_counter() - started) / repeats
    return {"long_lines_s": round(best, 4), "long_lines_first_s": round(first, 4),
            "long_lines_target_s": TARGET_S, "long_lines_ok": best < TARGET_S,
            "long_lines_by_shape_ms": per_shape, "baseline_long_lines_s": round(baseline, 5)}


def _mix(count: int, seed: int = 0) -> list[str]:
    """Lines as real scripts print them, numbers varied; about a third are noise or prose."""
    rnd = random.Random(seed)

    def f() -> str:
        return f"{rnd.uniform(0, 10):.4f}"

    makers: list[Callable[[int], str]] = [
        lambda i: (f"| epoch {i // 50 + 1:3d} | {i % 50 * 200:5d}/ 2983 batches | lr 20.00 | "
                   f"ms/batch {f()} | loss {f()} | ppl {f()}"),
        lambda i: f"| end of epoch {i:3d} | time: {f()}s | valid loss {f()} | valid ppl {f()}",
        lambda i: f"Train Epoch: {i} [{i * 64}/60000 ({i % 100}%)]\tLoss: {f()}",
        lambda i: f"Test set: Average loss: {f()}, Accuracy: {i % 10000}/10000 ({i % 100}%)",
        lambda i: (f"1875/1875 [==============================] - 3s 2ms/step - loss: {f()} - "
                   f"accuracy: {f()} - val_loss: {f()} - val_accuracy: {f()}"),
        lambda i: f"Epoch {i}/100",
        lambda i: (f"\rEpoch {i}: 50%|█████     | 16/32 [00:00<00:00, 40.00it/s, v_num=3, "
                   f"train_loss={f()}]\rEpoch {i}: 100%|██████████| 32/32 [00:01<00:00, "
                   f"20.31it/s, v_num=3, train_loss={f()}, val_loss={f()}, val_acc={f()}]"),
        lambda i: (f"{{'loss': {f()}, 'grad_norm': {f()}, 'learning_rate': 5e-05, "
                   f"'epoch': {i / 100:.2f}}}"),
        lambda i: f'{{"step": {i}, "loss": {f()}, "acc": {f()}}}',
        lambda i: f"2026-12-05 17:00:01,123 - INFO - epoch {i} loss: {f()}",
        lambda i: f"iter {i}: loss {f()}, time {f()}ms, mfu {f()}%",
        lambda i: f"step: {i}, loss={f()}, lr: 3e-4",
        # noise and prose
        lambda i: "Traceback (most recent call last):",
        lambda i: f'  File "/home/me/train.py", line {i}, in train',
        lambda i: f"ValueError: lr={f()} must be positive",
        lambda i: (f"/usr/lib/python3.11/site-packages/torch/nn/modules/rnn.py:{i}: "
                   f"UserWarning: dropout={f()} and num_layers=1"),
        lambda i: f"WARNING:root:lr={f()} is high",
        lambda i: f"Namespace(lr={f()}, epochs=6, tied=False, seed={i})",
        lambda i: f"Saving checkpoint to /tmp/run_{i}/ckpt_{i}.pt",
        lambda i: f"Found {i} files in the data folder, using {i % 8} workers",
    ]
    return [makers[rnd.randrange(len(makers))](i) for i in range(count)]


def mix(count: int, repeats: int) -> dict[str, object]:
    lines = _mix(count)
    size_mb = sum(len(line.encode()) + 1 for line in lines) / 1e6
    points = len(StdoutParser().parse_lines(lines))
    reader = min(_time_lines(lines, fresh=False) for _ in range(repeats))
    baseline = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for line in lines:
            BASELINE(line)
        baseline = min(baseline, time.perf_counter() - started)
    return {"mix_lines": count, "mix_mb": round(size_mb, 2), "mix_points": points,
            "reader_mb_s": round(size_mb / reader, 2), "reader_lines_s": round(count / reader),
            "baseline_mb_s": round(size_mb / baseline, 2),
            "baseline_lines_s": round(count / baseline),
            "reader_vs_baseline": round(reader / baseline, 2)}


def linearity(repeats: int) -> dict[str, dict[str, float]]:
    """Per shape, the time of one line at 1k, 10k and 100k characters (best of runs)."""
    out: dict[str, dict[str, float]] = {}
    for name, make in SHAPES.items():
        per_line = []
        for n, runs in ((1_000, 200), (10_000, 20), (100_000, 2)):
            line = make(n)
            per_line.append(min(_time_lines([line] * runs) for _ in range(repeats)) / runs)
        out[name] = {"10k/1k": round(per_line[1] / per_line[0], 1),
                     "100k/10k": round(per_line[2] / per_line[1], 1),
                     "100k_line_ms": round(per_line[2] * 1000, 2)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mix-lines", type=int, default=100_000, help="lines of the mix")
    parser.add_argument("--repeats", type=int, default=3, help="best of N for each figure")
    args = parser.parse_args()
    result: dict[str, object] = {}
    result.update(long_lines(args.repeats))
    print(f"60 long lines: {result['long_lines_s']} s (target {TARGET_S} s), "
          f"baseline {result['baseline_long_lines_s']} s", file=sys.stderr)
    result.update(mix(args.mix_lines, args.repeats))
    print(f"mix: reader {result['reader_mb_s']} MB/s, {result['reader_lines_s']:,} lines/s; "
          f"baseline {result['baseline_mb_s']} MB/s, {result['baseline_lines_s']:,} lines/s; "
          f"ratio {result['reader_vs_baseline']}", file=sys.stderr)
    lines = linearity(args.repeats)
    for name, ratios in lines.items():
        print(f"linearity {name}: {ratios}", file=sys.stderr)
    result["linearity"] = lines
    result["cpu_count"] = os.cpu_count()
    result["python"] = platform.python_version()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
