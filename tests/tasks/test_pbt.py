"""Population-based training in every built-in task: pause at $HPDESK_PAUSE_AT_EPOCH, resume with
changed hyperparameters (another member's checkpoint, new params), and the ``epoch_time`` and
``n_params`` metrics a multi-objective search reads."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from hpdesk.tasks import classification, common, detection, gan
from hpdesk.tasks.common import ParamError, TrainResult, count_parameters
from hpdesk.tasks.training import ENV_TRIAL_DIR
from tests.tasks.recorder import Recorder

PAUSE = common.ENV_PAUSE_AT_EPOCH


@dataclass(frozen=True)
class Case:
    module: Any
    params: dict[str, Any]          # a tiny run of `epochs` epochs
    steps_per_epoch: int
    per_update: str                 # the metric reported after every update


CASES = {
    "classification": Case(classification, {**classification.SMOKE_PARAMS, "batch_size": 256,
                                             "width": 4, "epochs": 2}, 6, "train_loss"),
    "detection": Case(detection, {**detection.SMOKE_PARAMS, "epochs": 2}, 4, "train_loss"),
    "gan": Case(gan, {**gan.SMOKE_PARAMS_RING, "width": 16, "epochs": 2,
                      "lr_schedule": "constant"}, 8, "g_loss"),
}


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_TRIAL_DIR, raising=False)
    monkeypatch.delenv(PAUSE, raising=False)


def run(task: str, **overrides: Any) -> tuple[TrainResult, Recorder]:
    case = CASES[task]
    rec = Recorder(per_update=case.per_update)
    result = case.module.train({**case.params, **overrides}, rec.report,
                               should_stop=rec.should_stop, event=rec.event,
                               device=torch.device("cpu"))
    return result, rec


def network(result: TrainResult) -> nn.Module:
    assert result.model is not None            # the GAN's: the generator
    return result.model


def saved_groups(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Each optimiser's param groups as the last checkpoint in ``folder`` holds them."""
    state = torch.load(folder / "checkpoint.pt", weights_only=True)
    return {name: opt["param_groups"] for name, opt in state["optimizers"].items()}


# --- pause and continue -------------------------------------------------------------------------

@pytest.mark.parametrize("task", CASES)
def test_pause_after_epoch_one_then_resume_continues_the_curve(
        task: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spe, per_update = CASES[task].steps_per_epoch, CASES[task].per_update
    whole, whole_rec = run(task)
    assert whole.steps == 2 * spe and whole_rec.events == []

    monkeypatch.setenv(ENV_TRIAL_DIR, str(tmp_path))
    monkeypatch.setenv(PAUSE, "1")
    paused, first = run(task)
    assert (paused.status, paused.epochs, paused.steps) == ("paused", 1, spe)
    message = "paused after epoch 1 for the rest of the population"
    assert paused.message == message and first.events == [("paused", message, spe)]
    assert first.points[-1][0] == spe and first.values("epoch") == [1.0]     # nothing after it
    assert (tmp_path / "checkpoint.pt").is_file()

    monkeypatch.delenv(PAUSE)
    resumed, second = run(task)
    assert (resumed.status, resumed.epochs, resumed.steps) == ("completed", 2, 2 * spe)
    assert second.events == []
    steps = [s for s, _ in first.series(per_update) + second.series(per_update)]
    assert steps == list(range(1, 2 * spe + 1))                 # no gap, no repetition
    assert first.values(per_update) + second.values(per_update) == pytest.approx(
        whole_rec.values(per_update), rel=1e-5)                 # the same curve

    # epoch_time with every epoch's end; n_params once per run, with its first epoch's end.
    for rec, epochs in ((whole_rec, [1.0, 2.0]), (first, [1.0]), (second, [2.0])):
        ends = [m for _, m in rec.points if "epoch" in m]
        assert [m["epoch"] for m in ends] == epochs
        assert all(m["epoch_time"] > 0 for m in ends)
        assert len(rec.values("epoch_time")) == len(epochs)
        assert rec.values("n_params") == [float(count_parameters(network(whole)))]
        assert "n_params" in ends[0]


def test_a_resumed_run_pauses_again_at_a_larger_epoch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_TRIAL_DIR, str(tmp_path))
    results = []
    for pause in ("1", "2", None):
        if pause is None:
            monkeypatch.delenv(PAUSE)
        else:
            monkeypatch.setenv(PAUSE, pause)
        results.append(run("classification", epochs=3))
    assert [(r.status, r.epochs) for r, _ in results] == [
        ("paused", 1), ("paused", 2), ("completed", 3)]
    assert [[e[2] for e in rec.events] for _, rec in results] == [[6], [12], []]
    assert [rec.series("train_loss")[0][0] for _, rec in results] == [1, 7, 13]


