"""A trial that floods its output: 80 MB/s for 10 s through the real scheduler (`hpdesk run` in a
subprocess, a temporary database), and whether every metric line it printed was stored.

The trial is this file run with --trial: a plain script (no SDK) that prints, per metric line
(`step N | loss L | acc A | lr 0.0003`, about 1,000 a second at 80 MB/s), one block of about
80 KB of what chatty training scripts print, cycling through 64 variants with other numbers.
By bytes a block is: printed tensors (torch's repr, rows of 8 values, `device='cuda:0'`) 55 %;
data-loader debug lines with index lists (about 2 KB each) 24 %; sample paths 12 %; a tqdm bar
redrawn with `\\r` 100 times (one line) 6 %; debug prose with numbers (`fetched batch 1234 from
shard 7 (prefetch queue 3/8, 0.0021 s)`) 3 %. It paces its writes to the rate asked for, ends
with a last metric line and, with --end traceback, a traceback and exit 1.

Last line, one JSON object:
  bytes_printed, seconds, rate_mb_s      what the trial printed, for how long, at what rate
  metric_lines_printed, metric_points_stored, every_metric_line_stored (each step's value too)
  objective, last_printed_loss, objective_from_last_point
  log_bytes, log_limit_bytes, log_marker, log_ends_with_trial_end
  finish_after_exit_s    from the trial's last write to its row saying it ended
  run_wall_s             the whole `hpdesk run` (start, flood, verdict)
  baseline_cat_rate_mb_s, baseline_cat_seconds   the same trial, same rate, piped to `cat`
                         into a file (no hpdesk) in the same run: the machine's own figure
  parse_only_mb_s        one cycle of the same output through LineBuffer + parse_block, in
                         memory, no pipe and no database
  parse_line_by_line_mb_s  the same bytes through parse_line for every line (no scan)

Usage: python benchmarks/output_flood.py [--seconds 10] [--rate-mb-s 80] [--log-limit-mb 100]
       [--end exit|traceback] [--no-baseline]
Quick check (tests/faults/test_output_flood.py): --seconds 2 --log-limit-mb 5 --end traceback
--no-baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEGMENTS = 64
BLOCK = 80_000  # bytes of noise per metric line at 80 MB/s (1,000 metric lines a second)
ROOT = Path(__file__).resolve().parents[1]


# -- the trial ------------------------------------------------------------------------------------
def loss_at(step: int) -> float:
    return round(2.0 / (1.0 + 0.001 * step), 6)


def metric_line(step: int) -> bytes:
    return b"step %d | loss %.6f | acc %.4f | lr 0.0003\n" % (
        step, loss_at(step), 1.0 - loss_at(step) / 2.5)


def noise_block(rng: random.Random, size: int) -> bytes:
    """About `size` bytes of the mix the module's docstring describes."""
    def value() -> str:
        return f"{rng.uniform(-3, 3): .4f}"

    rows = [f"        [{', '.join(value() for _ in range(8))}],"
            for _ in range(int(size * .55 / 83))]
    rows[0] = "tensor([" + rows[0].lstrip()
    rows[-1] = rows[-1][:-1] + "], device='cuda:0', grad_fn=<AddmmBackward0>)"
    lines = rows
    for _ in range(max(1, int(size * .24 / 2000))):
        ids = ", ".join(str(rng.randrange(60000)) for _ in range(330))
        lines.append(f"DEBUG:loader:batch indices [{ids}]")
    for _ in range(max(1, int(size * .12 / 2000))):
        lines.append("loaded " + " ".join(f"/data/train/{rng.randrange(10**6):06d}.jpg"
                                          for _ in range(80)))
    bar = "".join(f"\r {i}%|{'█' * (i // 10)}{' ' * (10 - i // 10)}| {i * 10}/1000 "
                  f"[00:01<00:02, {rng.uniform(300, 500):.2f}it/s]" for i in range(100))
    lines.append(bar)
    for _ in range(max(1, int(size * .03 / 130))):
        lines.append(f"2024-05-01 12:00:00,{rng.randrange(1000):03d} DEBUG data.loader: fetched "
                     f"batch {rng.randrange(10**4)} from shard {rng.randrange(64)} (prefetch "
                     f"queue {rng.randrange(8)}/8, {rng.random():.4f} s)")
    rng.shuffle(lines)
    return ("\n".join(lines) + "\n").encode()


def output_cycle(block: int = BLOCK) -> list[bytes]:
    rng = random.Random(11)
    return [noise_block(rng, block) for _ in range(SEGMENTS)]


def trial(rate: float, seconds: float, summary: Path, end: str) -> int:
    """Print `rate` bytes a second for `seconds`: the flood. Writes what it printed to
    `summary` (JSON) before its last lines."""
    blocks = output_cycle(max(1000, int(rate / 1000)))
    sent, step = 0, 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        step += 1
        data = blocks[step % SEGMENTS] + metric_line(step)
        view = memoryview(data)
        while view:
            view = view[os.write(1, view):]
        sent += len(data)
        ahead = sent / rate - (time.monotonic() - t0)
        if ahead > 0.002:
            time.sleep(ahead)
    elapsed = time.monotonic() - t0
    tail = b"Traceback (most recent call last):\n  File \"flood.py\", line 1, in <module>\n" \
           b"RuntimeError: the flood is over\n" if end == "traceback" else b"done\n"
    summary.write_text(json.dumps({"bytes_printed": sent + len(tail), "seconds": elapsed,
                                   "metric_lines_printed": step, "last_loss": loss_at(step),
                                   "ended_at": time.time()}))
    os.write(1, tail)
    return 1 if end == "traceback" else 0


