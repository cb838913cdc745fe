"""Curve arithmetic for the plot: smoothing, decimation, best-so-far, epochs, growing buffers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hpdesk.analysis.series import (
    EmaState,
    GrowableArray,
    SeriesBuffer,
    best_so_far,
    decimate,
    ema,
    epochs_at,
)


def _reference_ema(values: list[float], w: float) -> list[float]:
    """The loop TensorBoard's smoothing describes, written plainly."""
    last, n, out = 0.0, 0, []
    for v in values:
        if not math.isfinite(v):
            out.append(v)
            continue
        last = last * w + (1 - w) * v
        n += 1
        out.append(last / (1 - w ** n))
    return out


@settings(max_examples=80, deadline=None)
@given(values=hnp.arrays(np.float64, st.integers(0, 3000),
                         elements=st.one_of(st.floats(-1e6, 1e6), st.just(math.nan),
                                            st.just(math.inf))),
       weight=st.sampled_from([0.0, 0.3, 0.6, 0.9, 0.95, 0.99]))
def test_ema_matches_the_plain_loop_and_skips_non_finite_values(values, weight) -> None:
    got, _ = ema(values, weight)
    want = np.array(_reference_ema(list(values), weight))
    assert got.shape == values.shape
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-6)
    assert np.array_equal(np.isnan(got), np.isnan(values))


def test_ema_continues_from_its_state_and_is_debiased() -> None:
    y = np.sin(np.arange(10_000) / 50.0) + 3.0
    whole, _ = ema(y, 0.9)
    first, state = ema(y[:6_000], 0.9)
    rest, _ = ema(y[6_000:], 0.9, state)
    np.testing.assert_allclose(np.concatenate((first, rest)), whole, rtol=1e-12)
    constant, _ = ema(np.full(50, 7.0), 0.99)
    np.testing.assert_allclose(constant, 7.0)  # no pull towards the zero it starts from
    assert ema([], 0.5)[1] == EmaState()
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        ema(y, 1.0)


def test_decimation_keeps_peaks_ends_and_points_just_outside_the_view() -> None:
    x = np.arange(100_000, dtype=np.float64)
    y = np.sin(x / 1000.0)
    y[54_321] = 40.0
    y[70_000] = -40.0
    dx, dy = decimate(x, y, None, 500)
    assert dx.size <= 2 * 500 + 2
    assert (dx[0], dy[0], dx[-1], dy[-1]) == (0.0, y[0], x[-1], y[-1])
    assert dy.max() == 40.0 and dy.min() == -40.0
    assert np.all(np.diff(dx) >= 0)
    vx, vy = decimate(x, y, (20_000.5, 30_000.5), 100)
    assert vx[0] == 20_000.0 and vx[-1] == 30_001.0  # the neighbours outside the view
    assert vx.size <= 2 * 100 + 2
    inside = (x >= 20_000) & (x <= 30_001)
    assert vy.max() == y[inside].max() and vy.min() == y[inside].min()


def test_decimation_returns_short_curves_as_they_are_and_bridges_nan_buckets() -> None:
    x = np.arange(10.0)
    dx, dy = decimate(x, x * 2, None, 100)
    assert np.array_equal(dx, x) and np.array_equal(dy, x * 2)
    big = np.arange(1000.0)
    vals = big.copy()
    vals[100:300] = np.nan
    dx, dy = decimate(big, vals, None, 10)
    assert not np.isnan(dy).any() and dy.max() == 999.0
    assert decimate([], [], None, 5)[0].size == 0
    with pytest.raises(ValueError, match="at least 1"):
        decimate(x, x, None, 0)


def test_best_so_far_in_either_direction_ignores_nan() -> None:
    y = [np.nan, 0.5, 0.3, np.nan, 0.7, 0.6]
    np.testing.assert_array_equal(best_so_far(y, maximize=True),
                                  [np.nan, 0.5, 0.5, 0.5, 0.7, 0.7])
    np.testing.assert_array_equal(best_so_far(y, maximize=False),
                                  [np.nan, 0.5, 0.3, 0.3, 0.3, 0.3])
    assert best_so_far([], maximize=True).size == 0