@pytest.mark.parametrize("task", CASES)
def test_a_pause_at_or_after_the_last_epoch_completes(
        task: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_TRIAL_DIR, str(tmp_path))
    monkeypatch.setenv(PAUSE, "1")
    result, rec = run(task, epochs=1)
    assert (result.status, result.epochs) == ("completed", 1) and rec.events == []


def test_a_bad_pause_value_is_a_param_error_before_training(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PAUSE, "0")
    for task in CASES:
        with pytest.raises(ParamError, match="HPDESK_PAUSE_AT_EPOCH must be a positive integer"):
            run(task)


# --- resume with changed hyperparameters --------------------------------------------------------

def pause_and_copy(task: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   old: dict[str, Any]) -> Path:
    """Member A pauses after epoch 1 with ``old``; its checkpoint is copied to member B's
    folder, which is returned (the scheduler's exploit step), and the pause is lifted."""
    member_a, member_b = tmp_path / "a", tmp_path / "b"
    monkeypatch.setenv(ENV_TRIAL_DIR, str(member_a))
    monkeypatch.setenv(PAUSE, "1")
    paused, _ = run(task, **old)
    assert paused.status == "paused"
    member_b.mkdir()
    shutil.copy(member_a / "checkpoint.pt", member_b / "checkpoint.pt")
    monkeypatch.setenv(ENV_TRIAL_DIR, str(member_b))
    monkeypatch.delenv(PAUSE)
    return member_b


