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


def require_tool(name: str, how: str = "scripts/system-deps.sh installs it as root") -> str:
    """The tool's path, or a skip that says how to get it: these are system tools that pip
    cannot install and that scripts/system-deps.sh installs only where it may (as root)."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed ({how})")
    return path
