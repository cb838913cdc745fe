"""Hostile plan files (issue 11, item 4) through the real command line: each ends with exit 2
and ONE line on stderr that names the file and the field, quickly, without a traceback, and the
billion-laughs file under an address-space limit that an expansion would blow."""

from __future__ import annotations

import codecs
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE = (ROOT / "resources" / "examples" / "digits-random.yaml").read_text(encoding="utf-8")
HUGE = "9" * 400


def _laughs(levels: int = 9, width: int = 10) -> str:
    """A "billion laughs" as the issue measured it: each anchor a list of `width` aliases of the
    one before, the last one a fixed value of the plan, which the schema walks."""
    lines = ["hpdesk: 1", "name: laughs", "task: classification",
             'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    lines += ["objective: {metric: val_acc, direction: maximize}", "budget: {trials: 1}",
              "space:", "  lr: {type: float, low: 0.001, high: 0.01, log: true}",
              f"  depth: *l{levels}", ""]
    return "\n".join(lines)


LAUGHS = _laughs()


def _replace(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


#: name -> (file content, what the one line must contain: the field and the reason)
CASES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "billion-laughs.yaml": (LAUGHS.encode(), ("100,000 values", "alias *l")),
    "recursive-alias.yaml": (_replace("  depth: 3\n", "  depth: &d [1, *d]\n").encode(),
                             ("space.depth", "recursive alias")),
    "deep.yaml": (_replace("  depth: 3\n", "  depth: " + "[" * 5000 + "]" * 5000 + "\n"
                           ).encode(), ("nesting",)),
    "deep-block.yaml": (_replace("  depth: 3\n", "  depth:\n" + "".join(
        "  " * (i + 2) + "- \n" for i in range(200)).replace("- \n", "-\n")).encode(),
                        ("nesting",)),
    "deep.json": (b'{"hpdesk": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
                  ("nesting",)),
    "deep.toml": (b"hpdesk = 1\nx = " + b"[" * 100_000 + b"]" * 100_000 + b"\n", ("nesting",)),
    "concurrency.yaml": (_replace("concurrency: 2", "concurrency: 100000000").encode(),
                         ("concurrency", "256")),
    "huge-seed.yaml": (_replace("seed: 0}", f"seed: {HUGE}}}").encode(), ("strategy.seed",)),
    "huge-high.yaml": (_replace("high: 48", f"high: {HUGE}").encode(), ("space.width.high",)),
    "huge-trials.yaml": (_replace("trials: 8", f"trials: {HUGE}").encode(),
                         ("budget.trials",)),
    "huge-fixed.yaml": (_replace("  epochs: 8", f"  epochs: {HUGE}").encode(),
                        ("space.epochs",)),
    "huge-epochs-budget.yaml": (_replace("trials: 8,", f"trials: 8, epochs: {HUGE},").encode(),
                                ("budget.epochs",)),
    "huge-float.yaml": (_replace("high: 0.01,", f"high: {HUGE}.5,").encode(),
                        ("space.lr.high",)),
    "huge-wall-time.yaml": (_replace("wall_time: 10m", f"wall_time: {HUGE}s").encode(),
                            ("budget.wall_time",)),
    "huge-key.yaml": (_replace("  depth: 3\n", f"  depth: {{{HUGE}: 1}}\n").encode(),
                      ("integer",)),
    "many-trials.yaml": (_replace("trials: 8", "trials: 100000000").encode(),
                         ("budget.trials",)),
    "long-timeout.yaml": (_replace("executor: {kind: local}",
                                   "executor: {kind: local, trial_timeout: 1000d}").encode(),
                          ("executor.trial_timeout", "365 days")),
    "tiny-step.yaml": (_replace("width: {type: int, low: 16, high: 48, log: true}",
                                "width: {type: int, low: 0, high: 9000000000000000000, "
                                "step: 1}").encode(), ("space.width.step",)),
    "nan-fixed.yaml": (_replace("  depth: 3\n", "  depth: .nan\n").encode(),
                       ("space.depth", "finite")),
    "inf-fixed.yaml": (_replace("  lr_final_ratio: 0.01\n", "  lr_final_ratio: .inf\n"
                                ).encode(), ("space.lr_final_ratio", "finite")),
    "minus-inf-fixed.yaml": (_replace("  seed: 0\n", "  seed: -.inf\n").encode(),
                             ("space.seed", "finite")),
    "nan-choice.yaml": (_replace("choices: [32, 64, 128]", "choices: [32, .nan]").encode(),
                        ("space.batch_size", "finite")),
    "inf-range.yaml": (_replace("low: 0.0, high: 0.3", "low: 0.0, high: .inf").encode(),
                       ("space.dropout.high", "finite")),
    "nan.json": (b'{"hpdesk": 1, "task": "classification", "space": {"lr": NaN}}', ("NaN",)),
    "nan.toml": (b'hpdesk = 1\ntask = "classification"\n[space]\nlr = 0.1\ndepth = nan\n',
                 ("space.depth", "finite")),
    "duplicate.yaml": (_replace("concurrency: 2\n", "concurrency: 2\nconcurrency: 3\n").encode(),
                       ("concurrency", "each key once", "line 13", "line 12")),
    "duplicate-nested.yaml": (_replace("  depth: 3\n", "  depth: 3\n  depth: 4\n").encode(),
                              ("space.depth", "each key once")),
    "duplicate.json": (b'{"hpdesk": 1, "task": "classification", "task": "gan"}',
                       ("task", "each key once")),
    "utf16-bom.yaml": (BASE.encode("utf-16"), ("UTF-16", "save it as UTF-8")),
    "utf16-le.yaml": (BASE.encode("utf-16-le"), ("UTF-16", "save it as UTF-8")),
    "utf16-be.yaml": (BASE.encode("utf-16-be"), ("UTF-16", "save it as UTF-8")),
    "utf32.yaml": (codecs.BOM_UTF32_LE + BASE.encode("utf-32-le"), ("UTF-32",)),
    "latin1.yaml": (_replace("# Random", "# Zufällige").encode("latin-1"),
                    ("not UTF-8", "save it as UTF-8")),
    "binary.yaml": (bytes(range(256)) * 16, ("binary data",)),
    "control-chars-key.yaml": (_replace("  depth: 3\n", '  "\\e[31mred": 3\n').encode(),
                               ("space.",)),
}


