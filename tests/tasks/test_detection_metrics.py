"""mAP@0.5 against cases small enough to compute by hand (all-point interpolated AP)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from hpdesk.tasks.detection_metrics import (
    ImageDetections,
    ImageTruth,
    average_precision,
    box_iou,
    mean_average_precision,
)

A = [0.0, 0.0, 10.0, 10.0]
B = [20.0, 20.0, 30.0, 30.0]
C = [40.0, 0.0, 50.0, 10.0]
FAR = [60.0, 60.0, 70.0, 70.0]


def dets(*rows: tuple[list[float], float, int]) -> ImageDetections:
    return ImageDetections(boxes=[r[0] for r in rows], scores=[r[1] for r in rows],
                           labels=[r[2] for r in rows])


def truth(*rows: tuple[list[float], int]) -> ImageTruth:
    return ImageTruth(boxes=[r[0] for r in rows], labels=[r[1] for r in rows])


def test_perfect_detections_score_one() -> None:
    result = mean_average_precision(
        [dets((A, 0.9, 0), (B, 0.8, 0)), dets((C, 0.7, 0))],
        [truth((A, 0), (B, 0)), truth((C, 0))])
    assert result.map == pytest.approx(1.0)
    assert result.ap == {0: pytest.approx(1.0)} and result.n_truth == {0: 3}


def test_false_positive_ranked_first() -> None:
    # ranks: FP, TP, TP -> precision 0, 1/2, 2/3 at recall 0, 1/2, 1 -> envelope 2/3 everywhere
    result = mean_average_precision(
        [dets((FAR, 0.95, 0), (A, 0.9, 0), (B, 0.8, 0))], [truth((A, 0), (B, 0))])
    assert result.map == pytest.approx(2 / 3)


def test_false_positive_ranked_last_costs_nothing() -> None:
    result = mean_average_precision(
        [dets((A, 0.9, 0), (B, 0.8, 0), (FAR, 0.1, 0))], [truth((A, 0), (B, 0))])
    assert result.map == pytest.approx(1.0)


def test_missed_object_halves_recall() -> None:
    result = mean_average_precision([dets((A, 0.9, 0))], [truth((A, 0), (B, 0))])
    assert result.map == pytest.approx(0.5)


def test_duplicate_detection_is_a_false_positive() -> None:
    # TP, duplicate (FP), TP: precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1 -> 0.5*1 + 0.5*2/3
    result = mean_average_precision(
        [dets((A, 0.9, 0), ([0.5, 0.0, 10.5, 10.0], 0.85, 0), (B, 0.8, 0))],
        [truth((A, 0), (B, 0))])
    assert result.map == pytest.approx(0.5 + 0.5 * 2 / 3)


def test_two_classes_are_averaged_and_labels_kept_apart() -> None:
    # class 0 perfect; class 1: its only detection carries class 0's box -> AP 0
    result = mean_average_precision(
        [dets((A, 0.9, 0), (A, 0.8, 1))], [truth((A, 0), (B, 1))])
    assert result.ap == {0: pytest.approx(1.0), 1: pytest.approx(0.0)}
    assert result.map == pytest.approx(0.5)


def test_class_without_truth_is_left_out_of_the_mean() -> None:
    result = mean_average_precision([dets((A, 0.9, 0), (B, 0.9, 2))], [truth((A, 0))])
    assert result.ap == {0: pytest.approx(1.0)} and result.map == pytest.approx(1.0)


def test_no_detections_score_zero_and_no_truth_is_nan() -> None:
    empty = ImageDetections(boxes=[], scores=[], labels=[])
    assert mean_average_precision([empty], [truth((A, 0))]).map == 0.0
    assert math.isnan(mean_average_precision([dets((A, 0.9, 0))],
                                             [ImageTruth([], [])]).map)


def test_iou_threshold_is_inclusive_at_one_half() -> None:
    wide = [0.0, 0.0, 20.0, 10.0]                      # half of it is A: IoU exactly 0.5
    assert box_iou(np.array([A]), np.array([wide]))[0, 0] == 0.5
    assert mean_average_precision([dets((A, 0.9, 0))], [truth((wide, 0))]).map == 1.0
    just_under = [0.0, 0.0, 20.01, 10.0]
    assert mean_average_precision([dets((A, 0.9, 0))], [truth((just_under, 0))]).map == 0.0


def test_match_is_per_image() -> None:
    # the right box in the wrong image is a false positive
    result = mean_average_precision([dets((B, 0.9, 0)), dets()],
                                    [truth((A, 0)), truth((B, 0))])
    assert result.map == 0.0


def test_best_unmatched_truth_is_taken() -> None:
    # two overlapping objects; the second detection overlaps the already matched one most
    # (IoU 0.74) but the other one enough (0.6): it matches that one (VOC would call it a FP)
    left, right = [0.0, 0.0, 10.0, 10.0], [4.0, 0.0, 14.0, 10.0]
    result = mean_average_precision(
        [dets((left, 0.9, 0), ([1.5, 0.0, 11.5, 10.0], 0.8, 0))],
        [truth((left, 0), (right, 0))])
    assert result.map == pytest.approx(1.0)


def test_accepts_torch_tensors() -> None:
    result = mean_average_precision(
        [ImageDetections(torch.tensor([A]), torch.tensor([0.5]), torch.tensor([0]))],
        [ImageTruth(torch.tensor([A]), torch.tensor([0]))])
    assert result.map == pytest.approx(1.0)


def test_average_precision_envelope() -> None:
    # precision dips then rises: the envelope takes the later, higher value
    recall = np.array([0.25, 0.25, 0.5, 0.75])
    precision = np.array([1.0, 0.5, 2 / 3, 0.75])
    assert average_precision(recall, precision) == pytest.approx(0.25 * 1 + 0.5 * 0.75)
