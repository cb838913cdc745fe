"""Curves as numpy arrays: smoothing, decimation for drawing, best-so-far, steps to epochs, and
buffers that grow as points stream in. Plain numpy, no Qt: the curves view and the tests share it.

Conventions: steps are int64 and increasing; values are float64 with NaN for "no value" (SQLite
stores NaN as NULL); every function takes and returns arrays without touching its inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


# smoothing -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EmaState:
    """Where an exponential moving average stopped: continue it over appended points with
    `ema(new_values, weight, state)` instead of smoothing the whole curve again."""

    last: float = 0.0  # the biased average
    count: int = 0  # finite values seen


def ema(values: ArrayLike, weight: float, state: EmaState | None = None
        ) -> tuple[FloatArray, EmaState]:
    """Debiased exponential moving average, as TensorBoard's smoothing slider draws it.

    `weight` in [0, 1): 0 returns the values, 0.99 a very smooth line. The average starts at 0
    and is divided by (1 - weight**n), so early points are not pulled towards 0. Non-finite
    values (NaN, inf) are passed through and left out of the average."""
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"the smoothing weight must be in [0, 1), not {weight}")
    y = np.asarray(values, dtype=np.float64)
    state = state or EmaState()
    out = y.copy()
    finite = np.isfinite(y)
    x = y[finite]
    if x.size == 0:
        return out, state
    if weight == 0.0:
        return out, EmaState(float(x[-1]), state.count + x.size)
    biased = _ema_biased(x, weight, state.last)
    counts = state.count + np.arange(1, x.size + 1, dtype=np.float64)
    with np.errstate(under="ignore"):
        out[finite] = biased / (1.0 - np.power(weight, counts))
    return out, EmaState(float(biased[-1]), state.count + x.size)


def _ema_biased(x: FloatArray, w: float, start: float) -> FloatArray:
    """s[i] = w * s[i-1] + (1 - w) * x[i], vectorised in blocks short enough that w**-len stays
    below 1e8 (the closed form s[i] = w**(i+1) s0 + (1-w) w**i sum_k w**-k x[k])."""
    block = int(max(1, min(4096, math.floor(8 * math.log(10) / -math.log(w)))))
    out = np.empty_like(x)
    i = np.arange(block, dtype=np.float64)
    up = np.power(w, -i)
    down = np.power(w, i)
    prev = start
    for lo in range(0, x.size, block):
        part = x[lo:lo + block]
        k = part.size
        acc = np.cumsum(part * up[:k])
        out[lo:lo + k] = down[:k] * w * prev + (1.0 - w) * down[:k] * acc
        prev = float(out[lo + k - 1])
    return out


# decimation ------------------------------------------------------------------------------------
def decimate(x: ArrayLike, y: ArrayLike, x_range: tuple[float, float] | None, buckets: int
             ) -> tuple[FloatArray, FloatArray]:
    """At most about 2 x `buckets` points that draw like all of them: the minimum and the maximum
    of each of `buckets` equal slices of `x_range` (peaks survive), the first and last points in
    the range kept as they are, plus one point either side so the line runs to the edges.

    `x` must be sorted. With `x_range` None the whole curve is the range. Buckets whose values
    are all NaN are dropped (the line bridges them)."""
    if buckets < 1:
        raise ValueError(f"buckets must be at least 1, not {buckets}")
    xs = np.asarray(x)  # integer steps stay integers: no conversion of the whole curve
    if xs.dtype.kind not in "iuf":
        xs = xs.astype(np.float64)
    ys = np.asarray(y, dtype=np.float64)
    if xs.size == 0:
        return xs.astype(np.float64), ys.copy()
    if x_range is None:
        lo_i, hi_i = 0, xs.size
        lo, hi = float(xs[0]), float(xs[-1])
    else:
        lo, hi = float(min(x_range)), float(max(x_range))
        lo_i = max(int(np.searchsorted(xs, lo, "left")) - 1, 0)  # one point outside each side
        hi_i = min(int(np.searchsorted(xs, hi, "right")) + 1, xs.size)
    if hi_i - lo_i <= 2 * buckets + 2:
        return xs[lo_i:hi_i].astype(np.float64), ys[lo_i:hi_i].copy()
    edges = np.linspace(lo, hi, buckets + 1)[1:-1]
    if xs.dtype.kind in "iu":  # compare integers with integers: no conversion of the curve
        edges = np.ceil(edges).astype(xs.dtype)
    inner_x, inner_y = xs[lo_i + 1:hi_i - 1], ys[lo_i + 1:hi_i - 1]
    starts = np.concatenate(([0], np.searchsorted(inner_x, edges, "left")))
    starts = starts[starts < inner_x.size]  # sorted: drop the repeats of empty buckets
    starts = starts[np.concatenate(([True], starts[1:] != starts[:-1]))]
    with np.errstate(invalid="ignore"):
        low = np.fmin.reduceat(inner_y, starts)
        high = np.fmax.reduceat(inner_y, starts)
    keep = ~np.isnan(low)
    bx = inner_x[starts][keep]
    out_x = np.empty(2 * bx.size + 2)
    out_y = np.empty(2 * bx.size + 2)
    out_x[0], out_y[0] = xs[lo_i], ys[lo_i]
    out_x[-1], out_y[-1] = xs[hi_i - 1], ys[hi_i - 1]
    out_x[1:-1:2] = bx
    out_x[2:-1:2] = bx
    out_y[1:-1:2] = low[keep]
    out_y[2:-1:2] = high[keep]
    return out_x, out_y


# summaries -------------------------------------------------------------------------------------
def best_so_far(values: ArrayLike, *, maximize: bool) -> FloatArray:
    """The best value up to each point (NaN ignored; NaN until the first value)."""
    y = np.asarray(values, dtype=np.float64)
    if y.size == 0:
        return y.copy()
    return np.fmax.accumulate(y) if maximize else np.fmin.accumulate(y)


def epochs_at(steps: ArrayLike, epoch_steps: ArrayLike, epoch_values: ArrayLike
              ) -> FloatArray | None:
    """Fractional epochs of `steps`, from an `epoch` metric reported at some steps (tasks report
    the epochs completed at each validation). Linear between reports, step 0 taken as epoch 0,
    and extended past the last report at the last pace (a running trial mid-epoch). None when
    there is nothing to go by (no finite epoch report)."""
    s = np.asarray(steps, dtype=np.float64)
    es = np.asarray(epoch_steps, dtype=np.float64)
    ev = np.asarray(epoch_values, dtype=np.float64)
    ok = np.isfinite(ev)
    es, ev = es[ok], ev[ok]
    if es.size == 0:
        return None
    if es[0] > 0 and ev[0] > 0:
        es, ev = np.concatenate(([0.0], es)), np.concatenate(([0.0], ev))
    if es.size == 1:
        return np.full(s.shape, ev[0])
    out = np.interp(s, es, ev)
    for side, (a, b) in (("lo", (0, 1)), ("hi", (-2, -1))):
        span = es[b] - es[a]
        if span <= 0:
            continue
        pace = (ev[b] - ev[a]) / span
        mask = s < es[0] if side == "lo" else s > es[-1]
        edge = 0 if side == "lo" else -1
        out[mask] = ev[edge] + (s[mask] - es[edge]) * pace
    return out


# buffers ---------------------------------------------------------------------------------------
class GrowableArray:
    """A 1-d array that appends in amortised constant time (capacity doubles): `view()` is the
    filled part, valid until the next append."""

    def __init__(self, dtype: type | np.dtype = np.float64, capacity: int = 1024) -> None:
        self._data = np.empty(max(1, capacity), dtype=dtype)
        self._n = 0
        self._owned = True  # False while holding an adopted array: never written in place

    def __len__(self) -> int:
        return self._n

    def view(self) -> np.ndarray:
        return self._data[:self._n]

    def append(self, values: ArrayLike) -> None:
        new = np.asarray(values, dtype=self._data.dtype).ravel()
        need = self._n + new.size
        if need > self._data.size or not self._owned:
            grown = np.empty(max(need, 2 * self._data.size, 16), dtype=self._data.dtype)
            grown[:self._n] = self._data[:self._n]
            self._data = grown
            self._owned = True
        self._data[self._n:need] = new
        self._n = need

    def replace(self, values: ArrayLike) -> None:
        self._n = 0
        self.append(values)

    def adopt(self, values: np.ndarray) -> None:
        """Hold `values` themselves, without a copy (a whole curve just read): the first append
        copies them into room to grow. The caller must not change them afterwards."""
        if values.dtype != self._data.dtype or values.ndim != 1:
            self.replace(values)
            return
        self._data = values
        self._n = values.size
        self._owned = False


class SeriesBuffer:
    """One curve (steps, values, wall times) that grows as points stream in.

    `extend` appends points after the last step; a point at or before it (a resumed trial
    re-reporting steps) is merged in, the newest value winning, so the buffer always holds one
    point per step in step order, as the store reads it."""

    def __init__(self, capacity: int = 1024) -> None:
        self._steps = GrowableArray(np.int64, capacity)
        self._values = GrowableArray(np.float64, capacity)
        self._walls = GrowableArray(np.float64, capacity)
        self.version = 0  # changes with every change of the points: a key for caches

    def __len__(self) -> int:
        return len(self._steps)

    @property
    def steps(self) -> IntArray:
        return self._steps.view()

    @property
    def values(self) -> FloatArray:
        return self._values.view()

    @property
    def walls(self) -> FloatArray:
        return self._walls.view()

    def replace(self, steps: ArrayLike, values: ArrayLike, walls: ArrayLike) -> None:
        """Make the buffer exactly these points (a whole curve read from the store). Arrays of
        the buffer's dtypes are held without a copy: do not change them afterwards."""
        self._steps.adopt(np.asarray(steps, dtype=np.int64))
        self._values.adopt(np.asarray(values, dtype=np.float64))
        self._walls.adopt(np.asarray(walls, dtype=np.float64))
        self.version += 1

    def extend(self, steps: ArrayLike, values: ArrayLike, walls: ArrayLike) -> bool:
        """Add points; returns True when they only appended, False when some were merged."""
        s = np.asarray(steps, dtype=np.int64)
        v = np.asarray(values, dtype=np.float64)
        w = np.asarray(walls, dtype=np.float64)
        if s.size == 0:
            return True
        ordered = bool(np.all(np.diff(s) > 0))
        if ordered and (len(self) == 0 or s[0] > self.steps[-1]):
            self._steps.append(s)
            self._values.append(v)
            self._walls.append(w)
            self.version += 1
            return True
        all_s = np.concatenate((self.steps, s))
        all_v = np.concatenate((self.values, v))
        all_w = np.concatenate((self.walls, w))
        order = np.argsort(all_s, kind="stable")  # equal steps keep arrival order
        all_s, all_v, all_w = all_s[order], all_v[order], all_w[order]
        last = np.ones(all_s.size, dtype=bool)
        last[:-1] = all_s[1:] != all_s[:-1]  # the newest of each step is the last of its run
        self.replace(all_s[last], all_v[last], all_w[last])
        return False


