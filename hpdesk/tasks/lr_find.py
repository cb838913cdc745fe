"""The learning-rate range test (Smith 2017, "Cyclical Learning Rates for Training Neural
Networks", section 3.3) run on a built-in task: ``python -m hpdesk.tasks.lr_find --task NAME``.

The rate grows exponentially from ``--start-lr`` to ``--end-lr`` over ``--steps`` optimiser
updates, one rate per update, and every update's training loss is reported through the SDK as
``lr_find_loss`` with the rate as ``lr``, at steps 1..N, so the curve lands in the database like
any trial's curves. ``hpdesk lr-find`` starts this process for a trial it creates, then reads
the curve back and suggests a range (:mod:`hpdesk.analysis.lr_range`).

Why it drives the task's own ``train``: the sweep must measure the very model, data, loss,
gradient accumulation, clipping, AMP and optimiser a trial of the plan would use, and a copied
loop would drift from the real one. The task's training function is therefore run unchanged,
with three things swapped for the sweep's: its learning-rate schedule (the module's
``LRSchedule`` name, replaced in this process only by :class:`SweepSchedule`), its reporter
(which records each update's loss against its rate) and its stop check (which ends the run
after N updates, or once the loss has blown up). Epoch ends still evaluate as the task does;
on the small built-in data that costs little. No checkpoint is written or resumed: the trial
folder is not passed on.

The sweep ends early, as in Smith 2017 and fast.ai's ``lr_find``, once the smoothed loss
(debiased exponential moving average) exceeds :data:`BLOW_UP` times its lowest value, or at the
first NaN or infinite loss, which is reported as NaN at its rate: the end of the curve, not an
error (the exit status is 0). Seeded (the plan's ``seed``) and deterministic on CPU; CUDA when
there is one, as the tasks choose.

Only tasks with one learning rate and one loss that training lowers can be swept: the
classifier and the detector. The GAN is refused (exit 2): its two players' losses do not fall
as it learns, so a loss-versus-rate curve says nothing about either rate.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import math
import os
import sys
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import Any

import torch

from hpdesk.tasks.common import (
    EXIT_BAD_PARAMS,
    ParamError,
    Status,
    TrainResult,
    run_main,
    sdk_hooks,
)

LOGGER_NAME = "hpdesk.tasks.lr_find"
log = logging.getLogger(LOGGER_NAME)

#: The tasks a sweep can run, and their modules.
TASKS: dict[str, str] = {
    "classification": "hpdesk.tasks.classification",
    "detection": "hpdesk.tasks.detection",
}
REFUSED: dict[str, str] = {
    "gan": "the GAN has two learning rates and two losses that do not fall as it learns, so a "
           "loss-versus-learning-rate curve says nothing about either rate",
}
LOSS, RATE = "lr_find_loss", "lr"
DEFAULT_STEPS = 100
#: Weight of the running average the stop rule watches, as in hpdesk.analysis.lr_range.
SMOOTHING = 0.8
#: The sweep stops once the smoothed loss exceeds this multiple of its lowest value.
BLOW_UP = 4.0
MAX_STEPS = 10_000


def sweep_rates(start: float, end: float, steps: int) -> list[float]:
    """``steps`` rates growing geometrically from ``start`` to ``end`` (both included)."""
    if steps == 1:
        return [start]
    ratio = end / start
    return [start * ratio ** (i / (steps - 1)) for i in range(steps)]


class SweepSchedule:
    """Stands in for :class:`~hpdesk.tasks.schedules.LRSchedule`: update ``step`` (from 0)
    runs at ``rates[step]`` (the last rate past the end), whatever the plan's schedule."""

    monitors = False

    def __init__(self, rates: list[float]) -> None:
        self.rates = rates

    def apply(self, optimizer: torch.optim.Optimizer, step: int) -> float:
        lr = self.rates[min(step, len(self.rates) - 1)]
        for group in optimizer.param_groups:
            group["lr"] = lr
        return lr

    def observe(self, optimizer: torch.optim.Optimizer, metric: float) -> None:
        """The plateau schedule's hook: the sweep's rates do not depend on validation."""


class Sweep:
    """The reporter and stop check handed to the task's ``train``: each ``train_loss`` report
    becomes an (lr, loss) point; the run is asked to stop after the last rate or once the loss
    blows up."""

    def __init__(self, rates: list[float], report: Any, should_stop: Any) -> None:
        self.rates, self._report, self._should_stop = rates, report, should_stop
        self.points: list[tuple[float, float]] = []
        self._biased, self._count, self.lowest = 0.0, 0, math.inf
        self.ended = ""

    def report(self, step: int, **metrics: float) -> None:
        if "train_loss" not in metrics:
            return  # epoch-end evaluations are not part of the curve
        self.record(step, float(metrics["train_loss"]))

    def record(self, step: int, loss: float) -> None:
        lr = self.rates[min(step, len(self.rates)) - 1]
        self.points.append((lr, loss))
        self._report(step, **{RATE: lr, LOSS: loss})
        if not math.isfinite(loss):
            self.ended = f"the loss became {loss} at learning rate {lr:.3g}"
            return
        self._count += 1
        self._biased = SMOOTHING * self._biased + (1 - SMOOTHING) * loss
        smooth = self._biased / (1 - SMOOTHING ** self._count)
        if self.lowest > 0 and smooth > BLOW_UP * self.lowest:
            self.ended = (f"the smoothed loss passed {BLOW_UP:g} times its lowest at learning "
                          f"rate {lr:.3g}")
        self.lowest = min(self.lowest, smooth)
        if len(self.points) >= len(self.rates):
            self.ended = self.ended or f"all {len(self.rates)} learning rates swept"

    def should_stop(self) -> bool:
        return bool(self.ended) or bool(self._should_stop())


@contextlib.contextmanager
def swapped_schedule(module: ModuleType, schedule: SweepSchedule) -> Iterator[None]:
    """The task module's ``LRSchedule`` replaced by ``schedule`` while the sweep runs."""
    original = getattr(module, "LRSchedule")  # noqa: B009 - a module attribute by name

    def make(p: Mapping[str, Any], *, steps_per_epoch: int, epochs: int) -> SweepSchedule:
        return schedule

    setattr(module, "LRSchedule", make)  # noqa: B010
    try:
        yield
    finally:
        setattr(module, "LRSchedule", original)  # noqa: B010


def task_module(task: str) -> ModuleType:
    """The task's module, or ParamError in one sentence for a task that cannot be swept."""
    if task in REFUSED:
        raise ParamError(f"lr-find cannot sweep the {task} task: {REFUSED[task]}")
    if task not in TASKS:
        raise ParamError(f"lr-find sweeps only the built-in tasks {', '.join(TASKS)}, "
                         f"not {task!r}")
    return importlib.import_module(TASKS[task])


def run_sweep(task: str, params: Mapping[str, Any], rates: list[float], *,
              reporter: Any = None, should_stop: Any = None, event: Any = None,
              device: torch.device | None = None) -> tuple[TrainResult, Sweep]:
    """Run the task's ``train`` under the sweep; returns its result (status ``completed``
    however the sweep ended) and the sweep with its points. Hooks default to the SDK's."""
    module = task_module(task)
    reporter, should_stop, event = sdk_hooks(reporter, should_stop, event)
    p = dict(params)
    p["epochs"] = len(rates) + 1          # enough epochs for every rate: the sweep stops it
    p.pop("checkpoint_dir", None)
    sweep = Sweep(rates, reporter, should_stop)

    def quiet(kind: str, message: str, **fields: Any) -> None:
        if kind not in ("stopped", "diverged"):  # the sweep's own ends, said below
            event(kind, message, **fields)

    with swapped_schedule(module, SweepSchedule(rates)):
        result = module.train(p, sweep.report, should_stop=sweep.should_stop, event=quiet,
                              device=device)
    if result.status == "diverged" and not sweep.ended:
        if result.message.startswith("train_loss"):   # stopped before its report: say it
            sweep.record(len(sweep.points) + 1, math.nan)
        else:                                          # an evaluation at an epoch's end
            sweep.ended = result.message
    status: Status = "completed" if sweep.ended or result.status == "diverged" else (
        result.status)
    message = sweep.ended or result.message
    event("lr_find", f"learning-rate sweep over {len(sweep.points)} updates: {message}",
          step=len(sweep.points), level="info")
    return TrainResult(status=status, steps=len(sweep.points), epochs=result.epochs,
                       metrics={"points": float(len(sweep.points))}, n_params=result.n_params,
                       message=message), sweep


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m hpdesk.tasks.lr_find",
                                     description="Learning-rate range test of a built-in task.")
    parser.add_argument("--task", required=True)
    parser.add_argument("--start-lr", type=float, default=1e-7)
    parser.add_argument("--end-lr", type=float, default=10.0)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    parser.add_argument("--params", help="a JSON or TOML parameter file (hand runs)")
    return parser.parse_args(argv)


def check_sweep(start: float, end: float, steps: int) -> None:
    """ParamError in one sentence for a sweep that cannot run."""
    if not (math.isfinite(start) and math.isfinite(end) and 0 < start < end):
        raise ParamError(f"the sweep needs 0 < start rate < end rate, got {start:g} and {end:g}")
    if not 2 <= steps <= MAX_STEPS:
        raise ParamError(f"the sweep needs from 2 to {MAX_STEPS:,} steps, got {steps}")


def main(argv: list[str] | None = None) -> int:
    """Process entry point: the task's parameters from hpdesk (env) or ``--params FILE``."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    for name in ("HPDESK_TRIAL_DIR", "HPDESK_PAUSE_AT_EPOCH"):  # no checkpoints, no pausing
        os.environ.pop(name, None)
    try:
        check_sweep(args.start_lr, args.end_lr, args.steps)
        module = task_module(args.task)
    except ParamError as exc:
        logging.basicConfig(format="%(name)s: %(message)s")
        log.error("error: %s", exc)
        return EXIT_BAD_PARAMS
    rates = sweep_rates(args.start_lr, args.end_lr, args.steps)

    def train(params: Mapping[str, Any]) -> TrainResult:
        p = module.resolve_params(params)
        log.info("sweeping lr from %g to %g over %d updates (%s, optimizer %s)",
                 rates[0], rates[-1], len(rates), args.task, p["optimizer"])
        return run_sweep(args.task, p, rates)[0]

    return run_main(train, module.DEFAULTS, logger_name=LOGGER_NAME,
                    validate=module.resolve_params)


if __name__ == "__main__":
    sys.exit(main())
