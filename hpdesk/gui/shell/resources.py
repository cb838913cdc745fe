"""Where the app's files (icons, translations, example plans) are, wherever hpdesk runs from.

Three layouts hold them: a checkout (``resources/`` beside the ``hpdesk`` package), an installed
package (``hpdesk/resources/`` inside it, once the wheel ships them there), and a PyInstaller
bundle (``resources/`` under ``sys._MEIPASS``). Everything that opens one of these files asks
this module, so a layout change is a change here only. No Qt at import time: the packaging
scripts use the names below without starting Qt.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

#: The one reverse-DNS id: desktop file name, AppStream <id>, Icon=, setDesktopFileName.
APP_ID = "io.github.hpdesk.Hpdesk"

#: The PNG sizes shipped beside the SVG (the hicolor sizes desktops look up).
ICON_SIZES: tuple[int, ...] = (16, 32, 48, 64, 128, 256)

#: Overrides the search (a directory laid out like ``resources/``), for packagers and tests.
ENV_OVERRIDE = "HPDESK_RESOURCES"

_PACKAGE_DIR = Path(__file__).resolve().parents[2]


class ResourceError(LookupError):
    """A resource the app ships is missing: the installation is incomplete."""


def candidate_roots() -> list[Path]:
    """The directories searched, most specific first: the override, the bundle, the package,
    the checkout. Only existing ones matter; the list says where a missing file was looked for.
    """
    roots: list[Path] = []
    override = os.environ.get(ENV_OVERRIDE)
    if override:
        roots.append(Path(override))
    meipass = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and meipass:
        roots.append(Path(meipass) / "resources")
    roots.append(_PACKAGE_DIR / "resources")
    roots.append(_PACKAGE_DIR.parent / "resources")
    return roots


def resources_root() -> Path:
    """The first existing root of :func:`candidate_roots`; ResourceError when there is none."""
    for root in candidate_roots():
        if root.is_dir():
            return root
    searched = ", ".join(str(r) for r in candidate_roots())
    raise ResourceError(f"hpdesk resources not found (looked in {searched})")


def resource_path(*parts: str) -> Path:
    """The path of ``resources/<parts...>``; it may not exist (translations are optional)."""
    return resources_root().joinpath(*parts)


def icon_file_name(size: int | None = None) -> str:
    """``<APP_ID>-<size>.png`` for a raster size, ``hpdesk.svg`` for the scalable one."""
    if size is None:
        return "hpdesk.svg"
    if size not in ICON_SIZES:
        raise ValueError(f"no {size}px icon; sizes are {ICON_SIZES}")
    return f"{APP_ID}-{size}.png"


def icon_path(size: int | None = None) -> Path:
    """The app icon: the SVG when ``size`` is None, else the PNG of that size."""
    path = resource_path("icons", icon_file_name(size))
    if not path.is_file():
        raise ResourceError(f"icon missing: {path}")
    return path


def translations_dir() -> Path:
    """Where ``hpdesk_<lang>.qm`` files live (``resources/i18n``); it may not exist yet."""
    return resource_path("i18n")


def examples_dir() -> Path:
    """The example plan files shown in the window's "Open example" list."""
    return resource_path("examples")


def app_icon() -> QIcon:
    """A QIcon holding the SVG and every PNG size, for ``QApplication.setWindowIcon``.

    The PNGs go in first, with their sizes, so that small sizes use their own rendering and
    the icon reports them; the SVG added last serves any other size.
    """
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QIcon

    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(icon_path(size)), QSize(size, size))
    icon.addFile(str(icon_path()))
    return icon
