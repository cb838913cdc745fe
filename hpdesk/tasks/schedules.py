"""Learning-rate schedules by update count: the guide's exponential decay (KNOWLEDGE.md
section 7) and kin.

Why a pure function of the step instead of ``torch.optim.lr_scheduler``: a resumed trial must
land on exactly the rate the uninterrupted one had, and a task must be able to report "the lr
update N used" without stepping a stateful object in lock-step with the optimiser. Here the
rate of update ``step`` (0-based count of updates done before it) is ``base_lr * factor(step)``,
nothing else; the base rate lives in each param group as ``initial_lr`` (the key torch's own
schedulers use), so it is saved with the optimiser's state dict.

Schedules (``lr_schedule``):

* ``constant``: factor 1.
* ``exponential``: exactly section 7, in either of the guide's two forms (``lr_decay_form``):

  - ``final_ratio`` (default), the guide's first example: with ``initial = lr`` and
    ``final = lr * lr_final_ratio``, ``decay_rate = (final / initial) ** (1 / epochs)`` and
    ``decay_steps = steps_per_epoch``. Staircase holds one rate per epoch, epoch ``e`` (from 0)
    at ``lr * decay_rate ** e``; the last epoch runs at
    ``lr * lr_final_ratio ** ((epochs-1)/epochs)``.
  - ``rate``, the guide's second example (initial 0.1, ``decay_steps`` 100000, ``decay_rate``
    0.96, staircase): ``decay_rate = lr_decay_rate`` per ``decay_steps = lr_decay_steps``
    updates, whatever the run's length; ``lr_final_ratio`` is not read.

  Both then follow ``lr(step) = initial * decay_rate ** (step / decay_steps)``, the exponent
  floored when ``lr_staircase``. Why a choice and not "``lr_decay_rate`` overrides
  ``lr_final_ratio`` when set": a plan then says which form it uses, and a search over
  ``lr_final_ratio`` can never be silently ignored.
* ``step``: ``lr * lr_gamma ** floor(epoch / lr_step_epochs)``, epoch counted from 0.
* ``cosine``: half a cosine from ``lr`` (the first update) to ``lr * lr_final_ratio`` (the last).
* ``plateau``: section 7's remedy at a plateau, "decay or raise the learning rate" (a plateau
  may be a saddle point, not a minimum). The task hands :meth:`LRSchedule.observe` its
  monitored metric (lower is better) at every epoch's end. An epoch improves on the best value
  so far when it is lower by more than :data:`PLATEAU_THRESHOLD` of the best's magnitude; after
  ``lr_plateau_patience`` epochs in a row without improvement the rate is multiplied by
  ``lr_plateau_factor`` (< 1), never below ``lr * lr_final_ratio``, and the count starts again.
  With ``lr_plateau_raise`` the first such response instead raises the rate once by
  ``1 / lr_plateau_factor``; every later one decays. (As Keras's ``ReduceLROnPlateau``, the
  rate changes after ``patience`` bad epochs; PyTorch's waits for ``patience + 1``.)

  The rate stays a pure function, of the step and of the metric history of the finished
  epochs: :func:`plateau_scale` replays the history from the start. The history lives in the
  optimiser's param groups (key :data:`HISTORY_KEY`, beside ``initial_lr``), so it is saved and
  restored with the optimiser's state dict and a resumed trial continues at exactly the rate
  the uninterrupted run had; a resume with changed ``lr_plateau_*`` replays the same history
  under the new settings. Only a plateau schedule records it.

Warm-up (``warmup_epochs`` > 0, any schedule): the first ``W = round(warmup_epochs *
steps_per_epoch)`` updates ramp linearly, factor ``(step + 1) / W`` (from ``1/W`` to 1), then the
schedule starts at its own step 0 (it is shifted by ``W``). Cosine is squeezed into the updates
left after the warm-up so it still ends at the final rate; exponential and step keep their
per-epoch clock, counted from the end of the warm-up; plateau counts every finished epoch, those
of the warm-up too, and acts once the warm-up is over.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import torch

from hpdesk.tasks.common import coerce_params, require, require_choice

LR_SCHEDULES: tuple[str, ...] = ("constant", "exponential", "step", "cosine", "plateau")
LR_DECAY_FORMS: tuple[str, ...] = ("final_ratio", "rate")

#: Relative improvement an epoch needs to count as one (PyTorch's ReduceLROnPlateau default).
PLATEAU_THRESHOLD = 1e-4
#: The param-group key holding a plateau schedule's metric history (one value per epoch).
HISTORY_KEY = "lr_plateau_history"

#: Every schedule key a task honours, with its default.
SCHEDULE_DEFAULTS: dict[str, Any] = {
    "lr_schedule": "constant",
    "lr_final_ratio": 1e-3,     # final / initial: section 7's example is 1e-4 / 0.1
    "lr_staircase": True,
    "lr_decay_form": "final_ratio",
    "lr_decay_rate": 0.96,      # section 7's second example: 0.96 every 100000 updates
    "lr_decay_steps": 100000,
    "lr_step_epochs": 10,
    "lr_gamma": 0.1,
    "lr_plateau_patience": 2,
    "lr_plateau_factor": 0.5,
    "lr_plateau_raise": False,
    "warmup_epochs": 0.0,
}


def validate_schedule_params(p: Mapping[str, Any]) -> None:
    """Raise :class:`~hpdesk.tasks.common.ParamError` (one line) for an unusable schedule."""
    q = coerce_params(p, SCHEDULE_DEFAULTS)
    require_choice("lr_schedule", q["lr_schedule"], LR_SCHEDULES)
    require_choice("lr_decay_form", q["lr_decay_form"], LR_DECAY_FORMS)
    require(0 < q["lr_final_ratio"] <= 1,
            f"lr_final_ratio must be in (0, 1], got {q['lr_final_ratio']}")
    require(0 < q["lr_decay_rate"] <= 1,
            f"lr_decay_rate must be in (0, 1], got {q['lr_decay_rate']}")
    require(q["lr_decay_steps"] >= 1, f"lr_decay_steps must be >= 1, got {q['lr_decay_steps']}")
    require(q["lr_step_epochs"] >= 1, f"lr_step_epochs must be >= 1, got {q['lr_step_epochs']}")
    require(0 < q["lr_gamma"] <= 1, f"lr_gamma must be in (0, 1], got {q['lr_gamma']}")
    require(q["lr_plateau_patience"] >= 1,
            f"lr_plateau_patience must be >= 1, got {q['lr_plateau_patience']}")
    require(0 < q["lr_plateau_factor"] < 1,
            f"lr_plateau_factor must be in (0, 1), got {q['lr_plateau_factor']}")
    require(q["warmup_epochs"] >= 0 and math.isfinite(q["warmup_epochs"]),
            f"warmup_epochs must be >= 0, got {q['warmup_epochs']}")


def plateau_scale(history: Iterable[float], *, patience: int, factor: float, floor: float,
                  raise_first: bool = False, threshold: float = PLATEAU_THRESHOLD) -> float:
    """The plateau schedule's multiplier after the epochs whose metrics ``history`` lists.

    A replay from the first epoch (see the module doc): same history, same rate, so a resumed
    run needs nothing but the history. NaN or infinite values never count as improvements.
    """
    best, bad, scale, raised = math.inf, 0, 1.0, False
    for value in history:
        v = float(value)
        if math.isfinite(v) and (math.isinf(best) or v < best - abs(best) * threshold):
            best, bad = v, 0
            continue
        bad += 1
        if bad < patience:
            continue
        bad = 0
        if raise_first and not raised:
            scale, raised = scale / factor, True
        else:
            scale = max(scale * factor, floor)
    return scale


def metric_history(optimizer: torch.optim.Optimizer) -> list[float]:
    """The plateau history stored in ``optimizer``'s first param group (empty when none)."""
    return [float(v) for v in optimizer.param_groups[0].get(HISTORY_KEY, ())]


