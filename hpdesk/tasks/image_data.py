"""Labelled image sets for the classification task: digits, a folder of class folders, an .npz file.

Why in memory as whole arrays: the sets these trials use are small (thousands of images), and a
slice of a tensor that already sits on the device is far cheaper per batch than a DataLoader;
a trial spends its seconds training, not decoding. Every split is fixed (seed 0, independent of
the trial's seed) so that trials differ only by their hyperparameters (KNOWLEDGE.md section 6:
compare training and validation results on the same held-out images).

The ``data`` parameter is a dict, ``{"source": ...}`` plus that source's options:

* ``digits`` (default): scikit-learn's 8x8 digits, 1438 / 359 split.
* ``folder``: ``path`` to a folder with one sub-folder per class (class names: the sub-folder
  names, sorted); images read with Pillow, converted to grayscale (``channels: 1``, default) or
  RGB (``channels: 3``), resized to ``image_size`` x ``image_size`` (default 16); a stratified
  split holding out ``val_fraction`` (default 0.2) of every class.
* ``npz``: ``path`` to an .npz with ``x`` shaped (N, H, W), (N, C, H, W) or (N, F) and integer
  labels ``y`` (0 .. K-1); optional ``x_val``/``y_val`` (else the stratified split above) and
  ``classes`` (K names). uint8 pixels are scaled to [0, 1]; other types are used as given.

Every source also takes two options that make a set harder on purpose, both applied to the
training split only (validation stays clean, so scores compare): ``train_size`` keeps that many
training images, stratified (0, the default, keeps all), and ``label_noise`` gives that fraction
of training images a wrong label, chosen uniformly among the other classes (as Zhang et al. 2017,
"Understanding deep learning requires rethinking generalization", corrupt labels). Both draw
from a fixed seed, so every trial sees the same smaller, noisier set.

Bad data raises :class:`~hpdesk.tasks.common.ParamError` with one line naming the path.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hpdesk.tasks.common import ParamError, coerce_params, data_source, require
from hpdesk.tasks.data_layout import CLASS_FOLDER_SUFFIXES

SPLIT_SEED = 0
DIGITS_SPLIT_SEED = SPLIT_SEED
DIGITS_VAL_FRACTION = 0.2
IMAGE_SUFFIXES = CLASS_FOLDER_SUFFIXES

#: The options of each source with their defaults (``path`` has none: it is required).
_HARDER: dict[str, Any] = {"train_size": 0, "label_noise": 0.0}
DATA_OPTIONS: dict[str, dict[str, Any]] = {
    "digits": {**_HARDER},
    "folder": {"path": "", "channels": 1, "image_size": 16, "val_fraction": 0.2, **_HARDER},
    "npz": {"path": "", "val_fraction": 0.2, **_HARDER},
}


@dataclass(frozen=True)
class ImageData:
    """A fixed train/validation split: float32 ``x`` shaped (N, C, H, W) or (N, F), int64 ``y``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    class_names: tuple[str, ...]

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def is_image(self) -> bool:
        """True when samples are (C, H, W) images a convolutional model can take."""
        return len(self.sample_shape) == 3


# --- digits -------------------------------------------------------------------------------------

def _digits_csv() -> Path | None:
    """scikit-learn's bundled digits file, found without importing sklearn (~0.8 s saved)."""
    spec = importlib.util.find_spec("sklearn")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            return path
    return None


def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits: (1797, 64) float32 pixels scaled to [0, 1] and int64 labels."""
    path = _digits_csv()
    if path is not None:
        table = np.loadtxt(path, delimiter=",", dtype=np.float64)
        images, labels = table[:, :-1], table[:, -1]
    else:                                        # layout changed: the public loader
        from sklearn.datasets import load_digits
        bunch = load_digits()
        images, labels = bunch.data, bunch.target
    return (images / 16.0).astype(np.float32), labels.astype(np.int64)


def stratified_split(
    labels: np.ndarray, val_fraction: float, seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation indices holding out ``val_fraction`` of every class.

    Written out here rather than borrowed from sklearn so the split cannot move with a library
    version: each class's indices are permuted by ``default_rng(seed)`` in label order and the
    first ``round(n * val_fraction)`` go to validation. Both index arrays come back sorted.
    """
    rng = np.random.default_rng(seed)
    train_parts, val_parts = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        n_val = int(round(len(members) * val_fraction))
        val_parts.append(members[:n_val])
        train_parts.append(members[n_val:])
    return np.sort(np.concatenate(train_parts)), np.sort(np.concatenate(val_parts))