def _limit_memory() -> None:
    """The child may map 1.5 GB: an expanded billion laughs (the issue measured 1.5 GB at depth
    8) would die of MemoryError instead of quietly succeeding."""
    limit = 1536 * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _hpdesk(*args: str, cwd: Path, limit: bool = False) -> tuple[subprocess.CompletedProcess[str],
                                                                  float]:
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "hpdesk.cli", *args], capture_output=True,
                         text=True, timeout=60, cwd=cwd,
                         preexec_fn=_limit_memory if limit else None)
    return out, time.monotonic() - start


def _write(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(CASES[name][0])
    return path


def _assert_one_line_refusal(out: subprocess.CompletedProcess[str], seconds: float, path: Path,
                             needles: tuple[str, ...]) -> None:
    assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
    assert "Traceback" not in out.stderr + out.stdout
    lines = out.stderr.splitlines()
    assert len(lines) == 1, lines[:5]
    (line,) = lines
    assert line.startswith(f"{path}: ") and "expected" in line, line
    assert "unexpected" not in line and "\x1b" not in line, line
    for needle in needles:
        assert needle in line, (needle, line)
    assert seconds < 5, seconds  # the issue asks for under 1 s; generous for a loaded machine


def _expanded_size(node: object, memo: dict[int, int]) -> int:
    if id(node) not in memo:
        value = getattr(node, "value", None)
        children = [c for pair in value for c in pair] if isinstance(value, list) and value and \
            isinstance(value[0], tuple) else value if isinstance(value, list) else []
        memo[id(node)] = 1 + sum(_expanded_size(c, memo) for c in children)
    return memo[id(node)]


@pytest.mark.timeout(30)
def test_the_billion_laughs_is_small_and_expands_to_a_billion_values() -> None:
    """The hostile file is what the issue describes: about 1 KB, over 10**9 values expanded."""
    import yaml

    assert 600 < len(LAUGHS) < 1400
    assert _expanded_size(yaml.compose(LAUGHS), {}) > 10**9  # aliases composed as shared nodes


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", sorted(CASES))
def test_plan_validate_refuses_with_one_line(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name)
    out, seconds = _hpdesk("plan", "validate", str(path), cwd=tmp_path)
    _assert_one_line_refusal(out, seconds, path, CASES[name][1])


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", ["billion-laughs.yaml", "concurrency.yaml", "huge-seed.yaml",
                                  "nan-fixed.yaml", "duplicate.yaml", "utf16-bom.yaml",
                                  "deep.yaml"])
