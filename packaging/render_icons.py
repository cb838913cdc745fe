"""Render resources/icons/hpdesk.svg to the PNG sizes desktops ask for, with Qt's own SVG
renderer, so the committed PNGs can be regenerated after the SVG changes.

Usage: python packaging/render_icons.py [--svg FILE] [--out DIR]
Writes DIR/<APP_ID>-<size>.png for every size in hpdesk.gui.shell.resources.ICON_SIZES.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

from hpdesk.gui.shell.resources import APP_ID, ICON_SIZES, icon_file_name, resource_path  # noqa: E402


def render(svg: Path, size: int) -> QImage:
    """One square, transparent, antialiased rendering of the SVG at ``size`` pixels."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    icons = resource_path("icons")
    parser.add_argument("--svg", type=Path, default=icons / icon_file_name(None))
    parser.add_argument("--out", type=Path, default=icons)
    args = parser.parse_args(argv)
    _app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841  (keeps Qt set up)
    args.out.mkdir(parents=True, exist_ok=True)
    for size in ICON_SIZES:
        target = args.out / icon_file_name(size)
        if not render(args.svg, size).save(str(target)):  # PNG, from the suffix
            raise SystemExit(f"render_icons: could not write {target}")
        print(f"{target} ({size}x{size}, {APP_ID})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
