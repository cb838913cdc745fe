"""Learning-rate schedules: section 7's exponential decay to the letter, step, cosine, warm-up."""
from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from torch import nn

from hpdesk.tasks.common import ParamError
from hpdesk.tasks.schedules import SCHEDULE_DEFAULTS, LRSchedule, validate_schedule_params


def schedule(steps_per_epoch: int = 10, epochs: int = 5, **p: Any) -> LRSchedule:
    return LRSchedule(p, steps_per_epoch=steps_per_epoch, epochs=epochs)


def test_defaults() -> None:
    assert SCHEDULE_DEFAULTS == {"lr_schedule": "constant", "lr_final_ratio": 1e-3,
                                 "lr_staircase": True, "lr_decay_form": "final_ratio",
                                 "lr_decay_rate": 0.96, "lr_decay_steps": 100000,
                                 "lr_step_epochs": 10, "lr_gamma": 0.1,
                                 "lr_plateau_patience": 2, "lr_plateau_factor": 0.5,
                                 "lr_plateau_raise": False, "warmup_epochs": 0.0}
    assert {schedule().factor(s) for s in range(100)} == {1.0}


@pytest.mark.parametrize("staircase", [True, False])
def test_exponential_is_the_guides_formula(staircase: bool) -> None:
    """Section 7: initial 0.1, final 1e-4, decay_steps = train_size // batch_size, epochs."""
    initial, final, epochs = 0.1, 1e-4, 4
    train_size, batch_size = 1438, 64
    decay_steps = train_size // batch_size                    # 22
    decay_rate = (final / initial) ** (1 / epochs)
    sched = LRSchedule({"lr_schedule": "exponential", "lr_final_ratio": final / initial,
                        "lr_staircase": staircase}, steps_per_epoch=decay_steps, epochs=epochs)
    for step in range(decay_steps * epochs + 5):
        exponent = step / decay_steps
        if staircase:
            exponent = math.floor(exponent)
        assert initial * sched.factor(step) == pytest.approx(
            initial * decay_rate ** exponent, rel=1e-12), step


def test_exponential_staircase_holds_one_rate_per_epoch() -> None:
    sched = schedule(lr_schedule="exponential", lr_final_ratio=1e-3, steps_per_epoch=10,
                     epochs=3)
    rates = [sched.factor(s) for s in range(30)]
    assert rates[:10] == [1.0] * 10
    assert len(set(rates[10:20])) == 1 and rates[10] == pytest.approx(0.1)
    assert rates[29] == pytest.approx(1e-2)
    smooth = schedule(lr_schedule="exponential", lr_staircase=False, steps_per_epoch=10,
                      epochs=3)
    assert all(smooth.factor(s + 1) < smooth.factor(s) for s in range(29))
    assert smooth.factor(30) == pytest.approx(1e-3)            # final after `epochs` epochs


def test_step_schedule_multiplies_by_gamma_every_n_epochs() -> None:
    sched = schedule(lr_schedule="step", lr_step_epochs=2, lr_gamma=0.5, steps_per_epoch=3,
                     epochs=6)
    per_epoch = [sched.factor(e * 3 + 1) for e in range(6)]
    assert per_epoch == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    assert sched.factor(5) == 1.0 and sched.factor(6) == 0.5   # changes on the epoch boundary


def test_cosine_runs_from_lr_to_the_final_ratio_over_all_updates() -> None:
    sched = schedule(lr_schedule="cosine", lr_final_ratio=0.01, steps_per_epoch=10, epochs=5)
    rates = [sched.factor(s) for s in range(50)]
    assert rates[0] == 1.0 and rates[-1] == pytest.approx(0.01)
    assert all(b < a for a, b in zip(rates, rates[1:]))
    assert rates[49 // 2] == pytest.approx(0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * 24 / 49)))
    assert sched.factor(80) == pytest.approx(0.01)             # held after the end


@pytest.mark.parametrize("kind", ["constant", "exponential", "step", "cosine"])
def test_warmup_ramps_linearly_in_front_of_every_schedule(kind: str) -> None:
    plain = schedule(lr_schedule=kind, steps_per_epoch=10, epochs=6, lr_step_epochs=1)
    warm = schedule(lr_schedule=kind, steps_per_epoch=10, epochs=6, lr_step_epochs=1,
                    warmup_epochs=1.5)
    assert warm.warmup_steps == 15
    assert [warm.factor(s) for s in range(15)] == pytest.approx([(s + 1) / 15 for s in range(15)])
    assert warm.factor(15) == 1.0                              # the schedule starts after it
    if kind in ("exponential", "step"):
        assert [warm.factor(15 + s) for s in range(30)] == [plain.factor(s) for s in range(30)]
    if kind == "cosine":
        assert warm.factor(59) == pytest.approx(plain.factor(59))   # still ends at the final lr


def test_apply_remembers_each_groups_base_rate() -> None:
    a, b = nn.Parameter(torch.zeros(1)), nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.01}], lr=0.1)
    sched = schedule(lr_schedule="step", lr_step_epochs=1, lr_gamma=0.5, steps_per_epoch=1)
    assert sched.apply(opt, 2) == pytest.approx(0.025)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert opt.param_groups[1]["lr"] == pytest.approx(0.0025)
    assert sched.apply(opt, 0) == 0.1                          # from the base, not compounded
    restored = torch.optim.SGD([{"params": [a]}, {"params": [b]}], lr=1.0)
    restored.load_state_dict(opt.state_dict())                 # the base rides in the state dict
    assert sched.apply(restored, 1) == pytest.approx(0.05)


@pytest.mark.parametrize(("bad", "words"), [
    ({"lr_schedule": "linear"}, "unknown lr_schedule 'linear'"),
    ({"lr_final_ratio": 0}, "lr_final_ratio"),
    ({"lr_final_ratio": 2}, "lr_final_ratio"),
    ({"lr_step_epochs": 0}, "lr_step_epochs"),
    ({"lr_gamma": 0}, "lr_gamma"),
    ({"warmup_epochs": -1}, "warmup_epochs"),
    ({"lr_staircase": "sometimes"}, "lr_staircase"),
])
def test_bad_schedule_parameters(bad: dict[str, Any], words: str) -> None:
    with pytest.raises(ParamError, match=words):
        validate_schedule_params(bad)
    with pytest.raises(ParamError, match=words):
        LRSchedule(bad, steps_per_epoch=1, epochs=1)


def test_bad_run_shape() -> None:
    with pytest.raises(ParamError, match="steps_per_epoch"):
        LRSchedule({}, steps_per_epoch=0, epochs=1)
    with pytest.raises(ParamError, match="epochs"):
        LRSchedule({}, steps_per_epoch=1, epochs=0)