def test_run_refuses_before_touching_the_database(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name)
    db = tmp_path / "runs.db"
    out, seconds = _hpdesk("run", str(path), "--db", str(db), cwd=tmp_path)
    _assert_one_line_refusal(out, seconds, path, CASES[name][1])
    assert not db.exists()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("command", [("plan", "validate"), ("run",)])
def test_billion_laughs_under_a_memory_limit(tmp_path: Path, command: tuple[str, ...]) -> None:
    path = _write(tmp_path, "billion-laughs.yaml")
    db = ("--db", str(tmp_path / "x.db")) if command == ("run",) else ()
    out, seconds = _hpdesk(*command, str(path), *db, cwd=tmp_path, limit=True)
    _assert_one_line_refusal(out, seconds, path, CASES["billion-laughs.yaml"][1])


@pytest.mark.timeout(30)
def test_cli_overrides_are_bounded_too(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(BASE, encoding="utf-8")
    for flag, value in (("--concurrency", "100000000"), ("--max-trials", HUGE)):
        out, _ = _hpdesk("run", str(path), "--db", str(tmp_path / "x.db"), flag, value,
                         cwd=tmp_path)
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
        assert len(out.stderr.splitlines()) == 1 and flag in out.stderr, out.stderr
        assert not (tmp_path / "x.db").exists()


@pytest.mark.timeout(30)
def test_anchors_and_merge_keys_of_a_real_plan_still_work(tmp_path: Path) -> None:
    """The limits refuse expansion, not aliases: a plan that shares a range by alias and merges
    a mapping (`<<`, whose keys the mapping may override) loads."""
    path = tmp_path / "anchors.yaml"
    path.write_text(_replace("  dropout: {type: float, low: 0.0, high: 0.3}\n",
                             "  dropout: &small {type: float, low: 0.0, high: 0.3}\n"
                             "  label_smoothing: *small\n").replace(
        "executor: {kind: local}", "executor: {<<: {kind: local, retries: 2}, retries: 1}"),
        encoding="utf-8")
    out, _ = _hpdesk("plan", "validate", str(path), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "valid (classification, 6 searched parameters" in out.stdout


def test_endless_devices_and_pipes_are_read_bounded(tmp_path: Path) -> None:
    """/dev/zero never ends and has no size: refused as a device, not read for ever; a pipe
    (`hpdesk run <(...)`) is read up to the limit and no further."""
    out, seconds = _hpdesk("plan", "validate", "/dev/zero", cwd=tmp_path, limit=True)
    _assert_one_line_refusal(out, seconds, Path("/dev/zero"), ("a device",))
    read_end, write_end = os.pipe()
    feeder = subprocess.Popen([sys.executable, "-c",
                               "import os, sys\nfd = int(sys.argv[1])\n"
                               "try:\n    while True: os.write(fd, b'# filler\\n' * 4096)\n"
                               "except BrokenPipeError: pass\n", str(write_end)],
                              pass_fds=(write_end,), stderr=subprocess.DEVNULL)
    os.close(write_end)
    try:
        start = time.monotonic()
        out = subprocess.run([sys.executable, "-m", "hpdesk.cli", "plan", "validate",
                              f"/dev/fd/{read_end}"], capture_output=True, text=True,
                             timeout=60, cwd=tmp_path, pass_fds=(read_end,))
        _assert_one_line_refusal(out, time.monotonic() - start, Path(f"/dev/fd/{read_end}"),
                                 ("under 1 MB",))
    finally:
        os.close(read_end)
        feeder.kill()
        feeder.wait()
