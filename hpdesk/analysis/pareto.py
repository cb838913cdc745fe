"""The Pareto front of trials with several objectives: the trials no other trial beats on every
objective at once.

A trial dominates another when it is at least as good on every objective and better on one
(better as each objective's direction says). Trials that tie on every objective do not
dominate each other: all of them stay on the front. A trial missing a value (None, NaN or an
infinity: it failed, or the metric was never reported; or a row with fewer or more values than
objectives) is left out; it is neither on the front nor dominating anything.

>>> pareto_front([[0.9, 120], [0.8, 40], [0.7, 60], [0.9, 120]], ["maximize", "minimize"])
[0, 1, 3]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

DIRECTIONS = ("maximize", "minimize")


def _matrix(values: Sequence[Sequence[float | None]], directions: Sequence[str]
            ) -> tuple[np.ndarray, np.ndarray]:
    """Values turned so that larger is better, and which rows have every value finite.

    Raises:
        ValueError: a direction other than maximize or minimize.
    """
    for d in directions:
        if d not in DIRECTIONS:
            raise ValueError(f"a direction is maximize or minimize, not {d!r}")
    k = len(directions)
    out = np.full((len(values), k), np.nan)
    for i, row in enumerate(values):
        if len(row) != k:
            continue  # not a trial of these objectives: missing
        for j, v in enumerate(row):
            if v is not None and isinstance(v, (int, float)) and math.isfinite(v):
                out[i, j] = float(v)
    signs = np.array([1.0 if d == "maximize" else -1.0 for d in directions])
    scored = out * signs
    return scored, np.all(np.isfinite(scored), axis=1)


def pareto_front(values: Sequence[Sequence[float | None]], directions: Sequence[str]) -> list[int]:
    """Indices (ascending) of the rows of `values` that no other row dominates.

    `values[i]` holds trial i's value of each objective, in the order of `directions`
    ("maximize" or "minimize"). Rows with a missing or non-finite value are never on the front.

    Raises:
        ValueError: see `_matrix`.

    >>> pareto_front([[1, 1], [2, 0], [0, 2], [0.5, 0.5], [None, 9]], ["maximize"] * 2)
    [0, 1, 2]
    """
    scored, ok = _matrix(values, directions)
    rows = np.flatnonzero(ok)
    points = scored[rows]
    front = []
    for i, p in zip(rows, points):
        no_worse = np.all(points >= p, axis=1)
        better = np.any(points > p, axis=1)
        if not np.any(no_worse & better):
            front.append(int(i))
    return front


def dominated_count(values: Sequence[Sequence[float | None]], directions: Sequence[str]
                    ) -> list[int | None]:
    """How many trials dominate each trial (0: on the front; None: a missing value).

    >>> dominated_count([[1, 1], [0, 0], [None, 1]], ["maximize", "maximize"])
    [0, 1, None]
    """
    scored, ok = _matrix(values, directions)
    points = scored[ok]
    out: list[int | None] = [None] * len(values)
    for i in np.flatnonzero(ok):
        p = scored[i]
        out[int(i)] = int(np.sum(np.all(points >= p, axis=1) & np.any(points > p, axis=1)))
    return out


def front_path(xs: Sequence[float], ys: Sequence[float], front: Sequence[int]) -> list[int]:
    """The front's indices in the order a line connects them: by x, then by y.

    >>> front_path([3.0, 1.0, 2.0], [0.0, 2.0, 1.0], [0, 1, 2])
    [1, 2, 0]
    """
    return sorted(front, key=lambda i: (xs[i], ys[i]))


__all__ = ["DIRECTIONS", "dominated_count", "front_path", "pareto_front"]
