"""Shared paths and helpers for the packaging tests (desktop entry, metainfo, icons, bundle).

The PyInstaller bundle takes about a minute to build. When the session will test it, the build
starts as soon as collection ends, at the lowest CPU priority, in the background: the rest of
the suite runs meanwhile (its tests mostly wait on their subprocesses), and the bundle's tests
take the finished folder. CI time on two cores fell by about the build's length.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
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


@dataclass
class BundleBuild:
    """A PyInstaller build running (or done) into ``base``: dist/hpdesk is the bundle."""

    base: Path
    process: subprocess.Popen[bytes]
    log: Path

    def wait(self, timeout: float = 600) -> tuple[int, str]:
        """The build's exit status and the end of its log, once it is done."""
        code = self.process.wait(timeout=timeout)
        return code, self.log.read_text(errors="replace")[-4000:]


_BUILD: BundleBuild | None = None


def bundle_wanted() -> str | None:
    """Why the bundle is not built (a skip's reason), or None when it is."""
    if os.environ.get("HPDESK_SKIP_BUNDLE") == "1":
        return "HPDESK_SKIP_BUNDLE=1 asks to leave the bundle out"
    return None


def start_bundle_build() -> BundleBuild:
    """Start building packaging/hpdesk.spec into a new temporary folder, niced to the lowest
    priority so it takes only the CPU the tests leave idle."""
    base = Path(tempfile.mkdtemp(prefix="hpdesk-bundle-"))
    log = base / "build.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
             "--distpath", str(base / "dist"), "--workpath", str(base / "build"),
             str(PACKAGING / "hpdesk.spec")],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, preexec_fn=lambda: os.nice(19))
    return BundleBuild(base, process, log)


def bundle_build() -> BundleBuild:
    """The session's build: the one started after collection, or one started now."""
    global _BUILD
    if _BUILD is None:
        _BUILD = start_bundle_build()
    return _BUILD


def pytest_collection_finish(session: pytest.Session) -> None:
    if any(item.get_closest_marker("bundle") for item in session.items) \
            and bundle_wanted() is None and importlib.util.find_spec("PyInstaller") is not None:
        bundle_build()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _BUILD is not None:
        if _BUILD.process.poll() is None:  # the session ended before the bundle's tests
            _BUILD.process.kill()
            _BUILD.process.wait()
        shutil.rmtree(_BUILD.base, ignore_errors=True)