class SmoothedSeries:
    """A curve as the plot draws it: the raw points (`raw`) and their smoothing, kept in step as
    points are appended (the average continues from where it stopped) and computed afresh only
    when the weight changes or a re-reported step is merged in."""

    def __init__(self, capacity: int = 1024) -> None:
        self.raw = SeriesBuffer(capacity)
        self._smooth = GrowableArray(np.float64, capacity)
        self._state = EmaState()
        self._weight = 0.0
        self._valid = True  # the smoothed buffer covers every raw point

    def __len__(self) -> int:
        return len(self.raw)

    @property
    def weight(self) -> float:
        return self._weight

    def set_weight(self, weight: float) -> None:
        if not 0.0 <= weight < 1.0:
            raise ValueError(f"the smoothing weight must be in [0, 1), not {weight}")
        if weight != self._weight:
            self._weight = weight
            self._valid = False

    def replace(self, steps: ArrayLike, values: ArrayLike, walls: ArrayLike) -> None:
        self.raw.replace(steps, values, walls)
        self._valid = False

    def extend(self, steps: ArrayLike, values: ArrayLike, walls: ArrayLike) -> bool:
        """Add points (see `SeriesBuffer.extend`); True when they only appended."""
        done = len(self.raw)
        appended = self.raw.extend(steps, values, walls)
        if not appended:
            self._valid = False
        elif self._valid and self._weight > 0.0:
            more, self._state = ema(self.raw.values[done:], self._weight, self._state)
            self._smooth.append(more)
        return appended

    def y(self) -> FloatArray:
        """The values to draw: smoothed when the weight is above 0, else the raw values."""
        if self._weight == 0.0:
            return self.raw.values
        if not self._valid:
            smooth, self._state = ema(self.raw.values, self._weight)
            self._smooth.replace(smooth)
            self._valid = True
        return self._smooth.view()
