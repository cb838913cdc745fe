"""Data for the detection task: procedural shapes, and YOLO-format folders read with Pillow.

Why procedural shapes: a detection trial must be cheap (tens of seconds on a laptop CPU) yet
show everything the guide says about detection data (KNOWLEDGE.md §6: "the range of object
scales, small or large, sparse or dense, shapes the detector"). Circles, squares and triangles
drawn by numpy give exact boxes, three classes that differ only by form, and options that move
the scale range (``scale``), the density (``objects``, ``max_overlap``) and the clutter
(``noise``) independently. The set is fixed by its own ``seed``, not the trial's, so trials of
one experiment differ only by their hyperparameters; it is generated once per process and
cached (``load_data`` is memoised on its options).

A data set is a :class:`DetectionSet`: images as one float tensor in [0, 1] (N, C, S, S), and per
image a tensor of boxes (normalised ``x0, y0, x1, y1``) and a tensor of class indices.

YOLO folders (``source: yolo``) use the Ultralytics layout: ``images/`` and ``labels/`` with
``train``/``val`` sub-folders (or ``train/images`` and ``val/images``), or flat folders split
by ``val_fraction``. A label file holds one ``class cx cy w h`` line per object, normalised to
[0, 1]; an image without a label file has no objects. Anything unreadable is a
:class:`~hpdesk.tasks.common.ParamError` naming the file (and the line).
"""
from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hpdesk.tasks.common import ParamError, require, require_choice
from hpdesk.tasks.data_layout import image_files, yolo_problem, yolo_splits
from hpdesk.tasks.image_data import read_image

SHAPE_CLASSES: tuple[str, ...] = ("circle", "square", "triangle")
SOURCES: tuple[str, ...] = ("shapes", "yolo")
PLACEMENT_TRIES = 48

#: Every data option with its default. ``objects`` and ``scale`` are [min, max] pairs; the
#: shapes options are ignored for ``yolo`` except ``image_size``, ``channels`` and ``seed``.
DATA_DEFAULTS: dict[str, Any] = {
    "source": "shapes",
    "image_size": 48,           # pixels per side after drawing / resizing
    "channels": 1,              # 1 (grey: fits a digits-pretrained backbone) or 3 (colour)
    "train_images": 400,
    "val_images": 100,
    "objects": [1, 4],          # objects per image, drawn uniformly from [min, max]
    "scale": [0.1, 0.4],        # object side as a fraction of the image side
    "max_overlap": 0.15,        # most of a box another box of its image may cover
    "noise": 0.1,               # std of the Gaussian pixel noise
    "seed": 0,                  # fixes the data set; independent of the trial seed
    "path": "",                 # yolo: the data set folder
    "val_fraction": 0.2,        # yolo without train/val folders: share held out, by seed
    "names": [],                # yolo: class names (else classes.txt, else class0, ...)
}


@dataclass(frozen=True)
class DetectionSet:
    """Images with their objects; shared read-only between the runs of one process."""

    images: torch.Tensor                # (N, C, S, S) float32 in [0, 1]
    boxes: tuple[torch.Tensor, ...]     # per image (n, 4) normalised x0, y0, x1, y1
    labels: tuple[torch.Tensor, ...]    # per image (n,) int64 class indices
    class_names: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def object_count(self) -> int:
        return sum(len(b) for b in self.boxes)


# --- options ------------------------------------------------------------------------------------

