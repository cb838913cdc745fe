"""Training-loop helpers: divergence wording, trial folders, atomic checkpoints, RNG round trips."""
from __future__ import annotations

import math
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from hpdesk.tasks.common import ParamError, pause_at_epoch, seed_everything
from hpdesk.tasks.training import (
    ENV_TRIAL_DIR,
    Checkpointer,
    Diverged,
    EpochTracker,
    autocast,
    check_finite,
    clip_gradients,
    eval_mode,
    grad_scaler,
    restore_training_state,
    rng_state,
    set_rng_state,
    training_state,
    trial_dir,
)


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_check_finite_raises_diverged_with_the_shared_wording() -> None:
    check_finite(torch.tensor(1.5), 3)
    with pytest.raises(Diverged) as info:
        check_finite(torch.tensor(float("nan")), 12)
    assert str(info.value) == "train_loss became nan at step 12"
    assert (info.value.name, info.value.step) == ("train_loss", 12)
    with pytest.raises(Diverged, match="^d_loss became inf at step 4$"):
        check_finite(float("inf"), 4, "d_loss")
    assert str(Diverged("generator collapsed")) == "generator collapsed"


def test_trial_dir_prefers_the_environment(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_TRIAL_DIR, raising=False)
    assert trial_dir({}) is None
    assert trial_dir({"checkpoint_dir": ""}) is None
    assert trial_dir({"checkpoint_dir": str(tmp_path / "p")}) == tmp_path / "p"
    monkeypatch.setenv(ENV_TRIAL_DIR, str(tmp_path / "env"))
    assert trial_dir({"checkpoint_dir": str(tmp_path / "p")}) == tmp_path / "env"


def test_checkpointer_without_a_folder_does_nothing() -> None:
    ckpt = Checkpointer(None)
    assert not ckpt.enabled and ckpt.load() is None
    ckpt.save({"epoch": 1})                                   # no error, no file


def test_checkpoint_round_trip_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ckpt = Checkpointer(tmp_path / "trial")
    assert ckpt.load() is None
    ckpt.save({"epoch": 1, "w": torch.arange(3)})
    assert sorted(p.name for p in (tmp_path / "trial").iterdir()) == ["checkpoint.pt"]
    loaded = ckpt.load()
    assert loaded is not None and loaded["epoch"] == 1 and torch.equal(loaded["w"], torch.arange(3))

    def broken_save(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError):
        ckpt.save({"epoch": 2})
    again = ckpt.load()
    assert again is not None and again["epoch"] == 1          # the old one survives


def test_unreadable_checkpoint_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ParamError, match="cannot read checkpoint") as info:
        Checkpointer(tmp_path).load()
    assert "\n" not in str(info.value) and str(tmp_path) in str(info.value)


def draws(generator: torch.Generator) -> tuple[float, float, float, float, float]:
    return (random.random(), float(np.random.rand()), torch.rand(1).item(),
            torch.rand(1, generator=generator).item(), float(torch.randn(1).item()))


def test_rng_state_round_trip_covers_every_stream(tmp_path: Path) -> None:
    gen = seed_everything(5)
    draws(gen)
    ckpt = Checkpointer(tmp_path)
    ckpt.save({"rng": rng_state(gen)})                        # through a real file
    expected = draws(gen)
    seed_everything(99)
    other = torch.Generator().manual_seed(99)
    loaded = ckpt.load()
    assert loaded is not None
    set_rng_state(loaded["rng"], other)
    assert draws(other) == expected


