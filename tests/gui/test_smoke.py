"""The real application in its own process: `hpdesk` opens the window and a timer quits it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_hpdesk_opens_the_window_without_torch_and_quits(tmp_path: Path) -> None:
    probe = tmp_path / "probe.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HPDESK_QUIT_AFTER_MS="1500",
               HPDESK_STARTUP_PROBE=str(probe), HPDESK_DB_PATH=str(tmp_path / "first.db"))
    out = subprocess.run([sys.executable, "-m", "hpdesk.cli"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    record = json.loads(probe.read_text())
    assert record["torch_imported"] is False
    assert (tmp_path / "first.db").exists(), "the default database is created on first launch"
    assert "Traceback" not in out.stderr, out.stderr


def test_a_plan_file_argument_opens_it(tmp_path: Path) -> None:
    plan = ROOT / "resources" / "examples" / "digits-grid.toml"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HPDESK_QUIT_AFTER_MS="1500",
               HPDESK_DB_PATH=str(tmp_path / "x.db"))
    out = subprocess.run([sys.executable, "-m", "hpdesk.cli", str(plan)], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr, out.stderr