def _pair(name: str, value: Any, kind: type) -> list[Any]:
    """A [min, max] option; a single number means min = max."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value, value]
    ok = isinstance(value, (list, tuple)) and len(value) == 2
    try:
        pair = [kind(v) for v in value] if ok else []
    except (TypeError, ValueError):
        pair = []
    if not pair or (kind is int and any(float(v) != int(float(v)) for v in value)):
        raise ParamError(f"data option {name!r} must be [min, max], got {value!r}")
    require(pair[0] <= pair[1], f"data option {name!r} needs min <= max, got {value!r}")
    return pair


def resolve_data_options(data: Any) -> dict[str, Any]:
    """DATA_DEFAULTS overlaid with ``data`` (a dict or its JSON text), checked; unknown keys fail.

    Unknown keys are errors (not ignored as for top-level params) because a misspelt data option
    would silently train on a different data set than the person meant.
    """
    if isinstance(data, str):
        try:
            data = json.loads(data) if data.strip().startswith("{") else {"source": data}
        except ValueError:
            raise ParamError(f"parameter 'data' is not a JSON object: {data!r}") from None
    require(isinstance(data, Mapping), f"parameter 'data' must be a dict, got {data!r}")
    unknown = sorted(set(data) - set(DATA_DEFAULTS))
    require(not unknown, f"unknown data option(s) {', '.join(map(repr, unknown))}; "
                         f"known: {', '.join(DATA_DEFAULTS)}")
    o = {**DATA_DEFAULTS, **data}
    try:
        o["source"] = str(o["source"]).strip().lower()
        for key in ("image_size", "channels", "train_images", "val_images", "seed"):
            number = float(o[key])
            require(number.is_integer(), f"data option {key!r} must be an integer")
            o[key] = int(number)
        for key in ("max_overlap", "noise", "val_fraction"):
            o[key] = float(o[key])
    except (TypeError, ValueError):
        raise ParamError(f"data options must be numbers where numbers are expected: "
                         f"{dict(data)!r}") from None
    require_choice("data source", o["source"], SOURCES)
    o["objects"] = _pair("objects", o["objects"], int)
    o["scale"] = _pair("scale", o["scale"], float)
    require(8 <= o["image_size"] <= 1024, f"data image_size must be in [8, 1024], "
                                          f"got {o['image_size']}")
    require(o["channels"] in (1, 3), f"data channels must be 1 or 3, got {o['channels']}")
    require(o["train_images"] >= 1 and o["val_images"] >= 1,
            "data train_images and val_images must be >= 1")
    require(0 <= o["objects"][0] and o["objects"][1] <= 64,
            f"data objects must lie in [0, 64], got {o['objects']}")
    require(0 < o["scale"][0] and o["scale"][1] <= 1,
            f"data scale must lie in (0, 1], got {o['scale']}")
    require(0 <= o["max_overlap"] <= 1, f"data max_overlap must be in [0, 1], "
                                        f"got {o['max_overlap']}")
    require(0 <= o["noise"] <= 1, f"data noise must be in [0, 1], got {o['noise']}")
    require(0 < o["val_fraction"] < 1, f"data val_fraction must be in (0, 1), "
                                       f"got {o['val_fraction']}")
    require(isinstance(o["names"], (list, tuple)), "data names must be a list of class names")
    o["names"] = [str(n) for n in o["names"]]
    o["path"] = str(o["path"] or "")
    require(o["source"] != "yolo" or bool(o["path"]), "data source 'yolo' needs a 'path'")
    return o


def load_data(data: Any) -> tuple[DetectionSet, DetectionSet]:
    """The (train, val) sets the data options describe; built once per process and options."""
    o = resolve_data_options(data)
    return _load_cached(json.dumps(o, sort_keys=True))


@functools.lru_cache(maxsize=4)
def _load_cached(key: str) -> tuple[DetectionSet, DetectionSet]:
    o = json.loads(key)
    if o["source"] == "yolo":
        return read_yolo(o)
    return (generate_shapes(o, o["train_images"], split=0),
            generate_shapes(o, o["val_images"], split=1))


# --- procedural shapes --------------------------------------------------------------------------

def _place(rng: np.random.Generator, sizes: np.ndarray, valid: np.ndarray, image_size: int,
           max_overlap: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centres for objects of side ``sizes`` (N, M), largest first, vectorised over images.

    Each object tries ``PLACEMENT_TRIES`` random centres (all images at once) and takes the
    first whose box has no more than ``max_overlap`` of its own or an earlier box's area
    covered (intersection over the smaller area, so a small object is never hidden inside a
    large one). An object that finds no place is dropped: crowded options give fewer objects.
    """
    n, m = sizes.shape
    cx, cy = np.zeros((n, m)), np.zeros((n, m))
    valid = valid.copy()
    for j in range(m):
        half = sizes[:, j:j + 1] / 2                                    # (N, 1)
        tx = half + rng.random((n, PLACEMENT_TRIES)) * (image_size - 2 * half)
        ty = half + rng.random((n, PLACEMENT_TRIES)) * (image_size - 2 * half)
        ok = np.ones((n, PLACEMENT_TRIES), dtype=bool)
        for k in range(j):
            ohalf = (sizes[:, k] / 2)[:, None]
            ix = np.minimum(tx + half, cx[:, k:k + 1] + ohalf) - np.maximum(
                tx - half, cx[:, k:k + 1] - ohalf)
            iy = np.minimum(ty + half, cy[:, k:k + 1] + ohalf) - np.maximum(
                ty - half, cy[:, k:k + 1] - ohalf)
            inter = np.clip(ix, 0, None) * np.clip(iy, 0, None)
            smaller = np.minimum(half, ohalf) ** 2 * 4
            clash = inter > max_overlap * smaller + 1e-9
            ok &= ~(clash & valid[:, k:k + 1])
        first = ok.argmax(axis=1)
        rows = np.arange(n)
        cx[:, j], cy[:, j] = tx[rows, first], ty[rows, first]
        valid[:, j] &= ok[rows, first]
    return cx, cy, valid


