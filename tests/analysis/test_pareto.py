"""The Pareto front the comparison view highlights: directions, ties, missing values, three
objectives, and the order a line connects the front in."""

from __future__ import annotations

import math
import random

import pytest

from hpdesk.analysis.pareto import dominated_count, front_path, pareto_front

MAX_MIN = ["maximize", "minimize"]


def test_directions_decide_what_dominates() -> None:
    # accuracy (higher better) against parameters in millions (lower better)
    values = [[0.90, 12.0], [0.85, 3.0], [0.80, 5.0], [0.95, 40.0], [0.70, 1.0]]
    assert pareto_front(values, MAX_MIN) == [0, 1, 3, 4]  # 2 is beaten by 1 on both
    assert pareto_front(values, ["maximize", "maximize"]) == [3]
    assert pareto_front(values, ["minimize", "minimize"]) == [4]
    assert pareto_front(values, ["minimize", "maximize"]) == [0, 2, 3, 4]  # 1 beaten by 2


def test_ties_stay_on_the_front_together() -> None:
    values = [[1.0, 1.0], [1.0, 1.0], [0.5, 1.0], [1.0, 0.5]]
    # 0 and 1 are equal: neither dominates the other; 2 and 3 are equal on one objective and
    # worse on the other, so both are dominated.
    assert pareto_front(values, ["maximize", "maximize"]) == [0, 1]
    assert dominated_count(values, ["maximize", "maximize"]) == [0, 0, 2, 2]


def test_missing_and_non_finite_values_are_left_out() -> None:
    values = [[None, 1.0], [math.nan, 2.0], [0.5, math.inf], [0.1, 0.1], [0.0, 0.0]]
    assert pareto_front(values, ["maximize", "maximize"]) == [3]
    assert dominated_count(values, ["maximize", "maximize"]) == [None, None, None, 0, 1]
    assert pareto_front([], MAX_MIN) == []
    assert pareto_front([[None, None]], MAX_MIN) == []


def test_three_objectives() -> None:
    # maximise accuracy, minimise latency, minimise memory
    values = [
        [0.90, 10.0, 100.0],  # front: best accuracy
        [0.80, 5.0, 200.0],   # front: fastest
        [0.70, 8.0, 50.0],    # front: smallest
        [0.80, 11.0, 150.0],  # dominated by 0 (better on all three)
        [0.80, 5.0, 200.0],   # ties 1 exactly: on the front with it
        [0.70, 8.0, 60.0],    # dominated by 2 (equal twice, worse memory)
    ]
    assert pareto_front(values, ["maximize", "minimize", "minimize"]) == [0, 1, 2, 4]


def test_the_front_agrees_with_a_brute_force_definition() -> None:
    rng = random.Random(7)
    directions = ["maximize", "minimize", "maximize"]
    values = [[rng.choice([0.1, 0.2, 0.3, None]) if rng.random() < 0.1 else
               round(rng.random(), 1) for _ in directions] for _ in range(60)]

    def better_or_equal(a: float, b: float, d: str) -> bool:
        return a >= b if d == "maximize" else a <= b

    def dominates(a: list, b: list) -> bool:
        return all(better_or_equal(x, y, d) for x, y, d in zip(a, b, directions)) and any(
            x != y for x, y in zip(a, b))

    complete = [i for i, v in enumerate(values) if None not in v]
    expected = [i for i in complete
                if not any(dominates(values[j], values[i]) for j in complete if j != i)]
    assert pareto_front(values, directions) == expected


def test_the_front_is_connected_left_to_right_and_bad_input_is_handled() -> None:
    xs, ys = [3.0, 1.0, 2.0, 0.0], [0.0, 2.0, 1.0, 5.0]
    assert front_path(xs, ys, [0, 1, 2]) == [1, 2, 0]
    with pytest.raises(ValueError, match="maximize or minimize"):
        pareto_front([[1.0]], ["max"])
    # A row of the wrong length is a trial without these objectives, not an error.
    assert pareto_front([[1.0, 2.0], [], [0.5, 0.5, 0.5]], ["maximize"] * 3) == [2]