class LRSchedule:
    """The multiplier of the base learning rate for each update of a run (see the module doc)."""

    def __init__(self, p: Mapping[str, Any], *, steps_per_epoch: int, epochs: int) -> None:
        validate_schedule_params(p)
        require(steps_per_epoch >= 1, f"steps_per_epoch must be >= 1, got {steps_per_epoch}")
        require(epochs >= 1, f"epochs must be >= 1, got {epochs}")
        q = coerce_params(p, SCHEDULE_DEFAULTS)
        self.kind: str = q["lr_schedule"]
        self.final_ratio: float = q["lr_final_ratio"]
        self.staircase: bool = q["lr_staircase"]
        self.decay_form: str = q["lr_decay_form"]
        self.step_epochs: int = q["lr_step_epochs"]
        self.gamma: float = q["lr_gamma"]
        self.patience: int = q["lr_plateau_patience"]
        self.plateau_factor: float = q["lr_plateau_factor"]
        self.plateau_raise: bool = q["lr_plateau_raise"]
        self.steps_per_epoch = steps_per_epoch
        self.epochs = epochs
        self.total_steps = steps_per_epoch * epochs
        self.warmup_steps = int(round(q["warmup_epochs"] * steps_per_epoch))
        if self.decay_form == "rate":
            # Section 7's second form: a fixed decay_rate every decay_steps updates.
            self.decay_rate: float = q["lr_decay_rate"]
            self.decay_steps: int = q["lr_decay_steps"]
        else:
            # Section 7: decay_rate = (final / initial) ** (1 / epochs), per decay_steps updates.
            self.decay_rate = self.final_ratio ** (1.0 / epochs)
            self.decay_steps = steps_per_epoch

    def __repr__(self) -> str:
        return (f"LRSchedule({self.kind!r}, steps_per_epoch={self.steps_per_epoch}, "
                f"epochs={self.epochs}, warmup_steps={self.warmup_steps})")

    @property
    def monitors(self) -> bool:
        """Whether the task must hand :meth:`observe` its monitored metric each epoch."""
        return self.kind == "plateau"

    def factor(self, step: int, history: Sequence[float] = ()) -> float:
        """Multiplier of the base lr for the update that ``step`` updates precede (from 0).

        ``history``: the monitored metric of every finished epoch (plateau only).
        """
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        t = step - self.warmup_steps
        if self.kind == "exponential":
            exponent = t / self.decay_steps
            if self.staircase:
                exponent = math.floor(exponent)
            return float(self.decay_rate ** exponent)
        if self.kind == "step":
            epoch = t // self.steps_per_epoch
            return float(self.gamma ** (epoch // self.step_epochs))
        if self.kind == "cosine":
            span = max(1, self.total_steps - self.warmup_steps - 1)
            progress = min(1.0, t / span)
            return self.final_ratio + (1 - self.final_ratio) * 0.5 * (
                1 + math.cos(math.pi * progress))
        if self.kind == "plateau":
            return plateau_scale(history, patience=self.patience, factor=self.plateau_factor,
                                 floor=self.final_ratio, raise_first=self.plateau_raise)
        return 1.0

    def apply(self, optimizer: torch.optim.Optimizer, step: int) -> float:
        """Set every group's lr to its base lr times :meth:`factor`; return group 0's lr.

        The base lr is the group's ``lr`` the first time a group is seen, kept as
        ``group["initial_lr"]`` (restored with the optimiser's state dict on resume); a plateau
        schedule reads the metric history stored beside it (:meth:`observe`).
        """
        scale = self.factor(step, metric_history(optimizer) if self.monitors else ())
        for group in optimizer.param_groups:
            if "initial_lr" not in group:
                group["initial_lr"] = group["lr"]
            group["lr"] = group["initial_lr"] * scale
        return float(optimizer.param_groups[0]["lr"])

    def observe(self, optimizers: torch.optim.Optimizer | Iterable[torch.optim.Optimizer],
                value: float) -> None:
        """At an epoch's end, before its checkpoint: add the monitored metric (lower is better)
        to the history in every param group of ``optimizers``. A no-op unless plateau."""
        if not self.monitors:
            return
        opts = [optimizers] if isinstance(optimizers, torch.optim.Optimizer) else optimizers
        for opt in opts:
            for group in opt.param_groups:
                group[HISTORY_KEY] = [*group.get(HISTORY_KEY, ()), float(value)]