def generate_shapes(o: Mapping[str, Any], count: int, *, split: int) -> DetectionSet:
    """``count`` images of circles, squares and upright triangles on a dark noisy background.

    ``split`` (0 train, 1 val) picks an independent random stream of the data seed, so the
    validation set does not change when ``train_images`` does. Drawing is vectorised over
    images: one pass per object slot, painting larger objects first.
    """
    rng = np.random.default_rng([o["seed"], split])
    s, c = o["image_size"], o["channels"]
    lo, hi = o["objects"]
    m = max(hi, 1)
    counts = rng.integers(lo, hi + 1, size=count)
    valid = np.arange(m)[None, :] < counts[:, None]
    sizes = rng.uniform(o["scale"][0], o["scale"][1], size=(count, m)) * s
    sizes = np.maximum(sizes, 2.0)
    sizes = -np.sort(-np.where(valid, sizes, 0.0), axis=1)              # largest first
    sizes = np.where(valid, sizes, 2.0)
    classes = rng.integers(0, len(SHAPE_CLASSES), size=(count, m))
    cx, cy, valid = _place(rng, sizes, valid, s, o["max_overlap"])
    background = rng.uniform(0.0, 0.35, size=(count, c, 1, 1))
    colour = rng.uniform(0.55, 1.0, size=(count, m, c))
    images = np.broadcast_to(background, (count, c, s, s)).astype(np.float64)

    grid = np.arange(s, dtype=np.float64) + 0.5                        # pixel centres
    for j in range(m):
        half = (sizes[:, j] / 2)[:, None, None]
        dx = grid[None, None, :] - cx[:, j][:, None, None]              # (N, 1, S)
        dy = grid[None, :, None] - cy[:, j][:, None, None]              # (N, S, 1)
        circle = dx ** 2 + dy ** 2 <= half ** 2
        square = (np.abs(dx) <= half) & (np.abs(dy) <= half)
        t = (dy + half) / (2 * half)                                    # 0 at apex, 1 at base
        triangle = (t >= 0) & (t <= 1) & (np.abs(dx) <= t * half)
        kind = classes[:, j][:, None, None]
        mask = np.where(kind == 0, circle, np.where(kind == 1, square, triangle))
        mask &= valid[:, j][:, None, None]
        images = np.where(mask[:, None], colour[:, j][:, :, None, None], images)
    if o["noise"] > 0:
        images = images + rng.normal(0.0, o["noise"], size=images.shape)
    images = np.clip(images, 0.0, 1.0).astype(np.float32)

    boxes, labels = [], []
    for i in range(count):
        keep = valid[i]
        half = sizes[i, keep] / 2
        xyxy = np.stack([cx[i, keep] - half, cy[i, keep] - half,
                         cx[i, keep] + half, cy[i, keep] + half], axis=1) / s
        boxes.append(torch.from_numpy(np.clip(xyxy, 0, 1).astype(np.float32)).reshape(-1, 4))
        labels.append(torch.from_numpy(classes[i, keep].astype(np.int64)))
    return DetectionSet(torch.from_numpy(images), tuple(boxes), tuple(labels), SHAPE_CLASSES)


# --- YOLO folders -------------------------------------------------------------------------------