@functools.lru_cache(maxsize=1)
def digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The fixed digits split every trial uses: x_train, y_train, x_val, y_val (1438 / 359).

    Stratified 80/20 with split seed 0, independent of the trial's seed, so that trials differ
    only by their hyperparameters. Cached: in-process callers (tests) load it once.
    """
    x, y = load_digits_arrays()
    train_idx, val_idx = stratified_split(y, DIGITS_VAL_FRACTION, DIGITS_SPLIT_SEED)
    return x[train_idx], y[train_idx], x[val_idx], y[val_idx]


def load_digits_data() -> ImageData:
    """Digits as 1x8x8 images (an MLP flattens them back to the 64 features)."""
    x_tr, y_tr, x_va, y_va = digits_split()
    return ImageData(x_tr.reshape(-1, 1, 8, 8), y_tr, x_va.reshape(-1, 1, 8, 8), y_va,
                     tuple(str(i) for i in range(10)))


# --- options ------------------------------------------------------------------------------------

def resolve_data_options(data: Any) -> dict[str, Any]:
    """The ``data`` parameter checked and completed with its source's defaults.

    Accepts a bare source name (``"digits"``). Unknown keys are rejected: a misspelt
    ``val_fration`` must not silently fall back to the default.
    """
    source, data = data_source(data, DATA_OPTIONS)
    options = DATA_OPTIONS[source]
    typed = {k: v for k, v in options.items() if k != "path"}     # a path keeps its case
    q = coerce_params({k: v for k, v in data.items() if k in typed}, typed)
    q["source"] = source
    require(q["train_size"] >= 0, f"data train_size must be >= 0 (0 keeps all), got "
                                  f"{q['train_size']}")
    require(0 <= q["label_noise"] < 1,
            f"data label_noise must be in [0, 1), got {q['label_noise']}")
    if source == "digits":
        return q
    raw = data.get("path")
    require(isinstance(raw, (str, os.PathLike)) and bool(str(raw).strip()),
            f"data source {source!r} needs a 'path'")
    q["path"] = os.path.expanduser(str(raw).strip())
    require(0 < q["val_fraction"] < 1, f"data val_fraction must be in (0, 1), got "
                                       f"{q['val_fraction']}")
    if source == "folder":
        require(q["channels"] in (1, 3), f"data channels must be 1 or 3, got {q['channels']}")
        require(1 <= q["image_size"] <= 1024,
                f"data image_size must be in [1, 1024], got {q['image_size']}")
    return q


def load_data(data: Any) -> ImageData:
    """The split the ``data`` parameter describes (see the module docstring)."""
    q = resolve_data_options(data)
    if q["source"] == "digits":
        loaded = load_digits_data()
    elif q["source"] == "folder":
        loaded = load_folder(Path(q["path"]), channels=q["channels"],
                             image_size=q["image_size"], val_fraction=q["val_fraction"])
    else:
        loaded = load_npz(Path(q["path"]), val_fraction=q["val_fraction"])
    return harder(loaded, train_size=q["train_size"], label_noise=q["label_noise"])


def harder(data: ImageData, *, train_size: int = 0, label_noise: float = 0.0) -> ImageData:
    """``data`` with a smaller (stratified) and noisier training split; validation unchanged.

    The subsample keeps every class's share (at least one image each); the noisy labels are a
    fixed fraction, each moved to a different class. Seeded by :data:`SPLIT_SEED` + 1.
    """
    x, y = data.x_train, data.y_train
    rng = np.random.default_rng(SPLIT_SEED + 1)
    if 0 < train_size < len(y):
        require(train_size >= data.n_classes, f"data train_size {train_size} is below the "
                                              f"number of classes ({data.n_classes})")
        keep = _stratified_subset(y, train_size, rng)
        x, y = x[keep], y[keep]
    if label_noise > 0 and data.n_classes > 1:
        y = y.copy()
        flip = rng.choice(len(y), size=int(round(label_noise * len(y))), replace=False)
        shift = rng.integers(1, data.n_classes, size=len(flip))
        y[flip] = (y[flip] + shift) % data.n_classes
    if x is data.x_train and y is data.y_train:
        return data
    return ImageData(x, y, data.x_val, data.y_val, data.class_names)


def _stratified_subset(labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    classes, counts = np.unique(labels, return_counts=True)
    quota = np.maximum(1, np.floor(counts * size / len(labels))).astype(int)
    for i in np.argsort(-(counts * size / len(labels) - quota))[: max(0, size - quota.sum())]:
        quota[i] += 1                                   # largest remainders fill up to size
    parts = [rng.permutation(np.flatnonzero(labels == c))[:q] for c, q in zip(classes, quota)]
    return np.sort(np.concatenate(parts))


def _split(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], val_fraction: float,
           where: Path) -> ImageData:
    train_idx, val_idx = stratified_split(y, val_fraction, SPLIT_SEED)
    require(len(val_idx) > 0 and len(train_idx) > 0,
            f"{where}: too few images for a validation split of {val_fraction}")
    return ImageData(x[train_idx], y[train_idx], x[val_idx], y[val_idx], names)


# --- folder -------------------------------------------------------------------------------------

def read_image(path: Path, channels: int, size: int) -> np.ndarray:
    """One image file as a (channels, size, size) float array in [0, 1] (Pillow, bilinear);
    an unreadable file is a ParamError naming it. Shared by classification and detection."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            image = opened.convert("L" if channels == 1 else "RGB")
            image = image.resize((size, size), Image.Resampling.BILINEAR)
            array = np.asarray(image, dtype=np.float32) / 255.0
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        reason = str(exc).replace(f" {str(path)!r}", "").replace(str(path), "").strip()
        raise ParamError(f"{path}: cannot read image ({reason or type(exc).__name__})") from None
    return array[None] if channels == 1 else array.transpose(2, 0, 1)


