"""Reading a run's fit state from its curves (KNOWLEDGE.md §6, "watch training and validation
error"; §7, plateaus): pure numpy, so the window's live curves, `hpdesk diagnose` and the
scheduler's divergence watch judge alike, and tests can feed exact synthetic curves.

Each check is built to keep quiet on healthy runs, the noisy per-batch loss of a small batch
included: levels are rolling medians (one bad batch moves no median), "no progress" compares
the start with the whole second half, and a rise must be sustained to the last reports. The
thresholds are hpdesk's (the guide gives the practice, not the numbers) and are named below.

Curves are (steps, values) pairs; NaN marks a non-finite report (the SDK stores NaN as NULL).
Long curves are condensed to block medians (:data:`CONDENSED`) after the non-finite scan, so
a check costs the same on 1,000 points as on a million.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

P = ParamSpec("P")
R = TypeVar("R")
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: The kinds of finding, in the order a trial's list is given (the most urgent first).
KINDS = ("diverged", "lr_too_high", "gan_d_collapse", "gan_g_collapse", "overfitting",
         "underfitting", "plateau")

#: Points a curve is condensed to (block medians) before the level checks.
CONDENSED = 2048
#: Diverged: the loss's level grew this many times above where it started...
GROWTH_OVER_START = 10.0
#: ... or this many times above its lowest level (a late blow-up), while above its start.
GROWTH_OVER_MIN = 100.0
#: "No progress": the second half's level is still above this share of the starting level.
NO_PROGRESS = 0.7
#: Made worse at once: two reports in a row an order of magnitude above the untrained loss.
EARLY_RISE = 10.0
#: Oscillation: the typical step-to-step change, relative to the level, above this.
ROUGH = 0.3
#: Rising again (training loss): the end's level this many times its lowest level.
RISE_AGAIN = 1.8
#: Over-fitting: the validation loss ended this much above its lowest report (relative).
VAL_RISE = 0.10
#: Over-fitting: the training loss fell at least this much (relative) meanwhile.
TRAIN_FALL = 0.02
#: Plateau: the last share of the run without improvement, at least this.
PLATEAU_SHARE = 0.5
#: Plateau: within this share of its lowest level counts as no improvement.
PLATEAU_BAND = 0.05
#: GAN collapse: a loss's end level below this share of its start while the other's rose.
GAN_COLLAPSE = 0.1

_VALIDATION_WORDS = ("val", "valid", "validation", "eval", "test", "dev")
_TRAIN_LOSS_NAMES = ("train_loss", "training_loss", "loss", "train/loss", "loss/train")
_TRAIN_ACC_NAMES = ("train_acc", "train_accuracy", "training_accuracy", "acc", "accuracy")


@dataclass(frozen=True)
class Curve:
    """One metric: increasing steps and their values (NaN: a non-finite report)."""

    steps: IntArray
    values: FloatArray
    #: Levels already computed, by window: every check reads the same few (not compared).
    levels: dict[Any, tuple[IntArray, FloatArray]] = field(
        default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, steps: ArrayLike, values: ArrayLike) -> Curve:
        s = np.asarray(steps, dtype=np.int64).reshape(-1)
        v = np.asarray(values, dtype=np.float64).reshape(-1)
        if s.shape != v.shape:
            raise ValueError(f"{s.size} steps but {v.size} values")
        return cls(s, v)

    def __len__(self) -> int:
        return int(self.steps.size)


@dataclass(frozen=True)
class FitFinding:
    """What a curve shows: its kind, the metric and step it was seen at, and the figures that
    make the evidence (``facts``: the numbers the wording quotes)."""

    kind: str
    metric: str
    step: int
    facts: dict[str, Any] = field(default_factory=dict)
    epoch: int | None = None


# --- entry points ----------------------------------------------------------------------------
def _quiet(check: Callable[P, R]) -> Callable[P, R]:
    """Curves may hold 1e308 and its neighbours: their medians overflow to inf, which the
    comparisons handle; numpy's warning about it would only be noise in a log."""

    @functools.wraps(check)
    def quiet(*args: P.args, **kwargs: P.kwargs) -> R:
        with np.errstate(all="ignore"):
            return check(*args, **kwargs)

    return quiet


