"""The code stays clean: `ruff check` (configured in pyproject.toml) passes on every folder of
code. It is `make lint`'s first step, here so that `make test` fails on a new finding."""

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
        pytest.skip("ruff is not installed (pip install -e '.[dev]' brings it)")
    out = subprocess.run([*ruff, "check", "--no-cache", *FOLDERS], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"ruff check {' '.join(FOLDERS)}:\n{out.stdout}{out.stderr}"
