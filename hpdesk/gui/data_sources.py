"""The words for a built-in task's data sources, shared by the wizard's data page, its review and
the Plan tab's header, so that each names a source the same way (one list of titles)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QCoreApplication


def _tr(text: str) -> str:
    # The context of the wizard's data page, where these strings were first translated.
    return QCoreApplication.translate("DataPage", text)


def source_descriptions() -> dict[str, tuple[str, str]]:
    """Per data source, its title and a one-sentence description, translated."""
    return {
        "digits": (_tr("Handwritten digits (built in)"),
                   _tr("1,797 small 8x8 images of the digits 0 to 9, shipped with "
                       "scikit-learn.")),
        "folder": (_tr("A folder of images"),
                   _tr("One sub-folder per class; the sub-folder names are the class names.")),
        "npz": (_tr("A NumPy .npz file"),
                _tr("Arrays x (images) and y (integer labels), optionally x_val and y_val.")),
        "shapes": (_tr("Generated shapes (built in)"),
                   _tr("Circles, squares and triangles drawn at random places and sizes.")),
        "yolo": (_tr("A YOLO-format folder"),
                 _tr("images/ and labels/ folders, with or without train/ and val/.")),
        "ring": (_tr("Eight Gaussians on a ring (built in)"),
                 _tr("2-D points: the quickest way to see a GAN collapse onto a few modes.")),
    }


def data_text(data: Mapping[str, Any] | None, *, script: bool) -> str:
    """Where a plan's trials read their data, in words: the source's title and its path."""
    if script or data is None:
        return _tr("read by your script") if script else _tr("the task's default data")
    source = str(data.get("source", ""))
    title = source_descriptions().get(source, (source, ""))[0]
    path = data.get("path")
    return f"{title}: {path}" if path else title
