"""Mean average precision at one IoU threshold (mAP@0.5), computed the standard way.

Why written out rather than borrowed: the number is the detection task's objective, so its
definition must be exact, stable across library versions and checkable by hand (the tests do).

Definition (PASCAL VOC 2010+ all-point interpolation, COCO-style matching):

1. Per class, every detection of that class over the whole set is sorted by score, highest
   first (ties keep their input order: a stable sort).
2. Each detection in turn is matched greedily to the *unmatched* ground truth of its image and
   class with the highest IoU, if that IoU >= the threshold: a true positive, and that ground
   truth is used up. Otherwise it is a false positive (a duplicate of a matched object included).
3. Cumulative precision and recall over the ranked list give a precision/recall curve; AP is the
   area under its precision envelope (precision at recall r = the highest precision at any recall
   >= r), summed over every point where recall changes (all-point, not the 11-point VOC2007).
4. mAP is the mean AP over the classes that have ground truth; classes without any ground truth
   are left out (their AP is undefined). No ground truth at all gives NaN.

Boxes are ``x0, y0, x1, y1`` in any consistent unit.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ImageDetections:
    """What a detector said about one image."""

    boxes: Any          # (n, 4) array-like, x0 y0 x1 y1
    scores: Any         # (n,)
    labels: Any         # (n,) class indices


@dataclass(frozen=True)
class ImageTruth:
    """The objects really in one image."""

    boxes: Any          # (m, 4)
    labels: Any         # (m,)


@dataclass(frozen=True)
class MapResult:
    """mAP and what it averages: AP and ground-truth count per class index."""

    map: float
    ap: dict[int, float] = field(default_factory=dict)          # classes with ground truth
    n_truth: dict[int, int] = field(default_factory=dict)


def _array(values: Any, shape_tail: tuple[int, ...], dtype: Any) -> np.ndarray:
    """A numpy array from a list, numpy array or (CPU or GPU) torch tensor."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=dtype).reshape((-1, *shape_tail))


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in ``a`` (n, 4) with every box in ``b`` (m, 4): an (n, m) array."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ix = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    iy = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(ix, 0, None) * np.clip(iy, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """All-point interpolated AP: area under the precision envelope of a ranked list.

    ``recall`` must be non-decreasing (cumulative). The curve is closed at recall 0 and at the
    last recall with precision 0 beyond it, as in the VOC2010 development kit.
    """
    mrec = np.concatenate([[0.0], np.asarray(recall, np.float64), [1.0]])
    mpre = np.concatenate([[0.0], np.asarray(precision, np.float64), [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]                       # the envelope
    steps = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]))


def _match_image(boxes: np.ndarray, truth: np.ndarray, iou_threshold: float) -> np.ndarray:
    """True-positive flags of one image's detections of one class, given best first.

    Matching in one image never touches another image's objects, so doing it image by image
    (in rank order within the image) gives exactly the flags of a pass over the global ranking,
    with one IoU matrix per image instead of one IoU row per detection.
    """
    tp = np.zeros(len(boxes), bool)
    if not len(truth):
        return tp
    ious = box_iou(boxes, truth)
    used = np.zeros(len(truth), bool)
    for rank in range(len(boxes)):
        row = np.where(used, -1.0, ious[rank])       # only unmatched objects can be matched
        best = int(np.argmax(row))
        if row[best] >= iou_threshold:
            tp[rank] = True
            used[best] = True
    return tp


def mean_average_precision(
    detections: Sequence[ImageDetections],
    truths: Sequence[ImageTruth],
    *,
    num_classes: int | None = None,
    iou_threshold: float = 0.5,
) -> MapResult:
    """mAP@``iou_threshold`` of ``detections`` against ``truths`` (one entry per image, same order).

    ``num_classes`` only bounds which class indices are considered (default: every index seen).
    """
    if len(detections) != len(truths):
        raise ValueError(f"{len(detections)} detection lists for {len(truths)} images")
    # per class: (-score, input order, image, box) and image -> that class's truth boxes
    per_class_dets: dict[int, list[tuple[float, int, int, np.ndarray]]] = {}
    per_class_truth: dict[int, dict[int, np.ndarray]] = {}
    order = 0
    for image, (det, truth) in enumerate(zip(detections, truths)):
        t_boxes = _array(truth.boxes, (4,), np.float64)
        t_labels = _array(truth.labels, (), np.int64)
        for cls in np.unique(t_labels):
            per_class_truth.setdefault(int(cls), {})[image] = t_boxes[t_labels == cls]
        d_boxes = _array(det.boxes, (4,), np.float64)
        d_scores = _array(det.scores, (), np.float64)
        d_labels = _array(det.labels, (), np.int64)
        for box, score, cls in zip(d_boxes, d_scores, d_labels.tolist()):
            per_class_dets.setdefault(cls, []).append((-float(score), order, image, box))
            order += 1
    classes = sorted(per_class_truth)
    if num_classes is not None:
        classes = [c for c in classes if 0 <= c < num_classes]
    ap: dict[int, float] = {}
    n_truth: dict[int, int] = {}
    for cls in classes:
        n = sum(len(b) for b in per_class_truth[cls].values())
        n_truth[cls] = n
        dets = sorted(per_class_dets.get(cls, []), key=lambda d: (d[0], d[1]))
        if not dets:
            ap[cls] = 0.0
            continue
        images = np.array([d[2] for d in dets])
        tp = np.zeros(len(dets), bool)
        for image in np.unique(images):
            ranks = np.flatnonzero(images == image)
            truth_boxes = per_class_truth[cls].get(int(image), np.zeros((0, 4)))
            tp[ranks] = _match_image(np.stack([dets[r][3] for r in ranks]), truth_boxes,
                                     iou_threshold)
        tp_cum = np.cumsum(tp)
        fp_cum = np.cumsum(~tp)
        ap[cls] = average_precision(tp_cum / n, tp_cum / (tp_cum + fp_cum))
    mean = float(np.mean(list(ap.values()))) if ap else math.nan
    return MapResult(map=mean, ap=ap, n_truth=n_truth)
