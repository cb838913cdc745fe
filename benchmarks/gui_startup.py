"""Time from starting `hpdesk` to its first painted main window, against importing Qt alone.

  startup_s     process start -> first paint of the main window (offscreen), on an empty
                database (the first-launch path: the digits plan filled in)
  baseline_s    `python -c "import PySide6.QtWidgets"`, start to exit, in the same run
  peak_rss_mb   the window process's peak resident memory at first paint
  torch_imported  whether the window process imported torch (it must not)
Each time is the median of --repeats runs. Target (issue 5): startup_s within 0.6 s of
baseline_s, torch_imported false. Progress on stderr, one JSON object as the last line.

Usage: python benchmarks/gui_startup.py [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(home / name.lower())
    # An installed app has its bytecode cached; a session with PYTHONDONTWRITEBYTECODE would
    # compile every hpdesk module at each start (0.15 s here) and measure that instead.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def baseline(home: Path) -> float:
    t0 = time.time()
    subprocess.run([sys.executable, "-c", "import PySide6.QtWidgets"], check=True, env=_env(home))
    return time.time() - t0


def window(home: Path, run: int) -> dict[str, float | bool]:
    probe = home / f"probe-{run}.json"
    env = _env(home) | {"HPDESK_STARTUP_PROBE": str(probe), "HPDESK_QUIT_AFTER_MS": "300"}
    db = home / f"empty-{run}.db"
    t0 = time.time()
    out = subprocess.run([sys.executable, "-m", "hpdesk.cli", "gui", "--db", str(db),
                          "--lang", "en"], env=env, capture_output=True, text=True, timeout=120)
    if out.returncode != 0 or not probe.exists():
        raise SystemExit(f"the window did not start (exit {out.returncode}): {out.stderr[-2000:]}")
    record = json.loads(probe.read_text())
    return {"startup_s": record["painted_at"] - t0, "peak_rss_mb": record["peak_rss_mb"],
            "torch_imported": record["torch_imported"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        baseline(home)
        window(home, -1)  # warm the file cache for both, so neither pays the first disk read
        bases, runs = [], []
        for i in range(args.repeats):
            bases.append(baseline(home))
            runs.append(window(home, i))
            print(f"run {i}: baseline {bases[-1]:.3f}s window {runs[-1]['startup_s']:.3f}s",
                  file=sys.stderr)
    result = {
        "startup_s": round(statistics.median(float(r["startup_s"]) for r in runs), 3),
        "baseline_s": round(statistics.median(bases), 3),
        "peak_rss_mb": round(max(float(r["peak_rss_mb"]) for r in runs), 1),
        "torch_imported": any(bool(r["torch_imported"]) for r in runs),
        "repeats": args.repeats,
    }
    result["margin_s"] = round(result["startup_s"] - result["baseline_s"], 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
