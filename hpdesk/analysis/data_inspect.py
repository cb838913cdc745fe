"""Looking at the data before the model (the guide's section on data): `hpdesk data inspect`.

Classification (class folders, an .npz, the built-in digits): samples per class, the imbalance
ratio and the rare classes, samples per class against the number of classes (few-shot), files
that are exact duplicates or that no image reader opens, and the image sizes. Detection (a
YOLO folder): images and label files, objects per image, the objects' scales (the square root
of their box area, relative to the image) and objects per class. The tuning guide's findings
(class imbalance, few-shot) come from the same rules the plan editor's advice uses, so they
read alike, in English and Chinese, with their source.

No torch here; images are opened with Pillow only to read their size and check they decode
(`verify`), never fully decoded. At most MAX_FILES files are looked at.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpdesk.analysis.class_counts import IMAGE_SUFFIXES, class_counts, count_digits
from hpdesk.knowledge.findings import Finding
from hpdesk.knowledge.rules_evidence import (
    class_imbalance,
    data_duplicates,
    data_unlabelled,
    data_unreadable,
    few_shot,
    rare_classes,
)

MAX_FILES = 200_000
#: Object scale bands, as a share of the image's side (sqrt(box area / image area)).
SCALE_BANDS = (("small", 0.1), ("medium", 0.3), ("large", 1.01))


class DataError(ValueError):
    """The data cannot be read as the task reads it (said in one sentence)."""


@dataclass
class DataReport:
    task: str
    source: str
    classes: dict[str, int] = field(default_factory=dict)
    imbalance_ratio: float | None = None
    rare_classes: dict[str, int] = field(default_factory=dict)
    duplicates: list[list[str]] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    image_sizes: dict[str, int] = field(default_factory=dict)  # "WxH": images
    images: int = 0
    objects_per_image: dict[str, float] = field(default_factory=dict)
    object_scales: dict[str, int] = field(default_factory=dict)
    images_without_labels: int = 0
    findings: list[Finding] = field(default_factory=list)

    def evidence(self) -> dict[str, Any]:
        """The report as evidence for the advice rules (hpdesk.knowledge.rules_evidence): the
        class counts and the file checks."""
        out: dict[str, Any] = {"class_counts": dict(self.classes),
                               "duplicates": [list(g) for g in self.duplicates],
                               "unreadable": list(self.unreadable)}
        if self.task == "detection":
            out["images"] = self.images
            out["images_without_labels"] = self.images_without_labels
        return out

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "findings"}
        out["findings"] = [{"rule": f.rule, "level": f.level, "message": f.message(lang),
                            "source": f.source_text(lang)} for f in self.findings]
        return out


def inspect_data(task: str, data: Mapping[str, Any] | None) -> DataReport:
    """The report for `task` (classification or detection) on `data` ({source, path});
    None: the task's built-in data."""
    if task == "classification":
        return _classification(data or {"source": "digits"})
    if task == "detection":
        if data is None or data.get("source", "shapes") == "shapes":
            raise DataError("the detection task's built-in shapes are generated as each trial "
                            "runs, balanced by construction: give --data with a YOLO folder")
        return _detection(Path(str(data.get("path", ""))).expanduser())
    raise DataError(f"{task}: the data inspector reads classification and detection data")


def data_from_path(task: str, path: str | None) -> dict[str, Any] | None:
    """--data PATH as the plan's data section (a folder or an .npz)."""
    if path is None:
        return None
    where = Path(path).expanduser()
    if not where.exists():
        raise DataError(f"{path}: no such file or folder")
    if task == "detection":
        return {"source": "yolo", "path": str(where)}
    if where.suffix.lower() == ".npz":
        return {"source": "npz", "path": str(where)}
    if not where.is_dir():
        raise DataError(f"{path}: expected a folder of class sub-folders or an .npz file")
    return {"source": "folder", "path": str(where)}


def _classification(data: Mapping[str, Any]) -> DataReport:
    source = str(data.get("source", "digits"))
    counts = count_digits() if source == "digits" else class_counts(data)
    where = str(data.get("path", "scikit-learn's digits"))
    if counts is None:
        raise DataError(f"{where}: cannot be read as the classification task reads it")
    if not counts:
        raise DataError(f"{where}: no class sub-folder with images")
    report = DataReport("classification", where, classes=dict(counts))
    present = {k: n for k, n in counts.items() if n > 0}
    if len(present) >= 2:
        report.imbalance_ratio = max(present.values()) / min(present.values())
    report.rare_classes = rare_classes(counts)
    if source == "folder":
        _look_at_images(report, Path(where).expanduser())
    evidence = {"class_counts": dict(counts)}
    plan = {"task": "classification", "data": dict(data)}
    report.findings = (class_imbalance(plan, evidence) + few_shot(plan, evidence)
                       + file_findings(report))
    return report


