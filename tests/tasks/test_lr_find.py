"""The learning-rate sweep (hpdesk.tasks.lr_find) on the built-in tasks, in-process."""

from __future__ import annotations

import math

import pytest
import torch

from hpdesk.tasks import classification, detection
from hpdesk.tasks.common import ParamError
from hpdesk.tasks.lr_find import run_sweep, sweep_rates, task_module
from tests.tasks.recorder import Recorder

CPU = torch.device("cpu")


def sweep(task: str, params: dict, rates: list[float]) -> tuple[Recorder, list]:
    rec = Recorder()
    module = classification if task == "classification" else detection
    p = module.resolve_params({**module.SMOKE_PARAMS, **params})
    result, swept = run_sweep(task, p, rates, reporter=rec.report, should_stop=rec.should_stop,
                              event=rec.event, device=CPU)
    assert result.status == "completed"
    return rec, swept.points


def test_rates_grow_geometrically() -> None:
    rates = sweep_rates(1e-6, 1.0, 7)
    assert rates[0] == 1e-6 and rates[-1] == pytest.approx(1.0)
    assert all(b / a == pytest.approx(10.0) for a, b in zip(rates, rates[1:]))


def test_classification_reports_each_rate_and_is_deterministic() -> None:
    rates = sweep_rates(1e-5, 1e-2, 12)
    rec, points = sweep("classification", {}, rates)
    assert [lr for lr, _ in points] == pytest.approx(rates)
    assert [s for s, _ in rec.series("lr_find_loss")] == list(range(1, 13))
    assert [v for _, v in rec.series("lr")] == pytest.approx(rates)
    assert not rec.series("train_loss")                 # only the sweep's own metrics
    assert not any(kind == "stopped" for kind, _, _ in rec.events)
    assert any(kind == "lr_find" and "all 12" in msg for kind, msg, _ in rec.events)
    _, again = sweep("classification", {}, rates)
    assert again == points


def test_a_blow_up_ends_the_sweep_early_with_nan_or_a_rise() -> None:
    rates = sweep_rates(1e-3, 1e8, 40)
    rec, points = sweep("classification", {"optimizer": "sgd"}, rates)
    assert len(points) < 40
    assert any(kind == "lr_find" for kind, _, _ in rec.events)
    assert not math.isfinite(points[-1][1]) or points[-1][1] > points[0][1]


def test_detection_sweeps_too() -> None:
    rec, points = sweep("detection", {}, sweep_rates(1e-5, 1e-2, 6))
    assert len(points) == 6 and all(math.isfinite(loss) for _, loss in points)


def test_gan_and_unknown_tasks_are_refused() -> None:
    with pytest.raises(ParamError, match="cannot sweep the gan task"):
        task_module("gan")
    with pytest.raises(ParamError, match="only the built-in tasks"):
        task_module("script")
