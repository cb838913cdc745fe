"""The own-script example (resources/examples/own-script) run by hand, as its README says: an
unmodified argparse script whose output follows PyTorch's word_language_model. These checks pin
what the example plan relies on: the flags it sends exist, `--tied` is a store_true switch (so
`--tied true`, what a plain flags style would send, is a usage error), and the end-of-epoch line
prints the plan's objective, `valid loss`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "own-script"
PLAN = ROOT / "resources" / "examples" / "own-script.yaml"

BATCH = re.compile(r"\| epoch (?P<epoch>[ \d]{3}) \| (?P<batch>[ \d]{5})/(?P<n>[ \d]{5}) batches "
                   r"\| lr (?P<lr>\d+\.\d\d) \| ms/batch (?P<ms>[ \d]{2,}\.\d\d) "
                   r"\| loss (?P<loss>[ \d]{2,}\.\d\d) \| ppl (?P<ppl>[ \d]{5,}\.\d\d)")
EPOCH_END = re.compile(r"\| end of epoch (?P<epoch>[ \d]{3}) \| time: (?P<time>[ \d]{2,}\.\d\d)s "
                       r"\| valid loss (?P<loss>[ \d]{2,}\.\d\d) "
                       r"\| valid ppl (?P<ppl>[ \d]{5,}\.\d\d)")
END = re.compile(r"\| End of training \| test loss (?P<loss>[ \d]{2,}\.\d\d) "
                 r"\| test ppl (?P<ppl>[ \d]{5,}\.\d\d)")


def run_script(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python train_charlm.py ARGS` in `folder`, with the script copied there (as hpdesk's
    trial folders hold it)."""
    shutil.copy(EXAMPLE / "train_charlm.py", folder / "train_charlm.py")
    return subprocess.run([sys.executable, "train_charlm.py", *args], cwd=folder,
                          capture_output=True, text=True, timeout=60)


def test_one_epoch_by_hand_prints_word_language_model_lines_and_saves(tmp_path: Path) -> None:
    out = run_script(tmp_path, "--epochs", "1", "--tied", "--save", str(tmp_path / "m.pt"))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("Namespace(") and "tied=True" in lines[0]
    batches = [m for line in lines if (m := BATCH.fullmatch(line))]
    assert batches and all(int(m["epoch"]) == 1 for m in batches)
    assert [int(m["batch"]) for m in batches][:2] == [20, 40]          # --log-interval 20
    ends = [m for line in lines if (m := EPOCH_END.fullmatch(line))]
    assert len(ends) == 1 and int(ends[0]["epoch"]) == 1
    i = lines.index(ends[0].string)
    assert lines[i - 1] == lines[i + 1] == "-" * 89
    assert END.fullmatch(lines[-2]) and lines[-1] == lines[-3] == "=" * 89
    assert (tmp_path / "m.pt").stat().st_size > 0
    # the plan's objective is that line's metric, named as printed
    plan = yaml.safe_load(PLAN.read_text())
    assert "| valid loss " in ends[0].string
    assert plan["objective"]["metric"] == "valid loss"


def test_the_plan_sends_only_flags_the_script_takes_and_tied_is_a_switch(tmp_path: Path) -> None:
    plan = yaml.safe_load(PLAN.read_text())
    passed = [n for n in plan["space"] if plan["arguments"].get(n, {}).get("pass", True)]
    assert "optimizer" not in passed and plan["arguments"]["tied"] == {"boolean": "switch"}
    helped = run_script(tmp_path, "--help")
    assert helped.returncode == 0
    for name in passed:
        assert re.search(rf"--{name}\b", helped.stdout), name
    # what a plain flags style would send for tied: argparse stops with its usage error
    out = run_script(tmp_path, "--tied", "true", "--epochs", "1")
    assert out.returncode == 2
    assert "usage: train_charlm.py" in out.stderr
    assert "unrecognized arguments: true" in out.stderr
    assert not (tmp_path / "model.pt").exists()
