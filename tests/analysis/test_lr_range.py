"""The learning-rate range test's reading (hpdesk.analysis.lr_range) on exact synthetic curves."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpdesk.analysis.lr_range import (
    MIN_POINTS,
    compare_with_guide,
    suggest_range,
    usable_points,
)

LRS = np.logspace(-7, 0, 100)


def valley(lrs: np.ndarray = LRS, *, fall_at: float = -4.0, bottom_at: float = -1.0) -> list[float]:
    """Flat at 2.3 below 10**fall_at, a straight fall to 0.2 at 10**bottom_at, then a steep
    rise: the textbook range-test curve."""
    x = np.log10(lrs)
    y = np.where(x < fall_at, 2.3,
                 np.where(x <= bottom_at, 2.3 - 2.1 * (x - fall_at) / (bottom_at - fall_at),
                          0.2 + 30.0 * (x - bottom_at) ** 2))
    return [float(v) for v in y]


def test_textbook_curve_gives_the_fall_start_and_the_minimum_over_ten() -> None:
    s = suggest_range(LRS, valley())
    assert s.ok and s.reason == ""
    assert s.low is not None and s.high is not None
    assert 1e-4 <= s.low <= 4e-4           # where the fall begins (a tenth of the way down)
    assert s.min_lr is not None and 0.04 <= s.min_lr <= 0.15  # smoothing: a little early
    assert s.high == pytest.approx(float(f"{s.min_lr / 10:.3g}"))
    assert s.low < s.high
    assert s.steepest_lr is not None and 1e-4 <= s.steepest_lr <= s.min_lr


def test_the_curve_ends_at_the_first_nan() -> None:
    losses = valley()
    cut = 60
    losses[cut:] = [math.nan] * (100 - cut)
    lr, loss = usable_points(LRS, losses)
    assert lr.size == cut and np.all(np.isfinite(loss))
    s = suggest_range(LRS, losses)
    assert s.ok and s.min_lr is not None and s.min_lr <= LRS[cut - 1]


def test_a_loss_still_falling_at_the_end_says_so() -> None:
    s = suggest_range(LRS, valley(bottom_at=1.0))  # the bottom lies past the sweep
    assert s.ok and "still falling" in s.note
    assert s.min_lr == pytest.approx(LRS[-1])


def test_a_flat_loss_gives_no_range_and_says_why() -> None:
    s = suggest_range(LRS, [2.3] * 100)
    assert not s.ok and s.low is None and "never fell" in s.reason


def test_a_rising_loss_gives_no_range() -> None:
    s = suggest_range(LRS, [1.0 + i * 0.01 for i in range(100)])
    assert not s.ok and "never fell" in s.reason


def test_nan_at_once_says_so() -> None:
    s = suggest_range(LRS[:1], [math.nan])
    assert not s.ok and "first mini-batch" in s.reason


def test_too_few_points() -> None:
    s = suggest_range(LRS, [2.0, 1.5, math.nan])
    assert not s.ok and "only 2 usable points" in s.reason and str(MIN_POINTS) in s.reason


def test_no_points() -> None:
    assert "no point" in suggest_range([], []).reason


def test_abrupt_fall_keeps_low_below_high() -> None:
    losses = [2.3] * 70 + [0.1] * 5 + [50.0] * 25
    s = suggest_range(LRS, losses)
    assert s.ok and s.low is not None and s.high is not None and s.low < s.high
    assert "abruptly" in s.note


@pytest.mark.parametrize("lrs, losses, expect", [
    ([], [], "没有记录任何点"),
    (LRS[:1], [math.nan], "NaN"),
    (LRS, [2.0, 1.5, math.nan], "2 个可用点"),
    (LRS, [2.3] * 100, "没有明显低于起始值"),
])
def test_every_reason_is_said_in_chinese_too(lrs: list[float], losses: list[float],
                                             expect: str) -> None:
    s = suggest_range(lrs, losses)
    assert not s.ok and s.reason and expect in s.reason_in("zh")
    assert s.reason_in("en") == s.reason


def test_notes_are_said_in_chinese_too() -> None:
    assert "仍在下降" in suggest_range(LRS, valley(bottom_at=1.0)).note_in("zh")
    abrupt = suggest_range(LRS, [2.3] * 70 + [0.1] * 5 + [50.0] * 25)
    assert "突然" in abrupt.note_in("zh") and abrupt.note_in("en") == abrupt.note


def test_overlap_with_the_guide() -> None:
    s = suggest_range(LRS, valley())
    c = compare_with_guide(s, "adam", 1e-3, 1e-2)
    assert c.overlaps is True and "overlaps the guide's range for adam" in c.sentence


def test_below_and_above_the_guide_say_why() -> None:
    low = compare_with_guide(suggest_range(LRS, valley(bottom_at=-4.0, fall_at=-6.0)),
                             "sgd", 1e-2, 1e-1)
    assert low.overlaps is False and "lies below" in low.sentence
    high = compare_with_guide(suggest_range(LRS, valley(fall_at=-1.0, bottom_at=-0.2)),
                              "adam", 1e-4, 1e-3)
    assert high.overlaps is False and "lies above" in high.sentence


def test_no_suggestion_compares_with_its_reason() -> None:
    c = compare_with_guide(suggest_range(LRS, [2.3] * 100), "adam", 1e-3, 1e-2)
    assert c.overlaps is None and "never fell" in c.sentence


floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.just(math.nan))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(floats, floats), max_size=60))
def test_never_raises(points: list[tuple[float, float]]) -> None:
    s = suggest_range([p[0] for p in points], [p[1] for p in points])
    if s.ok:
        assert s.low is not None and s.high is not None
        assert 0 < s.low < s.high and math.isfinite(s.high)
    else:
        assert s.reason
    compare_with_guide(s, "adam", 1e-3, 1e-2)
