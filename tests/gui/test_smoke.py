"""The real application in its own process: `hpdesk` opens the window and a timer quits it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hpdesk.plan import load_plan

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


#: Run as `python -c`: the real `hpdesk PLAN` entry point, and at the end, once the window has
#: closed, what the window's plan editor holds is written to a file (argv[1]).
_SHOW_WINDOW_PLAN = """
import json, sys
from hpdesk.gui.shell import app
from hpdesk.cli import main

qapp = app.make_application()
def record():
    plan = app._windows[-1].workbench.plan()
    with open(sys.argv[1], "w") as fh:
        json.dump(None if plan is None else plan.to_dict(), fh)
qapp.aboutToQuit.connect(record)
sys.exit(main(sys.argv[2:]))
"""


def test_a_plan_file_argument_opens_it(tmp_path: Path) -> None:
    """`hpdesk plan.toml` (the desktop entry's `Exec=hpdesk %f`) shows that plan: its values
    arrive in the editor, not the first-launch digits plan that is there without it."""
    plan = tmp_path / "mine.toml"
    plan.write_text((ROOT / "resources" / "examples" / "digits-grid.toml").read_text()
                    .replace('name = "digits-grid"', 'name = "smoke-opened-this"')
                    .replace("batch_size = { type = \"categorical\", choices = [32, 128] }",
                             "batch_size = { type = \"categorical\", choices = [24, 48] }")
                    .replace("width = 32", "width = 12"))
    shown = tmp_path / "shown.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HPDESK_QUIT_AFTER_MS="1500",
               HPDESK_DB_PATH=str(tmp_path / "x.db"))
    out = subprocess.run([sys.executable, "-c", _SHOW_WINDOW_PLAN, str(shown), str(plan)],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr, out.stderr
    opened = json.loads(shown.read_text())
    assert opened is not None, "the window has no plan"
    assert opened["name"] == "smoke-opened-this"
    assert opened["space"]["batch_size"] == {"type": "categorical", "choices": [24, 48]}
    assert opened == json.loads(json.dumps(load_plan(plan).to_dict()))  # every value arrived