def test_training_state_restores_model_optimizer_and_position(tmp_path: Path) -> None:
    gen = seed_everything(0)
    model = nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    Checkpointer(tmp_path).save(training_state(
        epoch=2, step=40, modules={"model": model}, optimizers={"optimizer": opt},
        generator=gen, metrics={"val_acc": 0.5}))
    twin = nn.Linear(3, 2)
    twin_opt = torch.optim.Adam(twin.parameters(), lr=0.1)
    state = Checkpointer(tmp_path).load()
    assert state is not None and state["metrics"] == {"val_acc": 0.5}
    epoch_step = restore_training_state(state, modules={"model": twin},
                                        optimizers={"optimizer": twin_opt}, generator=gen)
    assert epoch_step == (2, 40)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                 twin.state_dict().values()))
    assert twin_opt.state_dict()["state"][0]["step"] == 1
    with pytest.raises(ParamError, match="checkpoint does not fit this model") as info:
        restore_training_state(state, modules={"model": nn.Linear(4, 2)}, optimizers={})
    assert "\n" not in str(info.value)


def test_autocast_and_scaler_are_no_ops_on_cpu() -> None:
    cpu = torch.device("cpu")
    with autocast(cpu, True):
        out = nn.Linear(4, 4)(torch.randn(2, 4))
    assert out.dtype == torch.float32
    scaler = grad_scaler(cpu, True)
    assert not scaler.is_enabled()
    loss = torch.tensor(2.0)
    assert scaler.scale(loss) is loss


def test_clip_gradients_zero_is_off() -> None:
    w = nn.Parameter(torch.zeros(2))
    w.grad = torch.tensor([3.0, 4.0])
    clip_gradients([w], 0.0)
    assert torch.equal(w.grad, torch.tensor([3.0, 4.0]))
    clip_gradients([w], 1.0)
    assert math.isclose(w.grad.norm().item(), 1.0, rel_tol=1e-5)


def test_eval_mode_restores_the_previous_mode() -> None:
    model = nn.Dropout(0.5)
    with eval_mode(model):
        assert not model.training and not torch.is_grad_enabled()
    assert model.training
    model.eval()
    with eval_mode(model):
        pass
    assert not model.training


# --- epoch ends: pause for population-based training, epoch_time, n_params ---------------------

@pytest.mark.parametrize(("raw", "expected"), [("1", 1), (" 3 ", 3), ("", None), ("  ", None)])
def test_pause_at_epoch_reads_a_positive_integer(raw: str, expected: int | None) -> None:
    assert pause_at_epoch({"HPDESK_PAUSE_AT_EPOCH": raw}) == expected
    assert pause_at_epoch({}) is None


@pytest.mark.parametrize("raw", ["0", "-1", "1.5", "two", "1e2"])
def test_pause_at_epoch_rejects_anything_else_in_one_line(raw: str) -> None:
    with pytest.raises(ParamError, match="PAUSE_AT_EPOCH must be a positive integer") as info:
        pause_at_epoch({"HPDESK_PAUSE_AT_EPOCH": raw})
    assert "\n" not in str(info.value) and repr(raw) in str(info.value)


def test_epoch_tracker_pauses_between_the_pause_epoch_and_the_last() -> None:
    events: list[tuple[str, str, int | None, str]] = []

    def event(kind: str, message: str, *, step: int | None = None, level: str = "info") -> None:
        events.append((kind, message, step, level))

    tracker = EpochTracker(epochs=4, n_params=10, pause_at=2)
    assert tracker.pause(event, 1, 5) is None and events == []
    message = "paused after epoch 2 for the rest of the population"
    assert tracker.pause(event, 2, 10) == message
    assert events == [("paused", message, 10, "info")]
    assert tracker.pause(event, 3, 15) is not None               # resumed with the same value
    assert tracker.pause(event, 4, 20) is None                   # the last epoch: it completes
    assert EpochTracker(epochs=2, n_params=1, pause_at=5).pause(event, 1, 3) is None
    assert EpochTracker(epochs=2, n_params=1).pause(event, 1, 3) is None


def test_epoch_tracker_times_each_epoch_and_counts_parameters_once() -> None:
    tracker = EpochTracker(epochs=3, n_params=123)
    tracker.start()
    first = tracker.metrics()
    tracker.start()
    second = tracker.metrics()
    assert first.keys() == {"epoch_time", "n_params"} and first["n_params"] == 123.0
    assert second.keys() == {"epoch_time"}
    assert first["epoch_time"] >= 0 and second["epoch_time"] >= 0