def test_epochs_interpolate_between_reports_and_run_on_past_the_last() -> None:
    # epoch e completed at step 100 e (the classification task reports it at validation)
    steps = np.array([0, 50, 100, 150, 200, 250])
    got = epochs_at(steps, [100, 200], [1.0, 2.0])
    assert got is not None and got.tolist() == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    got = epochs_at([10, 20], [0, 40], [0.0, 2.0])
    assert got is not None and got.tolist() == [0.5, 1.0]
    got = epochs_at([5, 9], [0], [0.0])  # one report at step 0: nothing to pace by
    assert got is not None and got.tolist() == [0.0, 0.0]
    assert epochs_at(steps, [], []) is None
    assert epochs_at(steps, [100], [np.nan]) is None


def test_growable_array_and_series_buffer_append_and_merge_re_reported_steps() -> None:
    g = GrowableArray(np.int64, capacity=2)
    for i in range(5):
        g.append([i, i])
    assert g.view().tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4] and len(g) == 10
    g.replace([7])
    assert g.view().tolist() == [7]

    buf = SeriesBuffer(capacity=4)
    assert buf.extend([1, 2, 3], [1.0, 2.0, 3.0], [0.1, 0.2, 0.3])
    assert buf.extend([4, 5], [4.0, 5.0], [0.4, 0.5])
    assert buf.extend([], [], [])
    # a resumed trial reports steps 3 and 4 again, then 6
    assert not buf.extend([3, 4, 6], [30.0, 40.0, 60.0], [1.3, 1.4, 1.6])
    assert buf.steps.tolist() == [1, 2, 3, 4, 5, 6]
    assert buf.values.tolist() == [1.0, 2.0, 30.0, 40.0, 5.0, 60.0]
    assert buf.walls.tolist() == [0.1, 0.2, 1.3, 1.4, 0.5, 1.6]
    assert not buf.extend([2, 2], [7.0, 8.0], [0.0, 0.0])  # the newest of a step wins
    assert buf.values[1] == 8.0 and len(buf) == 6


def test_smoothed_series_keeps_its_average_in_step_with_appends_and_merges() -> None:
    from hpdesk.analysis.series import SmoothedSeries

    rng = np.random.default_rng(1)
    values = rng.normal(size=3000)
    s = SmoothedSeries()
    s.replace(np.arange(1000), values[:1000], np.zeros(1000))
    assert np.array_equal(s.y(), values[:1000])  # weight 0: the raw values
    s.set_weight(0.8)
    np.testing.assert_allclose(s.y(), ema(values[:1000], 0.8)[0])
    s.extend(np.arange(1000, 3000), values[1000:], np.zeros(2000))
    np.testing.assert_allclose(s.y(), ema(values, 0.8)[0], rtol=1e-12)
    assert not s.extend([5], [100.0], [1.0])  # a re-reported step: smoothed afresh
    merged = values.copy()
    merged[5] = 100.0
    np.testing.assert_allclose(s.y(), ema(merged, 0.8)[0], rtol=1e-12)
    assert len(s) == 3000 and s.weight == 0.8
    with pytest.raises(ValueError):
        s.set_weight(-0.1)


def test_a_replaced_buffer_holds_the_arrays_without_copying_and_never_writes_them() -> None:
    steps, values = np.arange(5), np.linspace(0, 1, 5)
    buf = SeriesBuffer()
    buf.replace(steps, values, values)
    assert np.shares_memory(buf.values, values)  # no copy of a 100,000-point curve
    buf.extend([5], [9.0], [9.0])
    assert buf.steps.tolist() == [0, 1, 2, 3, 4, 5] and values.tolist() == [0, .25, .5, .75, 1]
    buf.replace(steps, values, values)
    buf._values.replace([7.0])  # rewriting an adopted array goes to new storage
    assert values[0] == 0.0
