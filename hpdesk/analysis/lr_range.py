"""A learning-rate range test's curve turned into a suggested range (numpy only, no torch).

The test (Smith 2017, "Cyclical Learning Rates for Training Neural Networks", section 3.3)
trains for a few hundred mini-batches while the learning rate grows exponentially, one rate
per mini-batch, and records the training loss at each. Read against the rate on a log axis
the curve is flat while the rate is too small to move the weights, falls once it is large
enough, bottoms out, and shoots up when the steps become too large. Smith takes the lower
bound where the loss starts to fall and the upper bound where it stops falling or turns
ragged. `hpdesk lr-find` runs the sweep (hpdesk.tasks.lr_find); this module only reads its
points, so the reading can be tested on exact synthetic curves.

How the range is read here, and why:

* The loss of one mini-batch is noisy, so the curve is smoothed with the debiased exponential
  moving average the curve view uses (:func:`hpdesk.analysis.series.ema`), run forwards and
  then backwards. A forwards-only average lags: its minimum would sit several steps (a good
  part of an order of magnitude of rate) to the right of the true one, at rates where the
  training already diverges. The forwards-backwards pass has no lag.
* The curve ends at the first loss that is not a finite number, or once the (forwards)
  smoothed loss exceeds :data:`BLOW_UP` times its lowest value so far (the sweep's own stopping
  rule, Smith 2017 and fast.ai): the run diverged there, nothing after it says anything about
  the rate, and a long steep rise would drag the smoothed minimum towards lower rates.
* Lower bound: the first rate at which the smoothed loss is clearly below its starting value,
  "clearly" meaning a tenth of the way down to its minimum (Smith's "when the loss starts to
  decrease"; a tenth so that the noise of a flat start does not count as a fall).
* Upper bound: the rate at the smoothed minimum divided by ten. Smith's own upper bound is
  where the loss stops falling, which is right for a cyclical schedule that spends only a
  moment there; the guide's ranges, which this one is compared with, are for an *initial*
  rate held for many epochs, and at the minimum's rate the run is already on the edge of
  diverging. One order of magnitude below it is the rule of fast.ai's ``lr_find``
  ("minimum / 10"), which implements the same test.
* When the fall is so abrupt that the lower bound is not below the upper one, the range is the
  decade below the upper bound.
* No range is suggested, with the reason in one sentence, when fewer than
  :data:`MIN_POINTS` finite points remain, when no loss is a finite number at all, or when the
  smoothed loss never falls clearly (by :data:`MIN_FALL` of its starting value) below its
  start.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from hpdesk.analysis.series import ema
from hpdesk.knowledge.lr_words import lr_text

#: Rates or losses: a list, or a numpy array.
Values = Sequence[float] | np.ndarray

#: Fewer finite points than this and the curve cannot show a fall and a minimum apart.
MIN_POINTS = 5
#: Weight of the exponential moving average (each pass): about ten points' memory, a little
#: under an order of magnitude of rate at the sweep's default 100 points over seven decades.
SMOOTHING = 0.8
#: The fall (start minus minimum, as a share of the start's size) below which "the loss never
#: fell": smaller changes are within the noise of one mini-batch's loss.
MIN_FALL = 0.05
#: Share of the way from the start down to the minimum at which the fall counts as begun.
FALL_STARTED = 0.1
#: The curve is cut once the smoothed loss exceeds this multiple of its lowest value so far.
BLOW_UP = 4.0
#: The upper bound is the minimum's rate divided by this (fast.ai's "minimum / 10").
SAFETY = 10.0


@dataclass(frozen=True)
class LrSuggestion:
    """What the curve says. ``low``/``high`` are None when no range can be suggested; then
    ``reason`` says why in one sentence. ``min_lr`` is the rate at the smoothed minimum,
    ``steepest_lr`` where the smoothed loss falls fastest against log10(rate); ``note`` adds
    a caveat to a suggestion (the loss was still falling at the sweep's last rate...)."""

    low: float | None
    high: float | None
    reason: str = ""
    min_lr: float | None = None
    steepest_lr: float | None = None
    note: str = ""
    smoothed: list[float] = field(default_factory=list)
    #: The sentences' keys in knowledge/data/lr_find.yaml and their figures, so they can be
    #: said in either language (``reason``/``note`` are the English ones).
    reason_key: str = ""
    note_key: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.low is not None and self.high is not None

    def reason_in(self, lang: str) -> str:
        return lr_text(self.reason_key, lang, **self.fields) if self.reason_key else self.reason

    def note_in(self, lang: str) -> str:
        return lr_text(self.note_key, lang, **self.fields) if self.note_key else self.note


def _no_range(key: str, smoothed: list[float] | None = None, **fields: str) -> LrSuggestion:
    return LrSuggestion(None, None, lr_text(key, "en", **fields), smoothed=smoothed or [],
                        reason_key=key, fields=dict(fields))


def _fmt(x: float) -> str:
    return f"{x:.2g}"


def _smooth(y: np.ndarray) -> np.ndarray:
    """Forwards-then-backwards debiased EMA (no lag); the raw values where it overflows."""
    with np.errstate(all="ignore"):
        forward, _ = ema(y, SMOOTHING)
        backward, _ = ema(forward[::-1], SMOOTHING)
    out = backward[::-1]
    return out if bool(np.all(np.isfinite(out))) else y.copy()


def usable_points(lrs: Values, losses: Values) -> tuple[np.ndarray, np.ndarray]:
    """The points before the first non-finite loss (the run diverged there) whose rate is a
    positive finite number, up to (without) the first whose smoothed loss passes
    :data:`BLOW_UP` times the lowest before it, as float64 arrays."""
    lr, loss, _ = _usable(lrs, losses)
    return lr, loss


def _usable(lrs: Values, losses: Values) -> tuple[np.ndarray, np.ndarray, bool]:
    """:func:`usable_points`, and whether the curve was cut (diverged or blew up)."""
    n = min(len(lrs), len(losses))
    with np.errstate(all="ignore"):
        lr = np.asarray([_as_float(v) for v in list(lrs)[:n]], dtype=np.float64)
        loss = np.asarray([_as_float(v) for v in list(losses)[:n]], dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(loss))
    end = int(bad[0]) if bad.size else n
    cut = end < n
    lr, loss = lr[:end], loss[:end]
    keep = np.isfinite(lr) & (lr > 0)
    lr, loss = lr[keep], loss[keep]
    if loss.size:
        with np.errstate(all="ignore"):
            running, _ = ema(loss, SMOOTHING)
            lowest = np.minimum.accumulate(running)
            over = np.flatnonzero((lowest > 0) & (running > BLOW_UP * lowest))
        if over.size:
            lr, loss, cut = lr[: int(over[0])], loss[: int(over[0])], True
    return lr, loss, cut


def _as_float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return math.nan


def suggest_range(lrs: Values, losses: Values) -> LrSuggestion:
    """The suggested initial learning-rate range from a range test's (rate, loss) points, in
    the sweep's order; never raises (see the module's docstring for how it is read)."""
    n_all = min(len(lrs), len(losses))
    lr, loss, cut = _usable(lrs, losses)
    if n_all == 0:
        return _no_range("no_points")
    if lr.size == 0:
        return _no_range("not_finite")
    if lr.size < MIN_POINTS:
        return _no_range("few_points", n=str(lr.size), minimum=str(MIN_POINTS),
                         at=_fmt(float(lr[-1])))
    smooth = _smooth(loss)
    start = float(smooth[0])
    m = int(np.argmin(smooth))
    lowest = float(smooth[m])
    fall = start - lowest
    scale = max(abs(start), abs(lowest), 1e-12)
    if not math.isfinite(fall) or fall < MIN_FALL * scale or m == 0:
        return _no_range("never_fell", smooth.tolist(), start=f"{start:.4g}",
                         lowest=f"{lowest:.4g}", first=_fmt(float(lr[0])),
                         last=_fmt(float(lr[-1])))
    began = np.flatnonzero(smooth[: m + 1] <= start - FALL_STARTED * fall)
    low = float(lr[int(began[0])]) if began.size else float(lr[m])
    min_lr = float(lr[m])
    high = min_lr / SAFETY
    note = ""
    if low >= high:
        low = high / 10.0
        note = "abrupt"
    if m == lr.size - 1 and not cut:
        note = "still_falling"
    return LrSuggestion(float(f"{low:.3g}"), float(f"{high:.3g}"), min_lr=min_lr,
                        steepest_lr=_steepest(lr[: m + 1], smooth[: m + 1]),
                        note=lr_text(note, "en") if note else "", smoothed=smooth.tolist(),
                        note_key=note)


def _steepest(lr: np.ndarray, smooth: np.ndarray) -> float | None:
    """The rate where the smoothed loss falls fastest per decade of rate, up to the minimum."""
    if lr.size < 2:
        return None
    with np.errstate(all="ignore"):
        x = np.log10(lr)
        dx = np.diff(x)
        slope = np.where(dx > 0, np.diff(smooth) / np.where(dx > 0, dx, 1.0), np.inf)
    if not bool(np.any(np.isfinite(slope))):
        return None
    return float(lr[int(np.nanargmin(np.where(np.isfinite(slope), slope, np.inf)))])


@dataclass(frozen=True)
class GuideComparison:
    """The suggestion set against the guide's range for the optimiser: ``overlaps`` is None
    when there is no suggestion; ``sentence`` says it either way (in English;
    ``sentence_in(lang)`` in either language)."""

    overlaps: bool | None
    sentence: str
    key: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    suggestion: LrSuggestion | None = None

    def sentence_in(self, lang: str) -> str:
        if not self.key:
            return self.sentence
        fields = dict(self.fields)
        if self.key == "compare_none" and self.suggestion is not None:
            fields["reason"] = self.suggestion.reason_in(lang)
        return lr_text(self.key, lang, **fields)


def compare_with_guide(suggestion: LrSuggestion, optimizer: str, guide_low: float,
                       guide_high: float) -> GuideComparison:
    """Whether the suggested range overlaps the guide's recommended initial rates for
    ``optimizer`` (KNOWLEDGE.md's ranges), and why not when it does not."""
    fields = {"optimizer": optimizer, "guide_low": _fmt(guide_low),
              "guide_high": _fmt(guide_high)}

    def said(overlaps: bool | None, key: str, **more: str) -> GuideComparison:
        both = {**fields, **more}
        return GuideComparison(overlaps, lr_text(key, "en", **both), key, both, suggestion)

    if not suggestion.ok:
        return said(None, "compare_none", reason=suggestion.reason)
    low, high = float(suggestion.low or 0), float(suggestion.high or 0)
    mine = {"low": _fmt(low), "high": _fmt(high)}
    if low <= guide_high and guide_low <= high:
        return said(True, "compare_overlaps", **mine, both_low=_fmt(max(low, guide_low)),
                    both_high=_fmt(min(high, guide_high)))
    stop = _fmt(suggestion.min_lr) if suggestion.min_lr is not None else "?"
    return said(False, "compare_below" if high < guide_low else "compare_above", **mine,
                stop=stop)