# -- the measurements ---------------------------------------------------------------------------
def plan_text(rate: float, seconds: float, limit_mb: float, end: str) -> str:
    command = [sys.executable, str(Path(__file__).resolve()), "--trial", "--rate", str(rate),
               "--seconds", str(seconds), "--summary", "{trial_dir}/flood.json", "--end", end]
    return json.dumps({
        "hpdesk": 1, "task": "script", "name": "flood", "command": command,
        "params_style": "env", "space": {"x": {"type": "fixed", "value": 1}},
        "objective": {"metric": "loss", "direction": "minimize"},
        "strategy": "grid", "budget": {"trials": 1}, "concurrency": 1,
        "executor": {"log_limit_mb": limit_mb}})


def flood(folder: Path, rate: float, seconds: float, limit_mb: float, end: str) -> dict:
    from hpdesk.store import Store

    plan = folder / "flood.json"
    plan.write_text(plan_text(rate, seconds, limit_mb, end))
    db = folder / "flood.db"
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "hpdesk.cli", "run", str(plan), "--db", str(db)],
                         capture_output=True, text=True, cwd=ROOT, timeout=seconds * 20 + 120)
    wall = time.monotonic() - t0
    if out.returncode not in (0, 1):
        raise SystemExit(f"hpdesk run failed ({out.returncode}): {out.stdout}{out.stderr}")
    with Store(db) as store:
        (t,) = store.trials()
        steps, values = store.series(t.id, "loss")
    log = Path(t.log_path or "")
    printed = json.loads((log.with_suffix("") / "flood.json").read_text())
    n = printed["metric_lines_printed"]
    data = log.read_bytes()
    at = data.find(b"----- hpdesk: log limit")
    marker = "" if at < 0 else data[at:data.index(b"\n", at)].decode()
    last = b"RuntimeError: the flood is over\n" if end == "traceback" else b"done\n"
    return {
        "bytes_printed": printed["bytes_printed"], "seconds": round(printed["seconds"], 3),
        "rate_mb_s": round(printed["bytes_printed"] / printed["seconds"] / 1e6, 1),
        "metric_lines_printed": n, "metric_points_stored": len(steps),
        "every_metric_line_stored": (steps == list(range(1, n + 1))
                                     and values == [loss_at(s) for s in range(1, n + 1)]),
        "objective": t.objective, "last_printed_loss": printed["last_loss"],
        "objective_from_last_point": t.objective == printed["last_loss"],
        "trial_state": t.state, "trial_message": t.message,
        "log_bytes": len(data), "log_limit_bytes": int(limit_mb * 1_000_000),
        "log_marker": marker, "log_ends_with_trial_end": data.endswith(last),
        "finish_after_exit_s": round((t.ended_at or 0) - printed["ended_at"], 3),
        "run_wall_s": round(wall, 2)}


def baseline_cat(folder: Path, rate: float, seconds: float) -> dict:
    """The same trial piped to `cat` into a file: what this machine does without hpdesk."""
    summary = folder / "cat.json"
    with open(folder / "cat.out", "wb") as sink:
        cat = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=sink)
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--trial", "--rate",
                        str(rate), "--seconds", str(seconds), "--summary", str(summary)],
                       stdout=cat.stdin, check=True)
        assert cat.stdin is not None
        cat.stdin.close()
        cat.wait()
    printed = json.loads(summary.read_text())
    return {"baseline_cat_rate_mb_s": round(printed["bytes_printed"] / printed["seconds"] / 1e6,
                                            1),
            "baseline_cat_seconds": round(printed["seconds"], 3)}


def parse_only(line_by_line: bool = True) -> dict:
    from hpdesk.runner.stdout_metrics import LineBuffer, StdoutParser, split_lines

    data = b"".join(block + metric_line(i + 1) for i, block in enumerate(output_cycle()))
    chunks = [data[i:i + (1 << 20)] for i in range(0, len(data), 1 << 20)]
    lines, parser = LineBuffer(), StdoutParser()
    t0 = time.perf_counter()
    points = [p for chunk in chunks for p in parser.parse_block(lines.feed(chunk))]
    scanned = time.perf_counter() - t0
    assert len([p for p in points if p[0] == "loss"]) == SEGMENTS
    out = {"parse_only_mb_s": round(len(data) / scanned / 1e6, 1)}
    if line_by_line:
        t0 = time.perf_counter()
        slow = StdoutParser().parse_lines(split_lines(data))
        out["parse_line_by_line_mb_s"] = round(len(data) / (time.perf_counter() - t0) / 1e6, 1)
        assert points == slow
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate-mb-s", type=float, default=80.0)
    parser.add_argument("--log-limit-mb", type=float, default=100.0)
    parser.add_argument("--end", choices=("exit", "traceback"), default="exit")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the cat baseline and the line-by-line parse (quick checks)")
    parser.add_argument("--trial", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--summary", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.trial:
        return trial(args.rate, args.seconds, args.summary, args.end)
    rate = args.rate_mb_s * 1e6
    result: dict = {"mix": "per metric line ~80 KB: tensors 55%, index lists 24%, paths 12%, "
                           "tqdm redraws 6%, debug prose 3% (by bytes)"}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        result.update(flood(folder, rate, args.seconds, args.log_limit_mb, args.end))
        print(f"hpdesk: {result['rate_mb_s']} MB/s for {result['seconds']} s, "
              f"{result['metric_points_stored']}/{result['metric_lines_printed']} metric lines "
              f"stored, log {result['log_bytes'] / 1e6:.1f} MB", file=sys.stderr)
        if not args.no_baseline:
            result.update(baseline_cat(folder, rate, args.seconds))
            print(f"cat: {result['baseline_cat_rate_mb_s']} MB/s", file=sys.stderr)
    result.update(parse_only(line_by_line=not args.no_baseline))
    result["cpu_count"] = os.cpu_count()
    result["python"] = platform.python_version()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
