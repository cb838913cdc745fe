"""The desktop entry, the AppStream metainfo and the icons: valid, one app id, installable."""

from __future__ import annotations

import configparser
import shutil
import struct
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import hpdesk
from hpdesk.gui.shell.resources import APP_ID, ICON_SIZES, icon_path
from tests.packaging.conftest import PACKAGING, ROOT, require_tool

DESKTOP = PACKAGING / f"{APP_ID}.desktop"
METAINFO = PACKAGING / f"{APP_ID}.metainfo.xml"
INSTALLER = PACKAGING / "install-desktop.sh"
VENV_HPDESK = Path(sys.executable).parent / "hpdesk"


def read_desktop(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def exec_argv(value: str) -> list[str]:
    """The argv a launcher runs for an Exec value with no files, by the desktop entry spec: the
    string escapes undone, then arguments split on spaces, where a double-quoted one may hold
    spaces and backslash-escaped "`$\\; field codes dropped, %% read as %."""
    text = value.replace("\\\\", "\0").replace("\\s", " ").replace("\0", "\\")
    argv: list[str] = []
    current: str | None = None
    quoted = False
    i = 0
    while i < len(text):
        c = text[i]
        if quoted and c == "\\" and i + 1 < len(text) and text[i + 1] in '"`$\\':
            current = (current or "") + text[i + 1]
            i += 1
        elif c == '"':
            quoted = not quoted
            current = current or ""
        elif c == " " and not quoted:
            if current is not None:
                argv.append(current)
            current = None
        else:
            current = (current or "") + c
        i += 1
    if current is not None:
        argv.append(current)
    codes = {f"%{k}" for k in "fFuUdDnNickvm"}
    return [a.replace("%%", "%") for a in argv if a not in codes]


def test_desktop_file_passes_desktop_file_validate() -> None:
    tool = require_tool("desktop-file-validate")
    done = subprocess.run([tool, str(DESKTOP)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "", done.stdout + done.stderr


def test_metainfo_passes_appstreamcli_validate() -> None:
    tool = require_tool("appstreamcli")
    done = subprocess.run([tool, "validate", "--no-net", "--pedantic", str(METAINFO)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    # Errors (E:) and warnings (W:) fail; infos and pedantic notes (the upper-case letter the
    # chosen id has; a tag newer than this appstreamcli) are accepted.
    problems = [line for line in done.stdout.splitlines() if line[:2] in ("E:", "W:")]
    assert problems == []


def test_one_app_id_everywhere() -> None:
    entry = read_desktop(DESKTOP)
    meta = ET.parse(METAINFO).getroot()
    assert DESKTOP.name == f"{APP_ID}.desktop"
    assert entry["Icon"] == APP_ID
    assert meta.findtext("id") == APP_ID
    assert meta.findtext("launchable[@type='desktop-id']") == DESKTOP.name
    assert METAINFO.name == f"{APP_ID}.metainfo.xml"


def test_entry_and_metainfo_describe_this_project() -> None:
    entry = read_desktop(DESKTOP)
    meta = ET.parse(METAINFO).getroot()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert entry["Categories"].split(";")[:3] == ["Science", "DataVisualization", "Qt"]
    assert entry["Exec"].split()[0] in project["scripts"]
    assert meta.findtext("provides/binary") in project["scripts"]
    assert meta.findtext("project_license") == project["license"] == "MIT"
    assert meta.findtext("metadata_license") == "CC0-1.0"
    versions = [r.get("version") for r in meta.iter("release")]
    assert versions[0] == hpdesk.__version__ == project["version"]
    assert meta.find("content_rating") is not None


def _png_header(path: Path) -> tuple[int, int, int]:
    data = path.read_bytes()[:26]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height, data[25]


@pytest.mark.parametrize("size", ICON_SIZES)
def test_icon_png_is_square_with_alpha_at_its_size(size: int) -> None:
    width, height, colour_type = _png_header(icon_path(size))
    assert (width, height) == (size, size)
    assert colour_type == 6  # RGBA: the rounded corners are transparent


def test_svg_icon_is_square() -> None:
    svg = ET.parse(icon_path()).getroot()
    assert svg.tag.endswith("svg")
    _, _, w, h = (float(v) for v in svg.get("viewBox", "").split())
    assert w == h


def test_committed_pngs_match_the_svg(tmp_path: Path, qapp: object) -> None:
    """Re-render with packaging/render_icons.py; a PNG left stale after an SVG edit fails."""
    from PySide6.QtGui import QImage

    subprocess.run([sys.executable, str(PACKAGING / "render_icons.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    for size in ICON_SIZES:
        fresh = QImage(str(tmp_path / f"{APP_ID}-{size}.png")).convertToFormat(
            QImage.Format.Format_RGBA8888)
        kept = QImage(str(icon_path(size))).convertToFormat(QImage.Format.Format_RGBA8888)
        assert (fresh.width(), fresh.height()) == (size, size)
        a, b = bytes(fresh.constBits()), bytes(kept.constBits())
        mean_diff = sum(abs(x - y) for x, y in zip(a, b)) / len(a)
        assert mean_diff < 2.0, f"{size}px PNG differs from the SVG: run render_icons.py"


def _install(data_home: Path, program: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(data_home.parent), "XDG_DATA_HOME": str(data_home)}
    return subprocess.run(["sh", str(INSTALLER), "--exec", str(program), *extra], env=env,
                          capture_output=True, text=True)


def _require_venv_hpdesk() -> Path:
    if not VENV_HPDESK.exists():  # the project's own entry point: missing is a broken install
        pytest.fail(f"{VENV_HPDESK} is missing: install the project (make venv)")
    return VENV_HPDESK


def _validate_if_possible(desktop_file: Path) -> None:
    """desktop-file-validate has its own test above; here it only runs where installed."""
    validate = shutil.which("desktop-file-validate")
    if validate:
        checked = subprocess.run([validate, str(desktop_file)], capture_output=True, text=True)
        assert checked.returncode == 0 and checked.stdout.strip() == "", checked.stdout


def test_install_desktop_into_a_data_dir(tmp_path: Path) -> None:
    program = _require_venv_hpdesk()
    data = tmp_path / "data"
    done = _install(data, program)
    assert done.returncode == 0, done.stderr
    installed = data / "applications" / f"{APP_ID}.desktop"
    assert (data / "metainfo" / f"{APP_ID}.metainfo.xml").read_bytes() == METAINFO.read_bytes()
    assert (data / "icons/hicolor/scalable/apps" / f"{APP_ID}.svg").is_file()
    for size in ICON_SIZES:
        png = data / f"icons/hicolor/{size}x{size}/apps/{APP_ID}.png"
        assert png.read_bytes() == icon_path(size).read_bytes()
    entry = read_desktop(installed)
    assert entry["TryExec"] == str(program)
    argv = exec_argv(entry["Exec"])
    assert argv == [str(program)]
    ran = subprocess.run([*argv, "--version"], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0 and ran.stdout.strip() == f"hpdesk {hpdesk.__version__}"
    _validate_if_possible(installed)

    removed = _install(data, program, "--uninstall")
    assert removed.returncode == 0, removed.stderr
    assert not installed.exists()
    assert not list((data / "icons").rglob(f"{APP_ID}.*"))


def test_installed_tree_passes_appstream_validate_tree(tmp_path: Path) -> None:
    """validate-tree also checks that the metainfo's launchable desktop file is installed."""
    tool = require_tool("appstreamcli")
    assert _install(tmp_path / "usr" / "share", _require_venv_hpdesk()).returncode == 0
    done = subprocess.run([tool, "validate-tree", "--no-net", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [x for x in done.stdout.splitlines() if x.strip()[:2] in ("E:", "W:")] == []


def test_exec_line_survives_a_path_with_spaces_and_dollars(tmp_path: Path) -> None:
    real = _require_venv_hpdesk()
    odd = tmp_path / "my venv $HOME 100%" / "bin" / "hpdesk"
    odd.parent.mkdir(parents=True)
    odd.write_text(f'#!/bin/sh\nexec "{real}" "$@"\n')
    odd.chmod(0o755)
    data = tmp_path / "data"
    assert _install(data, odd).returncode == 0
    installed = data / "applications" / f"{APP_ID}.desktop"
    argv = exec_argv(read_desktop(installed)["Exec"])
    assert argv == [str(odd)]
    ran = subprocess.run([*argv, "--version"], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    _validate_if_possible(installed)


def test_install_refuses_a_program_that_is_not_there(tmp_path: Path) -> None:
    done = _install(tmp_path / "data", tmp_path / "nowhere" / "hpdesk")
    assert done.returncode == 1
    assert "not an executable" in done.stderr
    assert not (tmp_path / "data" / "applications").exists()


def test_make_install_desktop_points_exec_at_the_venv() -> None:
    make = require_tool("make", "a system tool: install make with the system's packages")
    done = subprocess.run([make, "-n", "install-desktop"], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if "install-desktop.sh" in x)
    assert f'--exec "{ROOT / ".venv" / "bin" / "hpdesk"}"' in line
