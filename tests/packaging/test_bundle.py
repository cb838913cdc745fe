"""The PyInstaller one-folder bundle: builds, starts, ships its data, carries no torch.

The slow one of the packaging tests: one build per session (about 45 s on this machine, started
in the background as soon as collection ends: conftest.py), skipped only when asked
(HPDESK_SKIP_BUNDLE=1, or `-m "not bundle"`; `-m bundle` selects it). PyInstaller is a dev
dependency (pyproject.toml): where it is missing the tests fail, they do not skip.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path

import pytest

import hpdesk
from hpdesk.gui.shell.resources import APP_ID, ICON_SIZES
from tests.packaging.conftest import bundle_build, bundle_wanted

pytestmark = [pytest.mark.bundle, pytest.mark.slow]

#: What the start-up test passes to the bundle: nothing opens the window, which quits after
#: HPDESK_QUIT_AFTER_MS. Where the window cannot start yet, this line can read ["--version"].
LAUNCH_ARGS: list[str] = []

TORCH_NAMES = ("torch", "torchvision", "torchaudio", "tensorboard", "triton")


@pytest.fixture(scope="session")
def bundle() -> Path:
    """The bundle of packaging/hpdesk.spec, built once per session (in the background from the
    end of collection: conftest.py), in a temporary dist/; the bundle's folder."""
    reason = bundle_wanted()
    if reason is not None:
        pytest.skip(reason)
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.fail("PyInstaller is not installed: it is a dev dependency (make venv installs it)")
    build = bundle_build()
    code, log = build.wait()
    assert code == 0, log
    return build.base / "dist" / "hpdesk"


def _run(bundle: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HPDESK_QUIT_AFTER_MS="1500")
    return subprocess.run([str(bundle / "hpdesk"), *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_bundle_starts_and_exits_cleanly(bundle: Path) -> None:
    done = _run(bundle, *LAUNCH_ARGS)
    assert done.returncode == 0, done.stderr
    # A module the analysis missed shows as an ImportError the window logs and survives.
    assert "Traceback" not in done.stderr, done.stderr


def test_bundle_reports_its_version(bundle: Path) -> None:
    done = _run(bundle, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"hpdesk {hpdesk.__version__}"


def test_bundle_holds_no_torch(bundle: Path) -> None:
    from PyInstaller.archive.readers import pkg_archive_contents

    on_disk = [p for p in bundle.rglob("*")
               if p.name.split(".")[0].lower() in TORCH_NAMES or p.name.startswith("libtorch")]
    assert on_disk == []
    modules = pkg_archive_contents(str(bundle / "hpdesk"), recursive=True)
    assert [m for m in modules if m.split(".")[0] in TORCH_NAMES] == []
    assert not [m for m in modules if m.startswith("hpdesk.tasks")]


def test_bundle_ships_resources_and_knowledge(bundle: Path) -> None:
    internal = bundle / "_internal"
    for size in ICON_SIZES:
        assert (internal / "resources" / "icons" / f"{APP_ID}-{size}.png").is_file()
    example = internal / "resources" / "examples" / "digits-random.yaml"
    # Validating a plan reads the knowledge YAML through importlib.resources inside the bundle.
    done = _run(bundle, "plan", "validate", str(example))
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout
