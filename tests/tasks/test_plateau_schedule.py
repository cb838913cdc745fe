"""The plateau schedule (decay, or first raise, the rate when the monitored metric stalls) and
section 7's second exponential form (``decay_rate`` per ``decay_steps``), in the schedule and
in real runs of the built-in tasks, a resumed one included."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from hpdesk.tasks import classification as cls
from hpdesk.tasks import detection as det
from hpdesk.tasks import gan
from hpdesk.tasks.common import ParamError
from hpdesk.tasks.optim import LARS, apply_hyperparameters, make_optimizer
from hpdesk.tasks.schedules import (
    HISTORY_KEY,
    PLATEAU_THRESHOLD,
    LRSchedule,
    metric_history,
    plateau_scale,
    validate_schedule_params,
)
from tests.tasks.recorder import Recorder


def plateau(**p: Any) -> LRSchedule:
    return LRSchedule({"lr_schedule": "plateau", **p}, steps_per_epoch=4, epochs=10)


def scales(history: list[float], **p: Any) -> list[float]:
    """The plateau multiplier for each epoch: epoch e runs after the first e - 1 values."""
    sched = plateau(**p)
    return [sched.factor(99, history[:e]) for e in range(len(history) + 1)]


# --- the rule, on synthetic metric sequences ------------------------------------------------------

def test_a_stall_of_patience_epochs_decays_the_rate_then_the_count_restarts() -> None:
    history = [1.0, 0.8, 0.8, 0.8, 0.8, 0.8, 0.7, 0.75, 0.75]
    assert scales(history, lr_plateau_patience=2, lr_plateau_factor=0.5) == [
        1, 1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]


def test_patience_one_decays_after_every_bad_epoch() -> None:
    assert scales([2.0, 2.0, 2.1, 1.0, 1.5], lr_plateau_patience=1, lr_plateau_factor=0.1) == \
        pytest.approx([1, 1, 0.1, 0.01, 0.01, 1e-3])


def test_an_improvement_must_beat_the_relative_threshold() -> None:
    best = 0.5
    tiny = best * (1 - PLATEAU_THRESHOLD / 2)                    # lower, yet a stall
    real = best * (1 - PLATEAU_THRESHOLD * 2)
    assert plateau_scale([best, tiny], patience=1, factor=0.5, floor=1e-3) == 0.5
    assert plateau_scale([best, real], patience=1, factor=0.5, floor=1e-3) == 1.0
    # negative metrics (a GAN's losses may be) improve downwards too
    assert plateau_scale([-1.0, -1.0 - 1e-6], patience=1, factor=0.5, floor=1e-3) == 0.5
    assert plateau_scale([-1.0, -1.1], patience=1, factor=0.5, floor=1e-3) == 1.0


def test_non_finite_values_never_improve() -> None:
    assert plateau_scale([1.0, math.nan, math.inf], patience=2, factor=0.5, floor=0.0) == 0.5
    assert plateau_scale([math.nan, 1.0], patience=1, factor=0.5, floor=0.0) == 0.5


def test_the_rate_never_falls_below_lr_final_ratio() -> None:
    out = scales([1.0] * 12, lr_plateau_patience=1, lr_plateau_factor=0.1, lr_final_ratio=2e-3)
    assert out[:4] == pytest.approx([1, 1, 0.1, 0.01])
    assert out[4:] == [2e-3] * 9                                # the floor, exactly


def test_raise_answers_the_first_stall_by_raising_once_then_decays() -> None:
    """Section 7: at a plateau (maybe a saddle point) decay *or raise* the rate."""
    history = [1.0, 1.0, 1.0, 1.0, 0.5, 0.6, 0.6, 0.6]
    assert scales(history, lr_plateau_patience=1, lr_plateau_factor=0.5,
                  lr_plateau_raise=True) == [1, 1, 2, 1, 0.5, 0.5, 0.25, 0.125, 0.0625]
    assert scales(history, lr_plateau_patience=1, lr_plateau_factor=0.5) == [
        1, 1, 0.5, 0.25, 0.125, 0.125, 0.0625, 0.03125, 0.015625]


def test_no_history_and_warmup_ramp_come_first() -> None:
    assert plateau().factor(0) == 1.0
    warm = LRSchedule({"lr_schedule": "plateau", "warmup_epochs": 1, "lr_plateau_patience": 1},
                      steps_per_epoch=4, epochs=10)
    assert [warm.factor(s, [1.0, 1.0]) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert warm.factor(4, [1.0, 1.0]) == 0.5                 # then the stall counts


# --- where the history lives: beside initial_lr in the optimiser's param groups -------------------

def _sgd(*lrs: float) -> torch.optim.Optimizer:
    params = [{"params": [nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(params, lr=lrs[0])


def test_observe_and_apply_round_trip_through_the_state_dict() -> None:
    sched = plateau(lr_plateau_patience=1, lr_plateau_factor=0.5)
    opt = _sgd(0.1, 0.01)
    assert sched.apply(opt, 0) == 0.1
    for value in (1.0, 1.0, 1.0):
        sched.observe(opt, value)
    assert [g[HISTORY_KEY] for g in opt.param_groups] == [[1.0, 1.0, 1.0]] * 2
    assert sched.apply(opt, 12) == pytest.approx(0.025)
    assert opt.param_groups[1]["lr"] == pytest.approx(0.0025)
    restored = _sgd(1.0, 1.0)
    restored.load_state_dict(opt.state_dict())
    assert metric_history(restored) == [1.0, 1.0, 1.0]
    assert sched.apply(restored, 12) == pytest.approx(0.025)


def test_the_history_survives_a_resume_with_changed_hyperparameters() -> None:
    p = {"optimizer": "adam", "lr": 0.1, "lr_schedule": "plateau"}
    opt = make_optimizer([nn.Parameter(torch.zeros(1))], p)
    LRSchedule(p, steps_per_epoch=1, epochs=3).observe(opt, 2.0)
    apply_hyperparameters(opt, {**p, "lr": 0.5, "beta2": 0.9})
    assert metric_history(opt) == [2.0]
    lars = make_optimizer([nn.Parameter(torch.ones(2))], {"optimizer": "sgd_momentum",
                                                          "lars": True, "lr": 0.1})
    assert isinstance(lars, LARS)
    LRSchedule(p, steps_per_epoch=1, epochs=3).observe(lars, 3.0)
    assert metric_history(lars) == [3.0] and lars.state_dict()["param_groups"][0][HISTORY_KEY]


def test_other_schedules_record_nothing() -> None:
    opt = _sgd(0.1)
    for kind in ("constant", "exponential", "step", "cosine"):
        LRSchedule({"lr_schedule": kind}, steps_per_epoch=1, epochs=2).observe(opt, 1.0)
    assert HISTORY_KEY not in opt.param_groups[0]


# --- section 7's second exponential form ----------------------------------------------------------

@pytest.mark.parametrize("staircase", [True, False])
def test_rate_form_is_the_guides_second_example(staircase: bool) -> None:
    """initial 0.1, decay_steps 100000, decay_rate 0.96, staircase (and smooth)."""
    initial, decay_steps, decay_rate = 0.1, 100000, 0.96
    sched = LRSchedule({"lr_schedule": "exponential", "lr_decay_form": "rate",
                        "lr_decay_rate": decay_rate, "lr_decay_steps": decay_steps,
                        "lr_staircase": staircase, "lr_final_ratio": 0.5},
                       steps_per_epoch=23, epochs=8)       # neither the epochs nor the ratio count
    for step in (0, 1, 50000, 99999, 100000, 150000, 250000, 1234567):
        exponent = step / decay_steps
        if staircase:
            exponent = math.floor(exponent)
        assert initial * sched.factor(step) == pytest.approx(
            initial * decay_rate ** exponent, rel=1e-12), step
    if staircase:
        assert sched.factor(99999) == 1.0 and sched.factor(100000) == pytest.approx(0.96)


def test_rate_form_shifts_behind_the_warmup_and_final_ratio_form_is_unchanged() -> None:
    p = {"lr_schedule": "exponential", "lr_decay_form": "rate", "lr_decay_rate": 0.5,
         "lr_decay_steps": 3, "lr_staircase": True}
    warm = LRSchedule({**p, "warmup_epochs": 1}, steps_per_epoch=5, epochs=4)
    assert [warm.factor(s) for s in range(5, 12)] == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    default = LRSchedule({"lr_schedule": "exponential", "lr_final_ratio": 1e-2},
                         steps_per_epoch=5, epochs=2)
    assert default.decay_steps == 5 and default.decay_rate == pytest.approx(0.1)


@pytest.mark.parametrize(("bad", "words"), [
    ({"lr_schedule": "plateau", "lr_plateau_factor": 1.0}, "lr_plateau_factor"),
    ({"lr_plateau_factor": 0}, "lr_plateau_factor"),
    ({"lr_plateau_patience": 0}, "lr_plateau_patience"),
    ({"lr_plateau_raise": "maybe"}, "lr_plateau_raise"),
    ({"lr_decay_form": "linear"}, "unknown lr_decay_form 'linear'"),
    ({"lr_decay_rate": 0}, "lr_decay_rate"),
    ({"lr_decay_rate": 1.5}, "lr_decay_rate"),
    ({"lr_decay_steps": 0}, "lr_decay_steps"),
])
def test_bad_parameters(bad: dict[str, Any], words: str) -> None:
    with pytest.raises(ParamError, match=words):
        validate_schedule_params(bad)


# --- real runs ----------------------------------------------------------------------------------

#: Digits through a small MLP at a rate too small to move float32 weights: val_loss stands still
#: (no BatchNorm statistics drift either), a stall forced without touching the task.
STALLED: dict[str, Any] = {"model": "mlp", "depth": 1, "width": 16, "batch_size": 256,
                           "lr": 1e-12, "lr_schedule": "plateau", "lr_plateau_patience": 1,
                           "lr_plateau_factor": 0.5}


def run_cls(stop_after: int | None = None, **overrides: Any) -> Recorder:
    rec = Recorder(stop_after)
    cls.train({**cls.SMOKE_PARAMS, **overrides}, rec.report, should_stop=rec.should_stop,
              event=rec.event, device=torch.device("cpu"))
    return rec


def test_classification_reports_the_lr_dropping_after_a_stall() -> None:
    rec = run_cls(**STALLED, epochs=4)
    lrs = rec.values("lr")
    assert lrs == pytest.approx([1e-12, 1e-12, 5e-13, 2.5e-13], rel=1e-9)
    losses = rec.values("val_loss")
    assert len(losses) == 4 and all(abs(v - losses[0]) <= abs(losses[0]) * 1e-6 for v in losses)


def test_classification_lrs_follow_its_own_val_loss_history() -> None:
    """A run that learns: each epoch's rate is lr times the replay of the earlier val_losses."""
    p: dict[str, Any] = {"model": "mlp", "depth": 1, "width": 16, "batch_size": 128, "lr": 0.05,
                         "epochs": 6,
         "lr_schedule": "plateau", "lr_plateau_patience": 1, "lr_plateau_factor": 0.5,
         "lr_plateau_raise": True}
    rec = run_cls(**p)
    losses, lrs = rec.values("val_loss"), rec.values("lr")
    expected = [0.05 * plateau_scale(losses[:e], patience=1, factor=0.5, floor=1e-3,
                                     raise_first=True) for e in range(6)]
    assert lrs == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("raise_first", [False, True])
def test_a_resumed_classification_run_keeps_the_uninterrupted_rates(
        tmp_path: Path, raise_first: bool) -> None:
    p: dict[str, Any] = {**STALLED, "epochs": 5, "lr_plateau_raise": raise_first}
    whole = run_cls(**p, checkpoint_dir=str(tmp_path / "whole"))
    steps = math.ceil(1438 / 256)
    run_cls(stop_after=2 * steps + 2, **p, checkpoint_dir=str(tmp_path / "cut"))  # in epoch 3
    rest = run_cls(**p, checkpoint_dir=str(tmp_path / "cut"))
    assert len(rest.values("lr")) == 3                         # epochs 3 to 5, resumed
    assert whole.values("lr")[2:] == rest.values("lr")
    assert whole.values("val_loss")[2:] == rest.values("val_loss")
    assert len(set(whole.values("lr"))) >= 3                   # the rate did move


def test_detection_plateau_follows_val_loss() -> None:
    rec = Recorder()
    det.train({**det.SMOKE_PARAMS, "epochs": 4, "lr": 0.02, "lr_schedule": "plateau",
               "lr_plateau_patience": 1, "lr_plateau_factor": 0.5}, rec.report,
              should_stop=rec.should_stop, event=rec.event, device=torch.device("cpu"))
    losses, lrs = rec.values("val_loss"), rec.values("lr")
    assert lrs == pytest.approx([0.02 * plateau_scale(losses[:e], patience=1, factor=0.5,
                                                      floor=1e-3) for e in range(4)], rel=1e-12)


@pytest.mark.parametrize("ring", [False, True])
def test_gan_plateau_follows_sample_quality(ring: bool) -> None:
    base = gan.SMOKE_PARAMS_RING if ring else gan.SMOKE_PARAMS
    rec = Recorder(per_update="g_loss")
    gan.train({**base, "epochs": 3, "lr_schedule": "plateau", "lr_plateau_patience": 1,
               "lr_plateau_factor": 0.5, "lr_plateau_raise": True, "lr_g": 2e-3, "lr_d": 1e-3},
              rec.report, should_stop=rec.should_stop, event=rec.event,
              device=torch.device("cpu"))
    watched = rec.values("fid") if not ring else [1 - v for v in rec.values("high_quality")]
    assert len(watched) == 3
    factors = [plateau_scale(watched[:e], patience=1, factor=0.5, floor=0.01, raise_first=True)
               for e in range(3)]
    assert rec.values("lr_g") == pytest.approx([2e-3 * f for f in factors], rel=1e-12)
    assert rec.values("lr_d") == pytest.approx([1e-3 * f for f in factors], rel=1e-12)


def test_gan_ring_stall_decays_both_rates() -> None:
    rec = Recorder(per_update="g_loss")
    gan.train({**gan.SMOKE_PARAMS_RING, "epochs": 3, "lr_g": 1e-12, "lr_d": 1e-12,
               "lr_schedule": "plateau", "lr_plateau_patience": 1, "lr_plateau_factor": 0.5},
              rec.report, should_stop=rec.should_stop, event=rec.event,
              device=torch.device("cpu"))
    assert rec.values("lr_g") == pytest.approx([1e-12, 1e-12, 5e-13], rel=1e-9)
