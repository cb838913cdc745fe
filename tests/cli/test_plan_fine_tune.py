"""`hpdesk plan new --fine-tune` only for tasks that can start from pre-trained weights."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hpdesk.plan import Fixed, load_plan

ROOT = Path(__file__).resolve().parents[2]


def hpdesk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hpdesk.cli", *args], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)


def test_gan_fine_tune_exits_2_with_one_sentence(tmp_path: Path) -> None:
    out = hpdesk("plan", "new", "--task", "gan", "--fine-tune", "-o", str(tmp_path / "g.yaml"))
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr
    assert "gan task cannot start from pre-trained weights" in lines[0]
    assert "classification, detection and script" in lines[0]
    assert not (tmp_path / "g.yaml").exists()


def test_classification_fine_tune_writes_pretrained_and_a_checkpoint_to_fill(
        tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    out = hpdesk("plan", "new", "--task", "classification", "--fine-tune", "-o", str(path))
    assert out.returncode == 0, out.stderr
    plan = load_plan(path)
    pretrained, checkpoint = plan.space["pretrained"], plan.space["init_checkpoint"]
    assert isinstance(pretrained, Fixed) and isinstance(checkpoint, Fixed)
    assert plan.fine_tune and pretrained.value is True and checkpoint.value == ""
    check = hpdesk("plan", "validate", str(path))
    assert check.returncode == 0 and "init_checkpoint names no file" in check.stdout
    text = path.read_text().replace("init_checkpoint: {type: fixed, value: ''}",
                                    "init_checkpoint: {type: fixed, value: runs/t1/checkpoint.pt}")
    path.write_text(text)
    again = hpdesk("plan", "validate", str(path))
    assert again.returncode == 0 and "init_checkpoint names no file" not in again.stdout


def test_a_gan_plan_file_saying_fine_tune_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("hpdesk: 1\ntask: gan\nfine_tune: true\nspace:\n  epochs: 2\n")
    out = hpdesk("plan", "validate", str(path))
    assert out.returncode == 2
    assert "fine_tune" in out.stderr and "cannot start from pre-trained weights" in out.stderr


def test_help_says_which_tasks_fine_tune() -> None:
    out = hpdesk("plan", "new", "--help")
    text = " ".join(out.stdout.split())
    assert out.returncode == 0
    assert "init_checkpoint" in text and "gan task cannot fine-tune" in text
