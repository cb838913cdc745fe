"""What an installed wheel carries: the knowledge data, and the resources the window opens."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile

import pytest

from hpdesk.gui.shell.resources import APP_ID
from tests.packaging.conftest import ROOT


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Build the wheel from a copy of the tree (setuptools writes build/ beside the sources)."""
    if importlib.util.find_spec("setuptools") is None:  # never a skip: the wheel is what ships
        pytest.fail("setuptools, the build backend (pyproject.toml), is not in the venv: "
                    "make venv brings it (PyInstaller, a dev dependency, requires it)")
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("hpdesk", "resources"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "-q", "-w", str(base / "out"), str(src)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = (base / "out").glob("hpdesk-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_ships_the_knowledge_data(wheel_names: set[str]) -> None:
    assert "hpdesk/knowledge/data/catalogue.yaml" in wheel_names


def test_wheel_ships_icons_translations_and_examples(wheel_names: set[str]) -> None:
    assert f"hpdesk/resources/icons/{APP_ID}-48.png" in wheel_names
    assert "hpdesk/resources/i18n/hpdesk_zh_CN.qm" in wheel_names
    assert "hpdesk/resources/examples/digits-random.yaml" in wheel_names


def test_every_subpackage_is_in_the_wheel(wheel_names: set[str]) -> None:
    """pyproject lists the packages by hand (to map resources/ in): a new one must be added."""
    for init in sorted((ROOT / "hpdesk").rglob("__init__.py")):
        name = init.relative_to(ROOT).as_posix()
        assert name in wheel_names, f"{name} is missing: add its package to pyproject.toml"