def spy(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str,
        record: list[Any], pick: Any) -> None:
    """Wrap ``owner.name`` so that every call appends ``pick(args, kwargs)`` to ``record``."""
    real = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        record.append(pick(args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)


def test_classification_resume_uses_the_new_hyperparameters(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = {"optimizer": "sgd_momentum", "lr": 0.05, "momentum": 0.9, "weight_decay": 0.0,
           "dropout": 0.0, "label_smoothing": 0.0, "grad_clip": 0.0}
    new = {**old, "lr": 0.02, "momentum": 0.5, "weight_decay": 0.01, "dropout": 0.3,
           "label_smoothing": 0.1, "grad_clip": 1.0}
    folder = pause_and_copy("classification", tmp_path, monkeypatch, old)
    smoothing: list[float] = []
    clips: list[float] = []
    spy(monkeypatch, torch.nn.functional, "cross_entropy", smoothing,
        lambda a, k: k.get("label_smoothing", 0.0))
    spy(monkeypatch, classification, "clip_gradients", clips, lambda a, k: a[1])
    result, rec = run("classification", **new)
    assert result.status == "completed" and rec.series("train_loss")[0][0] == 7
    (group,) = saved_groups(folder)["optimizer"]
    assert (group["momentum"], group["weight_decay"]) == (0.5, 0.01)
    assert group["initial_lr"] == 0.02 and rec.values("lr") == [0.02]     # constant schedule
    drops = [m for m in network(result).modules() if isinstance(m, nn.Dropout)]
    assert drops and all(m.p == 0.3 for m in drops)       # a dropout-0 checkpoint fits too
    assert smoothing and set(smoothing) == {0.1}
    assert clips == [1.0] * 6


def test_detection_resume_uses_the_new_hyperparameters(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = {"optimizer": "adam", "lr": 3e-3, "beta1": 0.9, "beta2": 0.999, "weight_decay": 0.0,
           "dropout": 0.0, "grad_clip": 0.0, "box_loss_weight": 1.0, "cls_loss_weight": 1.0,
           "focal_gamma": 2.0, "focal_alpha": 0.25}
    new = {**old, "lr": 0.01, "beta1": 0.8, "beta2": 0.99, "weight_decay": 0.01,
           "dropout": 0.2, "grad_clip": 2.0, "box_loss_weight": 3.0, "cls_loss_weight": 0.5,
           "focal_gamma": 1.0, "focal_alpha": 0.4}
    folder = pause_and_copy("detection", tmp_path, monkeypatch, old)
    focal: list[tuple[float, float]] = []
    clips: list[float] = []
    spy(monkeypatch, detection, "detection_losses", focal,
        lambda a, k: (k["focal_gamma"], k["focal_alpha"]))
    spy(monkeypatch, detection, "clip_gradients", clips, lambda a, k: a[1])
    result, rec = run("detection", **new)
    assert result.status == "completed" and rec.series("train_loss")[0][0] == 5
    (group,) = saved_groups(folder)["optimizer"]
    assert tuple(group["betas"]) == (0.8, 0.99) and group["weight_decay"] == 0.01
    assert group["initial_lr"] == 0.01 and rec.values("lr") == [0.01]
    drops = [m for m in network(result).modules() if isinstance(m, nn.Dropout)]
    assert drops and all(m.p == 0.2 for m in drops)
    assert focal and set(focal) == {(1.0, 0.4)}
    assert clips == [2.0] * 4
    weighted = [0.5 * c + 3.0 * b for c, b in zip(rec.values("cls_loss"), rec.values("box_loss"))]
    assert rec.values("train_loss") == pytest.approx(weighted)     # the new loss weights


def test_gan_resume_uses_the_new_hyperparameters(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = {"optimizer": "adam", "lr_g": 2e-3, "lr_d": 2e-3, "beta1": 0.5, "beta2": 0.999,
           "weight_decay": 0.0, "label_smoothing": 0.2, "grad_clip": 0.0}
    new = {**old, "lr_g": 1e-3, "lr_d": 3e-3, "beta1": 0.7, "beta2": 0.99,
           "weight_decay": 0.01, "label_smoothing": 0.1, "grad_clip": 1.0}
    folder = pause_and_copy("gan", tmp_path, monkeypatch, old)
    targets: list[float] = []
    clips: list[float] = []
    spy(monkeypatch, torch.nn.functional, "binary_cross_entropy_with_logits", targets,
        lambda a, k: round(float(a[1].max()), 6))
    spy(monkeypatch, gan, "clip_gradients", clips, lambda a, k: a[1])
    result, rec = run("gan", **new)
    assert result.status == "completed" and rec.series("g_loss")[0][0] == 9
    groups = saved_groups(folder)
    for name, lr in (("generator", 1e-3), ("discriminator", 3e-3)):
        (group,) = groups[name]
        assert tuple(group["betas"]) == (0.7, 0.99) and group["weight_decay"] == 0.01
        assert group["lr"] == lr
    assert rec.values("lr_g") == [1e-3] and rec.values("lr_d") == [3e-3]
    assert set(targets) == {0.9, 0.0, 1.0}       # real targets 1 - 0.1, fake 0, generator 1
    assert clips == [1.0] * 16                   # each D and G update of epoch 2


# --- the process --------------------------------------------------------------------------------

@pytest.mark.slow
def test_subprocess_pause_exits_0_and_a_bad_value_exits_2(tmp_path: Path) -> None:
    params = tmp_path / "params.json"
    params.write_text(json.dumps(CASES["classification"].params))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HPDESK_")}
    env.update(HPDESK_NUM_THREADS="1", HPDESK_TRIAL_DIR=str(tmp_path / "trial"))
    argv = [sys.executable, "-m", "hpdesk.tasks.classification", "--params", str(params)]

    def start(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, capture_output=True, text=True, env={**env, **extra},
                              timeout=120, cwd=tmp_path, check=False)

    proc = start(HPDESK_PAUSE_AT_EPOCH="1")
    assert proc.returncode == common.EXIT_OK, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert [(e["event"], e["step"]) for e in lines if "event" in e] == [("paused", 6)]
    last = [line for line in proc.stderr.splitlines() if line.strip()][-1]
    assert "paused after epoch 1" in last and "Traceback" not in proc.stderr
    bad = start(HPDESK_PAUSE_AT_EPOCH="soon")
    assert bad.returncode == common.EXIT_BAD_PARAMS and bad.stdout == ""
    assert bad.stderr.strip().count("\n") == 0
    assert "HPDESK_PAUSE_AT_EPOCH must be a positive integer, got 'soon'" in bad.stderr