@_quiet
def diagnose_curves(curves: Mapping[str, Curve]) -> list[FitFinding]:
    """Every finding the curves of one trial support, most urgent first. A running trial's
    curves are judged by the same rules up to its latest report (a finding may then go away
    as the run goes on)."""
    found: list[FitFinding] = []
    losses = {n: c for n, c in curves.items() if is_loss(n) and len(c)}
    gan = is_gan(curves)
    for name, curve in losses.items():
        # A validation loss that climbs is over-fitting, a GAN's losses swing by design: for
        # them only a non-finite value is divergence.
        hit = find_divergence(name, curve, growth=not (gan or is_validation(name)))
        if hit is not None:
            found.append(hit)
    diverged = {f.metric for f in found}
    if gan:
        found += gan_collapse(curves["g_loss"], curves["d_loss"])
        return _ordered(found)
    train_name = training_loss_name(curves)
    train = curves.get(train_name) if train_name else None
    if train is not None and not _positive(train):
        train = None  # a loss that may be zero or negative has no ratios to read
    if train is not None and train_name not in diverged and not diverged:
        too_high = lr_too_high(train_name or "", train)
        if too_high is not None:
            found.append(too_high)
        else:
            under = underfitting(train_name or "", train, curves)
            if under is not None:
                found.append(under)
    val_name = validation_loss_name(curves)
    if val_name is not None and not diverged:
        over = overfitting(val_name, curves[val_name], train_name, train, curves)
        if over is not None:
            found.append(over)
    if train is not None and train_name and not any(
            f.kind in ("lr_too_high", "underfitting", "overfitting", "diverged") for f in found):
        flat = plateau(train_name, train, curves)
        if flat is not None:
            found.append(flat)
    return _ordered(found)


def _ordered(found: list[FitFinding]) -> list[FitFinding]:
    return sorted(found, key=lambda f: (KINDS.index(f.kind), f.step))


# --- names -----------------------------------------------------------------------------------
def is_loss(name: str) -> bool:
    """A metric read as a loss: lower is better and it should fall while training."""
    low = name.lower()
    # lr_find_loss rises at the end of a range test by design (hpdesk lr-find), not a fit state
    return "loss" in low and "weight" not in low and not low.startswith("lr")


def is_validation(name: str) -> bool:
    parts = [p for p in _split(name.lower()) if p]
    return any(p in _VALIDATION_WORDS for p in parts)


def _split(name: str) -> list[str]:
    for sep in "/.-: ":
        name = name.replace(sep, "_")
    return name.split("_")


def is_gan(curves: Mapping[str, Curve]) -> bool:
    return "g_loss" in curves and "d_loss" in curves


def training_loss_name(curves: Mapping[str, Curve]) -> str | None:
    """The training loss among the curves: a conventional name, else the one loss that is not
    a validation loss (several terms and no total: none, the fit state needs the total)."""
    for name in _TRAIN_LOSS_NAMES:
        if name in curves and len(curves[name]):
            return name
    candidates = [n for n in curves if is_loss(n) and not is_validation(n) and len(curves[n])]
    trainish = [n for n in candidates if "train" in n.lower()]
    if len(trainish) == 1:
        return trainish[0]
    return candidates[0] if len(candidates) == 1 else None


def validation_loss_name(curves: Mapping[str, Curve]) -> str | None:
    names = [n for n in curves if is_loss(n) and is_validation(n) and len(curves[n])]
    for preferred in ("val_loss", "valid_loss", "validation_loss", "eval_loss", "test_loss"):
        if preferred in names:
            return preferred
    return names[0] if len(names) == 1 else None


# --- the checks ------------------------------------------------------------------------------
@_quiet
def find_divergence(name: str, curve: Curve, *, growth: bool = True) -> FitFinding | None:
    """NaN or infinity, or a level that grew by an order of magnitude over its start (two over
    its lowest): the run cannot recover by itself, so the step it happened at is what matters."""
    v = curve.values
    bad = np.flatnonzero(~np.isfinite(v))
    if bad.size:
        i = int(bad[0])
        value = v[i]
        what = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return FitFinding("diverged", name, int(curve.steps[i]), {"value": what, "cause": what})
    if not growth or v.size < 4 or bool((v <= 0).any()):
        return None  # too short to have a level; a loss that may be negative has no ratio
    steps, level = _condense(curve)
    start = _start_level(curve)
    running_min = np.minimum.accumulate(level)
    over_start = level > GROWTH_OVER_START * start
    late = (level > start) & (level > GROWTH_OVER_MIN * running_min)
    hits = np.flatnonzero(over_start | late)
    if not hits.size:
        return None
    i = int(hits[0])
    return FitFinding("diverged", name, int(steps[i]), {
        "cause": "growth", "value": _r(level[i]), "start": _r(start),
        "lowest": _r(float(running_min[i])), "ratio": _r(level[i] / float(running_min[i]))})


