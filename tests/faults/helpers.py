"""What the fault cases share: the real CLI in a subprocess, plans of the fake trainer, and the
checks that committed points survived a fault exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from hpdesk.runner.paths import experiment_dir
from hpdesk.store import Store

ROOT = Path(__file__).resolve().parents[2]
FAKE = ROOT / "tests" / "fixtures" / "fake_train.py"


def hpdesk(*args: str, timeout: float = 120, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hpdesk.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, **kw)


def fake_plan(tmp_path: Path, lrs: list[float], steps: int, sleep: float, *,
              concurrency: int = 2, name: str = "plan.yaml", **top: Any) -> Path:
    """A grid over `lrs` of the fake trainer: `steps` steps of `sleep` seconds each, every step
    flushed before its checkpoint (so the checkpoint names the last committed step)."""
    plan = {"hpdesk": 1, "task": "script", "name": "faults",
            "command": [sys.executable, str(FAKE)],
            "objective": {"metric": "val_acc", "direction": "maximize"},
            "strategy": "grid", "budget": {"trials": len(lrs)}, "concurrency": concurrency,
            "space": {"lr": lrs, "steps": steps, "sleep": sleep}, **top}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(plan))
    return path


def started_experiment(out: subprocess.CompletedProcess[str]) -> int:
    assert out.returncode == 0, out.stderr
    return int(out.stdout.strip().splitlines()[-1])


def committed_step(db: Path, experiment_id: int, number: int) -> int:
    """The last step trial `number` had committed: its checkpoint is written after the flush."""
    with Store(db) as store:
        folder = experiment_dir(store, experiment_id)
    state = folder / f"trial-{number}" / "state.json"
    return int(json.loads(state.read_text())["step"]) if state.exists() else 0


def assert_points_once(store: Store, trial_id: int, upto: int, name: str = "loss") -> None:
    """Every step 1..`upto` of `name` is stored, each exactly once (no replayed duplicate)."""
    rows = store.conn.execute(
        "SELECT step, COUNT(*) FROM metrics WHERE trial_id = ? AND name = ? GROUP BY step",
        (trial_id, name)).fetchall()
    counts = dict(rows)
    missing = [s for s in range(1, upto + 1) if s not in counts]
    assert not missing, f"trial {trial_id} lost committed steps {missing[:10]}"
    assert all(n == 1 for n in counts.values()), f"duplicated points: {counts}"