def _read_labels(file: Path, n_names: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Boxes (n, 4) normalised xyxy and classes (n,) from one YOLO label file."""
    if not file.is_file():
        return np.zeros((0, 4), np.float32), np.zeros(0, np.int64)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ParamError(f"{file}: cannot read label file ({exc})") from None
    boxes, classes = [], []
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields:
            continue
        where = f"{file}:{number}"
        require(len(fields) == 5, f"{where}: expected 'class cx cy w h' (5 values), "
                                  f"got {len(fields)}: {line.strip()!r}")
        try:
            cls = float(fields[0])
            cx, cy, w, h = (float(f) for f in fields[1:])
        except ValueError:
            raise ParamError(f"{where}: not a number in {line.strip()!r}") from None
        require(cls.is_integer() and cls >= 0, f"{where}: class must be an integer >= 0, "
                                               f"got {fields[0]!r}")
        require(n_names is None or cls < n_names,
                f"{where}: class {int(cls)} but only {n_names} class names")
        values = (cx, cy, w, h)
        require(all(math.isfinite(v) and 0 <= v <= 1 for v in values),
                f"{where}: cx cy w h must be normalised to [0, 1], got {line.strip()!r}")
        require(w > 0 and h > 0, f"{where}: box width and height must be > 0")
        boxes.append([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
        classes.append(int(cls))
    return (np.clip(np.asarray(boxes, np.float32).reshape(-1, 4), 0, 1),
            np.asarray(classes, np.int64))


def _read_split(images_dir: Path, labels_dir: Path, files: Sequence[Path], o: Mapping[str, Any],
                names: list[str] | None) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    size, channels = o["image_size"], o["channels"]
    pixels = np.zeros((len(files), channels, size, size), np.float32)
    boxes, labels = [], []
    for i, file in enumerate(files):
        pixels[i] = read_image(file, channels, size)
        label_file = labels_dir / file.relative_to(images_dir).with_suffix(".txt")
        b, c = _read_labels(label_file, len(names) if names else None)
        boxes.append(b)
        labels.append(c)
    return pixels, boxes, labels


def _class_names(root: Path, o: Mapping[str, Any]) -> list[str] | None:
    if o["names"]:
        return list(o["names"])
    listing = root / "classes.txt"
    if listing.is_file():
        names = [line.strip() for line in listing.read_text(encoding="utf-8").splitlines()]
        return [n for n in names if n] or None
    return None


def read_yolo(o: Mapping[str, Any]) -> tuple[DetectionSet, DetectionSet]:
    """Train and validation sets from a YOLO folder (see the module docstring for layouts)."""
    root = Path(o["path"]).expanduser()
    problem = yolo_problem(root)      # the wizard and `plan validate` check the same way
    require(problem is None, problem.sentence() if problem else "")
    train_dirs, val_dirs = yolo_splits(root)
    assert train_dirs is not None
    names = _class_names(root, o)
    train_files = image_files(train_dirs[0])
    if val_dirs is None:
        order = np.random.default_rng(o["seed"]).permutation(len(train_files))
        n_val = max(1, int(round(len(train_files) * o["val_fraction"])))
        require(n_val < len(train_files), f"{train_dirs[0]}: too few images to hold out "
                                          f"{o['val_fraction']} for validation")
        val_files = [train_files[i] for i in sorted(order[:n_val])]
        train_files = [train_files[i] for i in sorted(order[n_val:])]
        val_dirs = train_dirs
    else:
        val_files = image_files(val_dirs[0])
    parts = [_read_split(*dirs, files, o, names)
             for dirs, files in ((train_dirs, train_files), (val_dirs, val_files))]
    if names is None:
        top = max((int(c.max()) for part in parts for c in part[2] if len(c)), default=0)
        names = [f"class{i}" for i in range(top + 1)]
    sets = tuple(
        DetectionSet(torch.from_numpy(pixels), tuple(torch.from_numpy(b) for b in boxes),
                     tuple(torch.from_numpy(c) for c in labels), tuple(names))
        for pixels, boxes, labels in parts)
    return sets[0], sets[1]


def write_yolo(root: str | Path, train: DetectionSet, val: DetectionSet) -> Path:
    """Save two sets as a YOLO folder (``images/{train,val}``, ``labels/{train,val}``, PNG).

    Lets a person look at the generated shapes with any YOLO tool, and the tests round-trip
    the reader. Returns the root folder.
    """
    from PIL import Image

    root = Path(root)
    for split, data in (("train", train), ("val", val)):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        pixels = (data.images.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
        for i in range(len(data)):
            array = pixels[i, 0] if pixels.shape[1] == 1 else pixels[i].transpose(1, 2, 0)
            Image.fromarray(array).save(root / "images" / split / f"{i:05d}.png")
            b = data.boxes[i].double()
            rows = [f"{int(c)} {(x0 + x1) / 2:.6f} {(y0 + y1) / 2:.6f} "
                    f"{x1 - x0:.6f} {y1 - y0:.6f}"
                    for c, (x0, y0, x1, y1) in zip(data.labels[i].tolist(), b.tolist())]
            (root / "labels" / split / f"{i:05d}.txt").write_text(
                "".join(r + "\n" for r in rows), encoding="utf-8")
    (root / "classes.txt").write_text("".join(n + "\n" for n in train.class_names),
                                      encoding="utf-8")
    return root
