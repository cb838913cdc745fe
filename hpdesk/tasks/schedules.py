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
* ``exponential``: exactly section 7. With ``initial = lr`` and ``final = lr * lr_final_ratio``,
  ``decay_rate = (final / initial) ** (1 / epochs)``, ``decay_steps = steps_per_epoch`` and
  ``lr(step) = initial * decay_rate ** (step / decay_steps)``, the exponent floored when
  ``lr_staircase``. Staircase holds one rate per epoch, epoch ``e`` (from 0) at
  ``lr * decay_rate ** e``; the last epoch runs at ``lr * lr_final_ratio ** ((epochs-1)/epochs)``.
* ``step``: ``lr * lr_gamma ** floor(epoch / lr_step_epochs)``, epoch counted from 0.
* ``cosine``: half a cosine from ``lr`` (the first update) to ``lr * lr_final_ratio`` (the last).

Warm-up (``warmup_epochs`` > 0, any schedule): the first ``W = round(warmup_epochs *
steps_per_epoch)`` updates ramp linearly, factor ``(step + 1) / W`` (from ``1/W`` to 1), then the
schedule starts at its own step 0 (it is shifted by ``W``). Cosine is squeezed into the updates
left after the warm-up so it still ends at the final rate; exponential and step keep their
per-epoch clock, counted from the end of the warm-up.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from hpdesk.tasks.common import coerce_params, require, require_choice

LR_SCHEDULES: tuple[str, ...] = ("constant", "exponential", "step", "cosine")

#: Every schedule key a task honours, with its default.
SCHEDULE_DEFAULTS: dict[str, Any] = {
    "lr_schedule": "constant",
    "lr_final_ratio": 1e-3,     # final / initial: section 7's example is 1e-4 / 0.1
    "lr_staircase": True,
    "lr_step_epochs": 10,
    "lr_gamma": 0.1,
    "warmup_epochs": 0.0,
}


def validate_schedule_params(p: Mapping[str, Any]) -> None:
    """Raise :class:`~hpdesk.tasks.common.ParamError` (one line) for an unusable schedule."""
    q = coerce_params(p, SCHEDULE_DEFAULTS)
    require_choice("lr_schedule", q["lr_schedule"], LR_SCHEDULES)
    require(0 < q["lr_final_ratio"] <= 1,
            f"lr_final_ratio must be in (0, 1], got {q['lr_final_ratio']}")
    require(q["lr_step_epochs"] >= 1, f"lr_step_epochs must be >= 1, got {q['lr_step_epochs']}")
    require(0 < q["lr_gamma"] <= 1, f"lr_gamma must be in (0, 1], got {q['lr_gamma']}")
    require(q["warmup_epochs"] >= 0 and math.isfinite(q["warmup_epochs"]),
            f"warmup_epochs must be >= 0, got {q['warmup_epochs']}")


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
        self.step_epochs: int = q["lr_step_epochs"]
        self.gamma: float = q["lr_gamma"]
        self.steps_per_epoch = steps_per_epoch
        self.epochs = epochs
        self.total_steps = steps_per_epoch * epochs
        self.warmup_steps = int(round(q["warmup_epochs"] * steps_per_epoch))
        # Section 7: decay_rate = (final / initial) ** (1 / epochs), per decay_steps updates.
        self.decay_rate = self.final_ratio ** (1.0 / epochs)

    def __repr__(self) -> str:
        return (f"LRSchedule({self.kind!r}, steps_per_epoch={self.steps_per_epoch}, "
                f"epochs={self.epochs}, warmup_steps={self.warmup_steps})")

    def factor(self, step: int) -> float:
        """Multiplier of the base lr for the update that ``step`` updates precede (from 0)."""
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        t = step - self.warmup_steps
        if self.kind == "exponential":
            exponent = t / self.steps_per_epoch
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
        return 1.0

    def apply(self, optimizer: torch.optim.Optimizer, step: int) -> float:
        """Set every group's lr to its base lr times :meth:`factor`; return group 0's lr.

        The base lr is the group's ``lr`` the first time a group is seen, kept as
        ``group["initial_lr"]`` (restored with the optimiser's state dict on resume).
        """
        scale = self.factor(step)
        for group in optimizer.param_groups:
            if "initial_lr" not in group:
                group["initial_lr"] = group["lr"]
            group["lr"] = group["initial_lr"] * scale
        return float(optimizer.param_groups[0]["lr"])
