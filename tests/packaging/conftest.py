"""Shared paths and helpers for the packaging tests (desktop entry, metainfo, icons, bundle)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "bundle: builds the PyInstaller bundle (about a minute); -m 'not bundle' skips"
    )


def require_tool(name: str) -> str:
    """The tool's path, or skip naming the package that provides it."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (scripts/system-deps.sh installs it as root)")
    return path
