"""The load benchmark (issue 11, item 11), small: a few real writer processes report through the
SDK into one database for ~2 s while the real window polls it offscreen; every point reported
is stored and no lock error is seen. No timing is asserted (machines are noisy)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(120)
def test_a_small_load_stores_every_point_with_no_lock_error() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "load.py"), "--writers", "4", "--rate", "400",
         "--seconds", "2"],
        capture_output=True, text=True, timeout=110, cwd=ROOT,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["points_reported"] == 4 * 400 * 2
    assert result["points_stored"] == result["points_reported"]
    assert result["lock_errors"] == 0
    assert result["polls"] > 0 and result["window_errors"] == []  # the window did poll
    assert result["max_stall_ms"] is not None and result["baseline_raw_pps"] > 0
