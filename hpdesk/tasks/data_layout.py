"""Where a YOLO-format data set keeps its images, read exactly as the detection task reads it.

Standard library only (this module never imports torch), so the new-experiment wizard and
``hpdesk plan validate`` check a folder with the same rules the task applies when a trial starts:
a folder that would fail there is refused before any trial runs, with the same sentence.

Layouts (Ultralytics'): ``images/train`` and ``labels/train`` (``val`` beside them, optional);
``train/images`` and ``train/labels`` (``val/...`` optional); or flat ``images/`` and
``labels/`` split by the task's ``val_fraction``.
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
#: What the classification task reads from a folder of class sub-folders (Pillow opens all of
#: them); here, torch-free, so hpdesk.analysis counts exactly the files the task would read.
CLASS_FOLDER_SUFFIXES = IMAGE_SUFFIXES | {".ppm", ".pgm", ".pbm"}

#: (images folder, labels folder) of one split.
Split = tuple[Path, Path]


class LayoutProblem(NamedTuple):
    """What keeps a folder from being read: ``kind`` is ``"not_folder"`` (``where`` is not a
    folder), ``"no_images"`` (``where`` has no images/ nor train/images/ folder) or
    ``"no_image_files"`` (the images folder ``where`` holds no image file)."""

    kind: str
    where: str

    def sentence(self) -> str:
        """The problem in one English sentence (the task's error, the CLI's line)."""
        if self.kind == "not_folder":
            return f"{self.where} is not a folder"
        if self.kind == "no_images":
            return (f"{self.where} has no images/ folder: a YOLO data set holds images/ and "
                    f"labels/, with or without train/ and val/ inside")
        return f"{self.where} holds no image files ({', '.join(sorted(IMAGE_SUFFIXES))})"


def image_files(folder: Path) -> list[Path]:
    """The image files directly in ``folder``, sorted by name."""
    return sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)


def yolo_splits(root: Path) -> tuple[Split | None, Split | None]:
    """(train, val) folder pairs of a YOLO data set; train None: no layout found; val None:
    the task splits the training images by ``val_fraction``."""
    images, labels = root / "images", root / "labels"
    if (images / "train").is_dir():
        val = (images / "val", labels / "val") if (images / "val").is_dir() else None
        return (images / "train", labels / "train"), val
    if (root / "train" / "images").is_dir():
        val_dir = root / "val" if (root / "val" / "images").is_dir() else None
        val = (val_dir / "images", val_dir / "labels") if val_dir else None
        return (root / "train" / "images", root / "train" / "labels"), val
    if images.is_dir():
        return (images, labels), None
    return None, None


def yolo_problem(path: str | Path) -> LayoutProblem | None:
    """Why the detection task cannot read ``path`` as a YOLO data set; None when it can find
    images in it (the label files are read, and checked line by line, when a trial starts).

    >>> yolo_problem("/nonexistent").kind
    'not_folder'
    """
    root = Path(path).expanduser()
    if not root.is_dir():
        return LayoutProblem("not_folder", str(root))
    train, val = yolo_splits(root)
    if train is None:
        return LayoutProblem("no_images", str(root))
    for split in (train, val):
        if split is not None:
            try:
                found = image_files(split[0])
            except OSError:
                found = []
            if not found:
                return LayoutProblem("no_image_files", str(split[0]))
    return None