def lr_too_high(name: str, curve: Curve) -> FitFinding | None:
    """A training loss that jumps about without coming down, or that came down and then climbed
    back up: both are what a learning rate too high for the optimiser looks like."""
    steps, level = _condense(curve)
    raw = _finite(curve)
    if level.size < 20:
        return None
    start = _start_level(curve)
    short_steps, short = _condense(curve, window=3)  # two bad reports in a row, not one
    first_half = short[:short.size // 2]
    peak = int(np.argmax(first_half))
    # Against the first report and against the first half's typical level (a first batch that
    # happened to be easy must not make ordinary batches look like a blow-up); not against the
    # level over the first reports, which the blow-up itself raises.
    if first_half[peak] > EARLY_RISE * max(start, float(np.median(first_half))):
        return FitFinding("lr_too_high", name, int(short_steps[peak]), {
            "pattern": "early_rise", "start": _r(start), "peak": _r(float(first_half[peak])),
            "ratio": _r(float(first_half[peak]) / start),
            "level": _r(float(np.median(level[-max(3, level.size // 10):])))})
    start = _early_level(level)
    half = level[level.size // 2:]
    tail_level = float(np.median(half))
    rough = _roughness(raw[raw.size // 2:])
    if tail_level > NO_PROGRESS * start and rough > ROUGH:
        i = level.size // 2
        return FitFinding("lr_too_high", name, int(steps[i]), {
            "pattern": "oscillation", "start": _r(start), "level": _r(tail_level),
            "swing": _r(rough * 100)})
    lowest = int(np.argmin(level))
    end_level = float(np.median(level[-max(3, level.size // 10):]))
    if lowest < 0.7 * level.size and end_level > RISE_AGAIN * float(level[lowest]) \
            and end_level > 0.2 * start:
        return FitFinding("lr_too_high", name, int(steps[lowest]), {
            "pattern": "rising", "lowest": _r(float(level[lowest])), "level": _r(end_level),
            "ratio": _r(end_level / float(level[lowest]))})
    return None


def underfitting(name: str, curve: Curve, curves: Mapping[str, Curve]) -> FitFinding | None:
    """A training loss that stays high and flat: the network does not fit even what it is
    trained on. Not when a training accuracy says it fits (a per-epoch loss that started low)."""
    steps, level = _condense(curve)
    if level.size < 8:
        return None
    start = _early_level(level)
    tail = level[level.size // 2:]
    end = float(np.median(tail))
    quarter = max(2, level.size // 4)
    slope = abs(float(np.median(level[-quarter:])) - float(np.median(level[-2 * quarter:-quarter])))
    if end <= NO_PROGRESS * start or slope > 0.05 * start:
        return None
    acc = _last_training_accuracy(curves)
    if acc is not None and acc >= 0.9:
        return None
    i = level.size // 2
    facts: dict[str, Any] = {"start": _r(start), "level": _r(end),
                             "drop": _r(max(0.0, (start - end) / start * 100))}
    if acc is not None:
        facts["train_acc"] = _r(acc)
    return FitFinding("underfitting", name, int(steps[i]), facts)


def overfitting(val_name: str, val: Curve, train_name: str | None, train: Curve | None,
                curves: Mapping[str, Curve]) -> FitFinding | None:
    """The validation loss rose for its last reports while the training loss kept falling; the
    report after its lowest is where over-fitting began."""
    ok = np.isfinite(val.values)
    steps, values = val.steps[ok], val.values[ok]
    if values.size < 4:
        return None
    best = int(np.argmin(values))
    after = values[best + 1:]
    if after.size < 2:
        return None
    low = float(values[best])
    scale = abs(low) if low != 0 else 1.0
    rise = (float(np.min(after[-2:])) - low) / scale
    if float(after[-1]) < low + VAL_RISE * scale or rise < VAL_RISE / 2:
        return None
    began = int(steps[best + 1])
    falling = _train_fell(train, int(steps[best]), int(steps[-1]), curves)
    if falling is None:
        return None
    then, now = falling
    facts = {"val_metric": val_name, "lowest": _r(low), "level": _r(float(after[-1])),
             "rise": _r((float(after[-1]) - low) / scale * 100), "train_metric": train_name or "",
             "train_then": _r(then), "train_now": _r(now), "best_step": int(steps[best])}
    return FitFinding("overfitting", val_name, began, facts, epoch=_epoch_at(curves, began,
                                                                             best + 2))


def plateau(name: str, curve: Curve, curves: Mapping[str, Curve]) -> FitFinding | None:
    """The loss stopped improving for at least half the run while the learning rate stayed the
    same: the guide's plateau (§7), where decaying or raising the rate helps."""
    steps, level = _condense(curve)
    if level.size < 20:
        return None
    start = _early_level(level)
    lowest = float(np.min(level))
    drop = start - lowest
    if drop <= 0.15 * start:
        return None  # it never learned: under-fitting, not a plateau
    # "Not improved" in the loss's own terms: within 5 % of its lowest (and its noise). A band
    # over the whole drop would call a power law's slow, steady tail a plateau.
    noise = float(np.median(np.abs(np.diff(level[level.size // 2:])))) * 2
    band = max(PLATEAU_BAND * lowest, noise)
    within = np.flatnonzero(level <= lowest + band)
    first = int(within[0])
    share = 1.0 - first / level.size
    if share < PLATEAU_SHARE:
        return None
    if _lr_changed(curves, int(steps[first])):
        return None  # a schedule is already acting on it
    return FitFinding("plateau", name, int(steps[first]), {
        "level": _r(lowest), "share": _r(share * 100), "start": _r(start)},
        epoch=_epoch_at(curves, int(steps[first]), None))


def gan_collapse(g: Curve, d: Curve) -> list[FitFinding]:
    """One player wins outright: the discriminator's loss falls to near zero while the
    generator's climbs (the generator gets no useful gradient), or the generator's loss falls to
    near zero while the discriminator's stays at or above its start (it no longer tells real
    from fake)."""
    out: list[FitFinding] = []
    gs, gl = _condense(g)
    ds, dl = _condense(d)
    if gl.size < 20 or dl.size < 20 or (gl <= 0).any() or (dl <= 0).any():
        return out
    g0, d0 = _early_level(gl), _early_level(dl)
    tail = max(3, dl.size // 4)
    g_end, d_end = float(np.median(gl[-tail:])), float(np.median(dl[-tail:]))
    if d_end < GAN_COLLAPSE * d0 and g_end > 2 * g0:
        out.append(FitFinding("gan_d_collapse", "d_loss", _first_below(ds, dl, 2 * GAN_COLLAPSE
                                                                       * d0), {
            "d_start": _r(d0), "d_level": _r(d_end), "g_start": _r(g0), "g_level": _r(g_end)}))
    elif g_end < GAN_COLLAPSE * g0 and d_end >= 0.9 * d0:
        out.append(FitFinding("gan_g_collapse", "g_loss", _first_below(gs, gl, 2 * GAN_COLLAPSE
                                                                       * g0), {
            "d_start": _r(d0), "d_level": _r(d_end), "g_start": _r(g0), "g_level": _r(g_end)}))
    return out


# --- helpers ---------------------------------------------------------------------------------
def _finite(curve: Curve) -> FloatArray:
    v = curve.values
    return v[np.isfinite(v)]


def _condense(curve: Curve, window: int | None = None) -> tuple[IntArray, FloatArray]:
    """The curve's level: finite points, block medians when long, then a rolling median (one
    bad batch moves no median) over `window` points (default: a twentieth, 3 to 25). Returns
    the steps at each block's end and the levels; computed once per curve and window."""
    cached = curve.levels.get(window)
    if cached is None:
        cached = curve.levels[window] = _level(curve, window)
    return cached


def _level(curve: Curve, window: int | None) -> tuple[IntArray, FloatArray]:
    ok = np.isfinite(curve.values)
    steps, values = curve.steps[ok], curve.values[ok]
    if values.size > CONDENSED:
        # Equal blocks (the last takes the remainder), their medians in one vectorised call.
        size = values.size // CONDENSED
        body = np.median(values[:size * (CONDENSED - 1)].reshape(CONDENSED - 1, size), axis=1)
        values = np.append(body, np.median(values[size * (CONDENSED - 1):]))
        steps = np.append(steps[size - 1:size * (CONDENSED - 1):size], steps[-1])
    if values.size < 3:
        return steps, values
    if window is None:
        window = int(min(25, max(3, values.size // 20)))
    window += 1 - window % 2
    padded = np.pad(values, (window // 2, window // 2), mode="edge")
    level = np.median(np.lib.stride_tricks.sliding_window_view(padded, window), axis=1)
    return steps, level


def _start_level(curve: Curve) -> float:
    """Where the curve started: its first report, the untrained model's loss for a per-step
    curve (a level over more points mixes in the first updates, which may already have gone
    up or down a long way: a rate far too high multiplies the loss 200 times in one step)."""
    finite = _finite(curve)
    return float(finite[0]) if finite.size else math.nan


def _roughness(values: FloatArray) -> float:
    """The typical relative change between neighbouring points (0 on a smooth curve)."""
    if values.size < 4:
        return 0.0
    scale = float(np.median(np.abs(values)))
    if scale == 0:
        return 0.0
    return float(np.median(np.abs(np.diff(values)))) / scale


def _positive(curve: Curve) -> bool:
    finite = _finite(curve)
    return bool(finite.size) and float(finite[0]) > 0 and bool((finite >= 0).all())


def _early_level(level: FloatArray) -> float:
    """The level over the first reports (a twentieth, 3 to 10 of them): a start that one noisy
    batch does not decide, for the checks of progress."""
    return float(np.median(level[:max(3, min(10, level.size // 20))]))


def _first_below(steps: IntArray, level: FloatArray, threshold: float) -> int:
    below = np.flatnonzero(level < threshold)
    return int(steps[below[0]] if below.size else steps[-1])


def _train_fell(train: Curve | None, since: int, until: int,
                curves: Mapping[str, Curve]) -> tuple[float, float] | None:
    """The training loss's level at `since` and at `until` when it fell between them (from a
    training accuracy that rose when no training loss was reported); None when it did not."""
    if train is not None and len(train):
        ok = np.isfinite(train.values)
        s, v = train.steps[ok], train.values[ok]
        before = v[s <= since]
        later = v[(s > since) & (s <= until)]
        if before.size and later.size:
            k = max(1, min(before.size, later.size, 50))
            then, now = float(np.median(before[-k:])), float(np.median(later[-k:]))
            return (then, now) if now < then * (1 - TRAIN_FALL) else None
    for name in _TRAIN_ACC_NAMES:
        acc = curves.get(name)
        if acc is None or not len(acc):
            continue
        ok = np.isfinite(acc.values)
        s, v = acc.steps[ok], acc.values[ok]
        before, later = v[s <= since], v[(s > since) & (s <= until)]
        if before.size and later.size and later[-1] > before[-1]:
            return float(1 - before[-1]), float(1 - later[-1])
        return None
    return None


def _last_training_accuracy(curves: Mapping[str, Curve]) -> float | None:
    for name in _TRAIN_ACC_NAMES:
        acc = curves.get(name)
        if acc is not None and len(acc):
            finite = _finite(acc)
            if finite.size:
                return float(finite[-1])
    return None


def _lr_changed(curves: Mapping[str, Curve], since: int) -> bool:
    for name in ("lr", "learning_rate", "lr_g"):
        lr = curves.get(name)
        if lr is not None and len(lr):
            later = lr.values[(lr.steps >= since) & np.isfinite(lr.values)]
            if later.size >= 2 and float(np.max(later)) != float(np.min(later)):
                return True
    return False


def _epoch_at(curves: Mapping[str, Curve], step: int, fallback: int | None) -> int | None:
    """The epoch a step belongs to, from an ``epoch`` metric when reported (the built-in tasks
    report it with each evaluation), else ``fallback`` (the report's number)."""
    epoch = curves.get("epoch")
    if epoch is not None and len(epoch):
        at = np.flatnonzero((epoch.steps >= step) & np.isfinite(epoch.values))
        if at.size:
            return int(round(float(epoch.values[at[0]])))
    return fallback


def _r(value: float) -> float:
    """Figures as the evidence quotes them: four significant digits."""
    return float(f"{float(value):.4g}")


def curves_of(series: Mapping[str, tuple[Sequence[int], Sequence[float | None]]]
              ) -> dict[str, Curve]:
    """Curves from plain (steps, values) lists; None values (SQLite's NULL) become NaN."""
    return {name: Curve.of(steps, [math.nan if v is None else v for v in values])
            for name, (steps, values) in series.items()}
