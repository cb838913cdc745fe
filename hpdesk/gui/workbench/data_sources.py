"""The words for a built-in task's data sources, shared by the wizard's data page, its review and
the Plan tab's header, so that each names a source the same way (one list of titles)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QCoreApplication


def source_descriptions() -> dict[str, tuple[str, str]]:
    """Per data source, its title and a one-sentence description, translated in the context of
    the wizard's data page, where they were first translated (literal calls: lupdate finds
    only those)."""
    return {
        "digits": (
            QCoreApplication.translate("DataPage", "Handwritten digits (built in)"),
            QCoreApplication.translate(
                "DataPage",
                "1,797 small 8x8 images of the digits 0 to 9, shipped with scikit-learn.")),
        "folder": (
            QCoreApplication.translate("DataPage", "A folder of images"),
            QCoreApplication.translate(
                "DataPage",
                "One sub-folder per class; the sub-folder names are the class names. hpdesk "
                "counts the images per class and advises on imbalance and on few samples per "
                "class; images collected from the web vary in quality, so look through them "
                "first (Help → Tuning guide: Data comes first).")),
        "npz": (
            QCoreApplication.translate("DataPage", "A NumPy .npz file"),
            QCoreApplication.translate(
                "DataPage",
                "Arrays x (images) and y (integer labels), optionally x_val and y_val.")),
        "shapes": (
            QCoreApplication.translate("DataPage", "Generated shapes (built in)"),
            QCoreApplication.translate(
                "DataPage", "Circles, squares and triangles drawn at random places and sizes.")),
        "yolo": (
            QCoreApplication.translate("DataPage", "A YOLO-format folder"),
            QCoreApplication.translate(
                "DataPage", "images/ and labels/ folders, with or without train/ and val/.")),
        "ring": (
            QCoreApplication.translate("DataPage", "Eight Gaussians on a ring (built in)"),
            QCoreApplication.translate(
                "DataPage",
                "2-D points: the quickest way to see a GAN collapse onto a few modes.")),
    }


def data_text(data: Mapping[str, Any] | None, *, script: bool) -> str:
    """Where a plan's trials read their data, in words: the source's title and its path."""
    if script:
        return QCoreApplication.translate("DataPage", "read by your script")
    if data is None:
        return QCoreApplication.translate("DataPage", "the task's default data")
    source = str(data.get("source", ""))
    title = source_descriptions().get(source, (source, ""))[0]
    path = data.get("path")
    return f"{title}: {path}" if path else title
