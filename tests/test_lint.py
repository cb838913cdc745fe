"""The code stays clean: `ruff check` (configured in pyproject.toml) passes on every folder of
code. `make test` runs ruff itself first (it stops at once, with ruff's own output); this test
keeps a plain `pytest` run honest too (ruff takes well under a second). ruff is a dev
dependency: missing, it is a failure, not a skip."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ["hpdesk", "tests", "scripts", "packaging", "benchmarks"]


def _ruff() -> list[str] | None:
    """The command that runs ruff: the binary beside this Python (the venv's), else this Python's
    module, else None. Never one found elsewhere on PATH: another version finds other things."""
    beside = Path(sys.executable).with_name("ruff")
    if beside.is_file():
        return [str(beside)]
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    return None


def test_ruff_finds_nothing() -> None:
    ruff = _ruff()
    if ruff is None:
        pytest.fail("ruff is not installed beside this Python: pip install -e '.[dev]' (or "
                    "make venv) brings it")
    out = subprocess.run([*ruff, "check", "--no-cache", *FOLDERS], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"ruff check {' '.join(FOLDERS)}:\n{out.stdout}{out.stderr}"