def load_folder(path: Path, *, channels: int = 1, image_size: int = 16,
                val_fraction: float = 0.2) -> ImageData:
    """One sub-folder per class (sorted names); every image file in it, sorted, is a sample.

    Files without an image suffix (``README.txt``) and hidden files are skipped; a file with an
    image suffix that Pillow cannot read is an error, not a silent gap in a class.
    """
    require(path.is_dir(), f"data folder {path} does not exist or is not a folder")
    classes = sorted(d.name for d in path.iterdir() if d.is_dir() and not d.name.startswith("."))
    require(len(classes) >= 2, f"data folder {path} needs at least 2 class sub-folders, "
                               f"found {len(classes)}")
    images: list[np.ndarray] = []
    labels: list[int] = []
    for label, name in enumerate(classes):
        files = sorted(f for f in (path / name).iterdir()
                       if f.is_file() and not f.name.startswith(".")
                       and f.suffix.lower() in IMAGE_SUFFIXES)
        require(bool(files), f"class folder {path / name} holds no images")
        for file in files:
            images.append(read_image(file, channels, image_size))
            labels.append(label)
    x = np.stack(images).astype(np.float32)
    return _split(x, np.asarray(labels, dtype=np.int64), tuple(classes), val_fraction, path)


# --- npz ----------------------------------------------------------------------------------------

def _features(x: Any, where: str) -> np.ndarray:
    x = np.asarray(x)
    require(x.ndim in (2, 3, 4), f"{where} must be shaped (N, H, W), (N, C, H, W) or (N, F), "
                                 f"got {x.shape}")
    require(np.issubdtype(x.dtype, np.number) and x.dtype != np.bool_,
            f"{where} must hold numbers, got {x.dtype}")
    scaled = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    require(bool(np.isfinite(scaled).all()), f"{where} holds NaN or infinite values")
    return scaled[:, None] if scaled.ndim == 3 else scaled


def _labels(y: Any, n: int, where: str) -> np.ndarray:
    y = np.asarray(y)
    require(y.ndim == 1 and len(y) == n, f"{where} must be 1-D with one label per sample "
                                         f"({n}), got shape {y.shape}")
    require(np.issubdtype(y.dtype, np.integer)
            or (np.issubdtype(y.dtype, np.floating) and bool(np.all(np.mod(y, 1) == 0))),
            f"{where} must hold integer labels, got {y.dtype}")
    labels = y.astype(np.int64)
    require(len(labels) == 0 or labels.min() >= 0, f"{where} holds negative labels")
    return labels


def load_npz(path: Path, *, val_fraction: float = 0.2) -> ImageData:
    """Arrays ``x``/``y`` (and optionally ``x_val``/``y_val``, ``classes``) from an .npz file."""
    require(path.is_file(), f"data file {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ParamError(f"cannot read data file {path}: {reason}") from None
    missing = [key for key in ("x", "y") if key not in arrays]
    if missing:
        raise ParamError(f"data file {path} has no array {missing[0]!r}")
    x = _features(arrays["x"], f"{path}: x")
    y = _labels(arrays["y"], len(x), f"{path}: y")
    require(len(x) > 0, f"data file {path} holds no samples")
    has_val = "x_val" in arrays or "y_val" in arrays
    if has_val:
        require("x_val" in arrays and "y_val" in arrays,
                f"data file {path} needs both x_val and y_val, or neither")
        x_val = _features(arrays["x_val"], f"{path}: x_val")
        y_val = _labels(arrays["y_val"], len(x_val), f"{path}: y_val")
        require(x_val.shape[1:] == x.shape[1:],
                f"{path}: x_val samples are {x_val.shape[1:]}, x samples {x.shape[1:]}")
        require(len(x_val) > 0, f"data file {path}: x_val holds no samples")
    n_classes = int(max(y.max(), y_val.max() if has_val else 0)) + 1
    if "classes" in arrays:
        names = tuple(str(c) for c in np.asarray(arrays["classes"]).ravel())
        require(len(names) >= n_classes, f"{path}: {len(names)} class names for labels up to "
                                         f"{n_classes - 1}")
    else:
        names = tuple(str(i) for i in range(n_classes))
    require(len(names) >= 2, f"data file {path} needs at least 2 classes")
    if has_val:
        return ImageData(x, y, x_val, y_val, names)
    return _split(x, y, names, val_fraction, path)


def metric_suffix(name: str) -> str:
    """A class name made safe for a metric name (``val_acc_class_<suffix>``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name.strip()) or "_"
