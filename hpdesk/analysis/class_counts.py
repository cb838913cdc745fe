"""Samples per class of the classification task's data, counted without decoding an image.

The guide's section on data asks first whether the classes are balanced and how many samples
each has (KNOWLEDGE.md section 6); the evidence rules of ``hpdesk.knowledge.rules_evidence`` read
these counts. Reading them must be cheap and must never take the window down: a folder is
counted by listing its files (as ``hpdesk.tasks.image_data`` reads them: one sub-folder per
class, image files by suffix, hidden files skipped), an .npz by its ``y`` array alone, and
anything that cannot be read gives None. No torch here (the task modules import it), so the
suffixes the task accepts are repeated below; a test keeps both lists equal.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: The image suffixes the classification task reads (``hpdesk.tasks.data_layout``'s
#: CLASS_FOLDER_SUFFIXES). A copy, kept equal by a test: the window and its PyInstaller bundle,
#: which leaves hpdesk.tasks out, import this module.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp",
                            ".ppm", ".pgm", ".pbm"})


def count_folder(path: str | os.PathLike[str]) -> dict[str, int] | None:
    """Image files per class sub-folder (sorted names); None when ``path`` is no folder or
    cannot be listed."""
    root = Path(path).expanduser()
    try:
        classes = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
        return {d.name: sum(1 for f in d.iterdir()
                            if not f.name.startswith(".") and f.suffix.lower() in IMAGE_SUFFIXES
                            and f.is_file())
                for d in classes}
    except OSError:
        return None


def _names(archive: Any, n_classes: int) -> list[str]:
    if "classes" in archive.files:
        names = [str(c) for c in np.asarray(archive["classes"]).ravel()]
        if len(names) >= n_classes:
            return names
    return [str(i) for i in range(n_classes)]


def count_npz(path: str | os.PathLike[str]) -> dict[str, int] | None:
    """Labels per class of an .npz's ``y`` (and ``y_val`` when it has one), named by its
    ``classes`` when given; None when the file or its labels cannot be read."""
    try:
        with np.load(Path(path).expanduser(), allow_pickle=False, mmap_mode="r") as archive:
            parts = [np.asarray(archive[k]) for k in ("y", "y_val") if k in archive.files]
            if not parts or any(p.ndim != 1 for p in parts):
                return None
            labels = np.concatenate(parts)
            if labels.size == 0 or not np.issubdtype(labels.dtype, np.number):
                return None
            if not bool(np.all(np.mod(labels, 1) == 0)) or labels.min() < 0:
                return None
            counts = np.bincount(labels.astype(np.int64))
            names = _names(archive, len(counts))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {name: int(counts[i]) if i < len(counts) else 0 for i, name in enumerate(names)}


def _digits_labels() -> np.ndarray | None:
    """scikit-learn's digits labels, read from its bundled file (the task reads the same)."""
    spec = importlib.util.find_spec("sklearn")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            return np.loadtxt(path, delimiter=",", usecols=(64,), dtype=np.float64)
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        return None
    return np.asarray(load_digits().target)


def count_digits() -> dict[str, int] | None:
    """Samples per digit in scikit-learn's digits (about 180 each, 1797 in all)."""
    try:
        labels = _digits_labels()
    except (OSError, ValueError):
        return None
    if labels is None:
        return None
    counts = np.bincount(labels.astype(np.int64), minlength=10)
    return {str(i): int(n) for i, n in enumerate(counts)}


def data_of(plan: Mapping[str, Any]) -> dict[str, Any] | None:
    """The classification data a plan trains on (``{"source": ..., "path": ...}``), or None
    when the plan is not the classification task or runs its own command."""
    if not isinstance(plan, Mapping) or plan.get("task") != "classification" or plan.get("command"):
        return None
    data = plan.get("data")
    if isinstance(data, str):
        return {"source": data}
    if data is None:
        return {"source": "digits"}
    if not isinstance(data, Mapping):
        return None
    return {"source": data.get("source", "digits"), "path": data.get("path")}


def class_counts(data: Mapping[str, Any] | str | None) -> dict[str, int] | None:
    """Samples per class of a classification ``data`` option (digits, folder or npz); None when
    the source is unknown or cannot be read. Never raises: the window calls it on plans people
    are still typing."""
    try:
        if data is None or isinstance(data, str):
            source, path = data or "digits", None
        elif isinstance(data, Mapping):
            source, path = data.get("source", "digits"), data.get("path")
        else:
            return None
        if source == "digits":
            return count_digits()
        if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
            return None
        if source == "folder":
            return count_folder(str(path).strip())
        if source == "npz":
            return count_npz(str(path).strip())
    except Exception:  # a count is a hint: it must never take its caller down
        log.exception("counting the classes of %r failed", data)
    return None


__all__ = ["IMAGE_SUFFIXES", "class_counts", "count_digits", "count_folder", "count_npz",
           "data_of"]