def file_findings(report: DataReport) -> list[Finding]:
    """The file checks' findings (identical files, unreadable ones, images without labels),
    from the evidence rules the plan editor's advice also runs on the report's `evidence()`."""
    plan = {"task": report.task}
    evidence = report.evidence()
    return (data_duplicates(plan, evidence) + data_unreadable(plan, evidence)
            + data_unlabelled(plan, evidence))


def _look_at_images(report: DataReport, root: Path) -> None:
    """Duplicates (same bytes), files no reader opens, sizes."""
    by_hash: dict[str, list[str]] = {}
    sizes: Counter[str] = Counter()
    files = [f for d in sorted(root.iterdir()) if d.is_dir() and not d.name.startswith(".")
             for f in sorted(d.iterdir())
             if f.is_file() and not f.name.startswith(".") and f.suffix.lower() in IMAGE_SUFFIXES]
    for path in files[:MAX_FILES]:
        name = str(path.relative_to(root))
        try:
            raw = path.read_bytes()
        except OSError:
            report.unreadable.append(name)
            continue
        by_hash.setdefault(hashlib.sha1(raw).hexdigest(), []).append(name)
        size = _image_size(path)
        if size is None:
            report.unreadable.append(name)
        else:
            sizes[f"{size[0]}x{size[1]}"] += 1
    report.images = len(files)
    report.duplicates = [names for names in by_hash.values() if len(names) > 1]
    report.image_sizes = dict(sizes.most_common())


def _image_size(path: Path) -> tuple[int, int] | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            size = image.size
            image.verify()
        return size
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError):
        return None


def _detection(root: Path) -> DataReport:
    from hpdesk.tasks.data_layout import yolo_splits  # torch-free: the task's own layouts

    train, val = yolo_splits(root)
    if train is None:
        raise DataError(f"{root} has no images/ folder: a YOLO data set holds images/ and "
                        "labels/, with or without train/ and val/ inside")
    report = DataReport("detection", str(root))
    per_image: list[int] = []
    scales: Counter[str] = Counter({name: 0 for name, _ in SCALE_BANDS})
    classes: Counter[str] = Counter()
    for images, labels in [s for s in (train, val) if s is not None]:
        for image in sorted(images.iterdir()) if images.is_dir() else ():
            if not image.is_file() or image.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            report.images += 1
            if _image_size(image) is None:
                report.unreadable.append(str(image.relative_to(root)))
            label = labels / (image.stem + ".txt")
            if not label.is_file():
                report.images_without_labels += 1
                per_image.append(0)
                continue
            boxes = _boxes(label)
            per_image.append(len(boxes))
            for cls, w, h in boxes:
                classes[cls] += 1
                side = (max(w, 0.0) * max(h, 0.0)) ** 0.5
                scales[next(n for n, limit in SCALE_BANDS if side < limit)] += 1
    if not report.images:
        raise DataError(f"{root}: the images folder holds no image file")
    report.objects_per_image = {"mean": statistics.fmean(per_image), "max": max(per_image),
                                "median": statistics.median(per_image)}
    report.object_scales = dict(scales)
    report.classes = dict(sorted(classes.items()))
    present = {k: n for k, n in classes.items() if n > 0}
    if len(present) >= 2:
        report.imbalance_ratio = max(present.values()) / min(present.values())
    report.rare_classes = rare_classes(dict(classes))
    evidence = {"class_counts": dict(classes)}
    plan = {"task": "detection", "data": {"source": "yolo", "path": str(root)}}
    report.findings = class_imbalance(plan, evidence) + file_findings(report)
    return report


def _boxes(label: Path) -> list[tuple[str, float, float]]:
    """(class, width, height) of each well-formed line `class cx cy w h` (normalised)."""
    out: list[tuple[str, float, float]] = []
    try:
        lines = label.read_text(errors="replace").splitlines()
    except OSError:
        return out
    for line in lines:
        parts = line.split()
        if len(parts) < 5:
            continue
        try:
            w, h = float(parts[3]), float(parts[4])
        except ValueError:
            continue
        out.append((parts[0], w, h))
    return out
